"""Turn a parsed query (chancery.search.query AST) into tantivy Query objects.

Bare words search title (boosted) and text; fields map to the index's name, keyword and date
fields. Filters score nothing. Names get their variants (variants.py: the same person's other
spellings in the authority) as a weaker
alternative; an exact match also earns a constant bonus so it always ranks above a variant-only
match. Positive text terms are collected for the snippet highlighter.

Phrases in title and text use the word-pair fields (index.word_pairs: adjacent pairs of common
terms): two common words are one term query on the pair field (exact, and as cheap to sample as
any term); a longer phrase with common neighbours needs those pairs and the positional phrase
query, which the pairs lead through the intersection, so positions are read almost only where
the phrase is. Other phrases (a rarer word bounds their cost) and phrases in the name fields stay
positional phrase queries. Every positional phrase sets `has_phrase`: the engine counts those
while collecting the hits instead of probing a slice first.

Queries as people type them: `proximity` adds a score (never a condition) for each two neighbouring
words of the query found near each other in the text or the title; `relaxed` is the query's free
words OR'd, each document scored COORD_WEIGHT per word it has plus its bm25, for when too few
documents have all of them.
"""

from __future__ import annotations

import re
from collections.abc import Hashable

import tantivy
from tantivy import Occur, Query

from chancery.search.index import day_number, pair_terms
from chancery.search.query import And, DateRange, Flag, Node, Not, Or, Phrase, Term
from chancery.search.schema import (
    BY_NAME,
    ENTITY,
    FROM,
    NAME_ANALYZER,
    NOT_AFTER,
    NOT_BEFORE,
    PAIR_FIELDS,
    PERSON,
    QUERY_FIELDS,
    TEXT,
    TEXT_ANALYZER,
    TITLE,
    TO,
    Kind,
    SearchField,
)
from chancery.search.stopwords import STOP_TERMS
from chancery.search.variants import VariantQueries, Variants

TITLE_BOOST = 2.0
VARIANT_BOOST = 0.3
EXACT_BONUS = 50.0
PREFIX_HIGHLIGHT_TERMS = 20
PREFIX_MAX_TERMS = 256
AUTHORITY_FIELDS = (None, FROM, TO, PERSON)  # unfielded words and people: spellings of one person
PHRASE_VARIANT_FIELDS = AUTHORITY_FIELDS  # a phrase of several words gets spellings only as a person's name
COORD_WEIGHT = 3.0  # relaxed ranking: a document's score per query word it has, before its bm25
PROXIMITY_BOOST = 2.0  # two neighbouring query words within PROXIMITY_SLOP words of each other
PROXIMITY_SLOP = 3
MAX_PROXIMITY_PAIRS = 12  # a long pasted text gets proximity only for its first words


