"""Patterns across a query's matches: the timeline (documents per month, each bar a link to a
search over that month) and the correspondence edges (sender → recipient counts).

Without a query the timeline is the whole archive's, counted exactly by the index in one
aggregation (every document, not the first matches)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import tantivy
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from chancery.archive import Archive
from chancery.errors import QueryError
from chancery.search.results import Hit
from chancery.search.schema import NOT_AFTER, NOT_BEFORE
from chancery.web.render import archive_of, page, search_url
from chancery.web.views.search import with_filter
from chancery.web.years import archive_years

api = APIRouter()
pages = APIRouter()

MATCH_CAP = 5000
MAX_MONTHS = 1200


def month_buckets(hits: list[Hit]) -> tuple[list[dict[str, Any]], int]:
    """Documents per month, every month between the first and last present; and the undated count."""
    months: Counter[str] = Counter()
    undated = 0
    for hit in hits:
        when = hit.date.when or hit.date.not_before or ""
        if len(when) >= 7 and when[:4].isdigit() and when[5:7].isdigit():
            months[when[:7]] += 1
        else:
            undated += 1
    return fill_months(months), undated


def archive_months(archive: Archive) -> dict[str, Any]:
    """The whole archive per month: documents whose date lies within one month count there; the
    rest (undated, or dated only to a year or a longer span) are `undated`.

    One index aggregation: months of `not_before` (YYYYMMDD // 100), each split by the month of
    `not_after`; a document is in month M when both fall in M.
    """
    searcher = archive.index.searcher()
    month = {"histogram": {"field": NOT_BEFORE, "interval": 100, "min_doc_count": 1}}
    ends = {"histogram": {"field": NOT_AFTER, "interval": 100, "min_doc_count": 1}}
    result = searcher.aggregate(tantivy.Query.all_query(), {"month": {**month, "aggs": {"end": ends}}})
    months: Counter[str] = Counter()
    for bucket in result["month"]["buckets"]:
        key = int(bucket["key"]) // 100  # YYYYMM
        same = sum(b["doc_count"] for b in bucket["end"]["buckets"] if int(b["key"]) // 100 == key)
        if same and 1 <= key % 100 <= 12:
            months[f"{key // 100:04d}-{key % 100:02d}"] += int(same)
    total = searcher.num_docs
    counted = sum(months.values())
    return {
        "query": "",
        "total": total,
        "counted": total,
        "undated": total - counted,
        "buckets": fill_months(months),
    }


def fill_months(months: Counter[str]) -> list[dict[str, Any]]:
    """[{month, count}] for every month from the first to the last present (at most MAX_MONTHS)."""
    if not months:
        return []
    first, last = min(months), max(months)
    year, month = int(first[:4]), int(first[5:7])
    buckets: list[dict[str, Any]] = []
    while f"{year:04d}-{month:02d}" <= last and len(buckets) < MAX_MONTHS:
        key = f"{year:04d}-{month:02d}"
        buckets.append({"month": key, "count": months.get(key, 0)})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return buckets


def timeline_data(archive: Archive, q: str) -> dict[str, Any]:
    """Documents per month for the query's matches (the first MATCH_CAP), or the whole archive."""
    if not q.strip():
        return archive_months(archive)
    hits, total = archive.matches(q, MATCH_CAP)
    buckets, undated = month_buckets(hits)
    return {"query": q, "total": total, "counted": len(hits), "undated": undated, "buckets": buckets}


def correspondence_data(archive: Archive, q: str, limit: int = 100) -> dict[str, Any]:
    """Sender → recipient pairs among the matches, most frequent first."""
    hits, total = archive.matches(q, MATCH_CAP)
    edges: Counter[tuple[str, str | None, str, str | None]] = Counter()
    for hit in hits:
        for sender in hit.senders:
            for recipient in hit.recipients:
                edges[(sender.name, sender.entity_id, recipient.name, recipient.entity_id)] += 1
    return {
        "query": q,
        "total": total,
        "counted": len(hits),
        "edges": [
            {
                "sender": {"name": s, "entity_id": s_id},
                "recipient": {"name": r, "entity_id": r_id},
                "count": n,
            }
            for (s, s_id, r, r_id), n in edges.most_common(limit)
        ],
    }


@api.get("/timeline", summary="Documents per month for a query, or for the whole archive without one")
def api_timeline(
    request: Request, q: str = Query("", description="query; none: every document in the archive")
) -> dict[str, Any]:
    return timeline_data(archive_of(request), q)


@api.get("/correspondence", summary="Sender → recipient counts for a query")
def api_correspondence(
    request: Request, q: str = Query(..., min_length=1), limit: int = Query(100, ge=1, le=1000)
) -> dict[str, Any]:
    return correspondence_data(archive_of(request), q, limit)


@pages.get("/timeline", response_class=HTMLResponse)
def timeline_page(request: Request, q: str = "") -> HTMLResponse:
    context: dict[str, Any] = {"q": q}
    archive = archive_of(request)
    if not q.strip():
        context.update(archive_years(archive))
    try:
        data = timeline_data(archive, q)
    except QueryError as exc:
        return page(request, "timeline.html", {**context, "error": str(exc)}, status=400)
    peak = max((b["count"] for b in data["buckets"]), default=0)
    for bucket in data["buckets"]:
        bucket["height"] = round(100 * bucket["count"] / peak) if peak else 0
        bucket["url"] = search_url(with_filter(q, "date", bucket["month"]), sort="date")
    return page(request, "timeline.html", {**context, **data})
