"""The search page and /api/search: the query language, facets as links, a year histogram and
hits with highlighted snippets. Fields the search does not (yet) return are left out."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from chancery.archive import Archive
from chancery.errors import QueryError
from chancery.web.render import archive_of, page, search_url

api = APIRouter()
pages = APIRouter()

SORTS = ("relevance", "date", "-date")
# facet name -> query-language field for the facet's links ("year" becomes a date filter)
FACET_FIELDS = {"sender": "from", "recipient": "to", "doc_type": "type", "year": "date"}
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


def _facet_values(raw: Any) -> list[dict[str, Any]]:
    """Facet values as [{value, count, label}] from either a list of dicts or a value→count map."""
    if isinstance(raw, dict):
        items = [{"value": k, "count": v} for k, v in raw.items()]
    else:
        items = [dict(v) for v in raw or [] if isinstance(v, dict)]
    for item in items:
        item["value"] = str(item.get("value", item.get("key", "")))
        if isinstance(item.get("count"), dict):
            item["count"] = item["count"].get("count", 0)
        item.setdefault("label", item["value"])
    return [i for i in items if i["value"]]


def normalize_facets(raw: Any) -> dict[str, list[dict[str, Any]]]:
    if isinstance(raw, dict):
        return {str(name): _facet_values(values) for name, values in raw.items()}
    if isinstance(raw, list):  # [{"name": ..., "values": [...]}]
        return {str(f.get("name")): _facet_values(f.get("values")) for f in raw if isinstance(f, dict)}
    return {}


def normalize_histogram(raw: Any) -> list[dict[str, Any]]:
    """Year buckets as [{year, count}] from a list of dicts or a year→count map."""
    if isinstance(raw, dict):
        raw = [{"year": k, "count": v} for k, v in raw.items()]
    buckets = []
    for item in raw or []:
        if isinstance(item, dict):
            year = item.get("year", item.get("key", item.get("value")))
            if year is not None and str(year)[:4].isdigit():
                buckets.append({"year": int(str(year)[:4]), "count": int(item.get("count") or 0)})
    return sorted(buckets, key=lambda b: b["year"])


def run_search(archive: Archive, q: str, **options: Any) -> dict[str, Any]:
    """`Archive.search` with query errors as QueryError and unknown options dropped."""
    options = {k: v for k, v in options.items() if v is not None and v != ""}
    limit, offset = options.pop("limit", 20), options.pop("offset", 0)
    try:
        try:
            return archive.search(q, limit=limit, offset=offset, **options)
        except TypeError as exc:  # an older Archive.search without these options
            if "unexpected keyword" not in str(exc):
                raise
            return archive.search(q, limit=limit, offset=offset)
    except QueryError:
        raise
    except ValueError as exc:
        raise QueryError(str(exc), query=None) from None


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
    result = run_search(archive, q, sort=sort, mode=mode, limit=limit, offset=offset, facets=facets)
    total = int(result.get("total") or 0)
    result["pagination"] = {
        "limit": limit,
        "offset": offset,
        "total": total,
        "next_offset": offset + limit if offset + limit < total else None,
        "previous_offset": max(offset - limit, 0) if offset else None,
    }
    return result


@api.get("/search", summary="Search documents")
async def api_search(
    request: Request,
    q: str = Query(..., min_length=1, description="Query in the Chancery query language"),
    sort: str | None = Query(None, description="relevance (default), date or -date"),
    mode: str | None = Query(None, description="search mode (bm25, the default)"),
    limit: int = Query(20, ge=1, le=200),
    offset: int = Query(0, ge=0, le=100_000),
    facets: bool = Query(True, description="Include facet counts and the year histogram"),
) -> dict[str, Any]:
    return search_data(archive_of(request), q, sort, mode, limit, offset, facets)


@pages.get("/", response_class=HTMLResponse)
async def search_page(
    request: Request,
    q: str = "",
    sort: str | None = None,
    mode: str | None = None,
    limit: int = Query(20, ge=1, le=200),
    offset: int = Query(0, ge=0, le=100_000),
) -> HTMLResponse:
    archive = archive_of(request)
    context: dict[str, Any] = {"q": q, "sort": sort, "mode": mode, "sorts": SORTS}
    if not q.strip():
        context.update(stats=archive.stats(), collections=archive.collections())
        return page(request, "search.html", context)
    try:
        result = search_data(archive, q, sort, mode, limit, offset, facets=True)
    except QueryError as exc:
        return page(request, "search.html", {**context, "error": str(exc)}, status=400)
    archives = request.app.state.archive_of_collection
    for hit in result["hits"]:
        hit["snippet_html"] = safe_snippet(hit.get("snippet"))
        hit["archive"] = hit.get("archive") or archives.get((hit.get("collection") or {}).get("id"))
    facets = normalize_facets(result.get("facets"))
    titles = request.app.state.collection_titles
    for name, values in facets.items():
        for value in values:
            if name == "collection":
                value["label"] = titles.get(value["value"]) or value["value"]
            field = FACET_FIELDS.get(name, name)
            value["url"] = search_url(with_filter(q, field, value["value"]), sort=sort, mode=mode)
    histogram = normalize_histogram(result.get("histogram"))
    peak = max((b["count"] for b in histogram), default=0)
    for bucket in histogram:
        year = bucket["year"]
        bucket["url"] = search_url(with_filter(q, "date", str(year)), sort=sort, mode=mode)
        bucket["height"] = round(100 * bucket["count"] / peak) if peak else 0
    pagination = result["pagination"]
    for key in ("next", "previous"):
        at = pagination[f"{key}_offset"]
        pagination[f"{key}_url"] = (
            None if at is None else search_url(q, sort=sort, mode=mode, offset=at, limit=limit)
        )
    context.update(result=result, facets=facets, histogram=histogram, variants=result.get("variants"))
    return page(request, "search.html", context)
