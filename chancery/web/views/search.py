"""The search page and /api/search: the query language, facets as links, a year histogram and
hits with highlighted snippets. The API returns `SearchResult.to_dict()` plus pagination."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from chancery.archive import Archive
from chancery.errors import QueryError, SemanticUnavailable
from chancery.search.results import SearchResult
from chancery.search.schema import MAX_OFFSET, YEAR_FACET, facet_filter
from chancery.web.render import archive_of, page, search_url

api = APIRouter()
pages = APIRouter()

SORTS = ("relevance", "date", "-date")
MODES = {  # the search page's mode chooser: value -> label
    "auto": "best available",
    "bm25": "words (bm25)",
    "semantic": "meaning (semantic)",
    "hybrid": "words and meaning (hybrid)",
}
SEMANTIC_MODES = ("semantic", "hybrid")
NO_VECTORS = (
    "Semantic and hybrid search need passage vectors: run `chancery embed` (with the semantic extra)."
)
COLLECTION_FACET = "collection"  # its values are collection ids: shown by title
_MARK = re.compile(r"(</?mark>)", re.IGNORECASE)


def safe_snippet(snippet: str | None) -> Markup:
    """A snippet (already HTML-escaped, with <mark> highlights) with every tag but <mark> escaped."""
    if not snippet:
        return Markup("")
    out, depth = [], 0
    for part in _MARK.split(snippet):
        lowered = part.lower()
        if lowered == "<mark>":
            out.append("<mark>")
            depth += 1
        elif lowered == "</mark>":
            if depth:
                out.append("</mark>")
                depth -= 1
        else:
            out.append(part.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))
    out.append("</mark>" * depth)
    return Markup("".join(out))


def with_filter(q: str, field: str, value: str) -> str:
    """`q` narrowed by `field:value` (quoted when the value has spaces or punctuation)."""
    term = value if re.fullmatch(r"[\w.\-/]+", value) else '"' + value.replace('"', "") + '"'
    clause = f"{field}:{term}"
    return clause if not q.strip() else f"{q.strip()} {clause}"


def search_result(
    archive: Archive,
    q: str,
    limit: int = 20,
    offset: int = 0,
    sort: str | None = None,
    mode: str | None = None,
    facets: bool = True,
) -> SearchResult:
    """`Archive.search`, with the API's unset options (None) left at their defaults."""
    return archive.search(
        q, limit=limit, offset=offset, sort=sort or "relevance", facets=facets, mode=mode or "auto"
    )


def run_search(
    archive: Archive,
    q: str,
    limit: int = 20,
    offset: int = 0,
    sort: str | None = None,
    mode: str | None = None,
    facets: bool = True,
) -> dict[str, Any]:
    """`Archive.search` as the JSON API gives it (hits as dicts, for the views and templates)."""
    return search_result(archive, q, limit, offset, sort, mode, facets).to_dict()


def with_pagination(data: dict[str, Any], limit: int, offset: int) -> dict[str, Any]:
    """A result's JSON plus `pagination` (limit, offset, total, next and previous offsets)."""
    total = int(data["total"])
    data["pagination"] = {
        "limit": limit,
        "offset": offset,
        "total": total,
        "next_offset": offset + limit if offset + limit < total and offset + limit <= MAX_OFFSET else None,
        "previous_offset": max(offset - limit, 0) if offset else None,
    }
    return data


def search_data(
    archive: Archive,
    q: str,
    sort: str | None = None,
    mode: str | None = None,
    limit: int = 20,
    offset: int = 0,
    facets: bool = False,
) -> dict[str, Any]:
    """The search result (hits, total, facets, histogram, variants) plus pagination."""
    result = search_result(archive, q, limit, offset, sort, mode, facets)
    return with_pagination(result.to_dict(), limit, offset)


def facet_links(
    q: str, result: SearchResult, titles: dict[str, str | None], sort: str | None, mode: str | None
) -> dict[str, list[dict[str, Any]]]:
    """Each facet's values as {value, count, label, url}: the url narrows `q` to that value."""
    links: dict[str, list[dict[str, Any]]] = {}
    for name, values in (result.facets or {}).items():
        field = facet_filter(name)
        links[name] = [
            {
                "value": str(v.value),
                "count": v.count,
                "label": (titles.get(str(v.value)) if name == COLLECTION_FACET else None) or str(v.value),
                "url": search_url(with_filter(q, field, str(v.value)), sort=sort, mode=mode),
            }
            for v in values
            if str(v.value)
        ]
    return links


def histogram_bars(q: str, result: SearchResult, sort: str | None, mode: str | None) -> list[dict[str, Any]]:
    """The year histogram as bars: {year, count, url, height (percent of the tallest)}."""
    field = facet_filter(YEAR_FACET)  # a year narrows the query by date
    buckets = sorted(result.histogram or [], key=lambda b: b.year)
    peak = max((b.count for b in buckets), default=0)
    return [
        {
            "year": b.year,
            "count": b.count,
            "url": search_url(with_filter(q, field, str(b.year)), sort=sort, mode=mode),
            "height": round(100 * b.count / peak) if peak else 0,
        }
        for b in buckets
    ]


@api.get("/search", summary="Search documents")
def api_search(
    request: Request,
    q: str = Query(..., min_length=1, description="Query in the Chancery query language"),
    sort: str | None = Query(None, description="relevance (default), date or -date"),
    mode: str | None = Query(
        None,
        description="auto (the default: hybrid when the archive has vectors, else bm25), bm25, semantic, hybrid",
    ),
    limit: int = Query(20, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    facets: bool = Query(True, description="Include facet counts and the year histogram"),
) -> dict[str, Any]:
    return search_data(archive_of(request), q, sort, mode, limit, offset, facets)


@pages.get("/", response_class=HTMLResponse)
def search_page(
    request: Request,
    q: str = "",
    sort: str | None = None,
    mode: str | None = None,
    limit: int = Query(20, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> HTMLResponse:
    archive = archive_of(request)
    semantic = archive.has_vectors()
    modes = [
        {"value": m, "label": label, "disabled": m in SEMANTIC_MODES and not semantic}
        for m, label in MODES.items()
    ]
    context: dict[str, Any] = {
        "q": q,
        "sort": sort,
        "mode": mode,
        "sorts": SORTS,
        "modes": modes,
        "mode_help": None if semantic else NO_VECTORS,
    }
    if not q.strip():
        context.update(stats=archive.stats(), collections=archive.collections())
        return page(request, "search.html", context)
    try:
        result = search_result(archive, q, limit, offset, sort, mode, facets=True)
    except QueryError as exc:
        return page(request, "search.html", {**context, "error": str(exc)}, status=400)
    except SemanticUnavailable as exc:
        return page(request, "search.html", {**context, "error": str(exc)}, status=503)
    data = with_pagination(result.to_dict(), limit, offset)
    archives = request.app.state.archive_of_collection
    for hit in data["hits"]:
        hit["snippet_html"] = safe_snippet(hit["snippet"])
        hit["archive"] = archives.get(hit["collection"]["id"])
    facets = facet_links(q, result, request.app.state.collection_titles, sort, mode)
    pagination = data["pagination"]
    for key in ("next", "previous"):
        at = pagination[f"{key}_offset"]
        pagination[f"{key}_url"] = (
            None if at is None else search_url(q, sort=sort, mode=mode, offset=at, limit=limit)
        )
    histogram = histogram_bars(q, result, sort, mode)
    context.update(result=data, facets=facets, histogram=histogram, variants=result.variants)
    return page(request, "search.html", context)
