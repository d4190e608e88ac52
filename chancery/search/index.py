"""The full-text search index: an embedded tantivy index kept beside the store.

The store is the source of truth; the index is rebuilt from it at will. `SearchIndex.apply`
takes document dicts (the export contract) and deletions, and commits once per batch.
Fields: `title`/`text` (en_stem), name fields `from`/`to`/`person`/`place` (lowercased,
ASCII-folded words), keyword fields for filters and facets (raw, fast), dates as YYYYMMDD
integers (`not_before`/`not_after`, fast), a `sample` bucket (0-999, a stable hash of the id,
fast) that lets the engine estimate and facet large result sets on a uniform slice, and a stored
`meta` blob with what a hit shows.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import tantivy

SCHEMA_VERSION = "3"
NAME_FIELDS = ("from", "to", "person", "place")
KEYWORD_FIELDS = ("type", "classification", "collection", "archive", "paraphrase", "entity")
FACET_FIELDS = ("sender_kw", "recipient_kw", "person_kw", "place_kw")
DATE_FIELDS = ("not_before", "not_after", "year")
SAMPLE_BUCKETS = 1000  # `sample` values are 0..999: `sample < k` selects about k/1000 of the documents

# Query-side twin of tantivy's built-in en_stem (simple tokenizer, remove_long 40, lowercase, stemmer).
TEXT_ANALYZER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)
NAME_ANALYZER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.ascii_fold())
    .build()
)
ARCHIVE_BY_FORMAT = {"frus-tei": "frus", "frus-text": "frus", "dfat": "dfat", "wilson": "wilson"}


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", fast=True)
    sb.add_text_field("title", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("text", stored=True, tokenizer_name="en_stem")
    for name in NAME_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name="names")
    for name in KEYWORD_FIELDS + FACET_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name="raw", fast=True, index_option="basic")
    for name in DATE_FIELDS + ("sample",):
        sb.add_integer_field(name, stored=False, indexed=True, fast=True)
    sb.add_bytes_field("meta", stored=True, indexed=False)
    return sb.build()


def day_number(iso: str | None, end: bool = False) -> int | None:
    """An ISO date (year, month or day precision; time ignored) as YYYYMMDD, or None."""
    if not iso or len(iso) < 4 or not iso[:4].isdigit():
        return None
    parts = iso[:10].split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 and parts[1] else (12 if end else 1)
        day = int(parts[2]) if len(parts) > 2 and parts[2] else (31 if end else 1)
    except ValueError:
        return None
    return year * 10000 + month * 100 + day


def sample_bucket(doc_id: str) -> int:
    """A stable, uniform bucket in 0..SAMPLE_BUCKETS-1 for a document id (same in every process)."""
    digest = hashlib.blake2b(doc_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % SAMPLE_BUCKETS


def archive_of(doc: dict[str, Any]) -> str:
    """frus | dfat | wilson | text: from the collection, the reader format or the id prefix."""
    coll = doc.get("collection") or {}
    if coll.get("archive"):
        return str(coll["archive"])
    fmt = (doc.get("source") or {}).get("format") or ""
    if fmt in ARCHIVE_BY_FORMAT:
        return ARCHIVE_BY_FORMAT[fmt]
    cid = (coll.get("id") or "").lower()
    for prefix in ("frus", "dfat", "wilson"):
        if cid.startswith(prefix):
            return prefix
    return "text"


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def index_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """The fields one document contributes to the index."""
    date = doc.get("date") or {}
    markings = doc.get("markings") or {}
    senders = doc.get("senders") or []
    recipients = doc.get("recipients") or []
    mentions = doc.get("mentions") or []
    sender_names = _unique([_clean(p.get("name")) for p in senders])
    recipient_names = _unique([_clean(p.get("name")) for p in recipients])
    person_names = _unique(
        [_clean(m.get("entity_name") or m.get("text")) for m in mentions if m.get("type") == "person"]
        + sender_names
        + recipient_names
    )
    person_texts = _unique([_clean(m.get("text")) for m in mentions if m.get("type") == "person"])
    place_names = _unique(
        [_clean(doc.get("place"))]
        + [_clean(m.get("entity_name") or m.get("text")) for m in mentions if m.get("type") == "place"]
    )
    place_texts = _unique([_clean(m.get("text")) for m in mentions if m.get("type") == "place"])
    entity_ids = _unique(
        [m.get("entity_id") or "" for m in mentions]
        + [p.get("entity_id") or "" for p in senders + recipients]
    )
    coll = doc.get("collection") or {}
    fields: dict[str, Any] = {
        "id": doc["id"],
        "sample": sample_bucket(doc["id"]),
        "title": doc.get("title") or "",
        "text": doc.get("text") or "",
        "from": sender_names + _unique([_clean(p.get("role")) for p in senders]),
        "to": recipient_names + _unique([_clean(p.get("role")) for p in recipients]),
        "person": _unique(person_names + person_texts),
        "place": _unique(place_names + place_texts),
        "type": (doc.get("doc_type") or "").lower(),
        "classification": _clean(markings.get("classification")).lower(),
        "collection": coll.get("id") or "",
        "archive": archive_of(doc),
        "paraphrase": "true" if markings.get("paraphrase") else "false",
        "entity": entity_ids,
        "sender_kw": sender_names,
        "recipient_kw": recipient_names,
        "person_kw": person_names,
        "place_kw": place_names,
        "meta": orjson.dumps(
            {
                "date": date or None,
                "doc_type": doc.get("doc_type"),
                "collection": {"id": coll.get("id"), "title": coll.get("title")},
                "senders": senders,
                "recipients": recipients,
            }
        ),
    }
    not_before = day_number(date.get("not_before") or date.get("when"))
    not_after = day_number(date.get("not_after") or date.get("not_before") or date.get("when"), end=True)
    if not_before is not None:
        fields["not_before"] = not_before
        fields["year"] = not_before // 10000
        fields["not_after"] = not_after if not_after is not None and not_after >= not_before else not_before
    return {k: v for k, v in fields.items() if v not in ("", [])}


class SearchIndex:
    """A tantivy index in a directory; open creates it when missing or outdated."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        version_file = self.path / "chancery-schema-version"
        if self.path.exists() and (
            not version_file.exists() or version_file.read_text().strip() != SCHEMA_VERSION
        ):
            shutil.rmtree(self.path)
        self.created = not self.path.exists()
        self.path.mkdir(parents=True, exist_ok=True)
        version_file.write_text(SCHEMA_VERSION)
        self.schema = build_schema()
        self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        self.index.register_tokenizer("names", NAME_ANALYZER)
        self.generation = 0  # bumped on every change here: caches keyed on it go stale

    def apply(self, upserts: list[dict[str, Any]], deletes: list[str], threads: int = 1) -> None:
        """Delete and (re)add documents by id, then commit once."""
        if upserts or deletes:
            self.apply_batches([(upserts, deletes)], threads)

    def apply_batches(
        self, batches: Iterable[tuple[list[dict[str, Any]], list[str]]], threads: int = 2
    ) -> int:
        """Apply (upserts, deletes) batches through one writer and one commit; returns documents added.

        One commit for a whole ingest is far cheaper than one per batch (each commit flushes
        and merges segments); batches keep memory bounded while the writer runs.
        """
        writer = None
        added = 0
        for upserts, deletes in batches:
            if writer is None:
                writer = self.index.writer(heap_size=128_000_000 * threads, num_threads=threads)
            for doc_id in deletes:
                writer.delete_documents_by_term("id", doc_id)
            for doc in upserts:
                writer.delete_documents_by_term("id", doc["id"])
                writer.add_document(tantivy.Document(**index_fields(doc)))
            added += len(upserts)
        if writer is not None:
            writer.commit()
            writer.wait_merging_threads()
            self._changed()
        return added

    def clear(self) -> None:
        writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        writer.delete_all_documents()
        writer.commit()
        writer.wait_merging_threads()
        self._changed()

    def _changed(self) -> None:
        self.index.reload()
        self.generation += 1

    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()

    def cache_key(self, searcher: tantivy.Searcher) -> tuple[int, int, int]:
        """Identifies the index state a searcher sees (changes here or by another process)."""
        return (self.generation, searcher.num_docs, searcher.num_segments)

    def count(self) -> int:
        return self.searcher().num_docs

    def search(self, query: str, limit: int = 20, offset: int = 0, **options: Any) -> dict[str, Any]:
        """Search in the Chancery query language (see chancery/search/README-query.md)."""
        from chancery.search.engine import search

        return search(self, query, limit=limit, offset=offset, **options)
