"""The Python API every interface uses: open an archive, ingest, search, read, relate.

archive = Archive.open("chancery.db")
report = archive.ingest(["../shared/corpus/frus/volumes"])
archive.search("soong stalin")
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chancery import citations
from chancery.crashpoint import crash_point
from chancery.enrich import Context
from chancery.errors import NotFound
from chancery.ingest import IngestReport, catch_up, ingest_paths, rebuild
from chancery.linking import LinkReport, link_documents
from chancery.model import Collection, Document, Entity
from chancery.search.engine import matching_ids
from chancery.search.engine import search as search_index
from chancery.search.index import IndexBusy, SearchIndex
from chancery.search.results import Hit, SearchResult
from chancery.search.variants import Variants, split_switches
from chancery.settings import Settings
from chancery.store import Store, open_store
from chancery.store.base import DocumentData
from chancery.store.pages import PageStore

if TYPE_CHECKING:
    from chancery.enrich.entities import Resolver
    from chancery.search.semantic import VectorStore


FOLLOW_INTERVAL = 1.0  # seconds between a serving archive's catch-ups
log = logging.getLogger("chancery.archive")


@dataclass
class CountedCollection(Collection):
    """A collection with the number of its documents in the archive."""

    document_count: int = 0


@dataclass
class Citing:
    """A document whose references resolve to another one (an incoming link)."""

    id: str
    kind: str
    title: str | None


class Archive:
    """A Chancery archive: a store plus its search index, kept in step through the store's change
    feed: the index catches up on open, after each change made here, and (when serving) every
    `FOLLOW_INTERVAL` seconds, so every node's index follows changes made by any process."""

    def __init__(
        self,
        store: Store,
        index: SearchIndex,
        settings: Settings | None = None,
        pages: PageStore | None = None,
    ) -> None:
        self.store = store
        self.index = index
        self.settings = settings or Settings.from_env()
        self.pages = pages  # page images and originals of PDFs and scans (None: not kept)
        self._resolver: Resolver | None = None
        self._vectors: VectorStore | None = None
        self._variants: Variants | None = None
        self._closed = threading.Event()
        self._catching_up = threading.Lock()  # one catch-up at a time (the follow thread, callers)
        self.catch_up()

    @classmethod
    def open(
        cls,
        db: str | Path | None = None,
        index_path: str | Path | None = None,
        settings: Settings | None = None,
    ) -> Archive:
        """The archive in `db` (default: the settings' database, $CHANCERY_DB, ./chancery.db)."""
        settings = settings or Settings.from_env()
        url = settings.db_url(db)
        store = open_store(url)
        index = SearchIndex(index_path or settings.index_path(url))
        return cls(store, index, settings, PageStore(settings.pages_path(url)))

    def close(self) -> None:
        self._closed.set()
        with self._catching_up:
            self.store.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ingest ----------------------------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[str | Path],
        format: str | None = None,
        on_item: Callable[[str], None] | None = None,
        context: Context | None = None,
        workers: int | None = None,
    ) -> IngestReport:
        """Read, enrich and store every file under `paths`; one transaction per file.

        Files are read in `workers` forked processes (default: $CHANCERY_WORKERS or one per
        core, up to 4; 1 reads in this process). Unchanged files are skipped. An archive without
        authority records first gets the shipped ones (people, offices, places), unless the
        settings say not to.
        """
        if context is None and self.settings.shipped_authority and not self.store.count_entities():
            self.load_authority([])
        report = ingest_paths(
            self.store,
            self.index,
            list(paths),
            context or self.enrich_context(),
            workers or self.settings.reader_workers(),
            format,
            on_item,
            self.pages,
            self.settings,
        )
        keep = self.settings.feed_keep
        if self.store.last_change() - self.store.feed_horizon() > 2 * keep:  # now and then, not each time
            self.compact(keep)
        return report

    def link(self, doc_ids: list[str] | None = None) -> LinkReport:
        """Resolve references into links and infer missing dates (all documents when no ids).

        Ingest links what it stored itself; this re-links on demand.
        """
        report = link_documents(self.store, doc_ids)
        self.sync_index()
        return report

    def enrich_context(self) -> Context:
        """The enrichment context for this archive (authority resolver when loaded)."""
        if self._resolver is None and self.store.count_entities():
            from chancery.enrich.entities import load_resolver

            cache_dir = Path(str(self.index.path) + ".resolver")  # pickled resolver beside the index
            self._resolver = load_resolver(self.store.iter_entities(), cache_dir=cache_dir)
        return Context(resolver=self._resolver)

    # -- authority -------------------------------------------------------------------------
    def load_authority(
        self, paths: list[str | Path], on_progress: Callable[[str, int, int], None] | None = None
    ) -> dict[str, Any]:
        """Load authority files (over the shipped ones: a given file replaces the shipped file of its
        kind) and the stored FRUS persons lists; re-enrich stored documents."""
        from chancery.authority import build_authority
        from chancery.authority.shipped import with_shipped

        data = build_authority(
            with_shipped(list(paths)), self.store.collections(), cache_dir=self.settings.authority_cache()
        )
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

    def entity(self, entity_id: str) -> Entity:
        data = self.store.entity(entity_id)
        if data is None:
            raise NotFound(f"no entity with id {entity_id!r}")
        return Entity.from_dict(data)

    def reenrich(self, on_progress: Callable[[str, int, int], None] | None = None, batch: int = 500) -> int:
        """Re-run the DEEP enrichment steps over stored documents; returns how many were rewritten."""
        from chancery.enrich import DEEP
        from chancery.enrich import steps as enrich_steps

        context = self.enrich_context()
        if context.resolver is None:
            return 0
        steps = enrich_steps(tuple(DEEP))
        ids = self.store.document_ids()
        if on_progress:
            on_progress("", 0, len(ids))  # the total, before the first batch is done
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

    def catch_up(self) -> int:
        """Apply the store's changes since the index's position (building a new index whole);
        returns how many changes were applied.

        Never waits for a writer: when another process holds the index writer (an ingest, a
        reindex, another node's catch-up on a shared index), this is skipped and the index
        serves what it has (that writer brings it up to date). Follows a reindex's swap.
        """
        with self._catching_up:
            if self._closed.is_set():
                return 0
            self.index.reopen_if_replaced()
            try:
                return catch_up(self.store, self.index)
            except IndexBusy:
                return 0

    def sync_index(self, fresh: Container[str] = ()) -> int:
        """Bring the index up to date now (see `catch_up`); kept for callers of the earlier name."""
        return self.catch_up()

    def follow(self, interval: float = FOLLOW_INTERVAL) -> threading.Thread:
        """Catch up every `interval` seconds in a background thread until `close` (for servers).

        Polling (one `max(seq)` query a tick) works alike on SQLite and PostgreSQL. The thread
        first builds the name-variant table (seconds over a large authority, longer on a busy
        machine): otherwise a node's first searches all wait for that build.
        """

        def run() -> None:
            try:
                with self._catching_up:  # `close` waits for it
                    if not self._closed.is_set() and self.store.count_entities():
                        self.variants().warm()
            except Exception:  # the first search builds it then
                log.exception("building the name-variant table failed")
            while not self._closed.wait(interval):
                try:
                    self.catch_up()
                except Exception:  # a failed tick (database restarting...) is retried next tick
                    log.exception("catching up the search index failed")

        thread = threading.Thread(target=run, name="chancery-follow", daemon=True)
        thread.start()
        return thread

    def compact(self, keep: int | None = None) -> dict[str, int]:
        """Compact the store's change feed: keep the last `keep` changes (default $CHANCERY_FEED_KEEP)
        whole and, before them, only each document's latest change and no deletions. An index
        positioned before the new horizon (a node long stopped) is rebuilt from the store when it
        next catches up. Returns the changes removed, the horizon and the changes left."""
        keep = self.settings.feed_keep if keep is None else max(0, keep)
        removed = self.store.compact_changes(self.store.last_change() - keep)
        return {
            "removed": removed,
            "horizon": self.store.feed_horizon(),
            "last_change": self.store.last_change(),
            "changes": len(self.store.changes_since(0)),
        }

    def reindex(self) -> int:
        """Rebuild the search index from the store beside the live one, then swap them atomically.

        The live index keeps answering meanwhile; a crash leaves it as it was. Returns how many
        documents the new index holds.
        """
        built_path = self.index.path.with_name(self.index.path.name + ".new")
        shutil.rmtree(built_path, ignore_errors=True)
        built = SearchIndex(built_path)
        writer = built.writer(2, heap_mb=256)
        try:
            count = rebuild(self.store, writer)
        finally:
            writer.abandon()
        crash_point("swap")
        with self._catching_up:
            self.index.replace_with(built)
        self.catch_up()  # changes made while building
        return count

    # -- reading ---------------------------------------------------------------------------
    def document(self, doc_id: str) -> Document:
        data = self.store.document(doc_id)
        if data is None:
            raise NotFound(f"no document with id {doc_id!r}")
        return Document.from_dict(data)

    def page_image(self, sha: str, name: str) -> Path:
        """The stored page image `name` ("2.webp", "2.thumb.webp") of the file with hash `sha`."""
        found = self.pages.image(sha, name) if self.pages else None
        if found is None:
            raise NotFound(f"no page image {name!r} for {sha[:64]!r}")
        return found

    def original(self, doc_id: str) -> tuple[Path, str]:
        """The stored copy of the file `doc_id` was read from, and the file's own name."""
        doc = self.document(doc_id)
        sha = doc.source.sha256 or ""
        found = self.pages.original(sha) if self.pages else None
        if found is None:
            raise NotFound(f"no original file kept for {doc_id!r}")
        name = Path(doc.source.path.split("!")[-1]).name or found.name
        if found.suffix == ".zip" and not name.endswith(".zip"):
            name += ".zip"  # a folder of page photos
        return found, name

    def documents(self, collection_id: str | None = None) -> Iterator[Document]:
        """Every document (or a collection's) in reading order."""
        return (Document.from_dict(data) for data in self.store.iter_documents(collection_id))

    def collections(self) -> list[CountedCollection]:
        """Every collection, by id, with its document count."""
        return [CountedCollection.from_dict(data) for data in self.store.collections()]

    def collection(self, collection_id: str) -> Collection:
        data = self.store.collection(collection_id)
        if data is None:
            raise NotFound(f"no collection with id {collection_id!r}")
        return Collection.from_dict(data)

    def table_of_contents(self, collection: Collection) -> list[dict[str, Any]]:
        """The collection's `toc` with each entry's documents ({id, title, date, doc_type, n}; a
        listed document not in the archive as {id, missing: True}).

        Without a `toc`, one entry per chapter in reading order (or a single untitled entry).
        """
        if collection.toc:
            ids = [doc_id for entry in collection.toc for doc_id in entry.get("document_ids") or []]
            found = {d["id"]: _summary(d) for d in self.store.documents(ids)}
            return [
                {
                    "title": entry.get("title"),
                    "level": entry.get("level") or 1,
                    "documents": [
                        found.get(i) or {"id": i, "missing": True} for i in entry.get("document_ids") or []
                    ],
                }
                for entry in collection.toc
            ]
        chapters: list[dict[str, Any]] = []
        for data in self.store.iter_documents(collection.id):
            if not chapters or chapters[-1]["title"] != data.get("chapter"):
                chapters.append({"title": data.get("chapter"), "level": 1, "documents": []})
            chapters[-1]["documents"].append(_summary(data))
        return chapters

    def titles(self, doc_ids: Iterable[str]) -> dict[str, str | None]:
        """The title of each stored document among `doc_ids` (unknown ids left out)."""
        return {d["id"]: d.get("title") for d in self.store.documents(dict.fromkeys(doc_ids))}

    def cited_by(self, doc_id: str) -> list[Citing]:
        """Documents whose references resolve to this one (incoming links), in link order."""
        links = self.store.links_to(doc_id)
        titles = self.titles(link["src"] for link in links)
        return [Citing(link["src"], link["kind"], titles.get(link["src"])) for link in links]

    def citations(self, doc_id: str, permalink: str | None = None) -> dict[str, str]:
        """The document's citation in every format, keyed by format name."""
        return citations.all_citations(self.document(doc_id).to_dict(), permalink)

    def cite(self, doc_id: str, format: str, permalink: str | None = None) -> str:
        """The document's citation in `format` (`chancery.citations.FORMATS`; CSL-JSON as text)."""
        return citations.cite(self.document(doc_id).to_dict(), format, permalink)

    def matches(self, query: str, cap: int = 5000, page: int = 1000) -> tuple[list[Hit], int]:
        """Up to `cap` matches of `query` by relevance (no facets; `page` hits a call) and the
        total number of matches: what the timeline and correspondence pages count."""
        hits: list[Hit] = []
        total: int | None = None
        while total is None or len(hits) < min(total, cap):
            result = self.search(query, limit=min(page, cap - len(hits)), offset=len(hits), facets=False)
            total = result.total
            if not result.hits:
                break
            hits += result.hits
        return hits, total or 0

    def stats(self) -> dict[str, Any]:
        data = self.store.stats()
        data["index_documents"] = self.index.count()
        position = self.index.position()
        data["index_position"] = position
        # documents with changes the index does not hold yet
        data["pending_index"] = len({c[1] for c in self.store.changes_since(max(position, 0))})
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
        mode: str = "auto",
    ) -> SearchResult:
        """Search in the query language (chancery/search/README-query.md): hits, facets, variants.

        The same result shape in every mode; `.to_dict()` is the JSON of `chancery search --json`.
        `-~spelling` in the query turns that name variant off (variants.split_switches); `auto` is
        hybrid when the archive has vectors (and the query words), bm25 otherwise."""
        from chancery.search.hybrid import choose_mode

        text, off = split_switches(query)
        variants = self.variants().without(off)
        mode = choose_mode(mode, text, sort, mode == "auto" and self.has_vectors())
        if mode in ("semantic", "hybrid"):
            from chancery.search.hybrid import SemanticSearch

            finder = SemanticSearch(self.index, self.store, self.vectors(), variants)
            result = finder.run(text, mode, limit, offset, sort=sort, facets=facets)
        else:
            result = search_index(
                self.index, text, limit, offset, sort=sort, facets=facets, mode=mode, variants=variants
            )
        result.query = query
        return result

    def vectors(self) -> Any:
        """The passage vectors kept beside the search index (empty until `embed`)."""
        if self._vectors is None:
            from chancery.search.semantic import VectorStore, vectors_path_for

            self._vectors = VectorStore(vectors_path_for(self.index.path))
        return self._vectors

    def has_vectors(self) -> bool:
        """True when semantic and hybrid search can run: the extra is installed (and not disabled)
        and vectors exist."""
        from chancery.search.semantic import SemanticUnavailable, require_semantic

        try:
            require_semantic()
        except SemanticUnavailable:
            return False
        return self._vectors_if_any() is not None

    def _vectors_if_any(self) -> VectorStore | None:
        """The vector store when the semantic extra is installed and vectors exist, else None."""
        from chancery.search.semantic import SemanticUnavailable

        try:
            vectors = self.vectors()
        except SemanticUnavailable:
            return None
        vectors.reload()
        return vectors if len(vectors) else None

    def embed(
        self,
        progress: Callable[[int, int], None] | None = None,
        doc_ids: list[str] | None = None,
        save_every: int = 256,
    ) -> dict[str, int]:
        """Compute vectors for documents not yet embedded or changed since (needs chancery[semantic]);
        saved every `save_every` passages, so a stopped run resumes where it stopped."""
        from chancery.search.semantic import require_semantic, update_vectors

        require_semantic()
        return update_vectors(self.store, self.vectors(), doc_ids, progress, save_every)

    def related(self, doc_id: str, limit: int = 10, use_links: bool = True) -> list[dict[str, Any]]:
        """Documents about the same event or exchange, each with a score and a short "why" list.

        `use_links=False` ignores the store's links (to measure what the content alone finds).
        """
        from chancery.search.related import related

        source = self.store.document(doc_id)
        if source is None:
            raise NotFound(f"no document with id {doc_id!r}")
        return related(self.store, self.index, source, self._vectors_if_any(), limit, use_links)

    def variants(self) -> Variants:
        """The name-variant finder for this archive (authority records in the store, fuzzy)."""
        if self._variants is None:
            self._variants = Variants(self.store)
        return self._variants

    def export(self, query: str | None = None) -> Iterator[DocumentData]:
        """Every document (or every match of `query`) as export dicts, read as stored."""
        if not query:
            yield from self.store.iter_documents()
            return
        text, off = split_switches(query)
        ids = matching_ids(self.index, text, self.variants().without(off))
        for i in range(0, len(ids), 500):
            yield from self.store.documents(ids[i : i + 500])


def _summary(doc: DocumentData) -> dict[str, Any]:
    return {k: doc.get(k) for k in ("id", "title", "date", "doc_type", "n")}
