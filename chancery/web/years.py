"""The whole archive by year, for the timeline page without a query: each bar links to the
timeline of that year's months."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from chancery.archive import Archive

ALL_DATED = "date:..9999"  # every dated document


def archive_years(archive: Archive) -> dict[str, Any]:
    """{years: [{year, count, height, url}], dated, approximate} over every dated document."""
    result = archive.search(ALL_DATED, limit=1, facets=True)
    buckets = sorted(result.histogram or [], key=lambda b: b.year)
    peak = max((b.count for b in buckets), default=0)
    years = [
        {
            "year": b.year,
            "count": b.count,
            "height": round(100 * b.count / peak) if peak else 0,
            "url": "/timeline?" + urlencode({"q": f"date:{b.year}"}),
        }
        for b in buckets
    ]
    return {"years": years, "dated": result.total, "approximate": bool(result.facets_approximate)}
