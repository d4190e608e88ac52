"""The `chancery` command line: thin wrappers over `chancery.Archive`."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import orjson
import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from typer.core import TyperGroup

from chancery.archive import Archive
from chancery.cli_output import Output, plural, report_warnings
from chancery.errors import ChanceryError
from chancery.fetch.cli import fetch_app
from chancery.search.results import SearchResult
from chancery.sources.files import count_source_files
from chancery.sources.ocr import COUNTERS as OCR_COUNTERS
from chancery.sources.ocr import configure_for_archive as configure_ocr
from chancery.store import open_store
from chancery.workspace.viewer import Viewer

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Chancery: a research archive for diplomatic documents."
)
console = Output(stderr=True)
out = Output()  # piped: tables as tab-separated lines, nothing cut

DbOption = typer.Option(
    None, "--db", help="SQLite path or postgresql:// URL (default $CHANCERY_DB, else ./chancery.db)"
)
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")


def _print_json(data: object) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def _fail(message: str, code: int = 2) -> NoReturn:
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(
        ..., help="Files or directories (.xml, .md, .txt, .csv, .json, .gz, .tar.gz)"
    ),
    db: str | None = DbOption,
    format: str | None = typer.Option(None, "--format", help="Reader to use instead of detecting one"),
    json: bool = JsonOption,
    ocr: str = typer.Option(
        "auto", "--ocr", help="OCR of PDF pages and images: auto (pages without text), force, never"
    ),
    ocr_lang: str = typer.Option("eng", "--ocr-lang", help="Tesseract languages for OCR, e.g. eng+rus"),
    follow_symlinks: bool = typer.Option(
        False,
        "--follow-symlinks",
        help="Read symbolic links inside folders (skipped with a warning otherwise)",
    ),
    pages_per_folder: bool = typer.Option(
        False,
        "--pages-per-folder",
        help="The JPEG/PNG/TIFF page photos of each folder make one document (pages in number order)",
    ),
) -> None:
    """Read documents into the archive; exits 1 if any file failed."""
    if follow_symlinks:
        # Settings.follow_symlinks, read when chancery.sources.files walks the folders
        os.environ["CHANCERY_FOLLOW_SYMLINKS"] = "1"
    if pages_per_folder:
        os.environ["CHANCERY_PAGES_PER_FOLDER"] = "1"  # Settings.pages_per_folder, likewise
    sources: list[str | Path] = list(paths)
    total = count_source_files(sources)
    with Archive.open(db) as archive:
        try:
            configure_ocr(archive, ocr, ocr_lang)
        except ValueError as exc:
            _fail(str(exc))
        with Progress(
            TextColumn("[bold]{task.fields[label]:>6}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
            disable=json or not console.is_terminal,
        ) as progress:
            task = progress.add_task("", total=total or None, label="ingest")
            pages = progress.add_task("pages OCR'd", total=None, visible=False, label="OCR")

            def advance(path: str) -> None:
                if "!" not in path:
                    progress.advance(task)
                progress.update(task, description=Path(path.split("!")[-1]).name[:40])

            with _ocr_progress(progress, pages):
                report = archive.ingest(sources, format=format, on_item=advance)
    ocr_pages = {"ocr": OCR_COUNTERS.ocr, "cached": OCR_COUNTERS.cached}
    if json:
        _print_json(report.to_dict() | {"ocr_pages": ocr_pages})
    else:
        console.print(
            f"{plural(report.files, 'file')} ({report.unchanged} unchanged), {plural(report.documents, 'document')} "
            f"({report.added} new, {report.replaced} replaced, {report.removed} removed), "
            f"{len(report.failures)} failed, {plural(len(report.warnings), 'warning')}",
            highlight=False,
        )
        for failure in report.failures:
            console.print(f"[red]failed:[/red] {failure}", highlight=False, soft_wrap=True)
        if report.persons_lists:
            console.print(
                f"persons lists merged into the authority: {', '.join(report.persons_lists)}", highlight=False
            )
        if ocr_pages["ocr"] or ocr_pages["cached"]:
            console.print(
                f"OCR: {plural(ocr_pages['ocr'], 'page')} read by tesseract, {ocr_pages['cached']} from the cache",
                highlight=False,
            )
        report_warnings(console, report.warnings, archive.index.path)
    raise typer.Exit(0 if report.ok else 1)


@contextmanager
def _ocr_progress(progress: Progress, task: TaskID) -> Iterator[None]:
    """Show the pages OCR'd so far (by this process and its forked workers) as a second bar."""
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.25):
            if OCR_COUNTERS.queued:
                progress.update(task, total=OCR_COUNTERS.queued, completed=OCR_COUNTERS.ocr, visible=True)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@app.command()
