"""Run a Chancery query over a SearchIndex: a SearchResult with hits, HTML snippets, facets, variants.

search(index, 'from:harriman date:1945-06..1945-07 "Soong"', sort="date", variants=Variants(store))
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from html import escape

import orjson
import tantivy

from chancery.errors import QueryError
from chancery.search.annotated import restrict
from chancery.search.compile import Compiler, typed_words
from chancery.search.facets import ALL_FACETS, about, facet_counts
from chancery.search.index import SAMPLE_BUCKETS, SearchIndex
from chancery.search.query import And, parse_typed
from chancery.search.results import Facets, Hit, SearchResult, YearCount
from chancery.search.schema import FACETS, ID, MAX_OFFSET, META, NOT_BEFORE, SAMPLE, TEXT, TITLE
from chancery.search.scope import raw_searcher
from chancery.search.stopwords import content_terms
from chancery.search.variants import Variants, variant_counts

SORTS = {"relevance": None, "date": tantivy.Order.Asc, "-date": tantivy.Order.Desc}
MODES = ("bm25",)
SNIPPET_CHARS = 240
MAX_LIMIT = 1000
EXACT_LIMIT = 5_000  # up to this many (estimated) matches, total and facets are exact
SAMPLE_TARGET = 3_000  # above it, facets are counted on about this many matching documents
# Facets declared default_facet=False (`person`: costly) are computed when asked for (facet_names=ALL_FACETS).
DEFAULT_FACETS = tuple(name for name in ALL_FACETS if FACETS[name].default_facet)
PROBE_BUCKETS = 10  # the estimate counts matches in 10 of the 1000 sample buckets (1%)
# Ranked by relevance, a query of FEW_WORDS or more words (not stop words) that fewer than FEW_HITS
# documents have all of ranks the documents with most of its words (by how many, bm25 within).
# Chosen on the tune headings (benchmarks/search-quality.md).
FEW_HITS = 20
FEW_WORDS = 2


def check_options(sort: str, limit: int, offset: int) -> None:
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}; use relevance, date or -date")
    if limit < 0 or limit > MAX_LIMIT:
        raise QueryError(f"limit must be between 0 and {MAX_LIMIT}")
    if offset < 0 or offset > MAX_OFFSET:
        raise QueryError(f"offset must be between 0 and {MAX_OFFSET:,}; narrow the query to see more")


def compile_query(
    index: SearchIndex, query: str, variants: Variants | None = None
) -> tuple[tantivy.Searcher, Compiler, tantivy.Query]:
    """Parse (as typed: see query.parse_typed) and compile `query` against the current searcher."""
    node, _ = parse_typed(query)
    searcher = index.searcher()
    compiler = Compiler(index.schema, searcher, index.cache_key(searcher), variants)
    return searcher, compiler, compiler.compile(node)


def ranked(compiled: tantivy.Query, boosts: list[tantivy.Query]) -> tantivy.Query:
    """`compiled`, with `boosts` adding to the score of the documents it matches."""
    if not boosts:
        return compiled
    clauses = [(tantivy.Occur.Must, compiled)] + [(tantivy.Occur.Should, q) for q in boosts]
    return tantivy.Query.boolean_query(clauses)


def search(
    index: SearchIndex,
    query: str,
    limit: int = 20,
    offset: int = 0,
    sort: str = "relevance",
    facets: bool = True,
    mode: str = "bm25",
    variants: Variants | None = None,
    exact_limit: int = EXACT_LIMIT,
    sample_target: int = SAMPLE_TARGET,
    facet_names: tuple[str, ...] = DEFAULT_FACETS,
    within: list[str] | None = None,
    without: list[str] | None = None,
) -> SearchResult:
    """The result of `Archive.search` in bm25 mode (see chancery/search/README-query.md).

    Up to `exact_limit` matches (estimated first on a 1% slice of the index), `total` and the
    facets are exact. Above it the top hits are still exact, but `total` is an estimate and the
    facets and histogram are counted on a uniform sample of about `sample_target` matching
    documents and scaled up; `total_approximate` / `facets_approximate` say so. `within` keeps
    only those document ids, `without` drops those (annotation clauses: search/annotated.py);
    with either, an empty query matches every document.
    """
    result, snippets = search_deferred(
        index, query, limit, offset, sort, facets, mode, variants, exact_limit, sample_target,
        facet_names, within, without,
    )  # fmt: skip
    return replace(result, hits=snippets.fill(result.hits))


def search_deferred(
    index: SearchIndex,
    query: str,
    limit: int = 20,
    offset: int = 0,
    sort: str = "relevance",
    facets: bool = True,
    mode: str = "bm25",
    variants: Variants | None = None,
    exact_limit: int = EXACT_LIMIT,
    sample_target: int = SAMPLE_TARGET,
    facet_names: tuple[str, ...] = DEFAULT_FACETS,
    within: list[str] | None = None,
    without: list[str] | None = None,
) -> tuple[SearchResult, Snippets]:
    """`search`, but the hits' snippets are left empty and made by the returned `Snippets` for
    the hits that are shown (hybrid fuses bm25's top 100 and shows a page of the fusion; a
    snippet costs ~0.1 ms: the stored text scanned for the first match, then highlighted)."""
    if mode not in MODES:
        raise QueryError(f"unknown search mode {mode!r}; use auto, bm25, semantic or hybrid")
    check_options(sort, limit, offset)
    filtered = within is not None or bool(without)
    node, notices = (And(), []) if filtered and not query.strip() else parse_typed(query)
    searcher = index.searcher()
    options = (sort, limit, offset, facets, exact_limit, sample_target, facet_names)
    compiler = Compiler(index.schema, searcher, index.cache_key(searcher), variants)
    compiled = restrict(compiler.compile(node), index.schema, within, without or [])
    boosts = compiler.proximity(node) if SORTS[sort] is None else []
    result, plan, counted = _execute(
        searcher, index.schema, ranked(compiled, boosts), compiler.has_phrase, *options
    )
    first = result
    if SORTS[sort] is None and _few(result, plan, len(typed_words(node))):
        relaxer = Compiler(index.schema, searcher, index.cache_key(searcher), variants)
        relaxed = relaxer.relaxed(node)
        if relaxed is not None:
            query_ = ranked(restrict(relaxed, index.schema, within, without or []), boosts)
            more = _execute(searcher, index.schema, query_, True, *options)
            if result_count(more[0]) > result_count(first):  # else the notice would promise what is not there
                compiler, (result, plan, counted) = relaxer, more
                notices.append(all_words_notice(result_count(first)))
    facet_map, histogram, matched = counted or ({}, [], 0)
    page = result.hits[:limit]
    if plan.counted:
        total, total_approximate = result_count(result), False
    else:  # the facet sample counted many more matches than the 1% probe
        total, total_approximate = about(matched * plan.scale, 3), True
    if total_approximate and (len(result.hits) < max(limit, 1) and (result.hits or offset == 0)):
        total, total_approximate = offset + len(result.hits), False  # ran off the end: known exactly
    elif total_approximate:
        total = max(total, offset + len(page) + 1)
    snippets = Snippets(searcher, index.schema, compiler)
    stored = [(key, searcher.doc(address)) for key, address in page]
    by_score = SORTS[sort] is None
    hits = [_hit(doc, key, by_score, "") for key, doc in stored]
    snippets.texts = {hit.id: doc.get_first(TEXT) or "" for hit, (_, doc) in zip(hits, stored, strict=True)}
    found = SearchResult(
        query=query,
        mode=mode,
        sort=sort,
        total=total,
        total_approximate=total_approximate,
        hits=hits,
        facets=facet_map if facets else None,
        histogram=histogram if facets else None,
        facets_approximate=facets and not plan.exact,
        facets_sample=None if not facets or plan.exact else round(plan.buckets / SAMPLE_BUCKETS, 4),
        variants=compiler.variants_used,
        variant_counts=variant_counts(searcher, compiled, compiler.variant_queries),
        notices=notices,
    )
    return found, snippets


def all_words_notice(count: int) -> str:
    """What the result says when it ranks documents by how many of the words they have."""
    if count == 0:
        return "no document has all the words; showing documents with most of them"
    have = "document has" if count == 1 else "documents have"
    return f"only {count} {have} all the words; showing documents with most of them"


def _few(result: tantivy.SearchResult, plan: Plan, words: int) -> bool:
    """Too few documents have all of `words` words (see FEW_HITS; an uncounted total is many)."""
    if words < 2 or not plan.counted:
        return False
    count = result_count(result)
    return count == 0 or (words >= FEW_WORDS and count < FEW_HITS)


def _execute(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    compiled: tantivy.Query,
    has_phrase: bool,
    sort: str,
    limit: int,
    offset: int,
    facets: bool,
    exact_limit: int,
    sample_target: int,
    facet_names: tuple[str, ...],
) -> tuple[tantivy.SearchResult, Plan, tuple[Facets, list[YearCount], int] | None]:
    try:
        return execute(
            searcher,
            schema,
            compiled,
            has_phrase,
            sort,
            limit,
            offset,
            facets,
            exact_limit,
            sample_target,
            facet_names,
        )
    except ValueError as exc:  # tantivy refusing a query (e.g. a regex too large) is the query's fault
        raise QueryError(f"cannot run this query: {exc}") from None


def execute(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    compiled: tantivy.Query,
    has_phrase: bool,
    sort: str,
    limit: int,
    offset: int,
    facets: bool,
    exact_limit: int = EXACT_LIMIT,
    sample_target: int = SAMPLE_TARGET,
    facet_names: tuple[str, ...] = DEFAULT_FACETS,
) -> tuple[tantivy.SearchResult, Plan, tuple[Facets, list[YearCount], int] | None]:
    """The tantivy side of a search: plan, top hits, facets (None when off)."""
    if has_phrase:  # see plan_query: count while collecting the hits, then plan
        result = top_hits(searcher, compiled, sort, limit, offset, count=True)
        plan = plan_query(searcher, schema, compiled, exact_limit, sample_target, result_count(result))
    else:
        plan = plan_query(searcher, schema, compiled, exact_limit, sample_target)
        result = top_hits(searcher, compiled, sort, limit, offset, count=plan.counted)
    if not facets:
        if plan.counted:
            return result, plan, None
        # no facets, but the total still comes from the ~sample_target-match slice, not the 1% probe
        slice_count = result_count(
            searcher.search(sampled(schema, compiled, plan.buckets), limit=1, count=True)
        )
        return result, plan, ({}, [], slice_count)
    facet_query = compiled if plan.exact else sampled(schema, compiled, plan.buckets)
    return result, plan, facet_counts(searcher, facet_query, scale=plan.scale, names=facet_names)


@dataclass(frozen=True)
class Plan:
    """How one query is run: exact facets, or facets over `buckets` of the 1000 sample buckets."""

    exact: bool  # facets over every match
    counted: bool  # the total is (or will be) counted exactly
    estimate: float  # matches: counted, or estimated from the probe
    buckets: int = SAMPLE_BUCKETS

    @property
    def scale(self) -> float:
        return SAMPLE_BUCKETS / self.buckets


def plan_query(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    compiled: tantivy.Query,
    exact_limit: int = EXACT_LIMIT,
    sample_target: int = SAMPLE_TARGET,
    count: int | None = None,
) -> Plan:
    """Exact when the index or the query's result set is small, sampled otherwise.

    Without `count`, the size is estimated by counting the matches among the documents of the
    first PROBE_BUCKETS sample buckets (1% of the index, 3,000 documents at 300k): a conjunction
    led by that small set, cheap even when the query matches most of the index. Phrases are the
    exception: tantivy's phrase scorer, sought to a document, runs on to the next phrase match,
    so a phrase restricted to a slice costs as much as counting it; the engine then counts while
    collecting the top hits (which visits every phrase match anyway) and passes `count`. A phrase
    of two common words is no phrase query at all but one term of a word-pair field (see
    compile.Compiler._pairs), estimated like any term.
    """
    if count is not None:
        estimate, counted = float(count), True
    elif searcher.num_docs <= exact_limit:
        return Plan(True, True, searcher.num_docs)
    else:
        probed = result_count(searcher.search(sampled(schema, compiled, PROBE_BUCKETS), limit=1, count=True))
        estimate, counted = probed * SAMPLE_BUCKETS / PROBE_BUCKETS, False
    buckets = min(
        SAMPLE_BUCKETS, max(PROBE_BUCKETS, math.ceil(sample_target * SAMPLE_BUCKETS / max(estimate, 1)))
    )
    if estimate <= exact_limit or buckets >= SAMPLE_BUCKETS:
        return Plan(True, True, estimate)
    return Plan(False, counted, estimate, buckets)


def sampled(schema: tantivy.Schema, compiled: tantivy.Query, buckets: int) -> tantivy.Query:
    """`compiled` restricted to the documents whose `sample` bucket is below `buckets`."""
    slice_ = tantivy.Query.term_set_query(schema, SAMPLE, list(range(buckets)))
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, compiled), (tantivy.Occur.Must, slice_)])


def top_hits(
    searcher: tantivy.Searcher, compiled: tantivy.Query, sort: str, limit: int, offset: int, count: bool
) -> tantivy.SearchResult:
    """The page of hits; without `count` tantivy can skip blocks that cannot reach the top (WAND)."""
    order = SORTS[sort]
    if order is None:
        return searcher.search(compiled, limit=max(limit, 1), offset=offset, count=count)
    return searcher.search(
        compiled, limit=max(limit, 1), offset=offset, count=count, order_by_field=NOT_BEFORE, order=order
    )


def result_count(result: tantivy.SearchResult) -> int:
    """The number of matches tantivy counted (searched with count=True)."""
    count: int = result.count  # type: ignore[attr-defined]  # missing from tantivy's type stub
    return count


class Snippets:
    """The snippets of one search's hits: the best fragment of each text, its matches marked.

    `search_deferred` leaves its hits' snippets empty and keeps their texts here; `fill` makes
    the snippets of the hits shown (the same ones `search` makes)."""

    def __init__(self, searcher: tantivy.Searcher, schema: tantivy.Schema, compiler: Compiler) -> None:
        self.highlighter = _highlighter(searcher, schema, compiler.highlight or compiler.highlight_stop)
        self.window = _Window(content_terms(compiler.highlight_terms))
        self.texts: dict[str, str] = {}  # deferred: doc id -> its text

    def snippet(self, text: str) -> str:
        return snippet_html(self.window.around(text), self.highlighter)

    def fill(self, hits: list[Hit]) -> list[Hit]:
        """`hits` with the snippet of each that this search found (others are left as they are)."""
        return [replace(h, snippet=self.snippet(self.texts[h.id])) if h.id in self.texts else h for h in hits]


def _highlighter(
    searcher: tantivy.Searcher, schema: tantivy.Schema, terms: list[tantivy.Query]
) -> tantivy.SnippetGenerator | None:
    if not terms:
        return None
    query = (
        terms[0]
        if len(terms) == 1
        else tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in terms])
    )
    generator = tantivy.SnippetGenerator.create(raw_searcher(searcher), query, schema, TEXT)
    generator.set_max_num_chars(SNIPPET_CHARS)
    return generator


def _hit(stored: tantivy.Document, key: float, by_score: bool, snippet: str) -> Hit:
    meta = stored.get_first(META)
    return Hit.from_summary(
        stored[ID][0],
        float(key) if by_score else None,
        stored.get_first(TITLE),
        orjson.loads(meta) if meta else {},
        snippet,
    )


_FOLDS_TO_ASCII = "\u0130\u0131\u017f"  # İ ı ſ: matched by i, i and s under re.IGNORECASE (see _Window.first)


class _Window:
    """Cuts long texts down to the stretch around the first match before the highlighter runs.

    Tantivy's snippet generator tokenizes the whole text (about 1 ms for a long FRUS document);
    a window of a few thousand characters around the first occurrence of a query term keeps
    snippets cheap. Stems are looked up as lowercase substrings ("negoti" in "negotiations";
    a final stemmed "i" also matches "y").
    """

    BEFORE, AFTER = 200, 800

    def __init__(self, terms: list[str]) -> None:
        probes = {t[:-1] if t.endswith("i") and len(t) > 3 else t for t in terms if len(t) > 1}
        ordered = sorted(probes, key=len, reverse=True)[:30]
        self.probes = ordered
        self.ascii = all(p.isascii() for p in ordered)
        self.pattern = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None

    def around(self, text: str) -> str:
        if len(text) <= self.BEFORE + self.AFTER:
            return text
        first = self.first(text)
        start = max(0, first - self.BEFORE) if first is not None else 0
        return text[start : start + self.BEFORE + self.AFTER]

    def first(self, text: str) -> int | None:
        """Where the first probe starts in `text`, ignoring case: for ASCII probes, the least
        `find` in the lowercased text (several times faster than the regex's scan of a long text).
        The same place as the regex's: of all characters only these three match an ASCII letter
        under re.IGNORECASE and lowercase to no ASCII letter of the same length (the Kelvin sign
        does both); a text holding one is searched by the regex."""
        if self.pattern is None:
            return None
        if self.ascii and (text.isascii() or not any(c in text for c in _FOLDS_TO_ASCII)):
            lowered = text.lower()
            found = [i for p in self.probes if (i := lowered.find(p)) >= 0]
            return min(found) if found else None
        match = self.pattern.search(text)
        return match.start() if match else None


def snippet_html(text: str, highlighter: tantivy.SnippetGenerator | None) -> str:
    """The best fragment of `text` with matches in <mark>…</mark>; everything else HTML-escaped."""
    if highlighter is not None:
        snippet = highlighter.snippet_from_doc(tantivy.Document(text=text))
        fragment = snippet.fragment()
        if fragment:
            data = fragment.encode()
            parts, last = [], 0
            for span in snippet.highlighted():
                parts.append(escape(data[last : span.start].decode(errors="replace")))
                parts.append(
                    "<mark>" + escape(data[span.start : span.end].decode(errors="replace")) + "</mark>"
                )
                last = span.end
            parts.append(escape(data[last:].decode(errors="replace")))
            return "".join(parts)
    text = " ".join(text[: SNIPPET_CHARS * 2].split())
    return escape(text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else ""))


def matching_ids(index: SearchIndex, query: str, variants: Variants | None = None) -> list[str]:
    """The ids of every document matching `query`, most relevant first (for export)."""
    searcher, _, compiled = compile_query(index, query, variants)
    total = result_count(searcher.search(compiled, limit=1, count=True))
    result = searcher.search(compiled, limit=max(total, 1), count=False)
    return [searcher.doc(address)[ID][0] for _, address in result.hits]
