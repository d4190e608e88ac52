"""Ingest: read and enrich files (in worker processes), store each file in one transaction.

Reading, enrichment and everything else that only needs one document (its JSON body, its
search-index fields, its light linking record) are pure and CPU-bound, so they run in a small
pool of forked worker processes. This process stores each file's rows in input order and
hands the ready-made index fields to one search-index writer as the files arrive; after
linking it re-adds only the documents whose index fields linking changed, and commits once.

The store writes every change to its change feed in the same transaction as the file; the
index records the last change it holds after its commit, so a crash in between is repaired by
catching up from there (`catch_up`) when the archive is next opened. Stored ids also wait in
the store's `pending_links` until linked, so a killed ingest's linking is finished next run.
One ingest writes an index at a time: a second one waits for the index writer lock for
`LOCK_WAIT` seconds, then stops with an error naming the lock.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from chancery.crashpoint import crash_point
from chancery.enrich import Context, enrich
from chancery.errors import SourceError
from chancery.linking import Light, light, link_documents
from chancery.model import Document
from chancery.search.index import UNBUILT, IndexWriter, SearchIndex, fields_digest, index_fields
from chancery.settings import Settings
from chancery.sources import ocr, read_item, render_pages
from chancery.sources.files import SourceFailure, SourceItem, iter_source_items
from chancery.store.base import Serialized, Store, serialize
from chancery.store.pages import PageStore

INDEX_BATCH = 5000  # documents read from the store at a time when indexing
# seconds an ingest waits for another writer of the index to finish ($CHANCERY_INGEST_WAIT)
LOCK_WAIT = Settings.from_env().ingest_wait
IN_FLIGHT = 6  # files read ahead of the writer, per worker
PAGE_FORMATS = ("pdf", "image")  # readers whose documents have page images (and may be OCR'd)


@dataclass
class IngestReport:
    """What an ingest did: counts and each failure as a one-line message."""

    files: int = 0
    unchanged: int = 0
    documents: int = 0
    added: int = 0
    replaced: int = 0
    removed: int = 0
    bytes: int = 0
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # ids stored by this run
    persons_lists: list[str] = field(default_factory=list)  # collections whose persons lists were merged

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {
            key: getattr(self, key)
            for key in ("files", "unchanged", "documents", "added", "replaced", "removed", "bytes")
        } | {"failures": self.failures, "warnings": self.warnings}


def read_and_enrich(item: SourceItem, format: str | None, context: Context) -> list[Document] | str:
    """One file's documents, enriched; or a one-line failure naming the file."""
    try:
        return [enrich(doc, context) for doc in read_item(item, format)]
    except SourceError as exc:
        return str(exc)
    except RecursionError:
        return f"{item.path}: nesting too deep to read"
    except Exception as exc:  # a reader bug must fail this file, not the whole ingest
        return f"{item.path}: could not be read ({type(exc).__name__}: {exc})".split("\n")[0]


class Prepared(NamedTuple):
    """One document ready to store, index and link, made from its export dict."""

    row: Serialized
    fields: dict[str, Any]  # chancery.search.index.index_fields(doc)
    digest: bytes  # of `fields`: tells whether linking changed what the index holds
    light: Light
    warnings: list[str]


class PreparedFile(NamedTuple):
    format: str | None  # the reader's format (None when the file held no documents)
    collections: list[dict[str, Any]]
    documents: list[Prepared]


def prepare(doc: dict[str, Any]) -> Prepared:
    """Serialise an export dict and compute its index fields and light linking record."""
    fields = index_fields(doc)
    return Prepared(
        serialize(doc), fields, fields_digest(fields), light(doc), list(doc.get("warnings") or [])
    )


