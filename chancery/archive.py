"""The Python API every interface uses: open an archive, ingest, search, read, relate.

archive = Archive.open("chancery.db")
report = archive.ingest(["../shared/corpus/frus/volumes"])
archive.search("soong stalin")
"""

from __future__ import annotations

import functools
import inspect
import logging
import shutil
import threading
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import orjson

from chancery import citations
from chancery.crashpoint import crash_point
from chancery.enrich import Context
from chancery.enrich.judgments import CONTEXT_KEY as JUDGMENTS
from chancery.enrich.judgments import Judgment
from chancery.errors import NotFound
from chancery.ingest import IngestReport, catch_up, ingest_paths, rebuild
from chancery.linking import LinkReport, link_documents
from chancery.model import Collection, Document, Entity
from chancery.search.annotated import Clause, split_clauses
from chancery.search.engine import matching_ids
from chancery.search.engine import search as search_index
from chancery.search.index import IndexBusy, SearchIndex
from chancery.search.results import Hit, SearchResult
from chancery.search.scope import ScopedIndex
from chancery.search.variants import Variants, split_switches
from chancery.settings import Settings
from chancery.store import Store, open_store
from chancery.store.base import DocumentData
from chancery.store.pages import SWEEP_AGE, PageStore
from chancery.workspace import access, accounts, review
from chancery.workspace import annotations as annotating
from chancery.workspace.annotations import Annotation
from chancery.workspace.viewer import Viewer

if TYPE_CHECKING:
    from chancery.enrich.entities import Resolver
    from chancery.search.semantic import VectorStore
    from chancery.workspace.batch import BatchRow
    from chancery.workspace.viewer import Viewer


