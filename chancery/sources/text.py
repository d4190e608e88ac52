"""Any other plain-text or Markdown file: the fallback reader.

The first non-empty line (Markdown `#`/`**` stripped) is the title, the rest is `text`. When
the text has "[1]" markers and ends with a list numbered 1..n ("1 Text", "1. Text" or
"[1] Text"), markers leave the text and become `Footnote` offsets. `dateline` is the first
short line near the top that carries a date (parsing is left to the date enricher).
"""

from __future__ import annotations

import re

from chancery.dates import MONTH_PATTERN
from chancery.errors import SourceError
from chancery.model import Collection, Document, Footnote, Source
from chancery.sources.files import SourceItem, decode_text

FORMAT = "text"
SUFFIXES = ("", ".txt", ".md", ".text", ".markdown")

_DATE_LINE = re.compile(
    rf"(?i)\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTH_PATTERN})|(?:{MONTH_PATTERN})\s+\d{{1,2}}(?:st|nd|rd|th)?,?)\s+\d{{4}}\b"
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{6}Z\b"
)
_MARKER = re.compile(r" ?\[(?P<n>\d{1,3})\]")
_NOTE_ITEM = re.compile(r"^\s*(?:\[(?P<bn>\d{1,3})\]|(?P<n>\d{1,3})\.?)\s+(?P<text>\S.*)$")
_TITLE_MARKUP = re.compile(r"^#{1,6}\s*|^\*\*|\*\*$|^__|__$")


def sniff(item: SourceItem) -> int:
    """1 for a text file with a text suffix (the fallback), 0 for binary or other suffixes."""
    if item.suffix not in SUFFIXES or b"\x00" in item.data[:8192]:
        return 0
    return 1


def read(item: SourceItem) -> list[Document]:
    raw = decode_text(item).replace("\r\n", "\n")
    if not raw.strip():
        raise SourceError(item.path, "empty file")
    lines = raw.split("\n")
    first = next(i for i, ln in enumerate(lines) if ln.strip())
    doc = Document(
        id=f"text/{item.stem}",
        collection=Collection(id="text", title="Plain-text documents", archive="text"),
        source=Source(format=FORMAT, path=item.path),
        title=_TITLE_MARKUP.sub("", lines[first].strip()).strip() or None,
    )
    body_lines, notes = _split_notes(lines[first + 1 :])
    body = "\n".join(body_lines).strip()
    doc.dateline = next(
        (
            ln.strip()
            for ln in body_lines[:12]
            if ln.strip() and len(ln.strip()) < 100 and _DATE_LINE.search(ln)
        ),
        None,
    )
    _set_text(doc, body, notes)
    return [doc]


def _split_notes(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    """Split off a trailing list numbered 1..n when the body holds matching "[n]" markers."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (_NOTE_ITEM.match(lines[start - 1]) or not lines[start - 1].strip()):
        start -= 1
    items = [m for ln in lines[start:end] if (m := _NOTE_ITEM.match(ln))]
    numbers = [int(m["n"] or m["bn"]) for m in items]
    body = "\n".join(lines[:start])
    markers = {int(m["n"]) for m in _MARKER.finditer(body)}
    if not items or numbers != list(range(1, len(items) + 1)) or not markers & set(numbers):
        return lines[:end], {}
    return lines[:start], {str(n): m["text"].strip() for n, m in zip(numbers, items, strict=False)}


def _set_text(doc: Document, body: str, notes: dict[str, str]) -> None:
    if not notes:
        doc.text = body
        return
    out: list[str] = []
    pos = length = 0
    for m in _MARKER.finditer(body):
        if m["n"] not in notes:
            continue
        chunk = body[pos : m.start()]
        out.append(chunk)
        length += len(chunk)
        doc.footnotes.append(Footnote(n=m["n"], text=notes[m["n"]], offset=length))
        pos = m.end()
    out.append(body[pos:])
    doc.text = "".join(out)