def show(
    doc_id: str = typer.Argument(..., metavar="ID"),
    db: str | None = DbOption,
    format: str = typer.Option("json", "--format", help="json or text"),
) -> None:
    """Print one document (the export JSON, or readable text)."""
    with Archive.open(db) as archive:
        try:
            doc = archive.document(doc_id)
        except ChanceryError as exc:
            _fail(str(exc), 1)
    if format == "json":
        _print_json(doc.to_dict())
        return
    out.print(f"[bold]{doc.title}[/bold]", highlight=False)
    out.print(f"{doc.id} · {doc.date.when or 'undated'} · {doc.doc_type or ''}", highlight=False)
    out.print()
    out.print(doc.text, highlight=False, markup=False)
    for note in doc.footnotes:
        out.print(f"[{note.n}] {note.text}", highlight=False, markup=False)


@app.command()
def export(
    db: str | None = DbOption,
    format: str = typer.Option(
        "jsonl",
        "--format",
        help="jsonl (the export contract, one document a line), csv, bibtex, csl-json or ris",
    ),
    query: str | None = typer.Option(None, "--query", help="Only documents matching this query"),
) -> None:
    """Write documents (all, or a query's matches) as JSON Lines, CSV, BibTeX, CSL-JSON or RIS."""
    from chancery.citations import EXPORT_FORMATS

    if format not in EXPORT_FORMATS:
        _fail(f"unknown export format {format!r}; use one of {', '.join(EXPORT_FORMATS)}")
    with Archive.open(db) as archive:
        try:
            _write_chunks(archive.export_as(format, query=query, permalink=_permalinks(archive)))
        except ChanceryError as exc:
            _fail(str(exc))


def _write_chunks(chunks: Iterator[str]) -> None:
    for chunk in chunks:
        sys.stdout.buffer.write(chunk.encode())
    sys.stdout.buffer.flush()


def _permalinks(archive: Archive) -> Callable[[str], str | None] | None:
    """Citation permalinks under $CHANCERY_BASE_URL when set (else citations give the source URL)."""
    from chancery.workspace.formats import permalinks

    return permalinks(archive.settings.base_url)


@app.command()
def search(
    query: str = typer.Argument(..., help="e.g. 'from:harriman date:1945-06..1945-07 \"Soong\"'"),
    db: str | None = DbOption,
    limit: int = typer.Option(20, "--limit"),
    offset: int = typer.Option(0, "--offset", help="Hits to skip (at most 10,000)"),
    sort: str = typer.Option("relevance", "--sort", help="relevance, date or -date"),
    mode: str = typer.Option(
        "auto",
        "--mode",
        help="auto (hybrid when the archive has vectors, else bm25), bm25, semantic or hybrid",
    ),
    facets: bool = typer.Option(False, "--facets", help="Also print facet counts and the year histogram."),
    json: bool = JsonOption,
) -> None:
    """Search in the query language: words, "phrases", AND/OR/NOT, fields, dates (see README)."""
    with Archive.open(db) as archive:
        try:
            result = archive.search(
                query, limit=limit, offset=offset, sort=sort, facets=facets or json, mode=mode
            )
        except ChanceryError as exc:
            _fail(str(exc))
    if json:
        _print_json(result.to_dict())
        return
    verb = "matches" if result.total == 1 else "match"
    table = Table(title=f"{plural(result.total, 'document')} {verb} {query!r}")
    for col in ("id", "date", "title"):
        table.add_column(col)
    for hit in result.hits:
        table.add_row(hit.id, hit.date.when or "", hit.title or "")
    out.print(table)
    for word, spellings in result.variants.items():
        counts = result.variant_counts.get(word, {})
        listed = ", ".join(f"{s} ({counts[s]})" if s in counts else s for s in spellings)
        exact = f"; {counts[word]} as written" if word in counts else ""
        out.print(f"also matched {word!r} as: {listed}{exact} (turn one off: -~SPELLING)", highlight=False)
    for notice in result.notices:
        out.print(f"note: {notice}", highlight=False, markup=False)
    if facets:
        _print_facets(result)


