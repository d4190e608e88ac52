"""`mode=semantic` and `mode=hybrid` for `Archive.search`, and reciprocal rank fusion.

The query language still applies. Unfielded positive words and phrases are the text that gets
embedded; everything else (fields, dates, flags, exclusions) is the filter. Vector hits are
post-filtered through the tantivy index (filter AND id in the candidates), widening the vector
candidate pool until a page is full. Hybrid fuses the BM25 ranking of the whole query (top 100)
with the filtered vector ranking (top 100) by weighted RRF (RRF_K, SEMANTIC_WEIGHT); its facets are BM25's, and
the snippets of the page's bm25 hits are made for those hits only (engine.search_deferred). `auto` (the
default) is hybrid when there are vectors and words to compare, relevance-ranked; bm25 otherwise.
Only the documents of the page shown are read from the store; the facets of an unfiltered
semantic query (the whole index's) are kept per index state.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import replace
from html import escape
from typing import Any, Generic, TypeVar, cast

import tantivy

from chancery.errors import QueryError
from chancery.search.compile import Compiler
from chancery.search.engine import SNIPPET_CHARS, check_options, result_count
from chancery.search.engine import search_deferred as bm25_search
from chancery.search.facets import facets as compute_facets
from chancery.search.index import SearchIndex
from chancery.search.query import And, Node, Or, Phrase, Term, parse_typed
from chancery.search.results import Hit, SearchResult
from chancery.search.schema import ID
from chancery.search.semantic import SUMMARY_SPAN, Embedder, VectorHit, VectorStore, require_semantic
from chancery.search.variants import Variants
from chancery.store.base import Store

RRF_K = 20  # chosen on the tune headings (benchmarks/search-quality.md); 60 is the usual default
SEMANTIC_WEIGHT = 0.7  # the vector ranking's weight in the fusion (bm25's is 1), chosen likewise
FUSE_DEPTH = 100
MODES = ("semantic", "hybrid")
# per open index: (index state, facets, histogram) of all documents (an unfiltered semantic query's)
_ALL_FACETS: weakref.WeakKeyDictionary[SearchIndex, tuple[Any, Any, Any]] = weakref.WeakKeyDictionary()
AUTO = "auto"
ALL_MODES = (AUTO, "bm25", *MODES)
T = TypeVar("T")


def choose_mode(mode: str, query: str, sort: str, has_vectors: bool) -> str:
    """The mode that runs: `auto` is hybrid when vectors exist, the query has free words to
    compare and the ranking is by relevance, bm25 otherwise; any other mode is itself."""
    if mode != AUTO:
        return mode
    if not has_vectors or sort != "relevance":
        return "bm25"
    text, _ = split_query(parse_typed(query)[0])
    return "hybrid" if text.strip() else "bm25"


def rrf(
    rankings: list[list[str]], k: int = RRF_K, weights: list[float] | None = None
) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: score(d) = sum over rankings of weight / (k + rank), ranks from 1."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def split_query(node: Node) -> tuple[str, Node | None]:
    """(text to embed, filter node or None): free words and phrases of a top-level AND are text."""
    children = _flatten(node)
    words: list[str] = []
    rest: list[Node] = []
    for child in children:
        if isinstance(child, Term | Phrase) and child.field is None:
            words.append(child.text)
        else:
            rest.append(child)
            words.extend(_free_words(child))
    if not rest:
        return " ".join(words), None
    return " ".join(words), rest[0] if len(rest) == 1 else And(tuple(rest))


def _flatten(node: Node) -> list[Node]:
    """The conjuncts of nested ANDs: `(a b) c` is a, b, c."""
    if isinstance(node, And):
        return [leaf for child in node.children for leaf in _flatten(child)]
    return [node]


def _free_words(node: Node) -> list[str]:
    """Unfielded words inside an OR group (kept in the filter, also embedded)."""
    if isinstance(node, Term | Phrase):
        return [node.text] if node.field is None else []
    if isinstance(node, And | Or):
        return [w for c in node.children for w in _free_words(c)]
    return []


class SemanticSearch:
    """Runs semantic and hybrid queries for one archive (index, store, vectors)."""

    def __init__(
        self, index: SearchIndex, store: Store, vectors: VectorStore, variants: Variants | None = None
    ) -> None:
        self.index = index
        self.store = store
        self.vectors = vectors
        self.variants = variants

    def run(
        self,
        query: str,
        mode: str,
        limit: int = 20,
        offset: int = 0,
        sort: str = "relevance",
        facets: bool = True,
    ) -> SearchResult:
        if mode not in MODES:
            raise QueryError(f"unknown search mode {mode!r}; use bm25, semantic or hybrid")
        check_options(sort, limit, offset)
        require_semantic()
        self.vectors.reload()
        if not len(self.vectors):
            raise QueryError("no document has vectors yet: run `chancery embed` first")
        node, notices = parse_typed(query)
        text, filter_node = split_query(node)
        if not text.strip():
            raise QueryError(f"{mode} search needs words to compare, not only fields")
        if mode == "semantic":
            result = self._semantic(query, text, filter_node, limit, offset, sort, facets)
            return replace(result, notices=notices)
        return self._hybrid(query, text, filter_node, limit, offset, sort, facets)

    # -- semantic ----------------------------------------------------------------------------
    def _semantic(
        self,
        query: str,
        text: str,
        filter_node: Node | None,
        limit: int,
        offset: int,
        sort: str,
        facets: bool,
    ) -> SearchResult:
        searcher = self.index.searcher()
        filter_q = self._compile(searcher, filter_node)
        want = FUSE_DEPTH if sort != "relevance" else offset + limit
        hits = self.vector_hits(text, filter_q, searcher, max(want, 1))
        total = (
            result_count(searcher.search(filter_q, limit=1, count=True))
            if filter_q is not None
            else len(self.vectors)
        )
        facet_map, histogram = (None, None)
        if facets and filter_q is not None:
            facet_map, histogram = compute_facets(searcher, filter_q)
        elif facets:
            facet_map, histogram = self._unfiltered_facets(searcher)
        if sort == "relevance":  # best first already: read only the page's documents
            page = self._hits(hits[offset : offset + limit])
        else:
            page = self._page(self._hits(hits), sort, limit, offset)
        return SearchResult(
            query=query,
            mode="semantic",
            sort=sort,
            total=min(total, len(self.vectors)),
            total_approximate=False,
            hits=page,
            facets=facet_map,
            histogram=histogram,
            embedded=len(self.vectors),
        )

    def _unfiltered_facets(self, searcher: tantivy.Searcher) -> tuple[Any, Any]:
        """The whole index's facets and histogram, counted once per index state."""
        state = self.index.cache_key(searcher)
        cached = _ALL_FACETS.get(self.index)
        if cached is None or cached[0] != state:
            cached = (state, *compute_facets(searcher, tantivy.Query.all_query()))
            _ALL_FACETS[self.index] = cached
        return {name: list(values) for name, values in cached[1].items()}, list(cached[2])

    def vector_hits(
        self, text: str, filter_q: tantivy.Query | None, searcher: tantivy.Searcher, want: int
    ) -> list[VectorHit]:
        """The best `want` vector hits among documents matching the filter."""
        qvec = Embedder.get().encode([text])[0]
        pool = want if filter_q is None else max(want * 4, 200)  # unfiltered: every hit is kept
        while True:
            hits = self.vectors.search(qvec, pool)
            if filter_q is not None:
                allowed = self._matching(searcher, filter_q, [h.doc_id for h in hits])
                hits = [h for h in hits if h.doc_id in allowed]
            if len(hits) >= want or pool >= len(self.vectors):
                return hits[:want]
            pool *= 8

    def _compile(self, searcher: tantivy.Searcher, node: Node | None) -> tantivy.Query | None:
        if node is None:  # no filter; but a scoped index (see scope.py) filters out its hidden collections
            return tantivy.Query.all_query() if getattr(self.index, "hidden", None) else None
        compiler = Compiler(self.index.schema, searcher, self.index.cache_key(searcher), self.variants)
        return compiler.compile(node)

    def _matching(self, searcher: tantivy.Searcher, filter_q: tantivy.Query, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        restricted = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, filter_q),
                (tantivy.Occur.Must, tantivy.Query.term_set_query(self.index.schema, ID, list(ids))),
            ]
        )
        result = searcher.search(restricted, limit=len(ids))
        return {searcher.doc(address)[ID][0] for _, address in result.hits}

    def _hits(self, hits: list[VectorHit]) -> list[Hit]:
        docs = {d["id"]: d for d in self.store.documents([h.doc_id for h in hits])}
        return [hit_from_document(docs[h.doc_id], h.score, h.span) for h in hits if h.doc_id in docs]

    # -- hybrid ------------------------------------------------------------------------------
    def _hybrid(
        self,
        query: str,
        text: str,
        filter_node: Node | None,
        limit: int,
        offset: int,
        sort: str,
        facets: bool,
    ) -> SearchResult:
        searcher = self.index.searcher()
        filter_q = self._compile(searcher, filter_node)
        # the two rankings are independent: the vector one (embedding and scan, which release the
        # GIL) runs in a thread while this one runs the bm25 query
        vector_half = _Background(lambda: self.vector_hits(text, filter_q, searcher, FUSE_DEPTH))
        lexical, snippets = bm25_search(
            self.index, query, limit=FUSE_DEPTH, facets=facets, variants=self.variants
        )
        vector = vector_half.result()
        fused = rrf(
            [[h.id for h in lexical.hits], [h.doc_id for h in vector]], weights=[1.0, SEMANTIC_WEIGHT]
        )
        by_id = {h.id: h for h in lexical.hits}
        # only the shown page's vector-only documents are read (all of them to sort by date)
        shown = fused if sort != "relevance" else fused[offset : offset + limit]
        wanted = {doc_id for doc_id, _ in shown}
        missing = [h for h in vector if h.doc_id not in by_id and h.doc_id in wanted]
        by_id.update({h.id: h for h in self._hits(missing)})
        if sort == "relevance":  # keep the page where it is in the fused list
            page = [replace(by_id[doc_id], score=score) for doc_id, score in shown if doc_id in by_id]
        else:
            hits = [replace(by_id[doc_id], score=score) for doc_id, score in fused if doc_id in by_id]
            page = self._page(hits, sort, limit, offset)
        page = snippets.fill(page)  # bm25's snippets, made for the page's bm25 hits only
        # `total` is the fused list's length (counted); the facets are the bm25 result's, estimated or not
        return SearchResult(
            query=query,
            mode="hybrid",
            sort=sort,
            total=len(fused),
            total_approximate=False,
            hits=page,
            facets=lexical.facets,
            histogram=lexical.histogram,
            facets_approximate=lexical.facets_approximate,
            facets_sample=lexical.facets_sample,
            variants=lexical.variants,
            variant_counts=lexical.variant_counts,
            embedded=len(self.vectors),
            notices=lexical.notices,
        )

    @staticmethod
    def _page(hits: list[Hit], sort: str, limit: int, offset: int) -> list[Hit]:
        if sort != "relevance":
            hits = sorted(hits, key=lambda h: h.date.not_before or "9999", reverse=sort == "-date")
        return hits[offset : offset + limit]


class _Background(Generic[T]):
    """`fn()` run in a thread of its own; `result()` waits for it (and raises what it raised)."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # noqa: BLE001 (raised again in the caller's thread)
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return cast(T, self._value)


def hit_from_document(doc: Mapping[str, Any], score: float, span: tuple[int, int] | None = None) -> Hit:
    """A search hit (the bm25 hit shape) for a stored document; the snippet is the best passage."""
    text = doc.get("text") or ""
    if span == SUMMARY_SPAN:
        passage = doc.get("summary") or text
    else:
        passage = text[span[0] : span[1]] if span else text
    passage = " ".join(passage[: SNIPPET_CHARS * 2].split())
    snippet = escape(passage[:SNIPPET_CHARS] + ("…" if len(passage) > SNIPPET_CHARS else ""))
    return Hit.from_summary(doc["id"], score, doc.get("title"), doc, snippet)
