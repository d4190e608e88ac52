"""Export of many documents (a list or a search) as CSV, JSON Lines, BibTeX, CSL-JSON or RIS.

Streams text chunks. The citation formats reuse `chancery.citations` record by record; JSON Lines
is the export contract (`chancery export`); CSV is one row a document of the fields a
spreadsheet wants."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

import orjson

from chancery import citations
from chancery.citations import EXPORT_FORMATS

CSV_COLUMNS = (
    "id",
    "title",
    "date",
    "date_precision",
    "doc_type",
    "senders",
    "recipients",
    "place",
    "collection_id",
    "collection_title",
    "n",
    "archive_file",
    "url",
    "citation",
)

Permalink = Callable[[str], str | None]  # document id -> its public URL (None: the source's URL)


def permalinks(base_url: str | None) -> Permalink | None:
    """Document id -> `base_url`/documents/id (None without a base URL: citations use the source URL)."""
    if not base_url:
        return None
    base = base_url.rstrip("/")
    return lambda doc_id: f"{base}/documents/{quote(doc_id, safe='/:')}"


def check_format(format: str) -> str:
    if format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {format!r}; use one of {', '.join(EXPORT_FORMATS)}")
    return format


def export_chunks(
    docs: Iterable[dict[str, Any]], format: str, permalink: Permalink | None = None
) -> Iterator[str]:
    """`docs` (export dicts) in `format`, as text chunks (one or a few a document)."""
    check_format(format)
    link = permalink or (lambda _id: None)
    if format == "jsonl":
        yield from (orjson.dumps(doc).decode() + "\n" for doc in docs)
    elif format == "csv":
        yield from _csv(docs, link)
    elif format == "csl-json":
        yield from _csl_array(docs, link)
    elif format == "bibtex":
        yield from _bibtex(docs, link)
    else:
        yield from (citations.ris(doc, link(doc["id"])) for doc in docs)


def export_text(docs: Iterable[dict[str, Any]], format: str, permalink: Permalink | None = None) -> str:
    return "".join(export_chunks(docs, format, permalink))


def _names(parties: list[dict[str, Any]] | None) -> str:
    return "; ".join(p["name"].strip() for p in parties or [] if (p.get("name") or "").strip())


def csv_row(doc: dict[str, Any], permalink: str | None) -> list[str]:
    date = doc.get("date") or {}
    collection = doc.get("collection") or {}
    values: dict[str, Any] = {
        "id": doc["id"],
        "title": doc.get("title"),
        "date": date.get("when") or date.get("not_before"),
        "date_precision": date.get("precision"),
        "doc_type": doc.get("doc_type"),
        "senders": _names(doc.get("senders")),
        "recipients": _names(doc.get("recipients")),
        "place": doc.get("place"),
        "collection_id": collection.get("id"),
        "collection_title": collection.get("title"),
        "n": doc.get("n"),
        "archive_file": doc.get("archive_file"),
        "url": (doc.get("source") or {}).get("url") or permalink,
        "citation": citations.chicago_note(doc, permalink),
    }
    return [_cell(values[c]) for c in CSV_COLUMNS]


def _cell(value: Any) -> str:
    text = "" if value is None else " ".join(str(value).split())
    # A spreadsheet runs a cell starting with = + - @ as a formula: quote it as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _csv(docs: Iterable[dict[str, Any]], link: Permalink) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for doc in docs:
        writer.writerow(csv_row(doc, link(doc["id"])))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _csl_array(docs: Iterable[dict[str, Any]], link: Permalink) -> Iterator[str]:
    yield "["
    for i, doc in enumerate(docs):
        item = orjson.dumps(citations.csl_json(doc, link(doc["id"])), option=orjson.OPT_INDENT_2).decode()
        yield ("," if i else "") + "\n" + item
    yield "\n]\n"


def _bibtex(docs: Iterable[dict[str, Any]], link: Permalink) -> Iterator[str]:
    """@misc entries, keys made unique (BibTeX needs distinct keys)."""
    seen: dict[str, int] = {}
    for i, doc in enumerate(docs):
        entry = citations.bibtex(doc, link(doc["id"]))
        key = citations.bibtex_key(doc)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            entry = entry.replace("@misc{" + key + ",", "@misc{" + f"{key}_{seen[key]}" + ",", 1)
        yield ("\n" if i else "") + entry