def _print_facets(result: SearchResult) -> None:
    """Each facet as a small table of value and count, then the year histogram."""
    for name, buckets in (result.facets or {}).items():
        if not buckets:
            continue
        table = Table(title=name, title_justify="left")
        table.add_column("value")
        table.add_column("count", justify="right")
        for bucket in buckets:
            table.add_row(str(bucket.value), str(bucket.count))
        out.print(table)
    histogram = result.histogram or []
    if histogram:
        peak = max(b.count for b in histogram)
        out.print("[bold]by year[/bold]")
        for year in histogram:
            bar = "█" * max(1, round(30 * year.count / peak))
            out.print(f"{year.year}  {bar} {year.count}", highlight=False)


@app.command()
def stats(db: str | None = DbOption, json: bool = JsonOption) -> None:
    """Counts of documents, files, collections, entities and links."""
    with Archive.open(db) as archive:
        data = archive.stats()
    if json:
        _print_json(data)
        return
    table = Table(show_header=False)
    for key, value in data.items():
        table.add_row(key, str(value))
    out.print(table)


@app.command()
def reindex(db: str | None = DbOption) -> None:
    """Rebuild the search index from the store."""
    with Archive.open(db) as archive:
        n = archive.reindex()
    console.print(f"reindexed {plural(n, 'document')}")


@app.command()
def compact(
    db: str | None = DbOption,
    keep: int | None = typer.Option(
        None, "--keep", help="Latest changes kept whole (default $CHANCERY_FEED_KEEP, 100,000)"
    ),
    json: bool = JsonOption,
) -> None:
    """Compact the change feed: before the last KEEP changes, only each document's latest one.
    Also removes page images of files changed or removed since (untouched for an hour)."""
    with Archive.open(db) as archive:
        data = archive.compact(keep)
    if json:
        _print_json(data)
        return
    console.print(
        f"removed {plural(data['removed'], 'change')}; horizon {data['horizon']}, "
        f"{plural(data['changes'], 'change')} left (latest {data['last_change']}); "
        f"{plural(data['page_folders_removed'], 'page-image folder')} of files no longer stored removed"
    )


@app.command()
def backup(
    target: Path = typer.Argument(..., help="The copy to write (must not exist yet)"),
    db: str | None = DbOption,
) -> None:
    """Copy a SQLite archive consistently while it is in use (PostgreSQL: pg_dump; docs/deploy.md)."""
    store = open_store(db)
    try:
        store.backup(str(target))
    except ChanceryError as exc:
        _fail(str(exc))
    finally:
        store.close()
    console.print(f"backed up {store.url} to {target} (the search index is rebuilt from it on restore)")


@app.command()
def related(
    doc_id: str = typer.Argument(..., metavar="ID"),
    db: str | None = DbOption,
    limit: int = typer.Option(10, "--limit"),
    json: bool = JsonOption,
) -> None:
    """Documents about the same event or exchange, across archives, with the reasons why."""
    with Archive.open(db) as archive:
        try:
            hits = archive.related(doc_id, limit=limit)
        except ChanceryError as exc:
            _fail(str(exc), 1)
    if json:
        _print_json(hits)
        return
    table = Table(title=f"related to {doc_id}")
    for col in ("score", "id", "date", "title", "why"):
        table.add_column(col)
    for hit in hits:
        table.add_row(
            f"{hit['score']:.2f}",
            hit["id"],
            hit.get("date") or "",
            hit.get("title") or "",
            "; ".join(hit["why"]),
        )
    out.print(table)


