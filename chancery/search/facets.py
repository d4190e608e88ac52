"""Facet counts and the year histogram for a query, in one tantivy aggregation pass.

The facets are those declared in schema.FACETS, in that order; `year` (an integer field) is the
histogram's top years. `facet_counts(..., scale=s)` multiplies every count by `s`: the engine
aggregates over a uniform sample of a large result set (see engine.py) and scales the counts back up.
"""

from __future__ import annotations

from typing import Any

import tantivy

from chancery.search.results import Facets, FacetValue, YearCount
from chancery.search.schema import FACETS, SAMPLE, YEAR, YEAR_FACET, Kind

FACET_SIZE = 10
TERM_FACETS = {name: f.name for name, f in FACETS.items() if f.kind is not Kind.INTEGER}  # name -> field
ALL_FACETS = tuple(FACETS)
HISTOGRAM, MATCHED = "histogram", "matched"  # aggregation names beside the facets


def aggregations(size: int = FACET_SIZE, names: tuple[str, ...] = ALL_FACETS) -> dict[str, Any]:
    """The one aggregation request behind facets, histogram and the number of documents counted."""
    aggs: dict[str, Any] = {
        name: {"terms": {"field": field, "size": size}}
        for name, field in TERM_FACETS.items()
        if name in names
    }
    aggs[HISTOGRAM] = {"histogram": {"field": YEAR, "interval": 1, "min_doc_count": 1}}
    aggs[MATCHED] = {"value_count": {"field": SAMPLE}}  # every document has one `sample` value
    return aggs


def facet_counts(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    size: int = FACET_SIZE,
    scale: float = 1.0,
    names: tuple[str, ...] = ALL_FACETS,
) -> tuple[Facets, list[YearCount], int]:
    """(facets, histogram, documents aggregated) over every document matching `query`.

    With `scale` != 1 the counts are multiplied by it and rounded to two significant figures
    (they are estimates; the engine flags them as such).
    """
    result = searcher.aggregate(query, aggregations(size, names))

    def count(n: int | float) -> int:
        return int(n) if scale == 1.0 else about(n * scale, 2)

    out: Facets = {
        name: [FacetValue(b["key"], count(b["doc_count"])) for b in result[name]["buckets"]]
        for name in TERM_FACETS
        if name in result
    }
    histogram = [
        YearCount(int(b["key"]), count(b["doc_count"]))
        for b in result[HISTOGRAM]["buckets"]
        if b["doc_count"]
    ]
    top_years = sorted(histogram, key=lambda b: (-b.count, b.year))[:size]
    out[YEAR_FACET] = [FacetValue(b.year, b.count) for b in top_years]
    matched = int((result.get(MATCHED) or {}).get("value") or 0)
    return {key: out[key] for key in ALL_FACETS if key in names}, histogram, matched


def facets(
    searcher: tantivy.Searcher, query: tantivy.Query, size: int = FACET_SIZE
) -> tuple[Facets, list[YearCount]]:
    """(facets, histogram) over every document matching `query` (exact)."""
    facet_map, histogram, _ = facet_counts(searcher, query, size)
    return facet_map, histogram


def about(value: float, digits: int) -> int:
    """`value` rounded to `digits` significant figures (an estimate should not look more precise)."""
    n = int(round(value))
    if n <= 0:
        return 0
    drop = max(0, len(str(n)) - digits)
    return int(round(n, -drop)) if drop else n
