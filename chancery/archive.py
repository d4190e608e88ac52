"""The Python API every interface uses: open an archive, ingest, search, read, relate.

archive = Archive.open("chancery.db")
report = archive.ingest(["../shared/corpus/frus/volumes"])
archive.search("soong stalin")
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Container, Iterator
from pathlib import Path
from typing import Any

from chancery.enrich import Context
from chancery.errors import NotFound
from chancery.ingest import INDEX_BATCH, IngestReport, ingest_paths
from chancery.linking import Light, LinkReport, link_documents
from chancery.model import Document
from chancery.search.engine import matching_ids
from chancery.search.engine import search as search_index
from chancery.search.index import SearchIndex
from chancery.search.results import SearchResult
from chancery.search.variants import Variants
from chancery.store import is_postgres, open_store, resolve_db


def index_path_for(db_url: str) -> Path:
    """Where the search index lives: beside a SQLite file, or $CHANCERY_INDEX for PostgreSQL."""
    if os.environ.get("CHANCERY_INDEX"):
        return Path(os.environ["CHANCERY_INDEX"])
    if is_postgres(db_url):
        digest = hashlib.sha256(db_url.encode()).hexdigest()[:12]
        return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "chancery" / f"pg-{digest}"
    return Path(db_url + ".index")


class Archive:
    """A Chancery archive: a store plus its search index, kept in step."""

    def __init__(self, store: Any, index: SearchIndex) -> None:
        self.store = store
        self.index = index
        if index.created and store.count_documents():
            store.queue_all_for_index()
        self.sync_index()

    @classmethod
    def open(cls, db: str | Path | None = None, index_path: str | Path | None = None) -> Archive:
        url = resolve_db(db)
        store = open_store(url)
        return cls(store, SearchIndex(index_path or index_path_for(url)))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ingest ----------------------------------------------------------------------------
    def ingest(
        self,
        paths: list[str | Path],
        format: str | None = None,
        on_item: Callable[[str], None] | None = None,
        context: Context | None = None,
        workers: int | None = None,
    ) -> IngestReport:
        """Read, enrich and store every file under `paths`; one transaction per file.

        Files are read in `workers` forked processes (default: $CHANCERY_WORKERS or one per
        core, up to 4; 1 reads in this process). Unchanged files are skipped.
        """
        return ingest_paths(self, paths, format, on_item, context, workers)

    def link(
        self,
        doc_ids: list[str] | None = None,
        known: dict[str, Light] | None = None,
        on_changed: Callable[[list[dict[str, Any]], list[str] | None], None] | None = None,
    ) -> LinkReport:
        """Resolve references into links and infer missing dates (all documents when no ids).

        `known` and `on_changed` as in `chancery.linking.link_documents` (ingest passes them).
        """
        return link_documents(self.store, doc_ids, known, on_changed)

    def enrich_context(self) -> Context:
        """The enrichment context for this archive (authority resolver when loaded)."""
        resolver = getattr(self, "_resolver", None)
        if resolver is None and self.store.count_entities():
            from chancery.enrich.entities import load_resolver

            cache_dir = Path(str(self.index.path) + ".resolver")  # pickled resolver beside the index
            resolver = self._resolver = load_resolver(self.store.iter_entities(), cache_dir=cache_dir)
        return Context(resolver=resolver)

    # -- authority -------------------------------------------------------------------------
    def load_authority(
        self, paths: list[str | Path], on_progress: Callable[[str, int, int], None] | None = None
    ) -> dict[str, Any]:
        """Load authority files and the stored FRUS persons lists; re-enrich stored documents."""
        from chancery.authority import build_authority

        data = build_authority(paths, self.store.collections())
        self.store.put_entities(data.entities, data.names)
        self._resolver = None
        updated = self.reenrich(on_progress=on_progress)
        return {
            "counts": data.counts,
            "entities": len(data.entities),
            "names": len(data.names),
            "documents_updated": updated,
            "warnings": data.warnings,
        }

    def entity(self, entity_id: str) -> dict[str, Any]:
        ent = self.store.entity(entity_id)
        if ent is None:
            raise NotFound(f"no entity with id {entity_id!r}")
        return ent

    def reenrich(self, on_progress: Callable[[str, int, int], None] | None = None, batch: int = 500) -> int:
        """Re-run the DEEP enrichment steps over stored documents; returns how many were rewritten."""
        from chancery.enrich import DEEP, _steps
        from chancery.model import Collection

        context = self.enrich_context()
        if context.resolver is None:
            return 0
        steps = _steps(tuple(DEEP))
        ids = self.store.document_ids()
        collections = {c["id"]: Collection.from_dict(c) for c in self.store.collections()}
        for first in range(0, len(ids), batch):
            rewritten = []
            for data in self.store.documents(ids[first : first + batch]):
                doc = Document.from_dict(data, collections.get((data.get("collection") or {}).get("id")))
                for step in steps:
                    doc = step(doc, context)
                rewritten.append(doc.to_dict())
                if on_progress:
                    on_progress(data["id"], first + len(rewritten), len(ids))
            self.store.update_documents(rewritten)
        self.sync_index()
        return len(ids)

    def sync_index(self, fresh: Container[str] = ()) -> int:
        """Apply queued store changes to the search index (one commit); returns how many were queued.

        `fresh`: ids whose stored version the index already holds (ingest added them from
        memory and committed): their queued upserts are only cleared.
        """
        pending = self.store.pending_index(None)
        if not pending:
            return 0
        todo = [(doc_id, op) for doc_id, op in pending if op != "upsert" or doc_id not in fresh]

        def batches() -> Iterator[tuple[list[dict[str, Any]], list[str]]]:
            for start in range(0, len(todo), INDEX_BATCH):
                chunk = todo[start : start + INDEX_BATCH]
                upsert_ids = [doc_id for doc_id, op in chunk if op == "upsert"]
                docs = self.store.documents(upsert_ids)
                found = {d["id"] for d in docs}
                deletes = [doc_id for doc_id, op in chunk if op != "upsert"]
                yield docs, deletes + [i for i in upsert_ids if i not in found]

        if todo:
            self.index.apply_batches(batches())
        self.store.clear_pending([doc_id for doc_id, _ in pending])
        return len(pending)

    def reindex(self) -> int:
        """Rebuild the search index from the store."""
        self.index.clear()
        self.store.queue_all_for_index()
        return self.sync_index()

    # -- reading ---------------------------------------------------------------------------
    def document(self, doc_id: str) -> dict[str, Any]:
        doc = self.store.document(doc_id)
        if doc is None:
            raise NotFound(f"no document with id {doc_id!r}")
        return doc

    def documents(self, collection_id: str | None = None) -> Iterator[dict[str, Any]]:
        return self.store.iter_documents(collection_id)

    def collections(self) -> list[dict[str, Any]]:
        return self.store.collections()

    def collection(self, collection_id: str) -> dict[str, Any]:
        coll = self.store.collection(collection_id)
        if coll is None:
            raise NotFound(f"no collection with id {collection_id!r}")
        return coll

    def stats(self) -> dict[str, Any]:
        data = self.store.stats()
        data["index_documents"] = self.index.count()
        data["db"] = self.store.url
        return data

    # -- finding ---------------------------------------------------------------------------
    def search(
        self,
        query: str,
        limit: int = 20,
        offset: int = 0,
        sort: str = "relevance",
        facets: bool = True,
        mode: str = "bm25",
    ) -> SearchResult:
        """Search in the query language (chancery/search/README-query.md): hits, facets, variants.

        The same result shape in every mode; `.to_dict()` is the JSON of `chancery search --json`."""
        if mode in ("semantic", "hybrid"):
            from chancery.search.hybrid import SemanticSearch

            finder = SemanticSearch(self.index, self.store, self.vectors(), self.variants())
            return finder.run(query, mode, limit, offset, sort=sort, facets=facets)
        return search_index(
            self.index, query, limit, offset, sort=sort, facets=facets, mode=mode, variants=self.variants()
        )

    def vectors(self) -> Any:
        """The passage vectors kept beside the search index (empty until `embed`)."""
        if getattr(self, "_vectors", None) is None:
            from chancery.search.semantic import VectorStore, vectors_path_for

            self._vectors = VectorStore(vectors_path_for(self.index.path))
        return self._vectors

    def embed(
        self, progress: Callable[[int, int], None] | None = None, doc_ids: list[str] | None = None
    ) -> dict[str, int]:
        """Compute vectors for documents not yet embedded or changed since (needs chancery[semantic])."""
        from chancery.search.semantic import require_semantic, update_vectors

        require_semantic()
        return update_vectors(self.store, self.vectors(), doc_ids, progress)

    def related(self, doc_id: str, limit: int = 10) -> list[dict[str, Any]]:
        """Documents about the same event or exchange, each with a score and a short "why" list."""
        from chancery.search.related import related

        self.document(doc_id)  # NotFound for an unknown id
        return related(self, doc_id, limit=limit)

    def variants(self) -> Variants:
        """The name-variant finder for this archive (authority records in the store, fuzzy)."""
        if getattr(self, "_variants", None) is None:
            self._variants = Variants(self.store)
        return self._variants

    def export(self, query: str | None = None) -> Iterator[dict[str, Any]]:
        """Every document (or every match of `query`) as export dicts."""
        if not query:
            yield from self.store.iter_documents()
            return
        ids = matching_ids(self.index, query, self.variants())
        for i in range(0, len(ids), 500):
            yield from self.store.documents(ids[i : i + 500])
