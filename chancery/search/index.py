"""The full-text search index: an embedded tantivy index kept beside the store.

The store is the source of truth; the index is rebuilt from it at will. `SearchIndex.apply`
takes document dicts (the export contract) and deletions, and commits once per batch.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import tantivy

SCHEMA_VERSION = "1"


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", fast=True)
    sb.add_text_field("title", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("text", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("collection", stored=False, tokenizer_name="raw", fast=True)
    sb.add_text_field("doc_type", stored=False, tokenizer_name="raw", fast=True)
    sb.add_integer_field("year", stored=False, indexed=True, fast=True)
    return sb.build()


def index_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """The fields one document contributes to the index."""
    when = (doc.get("date") or {}).get("not_before") or (doc.get("date") or {}).get("when")
    fields: dict[str, Any] = {
        "id": doc["id"],
        "title": doc.get("title") or "",
        "text": doc.get("text") or "",
        "collection": (doc.get("collection") or {}).get("id") or "",
        "doc_type": doc.get("doc_type") or "",
    }
    if when and when[:4].isdigit():
        fields["year"] = int(when[:4])
    return fields


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

    def apply(self, upserts: list[dict[str, Any]], deletes: list[str]) -> None:
        """Delete and (re)add documents by id, then commit once."""
        if not upserts and not deletes:
            return
        writer = self.index.writer(heap_size=128_000_000, num_threads=1)
        for doc_id in deletes:
            writer.delete_documents_by_term("id", doc_id)
        for doc in upserts:
            writer.delete_documents_by_term("id", doc["id"])
            writer.add_document(tantivy.Document(**index_fields(doc)))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()

    def clear(self) -> None:
        writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        writer.delete_all_documents()
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()

    def count(self) -> int:
        return self.index.searcher().num_docs

    def search(self, query: str, limit: int = 20, offset: int = 0) -> dict[str, Any]:
        """Plain tantivy-syntax search over title and text: ids, scores, snippets."""
        searcher = self.index.searcher()
        parsed = self.index.parse_query(query, ["title", "text"])
        result = searcher.search(parsed, limit=limit, offset=offset, count=True)
        snippets = tantivy.SnippetGenerator.create(searcher, parsed, self.schema, "text")
        hits = []
        for score, address in result.hits:
            stored = searcher.doc(address)
            hits.append(
                {
                    "id": stored["id"][0],
                    "score": score,
                    "snippet": snippets.snippet_from_doc(stored).to_html(),
                }
            )
        return {"total": result.count, "hits": hits}