@app.command()
def embed(
    db: str | None = DbOption,
    save_every: int = typer.Option(256, "--save-every", min=1, help="Passages embedded between saves"),
) -> None:
    """Compute passage vectors for documents not yet embedded (needs the semantic extra).

    Safe to stop: work is saved as it goes and the next run starts where this one stopped."""
    with Archive.open(db) as archive:
        with Progress(
            TextColumn("[bold]embed"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("documents"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as progress:
            task = progress.add_task("", total=None)
            lines = ProgressLines("embed", "document")  # piped or logged: a line every 15 s

            def update(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)
                if not console.is_terminal:
                    lines(done, total)

            try:
                report = archive.embed(update, save_every=save_every)
            except ChanceryError as exc:
                _fail(str(exc))
    resumed = f" (kept {report['resumed']} from an interrupted run)" if report.get("resumed") else ""
    console.print(
        f"embedded {plural(report['embedded'], 'document')} ({plural(report['passages'], 'passage')}), "
        f"{report['unchanged']} unchanged{resumed}, {report['removed']} removed",
        highlight=False,
    )


class ProgressLines:
    """Progress as plain lines on stderr, for runs whose output is not a terminal."""

    def __init__(self, what: str, unit: str, every: float = 15.0) -> None:
        self.what, self.unit, self.every = what, unit, every
        self.start = self.last = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == 0:
            console.print(f"{self.what}: {plural(total, self.unit)} to do", highlight=False)
        elif now - self.last >= self.every or done == total:
            self.last = now
            rate = done / max(now - self.start, 1e-9)
            left = (total - done) / rate if rate else 0.0
            console.print(
                f"{self.what}: {done:,}/{total:,} {self.unit}s ({100 * done / max(total, 1):.0f}%), "
                f"{rate:.1f}/s, about {left / 60:.0f} min left",
                highlight=False,
            )


@app.command()
def serve(
    db: str | None = DbOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", min=1, help="Server processes, each with its own archive"),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        help="Public URL for canonical links (default $CHANCERY_BASE_URL, else the bind address)",
    ),
    auth: bool = typer.Option(
        False, "--auth", help="Accounts on: login, and anonymous visitors see public collections only"
    ),
) -> None:
    """Serve the web UI and JSON API (/api/docs)."""
    from chancery.web import serve as serve_web

    mode = ", accounts on" if auth else ""
    console.print(f"serving on http://{host}:{port}/ ({workers} worker(s){mode})", highlight=False)
    try:
        serve_web(db, host=host, port=port, workers=workers, base_url=base_url, auth=auth)
    except ValueError as exc:
        _fail(str(exc))


app.add_typer(fetch_app, name="fetch")
authority_app = typer.Typer(no_args_is_help=True, help="Authority records: people, places, organisations.")
app.add_typer(authority_app, name="authority")


@authority_app.command("load")
def authority_load(
    paths: list[Path] = typer.Argument(
        None,
        help="hsg-people.tar.gz, pocom.tar.gz, hsg-travels-visits.tar.gz, cities-master.xml, ontology dir "
        "(each replaces the shipped file of its kind; none: the shipped files alone)",
    ),
    db: str | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """Load authority files over the shipped ones, merge them with stored FRUS persons lists, re-enrich."""
    with Archive.open(db) as archive:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=json or not console.is_terminal,
        ) as progress:
            task = progress.add_task("authority", total=None)  # reading and merging the files first

            def advance(_doc_id: str, done: int, total: int) -> None:
                progress.update(task, description="re-enrich", completed=done, total=total)

            report = archive.load_authority(list(paths or []), on_progress=advance)
    if json:
        _print_json(report)
        return
    counts = ", ".join(f"{k} {v}" for k, v in report["counts"].items())
    console.print(
        f"{plural(report['entities'], 'entity', 'entities')} ({counts}), {plural(report['names'], 'name')}, "
        f"{plural(report['documents_updated'], 'document')} re-enriched, {plural(len(report['warnings']), 'warning')}",
        highlight=False,
    )
    for warning in report["warnings"][:20]:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)


class _EntityGroup(TyperGroup):
    """`chancery entity ID` shows a record (as before); `chancery entity merge ...` judges."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().resolve_command(ctx, args)


entity_app = typer.Typer(
    cls=_EntityGroup,
    no_args_is_help=True,
    help="Authority records and their review: show, merge, split; reject, confirm or set a mention.",
)
app.add_typer(entity_app, name="entity")
NoteOption = typer.Option(None, "--note", help="Why (kept with the judgment)")
MentionArg = typer.Argument(
    ..., metavar="MENTION", help='Its text (every mention so written), "TEXT@START" or START:END'
)


@entity_app.command("show")
def entity_show(
    entity_id: str = typer.Argument(..., metavar="ID"),
    db: str | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """Print one authority record: names, dates, offices, sources (a merged id shows its survivor)."""
    with Archive.open(db) as archive:
        try:
            ent = archive.entity(entity_id)
        except ChanceryError as exc:
            _fail(str(exc), 1)
    if json:
        _print_json(ent.to_dict())
        return
    out.print(f"[bold]{ent.name}[/bold] ({ent.type}) {ent.id}", highlight=False)
    if ent.birth or ent.death:
        out.print(f"{ent.birth or '?'}–{ent.death or ''}", highlight=False)
    if ent.variants:
        out.print("also: " + "; ".join(ent.variants[:20]), highlight=False, markup=False)
    if ent.description:
        out.print(ent.description, highlight=False, markup=False)
    for office in ent.offices:
        where = f" ({office['country']})" if office.get("country") else ""
        out.print(
            f"  {office.get('start') or '?'} – {office.get('end') or ''}: {office['title']}{where}",
            highlight=False,
        )


# -- workspace: annotations --
note_app = typer.Typer(no_args_is_help=True, help="Notes on a document or a passage of it.")
app.add_typer(note_app, name="note")
tag_app = typer.Typer(no_args_is_help=True, help="Tags on a document or a passage of it.")
app.add_typer(tag_app, name="tag")
QuoteOption = typer.Option(
    None, "--quote", help="The passage (as it is in the text); else the whole document"
)
ShareOption = typer.Option(None, "--share", help="Share with this group (default: private)")


def _annotate(
    db: str | None, doc_id: str, kind: str, value: str, quote: str | None, share: str | None
) -> None:
    with Archive.open(db) as archive:
        try:
            made = archive.annotations.add(
                Viewer.local(), doc_id, kind, value, quote=quote, shared_with=share
            )
        except (ChanceryError, ValueError) as exc:
            _fail(str(exc))
    where = f" at {made.start}..{made.end}" if made.start is not None else ""
    console.print(f"{kind} {made.id} added to {escape(doc_id)}{where}", highlight=False)


@note_app.command("add")
def note_add(
    doc_id: str = typer.Argument(...),
    text: str = typer.Argument(..., help="The note"),
    quote: str | None = QuoteOption,
    share: str | None = ShareOption,
    db: str | None = DbOption,
) -> None:
    """Add a note to a document, or to the passage --quote names."""
    _annotate(db, doc_id, "note", text, quote, share)


@tag_app.command("add")
def tag_add(
    doc_id: str = typer.Argument(...),
    tag: str = typer.Argument(...),
    quote: str | None = QuoteOption,
    share: str | None = ShareOption,
    db: str | None = DbOption,
) -> None:
    """Tag a document (find it again with `search tag:NAME`)."""
    _annotate(db, doc_id, "tag", tag, quote, share)


@app.command()
def star(doc_id: str = typer.Argument(...), db: str | None = DbOption) -> None:
    """Star a document, or unstar a starred one (find them with `search starred:true`)."""
    with Archive.open(db) as archive:
        try:
            starred = archive.annotations.star(Viewer.local(), doc_id)
        except ChanceryError as exc:
            _fail(str(exc))
    console.print(f"{'starred' if starred else 'unstarred'} {escape(doc_id)}", highlight=False)


@app.command()
def notes(
    doc_id: str | None = typer.Argument(None, help="Only this document's"),
    db: str | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """Your stars, tags and notes (orphaned: the passage is no longer in the re-ingested text)."""
    with Archive.open(db) as archive:
        found = archive.annotations.of(Viewer.local(), doc_id)
    if json:
        _print_json([a.to_dict() for a in found])
        return
    table = Table(title=plural(len(found), "annotation"))
    for col in ("document", "kind", "text", "passage"):
        table.add_column(col)
    for a in found:
        passage = "(orphaned) " if a.orphaned else ""
        passage += "" if a.exact is None else f"{a.start}..{a.end} {a.exact[:60]!r}"
        table.add_row(a.doc_id, a.kind, a.value or "", passage)
    out.print(table)


# -- workspace: lists and batch search --
list_app = typer.Typer(no_args_is_help=True, help="Named lists of documents, and their export.")
app.add_typer(list_app, name="list")


@list_app.command("create")
def list_create(
    name: str = typer.Argument(...),
    db: str | None = DbOption,
    group: str | None = typer.Option(None, "--group", help="Share the list with this group"),
) -> None:
    """Make a new, empty list."""
    from chancery.workspace.viewer import Viewer

    with Archive.open(db) as archive:
        try:
            data = archive.create_list(Viewer.local(), name, group)
        except ChanceryError as exc:
            _fail(str(exc))
    console.print(f"list {data['id']} {data['name']!r} created", highlight=False)


@list_app.command("add")
def list_add(
    name: str = typer.Argument(..., help="The list's name or id"),
    doc_ids: list[str] = typer.Argument(..., metavar="DOC_ID..."),
    db: str | None = DbOption,
    create: bool = typer.Option(False, "--create", help="Make the list first if there is none of that name"),
) -> None:
    """Append documents to a list (ids already on it are kept where they are)."""
    from chancery.workspace.viewer import Viewer

    with Archive.open(db) as archive:
        try:
            data = archive.add_to_list(Viewer.local(), name, doc_ids, create=create)
        except ChanceryError as exc:
            _fail(str(exc), 1)
    console.print(
        f"{plural(data['added'], 'document')} added to {data['name']!r} (now {data['count']})",
        highlight=False,
    )


@list_app.command("remove")
def list_remove(
    name: str = typer.Argument(..., help="The list's name or id"),
    doc_ids: list[str] = typer.Argument(..., metavar="DOC_ID..."),
    db: str | None = DbOption,
) -> None:
    """Take documents off a list."""
    from chancery.workspace.viewer import Viewer

    with Archive.open(db) as archive:
        try:
            removed = archive.remove_from_list(Viewer.local(), name, doc_ids)
        except ChanceryError as exc:
            _fail(str(exc), 1)
    console.print(f"{plural(removed, 'document')} removed", highlight=False)


@list_app.command("ls")
def list_ls(db: str | None = DbOption, json: bool = JsonOption) -> None:
    """Every list, with its number of documents."""
    from chancery.workspace.viewer import Viewer

    with Archive.open(db) as archive:
        found = archive.lists(Viewer.local())
    if json:
        _print_json(found)
        return
    table = Table(title=plural(len(found), "list"))
    for col in ("id", "name", "documents", "owner", "group"):
        table.add_column(col)
    for data in found:
        table.add_row(
            str(data["id"]), data["name"], str(data["count"]), data["owner"], data["shared_group"] or ""
        )
    out.print(table)


@list_app.command("show")
def list_show(
    name: str = typer.Argument(..., help="The list's name or id"),
    db: str | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """A list's documents in order."""
    from chancery.workspace.viewer import Viewer

    with Archive.open(db) as archive:
        try:
            data = archive.list_contents(Viewer.local(), name)
        except ChanceryError as exc:
            _fail(str(exc), 1)
    if json:
        _print_json(data)
        return
    table = Table(title=f"{data['name']} ({plural(data['count'], 'document')})")
    for col in ("#", "id", "date", "title", "added"):
        table.add_column(col)
    for item in data["items"]:
        when = (item.get("date") or {}).get("when") or ""
        title = "(no longer in the archive)" if item.get("missing") else item.get("title") or ""
        table.add_row(str(item["position"]), item["doc_id"], when, title, item["added_at"])
    out.print(table)


@list_app.command("export")
def list_export(
    name: str = typer.Argument(..., help="The list's name or id"),
    db: str | None = DbOption,
    format: str = typer.Option("ris", "--format", help="csv, jsonl, bibtex, csl-json or ris"),
) -> None:
    """Write a list's documents, in list order, in an export or citation format."""
    from chancery.citations import EXPORT_FORMATS
    from chancery.workspace.viewer import Viewer

    if format not in EXPORT_FORMATS:
        _fail(f"unknown export format {format!r}; use one of {', '.join(EXPORT_FORMATS)}")
    with Archive.open(db) as archive:
        try:
            _write_chunks(
                archive.export_as(
                    format, list_ref=name, viewer=Viewer.local(), permalink=_permalinks(archive)
                )
            )
        except ChanceryError as exc:
            _fail(str(exc), 1)


@app.command()
def batch(
    queries: Path = typer.Argument(
        ..., help="CSV with a 'query' column (and optionally 'label'), or one query a line"
    ),
    db: str | None = DbOption,
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Write the CSV here (default: standard output)"
    ),
    top: int = typer.Option(5, "--top", min=0, max=50, help="Top documents a row"),
) -> None:
    """Run many searches at once: a CSV of queries in, a CSV of counts, first and last dates and top hits out."""
    from chancery.workspace.batch import csv_lines, read_queries

    try:
        pairs = read_queries(queries.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        _fail(f"cannot read {queries}: {exc.strerror or exc}")
    except ChanceryError as exc:
        _fail(str(exc))
    with Archive.open(db) as archive:
        with Progress(
            TextColumn("[bold]batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("queries"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as progress:
            task = progress.add_task("", total=len(pairs))
            rows = archive.batch_search(
                pairs, top, lambda done, _total: progress.update(task, completed=done)
            )
            sink = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
            try:
                for line in csv_lines(rows, top):
                    sink.write(line)
            finally:
                if output:
                    sink.close()
    if output:
        console.print(f"{plural(len(pairs), 'query', 'queries')} searched; wrote {output}", highlight=False)


# -- end workspace: lists and batch search --
def _judge(db: str | None, json: bool, judge: Callable[[Archive], Any]) -> None:
    """Run one judgment as the local user and print what was stored."""
    with Archive.open(db) as archive:
        try:
            made = judge(archive)
        except (ChanceryError, PermissionError) as exc:
            _fail(str(exc), 1)
    made = made if isinstance(made, list) else [made]
    if json:
        _print_json([j.to_dict() for j in made])
        return
    for j in made:
        out.print(_judgment_line(j.to_dict()), highlight=False, markup=False)


def _judgment_line(j: dict[str, Any]) -> str:
    where = ""
    if j["mention"]:
        m = j["mention"]
        where = f" {m['doc_id']} {m['text']!r}@{m['start']}"
    what = {
        "merge": f"{j['subject']} -> {j['target']}",
        "split": f"{j['subject']} -> {j['target']} ({'; '.join(j['names'])})",
    }.get(j["kind"], f"{j['subject'] or '-'} -> {j['target'] or '-'}")
    if j["kind"] == "undo":
        what = f"#{j['undoes']} ({what})"
    note = f"  ({j['note']})" if j["note"] else ""
    undone = f"  [undone by {j['undone']['viewer']} at {j['undone']['at']}]" if j.get("undone") else ""
    return f"#{j['id']} {j['at']} {j['viewer']} {j['kind']}{where} {what}{note}{undone}"


@entity_app.command("merge")
def entity_merge(
    keep: str = typer.Argument(..., metavar="A", help="The entity that stays"),
    fold: str = typer.Argument(..., metavar="B", help="The entity folded into A (its id then leads to A)"),
    note: str | None = NoteOption,
    db: str | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """Merge entity B into entity A: B's names and documents become A's."""
    _judge(db, json, lambda a: a.merge_entities(Viewer.local(), keep, fold, note))


@entity_app.command("split")
def entity_split(
    entity_id: str = typer.Argument(..., metavar="ID"),
    names: str = typer.Option(
        ..., "--names", help="Spellings that name someone else: N1,N2 (or N1;N2 when a name has a comma)"
    ),
    note: str | None = NoteOption,
    db: str | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """Split names off an entity into a new one; mentions written so move with them."""
    _judge(db, json, lambda a: a.split_entity(Viewer.local(), entity_id, names, note))


@entity_app.command("reject")
def entity_reject(
    doc_id: str = typer.Argument(..., metavar="DOC_ID"),
    mention: str = MentionArg,
    note: str | None = NoteOption,
    db: str | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """Say a mention's entity is wrong: the mention becomes unresolved."""
    _judge(db, json, lambda a: a.judge_mention(Viewer.local(), "reject", doc_id, mention, None, note))


@entity_app.command("confirm")
def entity_confirm(
    doc_id: str = typer.Argument(..., metavar="DOC_ID"),
    mention: str = MentionArg,
    note: str | None = NoteOption,
    db: str | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """Say a mention's entity is right: it stays so whatever later resolution finds."""
    _judge(db, json, lambda a: a.judge_mention(Viewer.local(), "confirm", doc_id, mention, None, note))


@entity_app.command("set")
def entity_set(
    doc_id: str = typer.Argument(..., metavar="DOC_ID"),
    mention: str = MentionArg,
    entity_id: str = typer.Argument(..., metavar="ENTITY_ID"),
    note: str | None = NoteOption,
    db: str | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """Set by hand the entity a mention names."""
    _judge(db, json, lambda a: a.judge_mention(Viewer.local(), "set", doc_id, mention, entity_id, note))


@entity_app.command("undo")
def entity_undo(
    judgment_id: int = typer.Argument(..., metavar="JUDGMENT_ID", help="The #id `entity judgments` shows"),
    note: str | None = NoteOption,
    db: str | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """Undo a judgment: documents and records become what re-enrichment gives without it (the
    judgment and its undo stay in the history)."""
    _judge(db, json, lambda a: a.undo_judgment(Viewer.local(), judgment_id, note))


@entity_app.command("judgments")
def entity_judgments(
    entity_id: str | None = typer.Option(None, "--entity", help="Only those naming this entity"),
    db: str | None = DbOption,
    json: bool = JsonOption,
) -> None:
    """List the stored judgments, oldest first: who, when, what."""
    with Archive.open(db) as archive:
        made = [j.to_dict() for j in archive.entity_judgments(entity_id)]
    if json:
        _print_json(made)
        return
    for j in made:
        out.print(_judgment_line(j), highlight=False, markup=False)
    if not made:
        console.print("no judgments", highlight=False)


# -- workspace: accounts (for `serve --auth`) ---------------------------------------------------
user_app = typer.Typer(no_args_is_help=True, help="Accounts for `chancery serve --auth`.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens (sent as `Authorization: Bearer`).")
group_app = typer.Typer(no_args_is_help=True, help="Groups: who sees a collection private to the group.")
collection_app = typer.Typer(no_args_is_help=True, help="Collections: who may see them.")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(group_app, name="group")
app.add_typer(collection_app, name="collection")


def _admin_action(db: str | None, action: Callable[[Archive, Viewer], None]) -> None:
    """Run `action` as the local admin (whoever runs the command line owns the archive)."""
    with Archive.open(db) as archive:
        try:
            action(archive, Viewer.local())
        except (ChanceryError, ValueError, PermissionError) as exc:
            _fail(str(exc), 1)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., metavar="NAME"),
    role: str = typer.Option("reader", "--role", help="reader | researcher | admin"),
    group: list[str] = typer.Option([], "--group", help="Add the user to this group (repeatable)"),
    keep_password: bool = typer.Option(
        False, "--keep-password", help="Change role or groups of an existing user; read no password"
    ),
    db: str | None = DbOption,
) -> None:
    """Add a user (or update one); the password is read from standard input (first line)."""
    password = None if keep_password else sys.stdin.readline().rstrip("\r\n")
    _admin_action(db, lambda archive, admin: archive.add_user(admin, name, role, password, tuple(group)))
    console.print(f"user {name} ({role}) saved", highlight=False, markup=False)


@group_app.command("add")
def group_add(
    group: str = typer.Argument(..., metavar="GROUP"),
    names: list[str] = typer.Argument(..., metavar="NAME..."),
    db: str | None = DbOption,
) -> None:
    """Add users to a group (created when new)."""

    def add(archive: Archive, admin: Viewer) -> None:
        for name in names:
            archive.add_to_group(admin, group, name)

    _admin_action(db, add)


@token_app.command("create")
def token_create(name: str = typer.Argument(..., metavar="NAME"), db: str | None = DbOption) -> None:
    """Make an API token for a user and print it (once: only its hash is kept)."""
    made: list[str] = []
    _admin_action(db, lambda archive, admin: made.append(archive.create_token(admin, name)))
    sys.stdout.write(made[0] + "\n")


@collection_app.command("visibility")
def collection_visibility(
    collection_id: str = typer.Argument(..., metavar="ID"),
    visibility: str = typer.Argument(..., metavar="public|private"),
    group: str | None = typer.Option(None, "--group", help="The group that may see a private collection"),
    db: str | None = DbOption,
) -> None:
    """Make a collection public, or private to admins (and the members of --group)."""
    _admin_action(db, lambda archive, admin: archive.set_visibility(admin, collection_id, visibility, group))
    who = f" (admins and group {group})" if visibility == "private" and group else ""
    console.print(f"{collection_id}: {visibility}{who}", highlight=False, markup=False)


def main() -> None:
    try:
        app()
    except ChanceryError as exc:  # e.g. another ingest holds the index writer lock
        console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