class Compiler:
    """Compiles one query against one searcher; records variants used and terms to highlight."""

    def __init__(
        self,
        schema: tantivy.Schema,
        searcher: tantivy.Searcher,
        cache_key: Hashable,
        variants: Variants | None,
    ) -> None:
        self.schema = schema
        self.searcher = searcher
        self.cache_key = cache_key
        self.variants = variants
        self.variants_used: dict[str, list[str]] = {}
        self.variant_queries: VariantQueries = {}  # word -> (spelling, query): to count each spelling
        self.highlight: list[Query] = []
        self.highlight_stop: list[Query] = []  # single stop words: highlighted when nothing else is
        self.highlight_terms: list[str] = []  # indexed text terms, to find where a snippet can start
        self.has_phrase = False  # a positional phrase query anywhere (the engine plans those apart)
        self._negated = 0
        self.exact_bonus = EXACT_BONUS  # 0 in the relaxed ranking: there a word counts once, variant or not

    def compile(self, node: Node) -> Query:
        query = self._node(node)
        return query if query is not None else Query.all_query()

    def _node(self, node: Node) -> Query | None:
        if isinstance(node, And):
            return self._and(node)
        if isinstance(node, Or):
            parts = [q for q in (self._node(c) for c in node.children) if q is not None]
            return Query.boolean_query([(Occur.Should, q) for q in parts]) if parts else None
        if isinstance(node, Not):
            self._negated += 1
            inner = self._node(node.child)
            self._negated -= 1
            if inner is None:
                return None
            return Query.boolean_query([(Occur.Must, Query.all_query()), (Occur.MustNot, inner)])
        if isinstance(node, Term):
            return self._term(node)
        if isinstance(node, Phrase):
            return self._phrase(node)
        if isinstance(node, DateRange):
            return _filter(self._date(node))
        if isinstance(node, Flag):
            name = QUERY_FIELDS[node.field].name
            return _filter(Query.term_query(self.schema, name, "true" if node.value else "false"))
        raise TypeError(node)

    def _and(self, node: And) -> Query | None:
        clauses: list[tuple[Occur, Query]] = []
        # a stop word typed among other words ("rebellion in tibet") scores but is not required
        optional = any(_free(c) and not _only_stop(c) for c in node.children)
        for child in node.children:
            if optional and isinstance(child, Term) and _free(child) and _only_stop(child):
                if (query := self._node(child)) is not None:
                    clauses.append((Occur.Should, query))
            elif isinstance(child, Not):
                self._negated += 1
                inner = self._node(child.child)
                self._negated -= 1
                if inner is not None:
                    clauses.append((Occur.MustNot, inner))
            else:
                query = self._node(child)
                if query is not None:
                    clauses.append((Occur.Must, query))
        if not clauses:
            return None
        if all(occur == Occur.MustNot for occur, _ in clauses):
            clauses.append((Occur.Must, Query.all_query()))
        return Query.boolean_query(clauses)

    # -- queries as typed -------------------------------------------------------------------
    def relaxed(self, node: Node) -> Query | None:
        """Documents with any of the query's free words (at least two of them not stop words),
        scored by how many they have, bm25 within; the rest of the query still applies. None when
        the query has fewer than two such words."""
        conjuncts = flatten(node)
        words = typed_words(node)
        if len(words) < 2:
            return None
        self.exact_bonus = 0.0
        clauses: list[tuple[Occur, Query]] = []
        for child in conjuncts:
            if _free(child):
                continue
            if isinstance(child, Not):
                self._negated += 1
                inner = self._node(child.child)
                self._negated -= 1
                if inner is not None:
                    clauses.append((Occur.MustNot, inner))
            elif (query := self._node(child)) is not None:
                clauses.append((Occur.Must, query))
        scored = [q for q in (self._node(w) for w in words) if q is not None]
        if not scored:
            return None
        any_word = [
            (
                Occur.Should,
                Query.boolean_query(
                    [(Occur.Should, Query.const_score_query(q, COORD_WEIGHT)), (Occur.Should, q)]
                ),
            )
            for q in scored
        ]
        clauses.append((Occur.Must, Query.boolean_query(any_word)))
        return Query.boolean_query(clauses)

    def proximity(self, node: Node) -> list[Query]:
        """Score-only queries: each two neighbouring content words of the query's free words
        (stop words between them kept as gaps) within PROXIMITY_SLOP words, in text or title."""
        tokens: list[str] = []
        for child in flatten(node):
            if _free(child):
                tokens.extend(TEXT_ANALYZER.analyze(child.text))  # type: ignore[union-attr]
        content = [(i, t) for i, t in enumerate(tokens) if t not in STOP_TERMS]
        pairs = list(zip(content, content[1:], strict=False))[:MAX_PROXIMITY_PAIRS]
        out: list[Query] = []
        for (i, a), (j, b) in pairs:
            words: list[str | tuple[int, str]] = [(0, a), (j - i, b)]
            for field, boost in ((TEXT, PROXIMITY_BOOST), (TITLE, PROXIMITY_BOOST * TITLE_BOOST)):
                phrase = Query.phrase_query(self.schema, field, words, slop=PROXIMITY_SLOP)
                out.append(Query.boost_query(phrase, boost))
        if out:
            self.has_phrase = True
        return out

    # -- words and phrases ------------------------------------------------------------------
    def _term(self, node: Term) -> Query | None:
        field = _field(node.field)
        if field is not None and field.kind is Kind.KEYWORD:
            return _filter(self._keyword(field, node.text, node.prefix))
        if field is not None and field.entities and ":" in node.text:
            return Query.term_query(self.schema, ENTITY, node.text)
        if node.prefix:
            return self._prefix(node)
        exact = self._words(node.field, node.text)
        if exact is None:
            return None
        return self._with_variants(node, exact)

    def _phrase(self, node: Phrase) -> Query | None:
        field = _field(node.field)
        if field is not None and field.kind is Kind.KEYWORD:
            return _filter(self._keyword(field, node.text, False))
        exact = self._words(node.field, node.text)
        if exact is None:
            return None
        if node.field in PHRASE_VARIANT_FIELDS and " " in node.text.strip():
            return self._with_variants(node, exact)
        return exact

    def _words(self, field: str | None, text: str) -> Query | None:
        """`text` in the query field `field` (or title and text): a term for one token, a phrase
        for several."""
        if field is None:
            title, body = self._in(TITLE, text), self._in(TEXT, text)
            if title is None or body is None:
                return None
            return Query.boolean_query(
                [(Occur.Should, Query.boost_query(title, TITLE_BOOST)), (Occur.Should, body)]
            )
        return self._in(QUERY_FIELDS[field].name, text)

    def _in(self, field: str, text: str) -> Query | None:
        """`text` in the index field `field`."""
        analyzer = NAME_ANALYZER if BY_NAME[field].kind is Kind.NAME else TEXT_ANALYZER
        tokens: list[str] = analyzer.analyze(text)
        if not tokens:
            return None
        if len(tokens) == 1:
            query = Query.term_query(self.schema, field, tokens[0])
        elif field in PAIR_FIELDS and (pairs := pair_terms(tokens)):
            query = self._pairs(field, tokens, pairs)
        else:
            query = _phrase_query(self.schema, field, tokens)
            self.has_phrase = True
        if field == TEXT and not self._negated:
            stop = len(tokens) == 1 and tokens[0] in STOP_TERMS
            (self.highlight_stop if stop else self.highlight).append(
                query if len(tokens) == 1 else _phrase_query(self.schema, field, tokens)
            )
            self.highlight_terms.extend(tokens)
        return query

    def _pairs(self, field: str, tokens: list[str], pairs: list[str]) -> Query:
        """The phrase `tokens` in title or text, through the field's indexed word pairs.

        Two words: the pair's term (bm25 without frequencies: a title match counts double, a
        shorter document ranks higher). More: each indexed pair as a filter and the phrase query
        for the score and the exact answer; tantivy's intersection is driven by its cheapest
        member (a pair: far rarer than the phrase's words), so the phrase scorer is only sought
        to documents holding every pair, which almost always hold the phrase.
        """
        pair_field = PAIR_FIELDS[field]
        if len(tokens) == 2:
            return Query.term_query(self.schema, pair_field, pairs[0])
        # positions are still read for every candidate: restricting it to a slice saves nothing
        self.has_phrase = True
        clauses = [
            (Occur.Must, _filter(Query.term_query(self.schema, pair_field, p))) for p in dict.fromkeys(pairs)
        ]
        clauses.append((Occur.Must, _phrase_query(self.schema, field, tokens)))
        return Query.boolean_query(clauses)

    def _prefix(self, node: Term) -> Query | None:
        fields = [TITLE, TEXT] if node.field is None else [QUERY_FIELDS[node.field].name]
        parts = []
        for field in fields:
            terms = self._prefix_terms(field, node.text)
            if not terms:
                continue
            parts.append(Query.term_set_query(self.schema, field, terms))
            if field == TEXT and not self._negated:
                self.highlight.extend(
                    Query.term_query(self.schema, field, t) for t in terms[:PREFIX_HIGHLIGHT_TERMS]
                )
        if not parts:
            return Query.empty_query()
        return parts[0] if len(parts) == 1 else Query.boolean_query([(Occur.Should, q) for q in parts])

    def _prefix_terms(self, field: str, text: str) -> list[str]:
        """Indexed terms a word starting with `text` can have become, most frequent first.

        Stemmed fields hold stems ("negotiations" -> "negoti"), so a stem that is itself a prefix
        of `text` counts too.
        """
        words = NAME_ANALYZER.analyze(text)
        if len(words) != 1:
            return []
        lowered = words[0]
        stemmed = BY_NAME[field].kind is not Kind.NAME
        base = lowered[:4] if stemmed else lowered
        return [
            term
            for term, _ in self.searcher.terms_with_prefix(field, base, limit=PREFIX_MAX_TERMS * 4)
            if term.startswith(lowered) or (stemmed and len(term) >= 4 and lowered.startswith(term))
        ][:PREFIX_MAX_TERMS]

    # -- variants ----------------------------------------------------------------------------
    def _with_variants(self, node: Term | Phrase, exact: Query) -> Query:
        spellings = self._spellings(node)
        if not spellings:
            return exact
        pairs = [(s, q) for s in spellings if (q := self._words(node.field, s)) is not None]
        alternatives = [q for _, q in pairs]
        if not alternatives:
            return exact
        self.variants_used[node.text.lower()] = [s for s, _ in pairs]
        if not self._negated:
            self.variant_queries[node.text.lower()] = [(node.text.lower(), exact), *pairs]
        clauses = [(Occur.Should, exact)]
        if self.exact_bonus:
            clauses.append((Occur.Should, Query.const_score_query(exact, self.exact_bonus)))
        clauses += [(Occur.Should, Query.boost_query(q, VARIANT_BOOST)) for q in alternatives]
        return Query.boolean_query(clauses)

    def _spellings(self, node: Term | Phrase) -> list[str]:
        """Other spellings of the same person's name (variants.py): for words and people only."""
        field = _field(node.field)
        if self.variants is None or (field is not None and field.kind is not Kind.NAME):
            return []
        if node.field not in AUTHORITY_FIELDS:
            return []
        return self.variants.authority(node.text)

    # -- filters -----------------------------------------------------------------------------
    def _keyword(self, field: SearchField, text: str, prefix: bool) -> Query:
        value = " ".join(text.split())
        if field.lowercase:
            value = value.lower()
        if prefix:
            return Query.regex_query(self.schema, field.name, re.escape(value) + ".*")
        return Query.term_query(self.schema, field.name, value)

    def _date(self, node: DateRange) -> Query:
        clauses = []
        if node.end is not None:
            end = day_number(node.end)
            clauses.append(self._range(NOT_BEFORE, None, end))
        if node.start is not None:
            start = day_number(node.start)
            clauses.append(self._range(NOT_AFTER, start, None))
        return Query.boolean_query([(Occur.Must, q) for q in clauses])

    def _range(self, field: str, low: int | None, high: int | None) -> Query:
        return Query.range_query(self.schema, field, tantivy.FieldType.Integer, low, high)


