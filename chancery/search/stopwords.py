"""English stop words as the text field indexes them (stemmed): snippets highlight them only when
the query has no other words."""

from __future__ import annotations

from chancery.search.schema import TEXT_ANALYZER

WORDS = """
a an the and or nor but if then than so as of to in on at by for with from into onto upon about
is are was were be been being am do does did have has had having it its this that these those
there here which who whom whose what when where while he she they them his her hers their theirs
we our ours i me my you your yours him himself herself itself themselves would should could shall
not also any all some such only own same too very just
"""

STOP_TERMS = frozenset(term for word in WORDS.split() for term in TEXT_ANALYZER.analyze(word))


def content_terms(terms: list[str]) -> list[str]:
    """`terms` without stop words, or all of them when they are all stop words."""
    return [t for t in terms if t not in STOP_TERMS] or terms