def read_and_prepare(
    item: SourceItem, format: str | None, context: Context, pages: PageStore | None = None
) -> PreparedFile | str:
    """One file's documents, enriched and prepared; or a one-line failure naming the file.
    With a page store, a PDF's or scan's page images and original are stored and named."""
    documents = read_and_enrich(item, format, context)
    if isinstance(documents, str):
        return documents
    if pages is not None and len(documents) == 1:
        try:
            store_page_images(pages, item, documents[0])
        except Exception as exc:  # the text is still worth having; the next ingest tries again
            documents[0].warnings.append(f"page images not made ({type(exc).__name__}: {exc})".split("\n")[0])
    try:
        collections = {id(d.collection): d.collection for d in documents}
        return PreparedFile(
            documents[0].source.format if documents else None,
            [c.to_dict() for c in collections.values()],
            [prepare(d.to_dict()) for d in documents],
        )
    except Exception as exc:
        return f"{item.path}: could not be prepared ({type(exc).__name__}: {exc})".split("\n")[0]


def store_page_images(pages: PageStore, item: SourceItem, doc: Document) -> None:
    """Render and store the pages of `doc` (once per file hash) and name them on its pages."""
    if doc.source.format not in PAGE_FORMATS:
        return
    sha = doc.source.sha256 or item.sha256
    names = pages.names(sha)
    if not names:
        rendered = render_pages(item, doc.source.format)
        if rendered is None:
            return
        names = pages.save(sha, rendered, item.data, item.suffix)
    for page, (image, thumbnail) in zip(doc.pages, names, strict=False):
        page.image, page.thumbnail = image, thumbnail


_worker_context: Context | None = None
_worker_pages: PageStore | None = None


def _read_in_worker(item: SourceItem, format: str | None) -> PreparedFile | str:
    return read_and_prepare(item, format, _worker_context or Context(), _worker_pages)


class _Readers:
    """Reads items in worker processes (or in-process), yielding results in input order."""

    def __init__(
        self, workers: int, format: str | None, context: Context, pages: PageStore | None = None
    ) -> None:
        self.format, self.context, self.pages = format, context, pages
        self.pool: ProcessPoolExecutor | None = None
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            global _worker_context, _worker_pages
            _worker_context, _worker_pages = context, pages  # inherited by the forked workers
            self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        self.window = IN_FLIGHT * workers

    def results(
        self, entries: Iterable[tuple[SourceItem, str] | SourceFailure | tuple[SourceItem, None]]
    ) -> Iterator[tuple[Any, Any]]:
        """For each entry: (failure, None), (item+sha, None) when skipped, or (item+sha, result)."""
        queue: deque[tuple[Any, Future | PreparedFile | str | None]] = deque()
        for entry in entries:
            if isinstance(entry, tuple) and entry[1] is not None:
                item = entry[0]
                if self.pool:
                    queue.append((entry, self.pool.submit(_read_in_worker, item, self.format)))
                else:
                    queue.append((entry, read_and_prepare(item, self.format, self.context, self.pages)))
            else:
                queue.append((entry, None))
            while len(queue) > self.window or (queue and not isinstance(queue[0][1], Future)):
                yield self._resolve(queue.popleft())
        while queue:
            yield self._resolve(queue.popleft())

    @staticmethod
    def _resolve(pair: tuple[Any, Any]) -> tuple[Any, Any]:
        entry, pending = pair
        return entry, pending.result() if isinstance(pending, Future) else pending

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown(cancel_futures=True)


def ingest_paths(
    store: Store,
    index: SearchIndex,
    paths: list[str | Path],
    context: Context,
    workers: int,
    format: str | None = None,
    on_item: Callable[[str], None] | None = None,
    pages: PageStore | None = None,
    settings: Settings | None = None,
) -> IngestReport:
    """Ingest every file under `paths` into `store` and `index` (see `Archive.ingest`).

    `context` enriches the documents; `workers` processes read the files (1 reads here);
    `pages` stores the page images and originals of PDFs and scans.
    `settings.follow_symlinks` says whether links inside folders are read.
    """
    report = IngestReport()
    feed = index.writer()
    feed.lock(LOCK_WAIT)  # before storing anything: one ingest per index at a time
    writer = _Writer(store, format, report, feed, pages)
    try:
        readers = _Readers(workers, format, context, pages)
        try:
            for entry, result in readers.results(writer.screen(iter_source_items(paths, settings))):
                if isinstance(entry, SourceFailure):
                    (report.warnings if entry.warning else report.failures).append(str(entry.error))
                    path = entry.error.path
                else:
                    item, sha = entry
                    path = item.path
                    if result is not None:
                        writer.write(item, sha, result)
                if on_item:
                    on_item(path)
        finally:
            readers.close()
        to_link = store.pending_links()  # this run's ids, and any a killed run left unlinked
        if to_link or report.removed:
            link_documents(store, to_link, known=writer.known, on_changed=feed.refresh)
            crash_point("linked")
            store.clear_pending_links(to_link)
        catch_up(store, index, fresh=feed.digests, writer=feed)  # commits once, with the position
    finally:
        feed.abandon()  # after an error: the store's feed still holds what the index lacks
    return report