def flatten(node: Node) -> list[Node]:
    """The conjuncts of nested ANDs: `(a b) c` is a, b, c."""
    if isinstance(node, And):
        return [leaf for child in node.children for leaf in flatten(child)]
    return [node]


def typed_words(node: Node) -> list[Node]:
    """The free words and phrases of the query's top-level AND that are not only stop words."""
    return [c for c in flatten(node) if _free(c) and not _only_stop(c)]


def _free(node: Node) -> bool:
    """An unfielded word (not a prefix) or phrase: what a person types."""
    return (isinstance(node, Term) and node.field is None and not node.prefix) or (
        isinstance(node, Phrase) and node.field is None
    )


def _only_stop(node: Node) -> bool:
    text = node.text if isinstance(node, Term | Phrase) else ""
    return all(t in STOP_TERMS for t in TEXT_ANALYZER.analyze(text))


def _field(name: str | None) -> SearchField | None:
    """The field a query-language field name reaches (None for unfielded words)."""
    return None if name is None else QUERY_FIELDS[name]


def _phrase_query(schema: tantivy.Schema, field: str, tokens: list[str]) -> Query:
    words: list[str | tuple[int, str]] = list(tokens)
    return Query.phrase_query(schema, field, words)


def _filter(query: Query) -> Query:
    """A filter: matches like `query`, adds nothing to the score."""
    return Query.const_score_query(query, 0.0)
