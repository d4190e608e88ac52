"""A collection's coverage (first and last dates) from its documents' dates, for collections whose
source gives none (DFAT, Wilson, plain text)."""

from __future__ import annotations

from typing import Any

from chancery.archive import Archive


def _day(value: str | None) -> str | None:
    return value[:10] if value else None


def with_coverage(archive: Archive, collection: dict[str, Any]) -> dict[str, Any]:
    """`collection`, with `coverage` {not_before, not_after, basis: "documents"} computed from its
    dated documents when the source gave none; unchanged when it did or no document is dated."""
    coverage = collection.get("coverage") or {}
    if coverage.get("not_before") or coverage.get("not_after"):
        return collection
    query = f'collection:"{collection["id"]}" date:..9999'
    first = archive.search(query, limit=1, sort="date", facets=False).hits
    last = archive.search(query, limit=1, sort="-date", facets=False).hits
    if not first or not last:
        return collection
    start = _day(first[0].date.not_before or first[0].date.when)
    end = _day(last[0].date.not_after or last[0].date.not_before or last[0].date.when)
    return {**collection, "coverage": {"not_before": start, "not_after": end, "basis": "documents"}}
