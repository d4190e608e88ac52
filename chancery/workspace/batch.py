"""Batch search: a CSV of names or queries in, a CSV of hits out, one row a query.

The input has a `query` column (and optionally `label`); a file with one column and no such
header is read as one query a line. Each query runs through the archive's own search (so name
variants and the typed-query rules apply); a row records the number of matches, the first and
last dated match, and the top documents by relevance."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from chancery.errors import ChanceryError
from chancery.search.results import SearchResult

MAX_QUERIES = 2000
MAX_QUERY = 1000  # characters


class Searcher(Protocol):
    def __call__(self, query: str, limit: int, sort: str) -> SearchResult: ...


@dataclass
class BatchRow:
    """One query's answer (`error` set, counts empty, when the query failed)."""

    label: str
    query: str
    count: int = 0
    first_date: str | None = None
    last_date: str | None = None
    top: list[tuple[str, str | None]] = field(default_factory=list)  # (id, title)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "query": self.query,
            "count": self.count,
            "first_date": self.first_date,
            "last_date": self.last_date,
            "top": [{"id": i, "title": t} for i, t in self.top],
            "error": self.error,
        }


def read_queries(text: str) -> list[tuple[str, str]]:
    """(label, query) of each non-empty row; the label defaults to the query."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ChanceryError("the batch file has no queries")
    header = [c.strip().lower() for c in rows[0]]
    if "query" in header:
        q, label = header.index("query"), header.index("label") if "label" in header else None
        body = rows[1:]
    elif len(header) == 1:
        q, label, body = 0, None, rows
    else:
        raise ChanceryError("the batch file needs a 'query' column (and optionally 'label')")
    pairs = []
    for row in body:
        query = " ".join((row[q] if q < len(row) else "").split())
        if not query:
            continue
        name = (row[label].strip() if label is not None and label < len(row) else "") or query
        pairs.append((name, query[:MAX_QUERY]))
    if len(pairs) > MAX_QUERIES:
        raise ChanceryError(f"at most {MAX_QUERIES} queries a batch, not {len(pairs)}")
    return pairs


def _dated(result: SearchResult) -> str | None:
    return next((d for h in result.hits if (d := h.date.when or h.date.not_before)), None)


def run_one(search: Searcher, label: str, query: str, top: int) -> BatchRow:
    row = BatchRow(label, query)
    try:
        best = search(query, max(top, 1), "relevance")
        row.count = best.total
        row.top = [(h.id, h.title) for h in best.hits[:top]]
        if row.count:
            row.first_date = _dated(search(query, 20, "date"))
            row.last_date = _dated(search(query, 20, "-date"))
    except ChanceryError as exc:
        row.error = str(exc)
    return row


def run_batch(
    search: Searcher,
    queries: list[tuple[str, str]],
    top: int = 5,
    on_row: Callable[[int, int], None] | None = None,
) -> Iterator[BatchRow]:
    """Each query's row, in input order; `on_row(done, total)` after each."""
    for done, (label, query) in enumerate(queries, 1):
        yield run_one(search, label, query, top)
        if on_row:
            on_row(done, len(queries))


def columns(top: int) -> list[str]:
    head = ["label", "query", "count", "first_date", "last_date"]
    return head + [f"{kind}_{i}" for i in range(1, top + 1) for kind in ("id", "title")] + ["error"]


def csv_lines(rows: Iterable[BatchRow], top: int) -> Iterator[str]:
    """The output CSV: a header, then one line a row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns(top))
    yield _take(buffer)
    for row in rows:
        pairs = [v for i in range(top) for v in (row.top[i] if i < len(row.top) else ("", ""))]
        cells = [row.label, row.query, row.count, row.first_date, row.last_date, *pairs, row.error]
        writer.writerow([_cell(c) for c in cells])
        yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
