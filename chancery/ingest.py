"""Ingest: read and enrich files (in worker processes), store each file in one transaction.

Reading and enrichment are pure and CPU-bound, so they run in a small pool of forked worker
processes while this process writes to the store and the search index, in input order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chancery.enrich import Context, enrich
from chancery.errors import SourceError
from chancery.model import Document
from chancery.sources import read_item
from chancery.sources.files import SourceFailure, SourceItem, iter_source_items

INDEX_BATCH = 5000  # documents read from the store at a time when indexing
IN_FLIGHT = 6  # files read ahead of the writer, per worker


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

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {
            key: getattr(self, key)
            for key in ("files", "unchanged", "documents", "added", "replaced", "removed", "bytes")
        } | {"failures": self.failures, "warnings": self.warnings}


def default_workers() -> int:
    """Worker processes for reading: $CHANCERY_WORKERS, else one per core up to 4 (1 = in-process)."""
    if os.environ.get("CHANCERY_WORKERS"):
        return max(1, int(os.environ["CHANCERY_WORKERS"]))
    return max(1, min(4, os.cpu_count() or 1))


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


_worker_context: Context | None = None


def _read_in_worker(item: SourceItem, format: str | None) -> list[Document] | str:
    return read_and_enrich(item, format, _worker_context or Context())


class _Readers:
    """Reads items in worker processes (or in-process), yielding results in input order."""

    def __init__(self, workers: int, format: str | None, context: Context) -> None:
        self.format, self.context = format, context
        self.pool: ProcessPoolExecutor | None = None
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            global _worker_context
            _worker_context = context  # inherited by the forked workers
            self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        self.window = IN_FLIGHT * workers

    def results(
        self, entries: Iterable[tuple[SourceItem, str] | SourceFailure | tuple[SourceItem, None]]
    ) -> Iterator[tuple[Any, Any]]:
        """For each entry: (failure, None), (item+sha, None) when skipped, or (item+sha, result)."""
        queue: deque[tuple[Any, Future | list[Document] | str | None]] = deque()
        for entry in entries:
            if isinstance(entry, tuple) and entry[1] is not None:
                item = entry[0]
                if self.pool:
                    queue.append((entry, self.pool.submit(_read_in_worker, item, self.format)))
                else:
                    queue.append((entry, read_and_enrich(item, self.format, self.context)))
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
    archive: Any,
    paths: list[str | Path],
    format: str | None = None,
    on_item: Callable[[str], None] | None = None,
    context: Context | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Ingest every file under `paths` into `archive` (see `Archive.ingest`)."""
    report = IngestReport()
    writer = _Writer(archive, format, report)
    readers = _Readers(workers or default_workers(), format, context or archive.enrich_context())
    try:
        for entry, result in readers.results(writer.screen(iter_source_items(paths))):
            if isinstance(entry, SourceFailure):
                report.failures.append(str(entry.error))
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
    if report.written or report.removed:
        archive.link(report.written)
    archive.sync_index()
    return report


class _Writer:
    """Decides which items need reading and stores what the readers return."""

    def __init__(self, archive: Any, format: str | None, report: IngestReport) -> None:
        self.archive, self.store, self.format, self.report = archive, archive.store, format, report

    def screen(self, entries: Iterable[SourceItem | SourceFailure]) -> Iterator[Any]:
        """(item, sha) for items to read, (item, None) for unchanged ones, failures as they are."""
        for entry in entries:
            if isinstance(entry, SourceFailure):
                yield entry
                continue
            self.report.files += 1
            self.report.bytes += len(entry.data)
            sha = entry.sha256
            yield (entry, sha if self._needs_reading(entry, sha) else None)

    def _needs_reading(self, item: SourceItem, sha: str) -> bool:
        previous = self.store.file_record(item.path)
        if previous and previous.sha256 == sha and (self.format is None or previous.format == self.format):
            self.report.unchanged += 1
            self.report.documents += previous.n_documents
            return False
        return not self._is_twin(item.path, sha)

    def write(self, item: SourceItem, sha: str, result: list[Document] | str) -> None:
        report = self.report
        if isinstance(result, str):
            report.failures.append(result)
            return
        if self._is_twin(item.path, sha):  # its copy may have been stored since it was screened
            return
        documents = result
        if not documents:
            report.warnings.append(f"{item.path}: no documents in this file")
        self._claim_ids(item, documents)
        collections = {id(d.collection): d.collection for d in documents}
        try:
            outcome = self.store.replace_file(
                item.path,
                sha,
                documents[0].source.format if documents else (self.format or "unknown"),
                [c.to_dict() for c in collections.values()],
                [d.to_dict() for d in documents],
            )
        except Exception as exc:  # the store rolled back: this file failed, the others go on
            report.failures.append(
                f"{item.path}: could not be stored ({type(exc).__name__}: {exc})".split("\n")[0]
            )
            return
        report.documents += len(documents)
        report.added += outcome.added
        report.replaced += outcome.replaced
        report.removed += outcome.removed
        report.written.extend(d.id for d in documents)
        for doc in documents:
            report.warnings.extend(f"{item.path}: {doc.id}: {w}" for w in doc.warnings)

    def _is_twin(self, path: str, sha: str) -> bool:
        """Is another stored path, still on disk, identical (a copy, or a folder beside its .tar.gz)?"""
        for record in self.store.files_with_sha(sha):
            if record.path != path and record.n_documents and Path(record.path.split("!")[0]).exists():
                self.report.unchanged += 1
                self.report.warnings.append(f"{path}: same content as {record.path}; not stored twice")
                return True
        return False

    def _claim_ids(self, item: SourceItem, documents: list[Document]) -> None:
        """Give a document a distinct id when another file that still exists already holds its id.

        Sources sometimes reuse a number (two DFAT documents numbered 484 in one volume). The
        later file's document becomes `ID~FILESTEM`, with a warning; a file that moved is
        simply replaced.
        """
        seen: set[str] = set()
        held = {d["id"]: d["source"]["path"] for d in self.store.documents([d.id for d in documents])}
        for doc in documents:
            other = held.get(doc.id)
            clash = doc.id in seen or (
                other is not None and other != item.path and Path(other.split("!")[0]).exists()
            )
            if clash:
                new_id = f"{doc.id}~{item.stem}"
                self.report.warnings.append(
                    f"{item.path}: id {doc.id} is already used by {other or 'this file'}; stored as {new_id}"
                )
                doc.id = new_id
            seen.add(doc.id)