def catch_up(
    store: Store, index: SearchIndex, fresh: Container[str] = (), writer: IndexWriter | None = None
) -> int:
    """Apply the store changes after the index's position to the index (one commit), and record
    the new position; returns how many changes there were. An unbuilt index is built whole.

    `fresh`: ids whose stored version `writer` already holds (ingest added them from memory):
    their upserts are skipped. Raises IndexBusy when another process holds the index writer.
    """
    if writer is None and not fresh and 0 <= index.position() == store.last_change():
        return 0  # up to date: no writer needed (the common case, on every tick of a server)
    own = writer is None
    writer = writer or index.writer(2, heap_mb=256)
    try:
        writer.lock()
        position = index.position()
        if position == UNBUILT:
            return rebuild(store, writer)
        last = store.last_change()
        # Fewer changes than the index holds: another store, or one restored from an older backup.
        # Before the horizon: changes this index lacks may have been compacted away.
        if last < position or position < store.feed_horizon():
            return rebuild(store, writer)
        if last == position:
            return 0
        todo: dict[str, str] = {}  # id -> its last op (changes_since is in order)
        for _, doc_id, op in store.changes_since(position, None):
            todo.pop(doc_id, None)
            todo[doc_id] = op
        if position < store.feed_horizon():  # compacted while they were read
            return rebuild(store, writer)
        todo_items = [(i, op) for i, op in todo.items() if op != "upsert" or i not in fresh]
        _apply(store, writer, todo_items)
        crash_point("index-commit")
        writer.commit(last)
        return len(todo)
    finally:
        if own:
            writer.abandon()


def rebuild(store: Store, writer: IndexWriter) -> int:
    """Index every stored document through `writer` (holding its lock) and commit with the feed
    position read before reading them; returns how many documents."""
    writer.lock()
    last = store.last_change()
    writer.delete_all()
    ids = store.document_ids()
    _apply(store, writer, [(i, "upsert") for i in ids])
    crash_point("rebuild-commit")
    writer.commit(last)
    return len(ids)


def _apply(store: Store, writer: IndexWriter, todo: list[tuple[str, str]]) -> None:
    """Upserts (read from the store, deleted from the index when gone) and deletes, in batches."""
    for start in range(0, len(todo), INDEX_BATCH):
        chunk = todo[start : start + INDEX_BATCH]
        upsert_ids = [doc_id for doc_id, op in chunk if op == "upsert"]
        docs = store.documents(upsert_ids)
        found = {d["id"] for d in docs}
        for doc_id in [doc_id for doc_id, op in chunk if op != "upsert"] + [
            i for i in upsert_ids if i not in found
        ]:
            writer.delete(doc_id)
        for doc in docs:
            writer.add(doc["id"], index_fields(doc))


def sync_index(store: Store, index: SearchIndex, fresh: Container[str] = ()) -> int:
    """The earlier name of `catch_up`."""
    return catch_up(store, index, fresh)


