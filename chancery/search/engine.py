"""Run a Chancery query over a SearchIndex: hits with HTML snippets, facets, histogram, variants.

search(index, 'from:harriman date:1945-06..1945-07 "Soong"', sort="date", variants=Variants(store))
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

import orjson
import tantivy

from chancery.errors import QueryError
from chancery.search.compile import Compiler
from chancery.search.facets import facets as compute_facets
from chancery.search.index import SearchIndex
from chancery.search.query import parse
from chancery.search.variants import Variants

SORTS = {"relevance": None, "date": tantivy.Order.Asc, "-date": tantivy.Order.Desc}
MODES = ("bm25",)
SNIPPET_CHARS = 240
MAX_LIMIT = 1000


def check_options(sort: str, limit: int, offset: int) -> None:
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}; use relevance, date or -date")
    if limit < 0 or limit > MAX_LIMIT:
        raise QueryError(f"limit must be between 0 and {MAX_LIMIT}")
    if offset < 0:
        raise QueryError("offset must not be negative")


def compile_query(
    index: SearchIndex, query: str, variants: Variants | None = None
) -> tuple[tantivy.Searcher, Compiler, tantivy.Query]:
    """Parse and compile `query` against the index's current searcher."""
    node = parse(query)
    searcher = index.searcher()
    compiler = Compiler(index.schema, searcher, index.cache_key(searcher), variants)
    return searcher, compiler, compiler.compile(node)


def search(
    index: SearchIndex,
    query: str,
    limit: int = 20,
    offset: int = 0,
    sort: str = "relevance",
    facets: bool = True,
    mode: str = "bm25",
    variants: Variants | None = None,
) -> dict[str, Any]:
    """The result dict of `Archive.search` (see chancery/search/README-query.md)."""
    if mode not in MODES:
        raise QueryError(f"unknown search mode {mode!r}; use bm25")
    check_options(sort, limit, offset)
    searcher, compiler, compiled = compile_query(index, query, variants)
    order = SORTS[sort]
    try:
        if order is None:
            result = searcher.search(compiled, limit=max(limit, 1), offset=offset, count=True)
        else:
            result = searcher.search(
                compiled,
                limit=max(limit, 1),
                offset=offset,
                count=True,
                order_by_field="not_before",
                order=order,
            )
    except ValueError as exc:  # tantivy refusing a query (e.g. a regex too large) is the query's fault
        raise QueryError(f"cannot run this query: {exc}") from None
    highlighter = _highlighter(searcher, index.schema, compiler.highlight)
    window = _Window(compiler.highlight_terms)
    hits = [
        _hit(searcher, address, key, order is None, highlighter, window)
        for key, address in result.hits[:limit]
    ]
    out: dict[str, Any] = {"query": query, "mode": mode, "sort": sort, "total": result.count, "hits": hits}
    if facets:
        out["facets"], out["histogram"] = compute_facets(searcher, compiled)
    out["variants"] = compiler.variants_used
    return out


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
    generator = tantivy.SnippetGenerator.create(searcher, query, schema, "text")
    generator.set_max_num_chars(SNIPPET_CHARS)
    return generator


def _hit(
    searcher: tantivy.Searcher,
    address: tantivy.DocAddress,
    key: Any,
    by_score: bool,
    highlighter: tantivy.SnippetGenerator | None,
    window: _Window,
) -> dict[str, Any]:
    stored = searcher.doc(address)
    meta = orjson.loads(stored["meta"][0]) if stored.get_first("meta") else {}
    title = stored.get_first("title")
    return {
        "id": stored["id"][0],
        "score": float(key) if by_score else None,
        "title": title,
        "date": meta.get("date"),
        "doc_type": meta.get("doc_type"),
        "collection": meta.get("collection"),
        "senders": meta.get("senders") or [],
        "recipients": meta.get("recipients") or [],
        "snippet": snippet_html(window.around(stored.get_first("text") or ""), highlighter),
    }


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
        self.pattern = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None

    def around(self, text: str) -> str:
        if len(text) <= self.BEFORE + self.AFTER:
            return text
        match = self.pattern.search(text) if self.pattern else None
        start = max(0, match.start() - self.BEFORE) if match else 0
        return text[start : start + self.BEFORE + self.AFTER]


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
    total = searcher.search(compiled, limit=1, count=True).count
    result = searcher.search(compiled, limit=max(total, 1), count=False)
    return [searcher.doc(address)["id"][0] for _, address in result.hits]
