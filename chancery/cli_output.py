"""Console output for the CLI that is never cut when piped: tables become tab-separated lines and
long lines are not wrapped when stdout is not a terminal; counts with their nouns; warning lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

SHOWN_WARNINGS = 20  # more than this go to a file named in the summary


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 document', '2 documents'."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _plain(cell: Any) -> str:
    text = cell.plain if isinstance(cell, Text) else str(cell)
    return " ".join(text.replace("\t", " ").split())


class Output(Console):
    """A Console that, when not writing to a terminal, prints tables as tab-separated lines (the
    title as a `# ` line, then the header, then one line per row) and never wraps or cuts lines."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not self.is_terminal:
            self.soft_wrap = True

    def print(self, *objects: Any, **kwargs: Any) -> None:
        if self.is_terminal or not any(isinstance(o, Table) for o in objects):
            super().print(*objects, **kwargs)
            return
        for obj in objects:
            if isinstance(obj, Table):
                self.file.write(table_lines(obj))
            else:
                super().print(obj, **kwargs)


def table_lines(table: Table) -> str:
    """`table` as plain tab-separated lines, nothing cut."""
    lines = []
    if table.title:
        lines.append("# " + _plain(table.title))
    if table.show_header:
        lines.append("\t".join(_plain(c.header) for c in table.columns))
    columns = [list(c.cells) for c in table.columns]
    for row in zip(*columns, strict=False):
        lines.append("\t".join(_plain(cell) for cell in row))
    return "".join(line + "\n" for line in lines)


def warnings_file(index_path: Path | str) -> Path:
    """Where ingest writes a long warning list: beside the archive (`chancery.db.ingest-warnings.txt`)."""
    path = str(index_path)
    return Path((path[: -len(".index")] if path.endswith(".index") else path) + ".ingest-warnings.txt")


def report_warnings(console: Console, warnings: list[str], index_path: Path | str) -> None:
    """Print each warning, or, when there are more than SHOWN_WARNINGS, write them all to a file
    beside the archive and name it."""
    if len(warnings) <= SHOWN_WARNINGS:
        for warning in warnings:
            console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False, soft_wrap=True)
        return
    path = warnings_file(index_path)
    path.write_text("".join(w + "\n" for w in warnings), encoding="utf-8")
    console.print(f"{plural(len(warnings), 'warning')} written to {path}", highlight=False, soft_wrap=True)