class _Writer:
    """Decides which items need reading and stores what the readers return."""

    def __init__(
        self,
        store: Store,
        format: str | None,
        report: IngestReport,
        feed: IndexWriter,
        pages: PageStore | None = None,
    ) -> None:
        self.store, self.format, self.report = store, format, report
        self.feed, self.pages = feed, pages
        self.known: dict[str, Light] = {}  # light linking records of the documents stored here

    def screen(self, entries: Iterable[SourceItem | SourceFailure]) -> Iterator[Any]:
        """(item, sha) for items to read, (item, None) for unchanged ones, failures as they are."""
        for entry in entries:
            if isinstance(entry, SourceFailure):
                yield entry
                continue
            self.report.files += 1
            self.report.bytes += entry.size
            sha = entry.sha256
            yield (entry, sha if self._needs_reading(entry, sha) else None)

    def _needs_reading(self, item: SourceItem, sha: str) -> bool:
        previous = self.store.file_record(item.path)
        if (
            previous
            and previous.sha256 == sha
            and (self.format is None or previous.format == self.format)
            and not self._read_pages_again(previous.format, sha)
        ):
            self.report.unchanged += 1
            self.report.documents += previous.n_documents
            return False
        return not self._is_twin(item.path, sha)

    def _read_pages_again(self, format: str, sha: str) -> bool:
        """An unchanged PDF or scan is read again under `--ocr force`, or when its page images
        are missing (an archive made before they were kept, or a pages folder deleted)."""
        if format not in PAGE_FORMATS:
            return False
        return ocr.options().mode == "force" or (self.pages is not None and not self.pages.complete(sha))

    def write(self, item: SourceItem, sha: str, result: PreparedFile | str) -> None:
        report = self.report
        if isinstance(result, str):
            report.failures.append(result)
            return
        if self._is_twin(item.path, sha):  # its copy may have been stored since it was screened
            return
        documents = result.documents
        if not documents:
            report.warnings.append(f"{item.path}: no documents in this file")
        documents = self._claim_ids(item, documents)
        try:
            outcome = self.store.replace_file(
                item.path,
                sha,
                result.format or self.format or "unknown",
                result.collections,
                [d.row for d in documents],
            )
        except Exception as exc:  # the store rolled back: this file failed, the others go on
            report.failures.append(
                f"{item.path}: could not be stored ({type(exc).__name__}: {exc})".split("\n")[0]
            )
            return
        crash_point("stored")
        report.documents += len(documents)
        report.added += outcome.added
        report.replaced += outcome.replaced
        report.removed += outcome.removed
        for doc in documents:
            doc_id = doc.row.id
            report.written.append(doc_id)
            report.warnings.extend(f"{item.path}: {doc_id}: {w}" for w in doc.warnings)
            self.feed.add(doc_id, doc.fields, doc.digest)
            self.known[doc_id] = doc.light

    def _is_twin(self, path: str, sha: str) -> bool:
        """Is another stored path, still on disk, identical (a copy, or a folder beside its .tar.gz)?"""
        for record in self.store.files_with_sha(sha):
            if record.path != path and record.n_documents and Path(record.path.split("!")[0]).exists():
                self.report.unchanged += 1
                self.report.warnings.append(f"{path}: same content as {record.path}; not stored twice")
                return True
        return False

    def _claim_ids(self, item: SourceItem, documents: list[Prepared]) -> list[Prepared]:
        """Give a document a distinct id when another file that still exists already holds its id.

        Sources sometimes reuse a number (two DFAT documents numbered 484 in one volume). The
        later file's document becomes `ID~FILESTEM`, with a warning; a file that moved is
        simply replaced.
        """
        seen: set[str] = set()
        held = self.store.document_paths([d.row.id for d in documents])
        claimed = []
        for doc in documents:
            doc_id = doc.row.id
            other = held.get(doc_id)
            clash = doc_id in seen or (
                other is not None and other != item.path and Path(other.split("!")[0]).exists()
            )
            if clash:
                new_id = f"{doc_id}~{item.stem}"
                self.report.warnings.append(
                    f"{item.path}: id {doc_id} is already used by {other or 'this file'}; stored as {new_id}"
                )
                data = orjson.loads(doc.row.body)
                data["id"] = new_id
                doc = prepare(data)
            seen.add(doc.row.id)
            claimed.append(doc)
        return claimed
