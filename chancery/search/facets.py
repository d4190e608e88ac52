"""Facet counts and the year histogram for a query, in one tantivy aggregation pass."""

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


def aggregations(size: int = FACET_SIZE) -> dict[str, Any]:
    aggs: dict[str, Any] = {
        name: {"terms": {"field": field, "size": size}} for name, field in FACET_FIELDS.items()
    }
    aggs["histogram"] = {"histogram": {"field": "year", "interval": 1, "min_doc_count": 1}}
    return aggs


def facets(
    searcher: tantivy.Searcher, query: tantivy.Query, size: int = FACET_SIZE
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, int]]]:
    """({facet: [{"value", "count"}]}, [{"year", "count"}]) over every document matching `query`."""
    result = searcher.aggregate(query, aggregations(size))
    out = {
        name: [{"value": b["key"], "count": b["doc_count"]} for b in result[name]["buckets"]]
        for name in FACET_FIELDS
    }
    histogram = [
        {"year": int(b["key"]), "count": b["doc_count"]}
        for b in result["histogram"]["buckets"]
        if b["doc_count"]
    ]
    top_years = sorted(histogram, key=lambda b: (-b["count"], b["year"]))[:size]
    out["year"] = [{"value": b["year"], "count": b["count"]} for b in top_years]
    return {
        key: out[key] for key in ("collection", "type", "year", "classification", *list(FACET_FIELDS)[3:])
    }, histogram
