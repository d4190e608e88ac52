"""The `chancery fetch` commands (registered in chancery/cli.py): download, then optionally ingest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from chancery.fetch import dfat, frus
from chancery.fetch.http import Downloaded, Fetcher, FetchError

fetch_app = typer.Typer(
    no_args_is_help=True, help="Download public archives (the only command that uses the network)."
)
console = Console(stderr=True)

FromOption = typer.Option(None, "--from", help="Base URL of a mirror (default: the project's GitHub files)")
ToOption = typer.Option(Path("chancery-sources"), "--to", help="Folder to download into")
IngestOption = typer.Option(False, "--ingest", help="Ingest what was fetched into the archive")
DbOption = typer.Option(
    None, "--db", help="Archive to ingest into (with --ingest; default $CHANCERY_DB, else ./chancery.db)"
)
RateOption = typer.Option(1.0, "--interval", help="Seconds between requests (be polite to the server)")


def _run(
    download: Callable[[Fetcher, Callable[[str, int, int | None], None]], list[Downloaded]], interval: float
) -> list[Downloaded]:
    with Progress(
        TextColumn("[bold]fetch[/bold] {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("", total=None)

        def on_bytes(name: str, done: int, total: int | None) -> None:
            progress.update(task, description=name[:40], completed=done, total=total)

        try:
            results = download(Fetcher(interval=interval), on_bytes)
        except FetchError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
    counts = {s: sum(1 for r in results if r.status == s) for s in ("fetched", "resumed", "unchanged")}
    size = sum(r.bytes for r in results)
    console.print(
        f"{len(results)} files ({counts['fetched']} fetched, {counts['resumed']} resumed, "
        f"{counts['unchanged']} already here), {size / 1e6:.1f} MB, sha256 in .SHA256SUMS",
        highlight=False,
    )
    return results


def _ingest(paths: list[Path], db: str | None) -> None:
    from chancery.archive import Archive

    with Archive.open(db) as archive:
        report = archive.ingest([str(p) for p in paths])
    console.print(
        f"ingested {report.documents} documents from {report.files} files "
        f"({report.added} new, {report.replaced} replaced, {report.unchanged} unchanged files), "
        f"{len(report.failures)} failed",
        highlight=False,
    )
    for failure in report.failures:
        console.print(f"[red]failed:[/red] {escape(failure)}", highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


@fetch_app.command("frus")
def fetch_frus(
    ids: list[str] = typer.Argument(..., metavar="ID...", help="Volume ids, e.g. frus1945v07 frus1961-63v06"),
    base: str | None = FromOption,
    to: Path = ToOption,
    ingest: bool = IngestOption,
    db: str | None = DbOption,
    interval: float = RateOption,
) -> None:
    """FRUS TEI volumes from HistoryAtState's frus repository ({base}/volumes/{ID}.xml)."""
    results = _run(lambda f, p: frus.fetch_frus(ids, to, base or frus.DEFAULT_BASE, f, p), interval)
    if ingest:
        _ingest([r.path for r in results], db)


@fetch_app.command("dfat")
def fetch_dfat(
    volumes: list[str] = typer.Argument(..., metavar="N...", help="Volume numbers, e.g. 2 7"),
    base: str | None = FromOption,
    tree: str | None = typer.Option(None, "--tree", help="URL of a GitHub-style tree listing of the files"),
    to: Path = ToOption,
    ingest: bool = IngestOption,
    db: str | None = DbOption,
    interval: float = RateOption,
) -> None:
    """Documents on Australian Foreign Policy volumes, as published by wragge/dfat-documents-web."""
    results = _run(lambda f, p: dfat.fetch_dfat(volumes, to, base or dfat.DEFAULT_BASE, tree, f, p), interval)
    if ingest:
        _ingest([r.path for r in results], db)