T = TypeVar("T")
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
        self._resolver_version = -1  # the store's entities_version the resolver was built at
        self._vectors: VectorStore | None = None
        self._variants: Variants | None = None
        self.annotations = Annotations(self)  # stars, tags and notes (workspace)
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
        if context is None:  # a custom context: the caller chose its resolver
            report.persons_lists = self.merge_persons_lists()
        keep = self.settings.feed_keep
        if self.store.last_change() - self.store.feed_horizon() > 2 * keep:  # now and then, not each time
            self.compact(keep)
        if report.written:  # notes and tags on passages follow the changed texts
            lost = annotating.reanchor(self.store, report.written)["lost"]
            if lost:
                report.warnings.append(
                    f"{lost} annotated passage(s) no longer in the changed text: kept, flagged"
                )
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
        version = self.store.entities_version()
        if self._resolver is not None and version != self._resolver_version:
            self._resolver = None  # another process (or Archive) wrote entities since: load again
        if self._resolver is None and self.store.count_entities():
            self._resolver_version = version
            from chancery.enrich.entities import load_resolver

            cache_dir = Path(str(self.index.path) + ".resolver")  # pickled resolver beside the index
            self._resolver = load_resolver(
                self.store.iter_entities(),
                cache_dir=cache_dir,
                shared_dir=self.settings.user_cache("resolver"),
            )
        return Context(resolver=self._resolver, extra={JUDGMENTS: review.load_judgments(self.store)})

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
        judged = review.authority_with_judgments(self.store, data.entities, data.names)  # merges, splits
        self.store.put_entities(judged.entities, judged.names)
        self.store.rewrite_entities(judged.removed, [], [])
        self._resolver = None
        updated = self.reenrich(on_progress=on_progress)
        return {
            "counts": data.counts,
            "entities": len(data.entities),
            "names": len(data.names),
            "documents_updated": updated,
            "warnings": data.warnings,
        }

    def merge_persons_lists(self) -> list[str]:
        """Merge the stored FRUS persons lists that the person records do not hold yet (a volume
        just ingested) as `load_authority` does, stored judgments kept, and re-enrich only those
        collections' documents; returns their ids (none: nothing to do, the usual case).

        Crash-safe by order: the documents are rewritten before the records, so a run stopped in
        between finds the lists still unheld and does it all again. Only records that carry one of
        these lists' entries are written (rebuilt from the shipped files and the persons lists, as
        `authority load` without files would): the others keep what the archive loaded.
        """
        from chancery.authority import build_authority
        from chancery.authority.frus_persons import PERSONS_URL, unheld_volumes
        from chancery.authority.shipped import with_shipped
        from chancery.enrich.entities import load_resolver

        collections = self.store.collections()
        if not any(c.get("persons") for c in collections) or not self.store.count_entities():
            return []
        stored = {e["id"]: e for e in self.store.iter_entities()}
        volumes = unheld_volumes(collections, [e for e in stored.values() if e.get("type") == "person"])
        if not volumes:
            return []
        data = build_authority(with_shipped([]), collections, cache_dir=self.settings.authority_cache())
        judged = review.authority_with_judgments(self.store, data.entities, data.names)
        marks = tuple(PERSONS_URL.format(volume=v, pid="") for v in sorted(volumes))

        def carries(entity: dict[str, Any]) -> bool:
            return any(str(s).startswith(marks) for s in entity.get("sources") or [])

        changed = [
            e for e in judged.entities if carries(e) and stored.get(e["id"]) != orjson.loads(orjson.dumps(e))
        ]
        ids = {e["id"] for e in changed}
        removed = [i for i in judged.removed if i in stored]
        records = {**stored, **{e["id"]: e for e in changed}}
        for gone in removed:
            records.pop(gone, None)
        resolver = load_resolver(
            [records[i] for i in sorted(records)],
            cache_dir=Path(str(self.index.path) + ".resolver"),
            shared_dir=self.settings.user_cache("resolver"),
        )
        context = Context(resolver=resolver, extra={JUDGMENTS: review.load_judgments(self.store)})
        doc_ids = [i for i, cid in self.store.document_order() if cid in volumes]
        self.reenrich(doc_ids=doc_ids, context=context, sync=False)
        crash_point("persons-documents")
        self.store.put_entities(changed, [(n, i) for n, i in judged.names if i in ids])
        if removed:
            self.store.rewrite_entities(removed, [], [])
        self._resolver, self._variants = resolver, None
        self.sync_index()
        return sorted(volumes)

    def entity(self, entity_id: str, viewer: Viewer | None = None) -> Entity:
        """The entity `entity_id`, or the one it was merged into; NotFound when there is none. What
        it learnt only from collections hidden from `viewer` is left out."""
        return Entity.from_dict(_without_sources(review.entity(self.store, entity_id), self.hidden(viewer)))

    # -- workspace: review -- (entity judgments; chancery/workspace/review.py) ---------------
    def merge_entities(self, viewer: Viewer, keep: str, fold: str, note: str | None = None) -> Judgment:
        """Fold entity `fold` into `keep` (names, documents; `fold` redirects to `keep`)."""
        return self._judged(lambda: review.merge(self.store, self.index, viewer, keep, fold, note))

    def split_entity(
        self, viewer: Viewer, entity_id: str, names: str | Iterable[str], note: str | None = None
    ) -> Judgment:
        """Move `names` of `entity_id` ("N1,N2" or a list), and the mentions written so, to a new entity."""
        return self._judged(lambda: review.split(self.store, self.index, viewer, entity_id, names, note))

    def judge_mention(
        self,
        viewer: Viewer,
        kind: str,
        doc_id: str,
        mention: str,
        target: str | None = None,
        note: str | None = None,
    ) -> list[Judgment]:
        """Reject, confirm or set the entity of a mention ("TEXT", "TEXT@START" or "START:END")."""
        return self._judged(
            lambda: review.judge_mention(self.store, self.index, viewer, kind, doc_id, mention, target, note)
        )

    def undo_judgment(self, viewer: Viewer, judgment_id: int, note: str | None = None) -> Judgment:
        """Withdraw a judgment: the documents and records it changed become what re-enrichment
        gives without it; the undo is kept in the history (and the audit log) with who and when.
        NotFound also for a judgment on a document `viewer` may not see."""

        found = [j for j in review.judgments(self.store) if j.id == judgment_id]
        if found and found[0].doc_id:
            self.document(found[0].doc_id, viewer)  # NotFound when hidden from the viewer

        def undo() -> Judgment:
            made, doc_ids, entity_ids = review.undo(self.store, self.index, viewer, judgment_id, note)
            self._resolver = None  # the records may be back as they were
            collections = {c["id"]: Collection.from_dict(c) for c in self.store.collections()}
            review.restore_documents(
                self.store, self.enrich_context(), collections, doc_ids, entity_ids, found[0]
            )
            return made

        made = self._judged(undo)
        self.store.audit(viewer.name, "judgment_undo", str(judgment_id), detail=found[0].kind)
        return made

    def entity_judgments(
        self, entity_id: str | None = None, doc_id: str | None = None, viewer: Viewer | None = None
    ) -> list[Judgment]:
        """Stored judgments, oldest first (those naming `entity_id` or `doc_id` when given); those on
        documents hidden from `viewer` left out."""
        found = review.judgments(self.store, entity_id, doc_id)
        hidden = self.hidden(viewer)
        if not hidden:
            return found
        shown = self._shown_documents({j.doc_id for j in found if j.doc_id}, hidden)
        return [j for j in found if not j.doc_id or j.doc_id in shown]

    def entity_mentions(
        self, entity_id: str, limit: int = 200, viewer: Viewer | None = None
    ) -> list[dict[str, Any]]:
        """Mentions naming `entity_id`, with their documents and a short context (for review); none
        from documents hidden from `viewer`."""
        hidden = self.hidden(viewer)
        found = review.mentions_of(self.store, self._index_for(viewer), entity_id, limit)
        if not hidden:
            return found
        shown = self._shown_documents({m["doc_id"] for m in found}, hidden)
        return [m for m in found if m["doc_id"] in shown]

    def _shown_documents(self, doc_ids: set[str], hidden: frozenset[str]) -> set[str]:
        """The stored ones of `doc_ids` outside the `hidden` collections."""
        docs = self.store.documents(sorted(doc_ids))
        return {d["id"] for d in docs if _collection_id(d) not in hidden}

    def find_entities(
        self, text: str, type: str | None = None, exclude: str | None = None, limit: int = 10
    ) -> list[Entity]:
        """Entities to pick by id or name (an exact name first, then names containing `text`)."""
        return [Entity.from_dict(e) for e in review.find_entities(self.store, text, type, exclude, limit)]

    def _judged(self, judge: Callable[[], T]) -> T:
        self.catch_up()  # the index finds the documents a judgment touches
        made = judge()
        self._resolver, self._variants = None, None  # the authority records may have changed
        self.catch_up()
        return made

    def reenrich(
        self,
        on_progress: Callable[[str, int, int], None] | None = None,
        batch: int = 500,
        doc_ids: list[str] | None = None,
        context: Context | None = None,
        sync: bool = True,
    ) -> int:
        """Re-run the DEEP enrichment steps over stored documents (those of `doc_ids` when given),
        with `context` (default: the archive's); returns how many were rewritten. `sync=False`
        leaves the index to the caller."""
        from chancery.enrich import DEEP
        from chancery.enrich import steps as enrich_steps

        context = context or self.enrich_context()
        if context.resolver is None:
            return 0
        steps = enrich_steps(tuple(DEEP))
        ids = self.store.document_ids() if doc_ids is None else doc_ids
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
        if sync:
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

    def compact(self, keep: int | None = None, page_age: float = SWEEP_AGE) -> dict[str, int]:
        """Compact the store's change feed: keep the last `keep` changes (default $CHANCERY_FEED_KEEP)
        whole and, before them, only each document's latest change and no deletions. An index
        positioned before the new horizon (a node long stopped) is rebuilt from the store when it
        next catches up. Also removes the page images and originals of files no longer stored
        (changed or removed), once untouched for `page_age` seconds. Returns the changes removed,
        the horizon, the changes left and the page folders removed."""
        keep = self.settings.feed_keep if keep is None else max(0, keep)
        removed = self.store.compact_changes(self.store.last_change() - keep)
        folders = (
            self.pages.sweep(lambda sha: bool(self.store.files_with_sha(sha)), page_age) if self.pages else 0
        )
        return {
            "page_folders_removed": folders,
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
    def document(self, doc_id: str, viewer: Viewer | None = None) -> Document:
        """The document; NotFound also when `viewer` may not see it (its existence does not leak)."""
        hidden = self.hidden(viewer)
        data = self.store.document(doc_id)
        if data is None or _collection_id(data) in hidden:
            raise NotFound(f"no document with id {doc_id!r}")
        return Document.from_dict(self._scrubbed([data], hidden)[0])

    def page_image(self, sha: str, name: str, viewer: Viewer | None = None) -> Path:
        """The stored page image `name` ("2.webp", "2.thumb.webp") of the file with hash `sha`."""
        hidden = self.hidden(viewer)
        if hidden and self.store.collections_of_sha(sha) & hidden:
            raise NotFound(f"no page image {name!r} for {sha[:64]!r}")
        found = self.pages.image(sha, name) if self.pages else None
        if found is None:
            raise NotFound(f"no page image {name!r} for {sha[:64]!r}")
        return found

    def original(self, doc_id: str, viewer: Viewer | None = None) -> tuple[Path, str]:
        """The stored copy of the file `doc_id` was read from, and the file's own name."""
        doc = self.document(doc_id, viewer)
        sha = doc.source.sha256 or ""
        found = self.pages.original(sha) if self.pages else None
        if found is None:
            raise NotFound(f"no original file kept for {doc_id!r}")
        name = Path(doc.source.path.split("!")[-1]).name or found.name
        if found.suffix == ".zip" and not name.endswith(".zip"):
            name += ".zip"  # a folder of page photos
        return found, name

    def documents(self, collection_id: str | None = None, viewer: Viewer | None = None) -> Iterator[Document]:
        """Every document (or a collection's) in reading order."""
        return (Document.from_dict(data) for data in self._visible_documents(collection_id, viewer))

    def collections(self, viewer: Viewer | None = None) -> list[CountedCollection]:
        """Every collection `viewer` may see, by id, with its document count."""
        hidden = self.hidden(viewer)
        return [CountedCollection.from_dict(d) for d in self.store.collections() if d["id"] not in hidden]

    def collection(self, collection_id: str, viewer: Viewer | None = None) -> Collection:
        data = self.store.collection(collection_id)
        if data is None or collection_id in self.hidden(viewer):
            raise NotFound(f"no collection with id {collection_id!r}")
        return Collection.from_dict(data)

    # -- who sees what (chancery/workspace/access.py): the one place private collections are left out
    def for_viewer(self, viewer: Viewer) -> Archive:
        """This archive as `viewer` sees it: every method taking a `viewer` gets this one (unless
        the caller names one), and `.index` leaves hidden collections out. The web serves each
        request through it, so a view cannot forget whom it answers."""
        return cast(Archive, ViewerArchive(self, viewer))

    def hidden(self, viewer: Viewer | None) -> frozenset[str]:
        """The collections `viewer` may not see (None: local use, which sees everything)."""
        return access.hidden_collections(self.store, viewer) if viewer is not None else frozenset()

    def _index_for(self, viewer: Viewer | None) -> SearchIndex:
        """The search index as `viewer` sees it: every query through it leaves hidden collections out."""
        hidden = self.hidden(viewer)
        return ScopedIndex(self.index, hidden) if hidden else self.index  # type: ignore[return-value]

    def searcher(self, viewer: Viewer | None = None) -> Any:
        """A tantivy searcher over what `viewer` may see (for aggregations such as the timeline)."""
        return self._index_for(viewer).searcher()

    def _scrubbed(self, docs: list[DocumentData], hidden: frozenset[str]) -> list[DocumentData]:
        """`docs` with references into hidden collections unresolved (their target ids removed)."""
        if not hidden:
            return docs
        targets = {r["target_id"] for d in docs for r in d.get("references") or [] if r.get("target_id")}
        visible = {d["id"] for d in self.store.documents(targets) if _collection_id(d) not in hidden}
        for doc in docs:
            for ref in doc.get("references") or []:
                if ref.get("target_id") and ref["target_id"] not in visible:
                    ref["target_id"] = None
        return docs

    def _visible_documents(
        self, collection_id: str | None = None, viewer: Viewer | None = None
    ) -> Iterator[DocumentData]:
        hidden = self.hidden(viewer)
        if collection_id in hidden:
            return
        for data in self.store.iter_documents(collection_id):
            if _collection_id(data) not in hidden:
                yield self._scrubbed([data], hidden)[0]

    def table_of_contents(self, collection: Collection, viewer: Viewer | None = None) -> list[dict[str, Any]]:
        """The collection's `toc` with each entry's documents ({id, title, date, doc_type, n}; a
        listed document not in the archive as {id, missing: True}).

        Without a `toc`, one entry per chapter in reading order (or a single untitled entry).
        """
        if collection.toc:
            ids = [doc_id for entry in collection.toc for doc_id in entry.get("document_ids") or []]
            hidden = self.hidden(viewer)
            found = {
                d["id"]: _summary(d) for d in self.store.documents(ids) if _collection_id(d) not in hidden
            }
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
        for data in self._visible_documents(collection.id, viewer):
            if not chapters or chapters[-1]["title"] != data.get("chapter"):
                chapters.append({"title": data.get("chapter"), "level": 1, "documents": []})
            chapters[-1]["documents"].append(_summary(data))
        return chapters

    def titles(self, doc_ids: Iterable[str], viewer: Viewer | None = None) -> dict[str, str | None]:
        """The title of each stored document among `doc_ids` (unknown and hidden ids left out)."""
        hidden = self.hidden(viewer)
        docs = self.store.documents(dict.fromkeys(doc_ids))
        return {d["id"]: d.get("title") for d in docs if _collection_id(d) not in hidden}

    def cited_by(self, doc_id: str, viewer: Viewer | None = None) -> list[Citing]:
        """Documents whose references resolve to this one (incoming links), in link order."""
        if viewer is not None and self.hidden(viewer):
            self.document(doc_id, viewer)  # NotFound for a hidden document
        links = self.store.links_to(doc_id)
        titles = self.titles((link["src"] for link in links), viewer)
        return [
            Citing(link["src"], link["kind"], titles.get(link["src"]))
            for link in links
            if link["src"] in titles
        ]

    def citations(
        self, doc_id: str, permalink: str | None = None, viewer: Viewer | None = None
    ) -> dict[str, str]:
        """The document's citation in every format, keyed by format name."""
        return citations.all_citations(self.document(doc_id, viewer).to_dict(), permalink)

    def cite(
        self, doc_id: str, format: str, permalink: str | None = None, viewer: Viewer | None = None
    ) -> str:
        """The document's citation in `format` (`chancery.citations.FORMATS`; CSL-JSON as text)."""
        return citations.cite(self.document(doc_id, viewer).to_dict(), format, permalink)

    def matches(
        self, query: str, cap: int = 5000, page: int = 1000, viewer: Viewer | None = None
    ) -> tuple[list[Hit], int]:
        """Up to `cap` matches of `query` by relevance (no facets; `page` hits a call) and the
        total number of matches: what the timeline and correspondence pages count."""
        hits: list[Hit] = []
        total: int | None = None
        while total is None or len(hits) < min(total, cap):
            result = self.search(
                query, limit=min(page, cap - len(hits)), offset=len(hits), facets=False, viewer=viewer
            )
            total = result.total
            if not result.hits:
                break
            hits += result.hits
        return hits, total or 0

    def stats(self, viewer: Viewer | None = None) -> dict[str, Any]:
        hidden = self.hidden(viewer)
        if hidden:
            return self._visible_stats(viewer)
        data = self.store.stats()
        data["index_documents"] = self.index.count()
        position = self.index.position()
        data["index_position"] = position
        # documents with changes the index does not hold yet
        data["pending_index"] = len({c[1] for c in self.store.changes_since(max(position, 0))})
        data["db"] = self.store.url
        return data

    def _visible_stats(self, viewer: Viewer | None) -> dict[str, Any]:
        """What a viewer who may not see every collection is told: counts over what they see."""
        collections = self.collections(viewer)
        by_archive: dict[str, int] = {}
        for c in collections:
            by_archive[c.archive or ""] = by_archive.get(c.archive or "", 0) + c.document_count
        dated = self.search(
            "date:..9999", limit=1, sort="date", facets=False, viewer=viewer, mode="bm25"
        ).hits
        last = self.search(
            "date:..9999", limit=1, sort="-date", facets=False, viewer=viewer, mode="bm25"
        ).hits
        return {
            "documents": self._index_for(viewer).count(),
            "collections": len(collections),
            "by_archive": by_archive,
            "date_range": [
                dated[0].date.not_before if dated else None,
                (last[0].date.not_after or last[0].date.not_before) if last else None,
            ],
        }

    # -- finding ---------------------------------------------------------------------------
    def search(
        self,
        query: str,
        limit: int = 20,
        offset: int = 0,
        sort: str = "relevance",
        facets: bool = True,
        mode: str = "auto",
        *,
        viewer: Viewer | None = None,
    ) -> SearchResult:
        """Search in the query language (chancery/search/README-query.md): hits, facets, variants.

        The same result shape in every mode; `.to_dict()` is the JSON of `chancery search --json`.
        `-~spelling` in the query turns that name variant off (variants.split_switches); `auto` is
        hybrid when the archive has vectors (and the query words), bm25 otherwise. `tag:`, `note:`
        and `starred:` match the annotations `viewer` (default: the local user) sees, in bm25."""
        from chancery.search.hybrid import choose_mode

        text, off = split_switches(query)
        variants = self.variants().without(off)
        text, clauses = split_clauses(text)
        index = self._index_for(viewer)  # hidden collections are never searched
        if clauses:
            within, without = self._annotated(clauses, viewer or Viewer.local())
            result = search_index(
                index,
                text,
                limit,
                offset,
                sort=sort,
                facets=facets,
                variants=variants,
                within=within,
                without=without,
            )
            if mode in ("semantic", "hybrid"):
                result.notices.append(f"tag:, note: and starred: search in bm25, not {mode}")
            result.query = query
            return result
        mode = choose_mode(mode, text, sort, mode == "auto" and self.has_vectors())
        if mode in ("semantic", "hybrid"):
            from chancery.search.hybrid import SemanticSearch

            finder = SemanticSearch(index, self.store, self.vectors(), variants)
            result = finder.run(text, mode, limit, offset, sort=sort, facets=facets)
        else:
            result = search_index(
                index, text, limit, offset, sort=sort, facets=facets, mode=mode, variants=variants
            )
        result.query = query
        return result

    def _annotated(self, clauses: list[Clause], viewer: Viewer) -> tuple[list[str] | None, list[str]]:
        """The document ids annotation clauses keep (None: no limit) and drop, for `viewer`."""
        within: set[str] | None = None
        without: set[str] = set()
        for clause in clauses:
            ids = annotating.matching(self.store, viewer, clause.field, clause.value)
            if clause.negated:
                without |= ids
            else:
                within = ids if within is None else within & ids
        return (None if within is None else sorted(within)), sorted(without)

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

    def related(
        self, doc_id: str, limit: int = 10, use_links: bool = True, viewer: Viewer | None = None
    ) -> list[dict[str, Any]]:
        """Documents about the same event or exchange, each with a score and a short "why" list.

        `use_links=False` ignores the store's links (to measure what the content alone finds).
        """
        from chancery.search.related import related

        hidden = self.hidden(viewer)
        source = self.store.document(doc_id)
        if source is None or _collection_id(source) in hidden:
            raise NotFound(f"no document with id {doc_id!r}")
        index = self._index_for(viewer)
        found = related(
            self.store, index, source, self._vectors_if_any(), limit if not hidden else 10**9, use_links
        )
        return [hit for hit in found if hit.get("collection") not in hidden][:limit]

    def variants(self) -> Variants:
        """The name-variant finder for this archive (authority records in the store, fuzzy)."""
        if self._variants is None:
            self._variants = Variants(self.store)
        return self._variants

    def export(self, query: str | None = None, viewer: Viewer | None = None) -> Iterator[DocumentData]:
        """Every document (or every match of `query`) as export dicts, read as stored."""
        if not query:
            yield from self._visible_documents(None, viewer)
            return
        hidden = self.hidden(viewer)
        text, off = split_switches(query)
        ids = matching_ids(self._index_for(viewer), text, self.variants().without(off))
        for i in range(0, len(ids), 500):
            docs = [d for d in self.store.documents(ids[i : i + 500]) if _collection_id(d) not in hidden]
            yield from self._scrubbed(docs, hidden)

    # -- workspace: accounts -- (chancery/workspace/accounts.py; admins act, every change audited)
    def add_user(
        self, actor: Viewer, name: str, role: str, password: str | None, groups: tuple[str, ...] = ()
    ) -> None:
        accounts.add_user(self.store, actor, name, role, password, groups)

    def add_to_group(self, actor: Viewer, group: str, name: str) -> None:
        accounts.add_to_group(self.store, actor, group, name)

    def create_token(self, actor: Viewer, name: str) -> str:
        """A new API token for `name`, shown once (only its hash is stored)."""
        return accounts.create_token(self.store, actor, name)

    def set_visibility(
        self, actor: Viewer, collection_id: str, visibility: str, group: str | None = None
    ) -> None:
        """Make a collection public, or private to admins and the members of `group`."""
        self.collection(collection_id)  # NotFound for an unknown id
        access.set_visibility(self.store, actor, collection_id, visibility, group)

    def login(self, name: str, password: str, ip: str, previous: str | None = None) -> tuple[Viewer, str]:
        """(viewer, new session id); LoginRefused or TooManyAttempts otherwise. `previous` (the
        session the client held before) is ended: a login never keeps a session id."""
        return accounts.login(self.store, name, password, ip, previous)

    def logout(self, session: str, ip: str | None = None) -> None:
        accounts.logout(self.store, session, ip)

    def viewer_for_token(self, token: str) -> Viewer:
        """The user of an API token (anonymous for an unknown token)."""
        return accounts.token_viewer(self.store, token)

    def viewer_for_session(self, session: str) -> Viewer:
        """The user of a login session (anonymous when unknown or expired)."""
        return accounts.session_viewer(self.store, session)

    def audit(
        self,
        viewer: Viewer,
        action: str,
        target: str | None,
        ip: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Record a change in the audit log (workspace writes call this)."""
        self.store.audit(viewer.name, action, target, ip, detail)

    def audit_log(self, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        return [dict(row) for row in self.store.audit_rows(after, limit)]

    # -- workspace: lists --
    def lists(self, viewer: Viewer) -> list[dict[str, Any]]:
        """The lists `viewer` may see (chancery.workspace.lists)."""
        from chancery.workspace import lists

        return lists.visible(self.store, viewer)

    def lists_holding(self, viewer: Viewer, doc_id: str) -> list[dict[str, Any]]:
        """The lists `viewer` may see, each with `has`: whether the document is on it."""
        from chancery.workspace import lists

        return lists.holding(self.store, viewer, doc_id)

    def create_list(self, viewer: Viewer, name: str, group: str | None = None) -> dict[str, Any]:
        from chancery.workspace import lists

        return lists.create(self.store, viewer, name, group)

    def list_contents(self, viewer: Viewer, ref: str | int) -> dict[str, Any]:
        """A list (by id or name) with its items in order."""
        from chancery.workspace import lists

        return lists.contents(self.store, viewer, ref, self.hidden(viewer))

    def add_to_list(
        self, viewer: Viewer, ref: str | int, doc_ids: list[str], create: bool = False
    ) -> dict[str, Any]:
        """Append documents to a list (made first when `create` and none has that name); returns
        the list and how many documents were new to it."""
        from chancery.workspace import lists

        data = (
            lists.find_or_create(self.store, viewer, str(ref))
            if create
            else lists.find(self.store, viewer, ref)
        )
        added = lists.add(self.store, viewer, data["id"], doc_ids)
        return {**lists.find(self.store, viewer, data["id"]), "added": added}

    def remove_from_list(self, viewer: Viewer, ref: str | int, doc_ids: list[str]) -> int:
        from chancery.workspace import lists

        return lists.remove(self.store, viewer, ref, doc_ids)

    def delete_list(self, viewer: Viewer, ref: str | int) -> None:
        from chancery.workspace import lists

        lists.delete(self.store, viewer, ref)

    def export_as(
        self,
        format: str,
        query: str | None = None,
        list_ref: str | int | None = None,
        viewer: Viewer | None = None,
        permalink: Callable[[str], str | None] | None = None,
    ) -> Iterator[str]:
        """A list's documents (when `list_ref`), else every match of `query` (else every
        document), in an export format (chancery.workspace.formats.EXPORT_FORMATS), as text chunks."""
        from chancery.workspace import formats, lists
        from chancery.workspace.viewer import Viewer

        formats.check_format(format)
        if list_ref is not None:
            hidden = self.hidden(viewer)
            found = lists.documents(self.store, viewer or Viewer.local(), list_ref, hidden)
            docs: Iterable[DocumentData] = self._scrubbed(found, hidden)
        else:
            docs = self.export(query, viewer)
        return formats.export_chunks(docs, format, permalink)

    # -- end workspace: lists --

    # -- workspace: batch search --
    def batch_search(
        self,
        queries: list[tuple[str, str]],
        top: int = 5,
        on_row: Callable[[int, int], None] | None = None,
    ) -> Iterator[BatchRow]:
        """Each (label, query) through `search`: count, first and last date, top ids and titles."""
        from chancery.workspace.batch import run_batch

        def search(query: str, limit: int, sort: str) -> SearchResult:
            return self.search(query, limit=limit, sort=sort, facets=False)

        return run_batch(search, queries, top, on_row)

    @staticmethod
    def read_batch(text: str) -> list[tuple[str, str]]:
        """(label, query) pairs of a batch CSV (a `query` column, optional `label`; or one a line)."""
        from chancery.workspace.batch import read_queries

        return read_queries(text)

    @staticmethod
    def batch_csv(rows: Iterable[BatchRow], top: int) -> Iterator[str]:
        """The batch result as CSV lines (header first)."""
        from chancery.workspace.batch import csv_lines

        return csv_lines(rows, top)

    # -- end workspace: batch search --


class ViewerArchive:
    """`Archive.for_viewer(viewer)`: an Archive whose methods default their `viewer` to this one."""

    def __init__(self, archive: Archive, viewer: Viewer) -> None:
        self._archive = archive
        self.viewer = viewer

    @property
    def index(self) -> SearchIndex:
        return self._archive._index_for(self.viewer)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._archive, name)
        if not callable(value) or name.startswith("__"):
            return value
        try:
            signature = inspect.signature(value)
        except (TypeError, ValueError):
            return value
        if "viewer" not in signature.parameters:
            return value

        @functools.wraps(value)
        def with_viewer(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind_partial(*args, **kwargs)
            if "viewer" not in bound.arguments or bound.arguments["viewer"] is None:
                bound.arguments["viewer"] = self.viewer
            return value(*bound.args, **bound.kwargs)

        return with_viewer


def _collection_id(doc: DocumentData) -> str | None:
    return (doc.get("collection") or {}).get("id")


def _without_sources(entity: dict[str, Any], hidden: frozenset[str]) -> dict[str, Any]:
    """An authority record without what it learnt from hidden collections (persons lists of a
    private volume): those sources, and the spellings found only there."""
    if not hidden:
        return entity

    def shows(value: object) -> bool:
        return not any(cid in str(value) for cid in hidden)

    entity = dict(entity)
    name_sources = entity.get("name_sources") or {}
    kept = {name: [s for s in where if shows(s)] for name, where in name_sources.items()}
    dropped = {name for name, where in kept.items() if not where and name_sources[name]}
    entity["name_sources"] = {name: where for name, where in kept.items() if name not in dropped}
    entity["variants"] = [v for v in entity.get("variants") or [] if v not in dropped]
    entity["sources"] = [s for s in entity.get("sources") or [] if shows(s)]
    entity["remarks"] = [r for r in entity.get("remarks") or [] if shows(r)]
    return entity


# -- workspace: annotations --
class Annotations:
    """The annotation methods of an archive (`archive.annotations`), each for a `Viewer`."""

    def __init__(self, archive: Archive) -> None:
        self.store = archive.store

    def of(self, viewer: Viewer, doc_id: str | None = None) -> list[Annotation]:
        """What `viewer` sees on `doc_id` (every document when None): own and shared. Passages
        left behind by an ingest stopped before re-anchoring are re-anchored first."""
        found = annotating.visible(self.store, viewer, None if doc_id is None else [doc_id])
        if doc_id is not None and annotating.stale(self.store, doc_id, found):
            annotating.reanchor(self.store, [doc_id])
            found = annotating.visible(self.store, viewer, [doc_id])
        return found

    def add(
        self, viewer: Viewer, doc_id: str, kind: str, value: str | None = None, **where: Any
    ) -> Annotation:
        """A note, tag or star (`quote=`, `start=`, `end=` for a passage; `shared_with=` a group)."""
        return annotating.annotate(self.store, viewer, doc_id, kind, value, **where)

    def star(self, viewer: Viewer, doc_id: str) -> bool:
        """Toggle the viewer's star on the document; True when now starred."""
        return annotating.toggle_star(self.store, viewer, doc_id)

    def remove(self, viewer: Viewer, doc_id: str, annotation_id: str) -> None:
        annotating.remove(self.store, viewer, doc_id, annotation_id)


def _summary(doc: DocumentData) -> dict[str, Any]:
    return {k: doc.get(k) for k in ("id", "title", "date", "doc_type", "n")}
