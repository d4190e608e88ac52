"""Facet counts and the year histogram for a query, in one tantivy aggregation pass.

`facet_counts(..., scale=s)` multiplies every count by `s`: the engine aggregates over a uniform
sample of a large result set (see engine.py) and scales the counts back up.
"""

from __future__ import annotations

from typing import Any

import tantivy

FACET_FIELDS = {
    "collection": "collection",
    "type": "type",
    "classification": "classification",
    "sender": "sender_kw",
    "recipient": "recipient_kw",
    "person": "person_kw",
    "place": "place_kw",
}
FACET_SIZE = 10
ORDER = ("collection", "type", "year", "classification", *list(FACET_FIELDS)[3:])
ALL_FACETS = tuple(name for name in ORDER)


def aggregations(size: int = FACET_SIZE, names: tuple[str, ...] = ALL_FACETS) -> dict[str, Any]:
    """The one aggregation request behind facets, histogram and the number of documents counted."""
    aggs: dict[str, Any] = {
        name: {"terms": {"field": field, "size": size}}
        for name, field in FACET_FIELDS.items()
        if name in names
    }
    aggs["histogram"] = {"histogram": {"field": "year", "interval": 1, "min_doc_count": 1}}
    aggs["matched"] = {"value_count": {"field": "sample"}}  # every document has one `sample` value
    return aggs


def facet_counts(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    size: int = FACET_SIZE,
    scale: float = 1.0,
    names: tuple[str, ...] = ALL_FACETS,
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, int]], int]:
    """(facets, histogram, documents aggregated) over every document matching `query`.

    With `scale` != 1 the counts are multiplied by it and rounded to two significant figures
    (they are estimates; the engine flags them as such).
    """
    result = searcher.aggregate(query, aggregations(size, names))

    def count(n: int | float) -> int:
        return int(n) if scale == 1.0 else about(n * scale, 2)

    out = {
        name: [{"value": b["key"], "count": count(b["doc_count"])} for b in result[name]["buckets"]]
        for name in FACET_FIELDS
        if name in result
    }
    histogram = [
        {"year": int(b["key"]), "count": count(b["doc_count"])}
        for b in result["histogram"]["buckets"]
        if b["doc_count"]
    ]
    top_years = sorted(histogram, key=lambda b: (-b["count"], b["year"]))[:size]
    out["year"] = [{"value": b["year"], "count": b["count"]} for b in top_years]
    matched = int((result.get("matched") or {}).get("value") or 0)
    return {key: out[key] for key in ORDER if key in names}, histogram, matched


def facets(
    searcher: tantivy.Searcher, query: tantivy.Query, size: int = FACET_SIZE
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, int]]]:
    """({facet: [{"value", "count"}]}, [{"year", "count"}]) over every document matching `query` (exact)."""
    facet_map, histogram, _ = facet_counts(searcher, query, size)
    return facet_map, histogram


def about(value: float, digits: int) -> int:
    """`value` rounded to `digits` significant figures (an estimate should not look more precise)."""
    n = int(round(value))
    if n <= 0:
        return 0
    drop = max(0, len(str(n)) - digits)
    return int(round(n, -drop)) if drop else n
