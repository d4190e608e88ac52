"""What a search returns, in every mode: `SearchResult` with `Hit`s, facet values and year counts.

`to_dict()` is the JSON contract of `chancery search --json` and `/api/search` (see
chancery/search/README-query.md). bm25, semantic and hybrid results have the same shapes: a hit's
`date` is always the date object (all nulls for an undated document), and `total_approximate`,
`facets_approximate` and `facets_sample` are always there (the last two with the facets).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chancery.model import DocDate, Party


@dataclass(slots=True)
class CollectionRef:
    """The collection a hit belongs to, as `{id, title}`."""

    id: str | None
    title: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title}


@dataclass(slots=True)
class Hit:
    """One matching document: what a result list shows, and a snippet (HTML, matches in <mark>)."""

    id: str
    score: float | None  # None when sorted by date
    title: str | None
    date: DocDate
    doc_type: str | None
    collection: CollectionRef
    senders: list[Party]
    recipients: list[Party]
    snippet: str

    @classmethod
    def from_summary(
        cls, doc_id: str, score: float | None, title: str | None, summary: Mapping[str, Any], snippet: str
    ) -> Hit:
        """A hit from a document's summary fields (an export dict, or the index's stored `meta`)."""
        coll = summary.get("collection") or {}
        return cls(  # positional: this runs for every hit
            doc_id,
            score,
            title,
            date_of(summary.get("date")),
            summary.get("doc_type"),
            CollectionRef(coll.get("id"), coll.get("title")),
            parties_of(summary.get("senders")),
            parties_of(summary.get("recipients")),
            snippet,
        )

    def to_dict(self) -> dict[str, Any]:
        d = self.date
        return {
            "id": self.id,
            "score": self.score,
            "title": self.title,
            "date": {
                "when": d.when,
                "not_before": d.not_before,
                "not_after": d.not_after,
                "precision": d.precision,
                "basis": d.basis,
            },
            "doc_type": self.doc_type,
            "collection": self.collection.to_dict(),
            "senders": [_party(p) for p in self.senders],
            "recipients": [_party(p) for p in self.recipients],
            "snippet": self.snippet,
        }


@dataclass(slots=True)
class FacetValue:
    """One value of a facet and how many matching documents have it (scaled when sampled)."""

    value: str | int  # the year facet's values are years
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "count": self.count}


@dataclass(slots=True)
class YearCount:
    """One bar of the year histogram: matching documents by year of their earliest possible date."""

    year: int
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "count": self.count}


Facets = dict[str, list[FacetValue]]  # facet name -> its top values, in schema.FACETS order


@dataclass(slots=True)
class SearchResult:
    """The result of `Archive.search`, the same in every mode."""

    query: str
    mode: str
    sort: str
    total: int
    total_approximate: bool
    hits: list[Hit]
    facets: Facets | None = None  # None when facets were not asked for (nor the histogram)
    histogram: list[YearCount] | None = None
    facets_approximate: bool = False
    facets_sample: float | None = None  # the fraction of the index the facets were counted on
    variants: dict[str, list[str]] = field(default_factory=dict)  # word -> other spellings searched
    # word -> {spelling: matching documents holding it}, the word itself first (see variants.py)
    variant_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    embedded: int | None = None  # semantic and hybrid: how many documents have vectors
    notices: list[str] = field(default_factory=list)  # how the query was read: words taken as typed, relaxed

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract (see README-query.md): key order as documented."""
        out: dict[str, Any] = {
            "query": self.query,
            "mode": self.mode,
            "sort": self.sort,
            "total": self.total,
            "total_approximate": self.total_approximate,
            "hits": [hit.to_dict() for hit in self.hits],
        }
        if self.facets is not None:
            out["facets"] = {name: [v.to_dict() for v in values] for name, values in self.facets.items()}
            out["histogram"] = [b.to_dict() for b in self.histogram or []]
            out["facets_approximate"] = self.facets_approximate
            out["facets_sample"] = self.facets_sample
        out["variants"] = self.variants
        out["variant_counts"] = self.variant_counts
        out["notices"] = self.notices
        if self.embedded is not None:
            out["embedded"] = self.embedded
        return out


def date_of(data: Mapping[str, Any] | None) -> DocDate:
    """A date object from its export dict (missing or None: undated, every part null)."""
    if not data:
        return DocDate()
    return DocDate(
        data.get("when"),
        data.get("not_before"),
        data.get("not_after"),
        data.get("precision"),
        data.get("basis"),
    )


def parties_of(data: list[Mapping[str, Any]] | None) -> list[Party]:
    return [Party(p.get("name") or "", p.get("role"), p.get("entity_id")) for p in data or []]


def _party(p: Party) -> dict[str, Any]:
    return {"name": p.name, "role": p.role, "entity_id": p.entity_id}
