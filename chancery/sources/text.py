"""Any other plain-text or Markdown file: the fallback reader.

The first non-empty line (Markdown `#`/`**` stripped) is the title, the rest is `text`. When
the text ends with a list numbered 1..n ("1 Text", "1. Text" or "[1] Text") and has marks for
it, "[1]" or numbers glued to words ("night63", as a copied web page prints them), the marks
leave the text and become `Footnote` offsets; "[Page 906]" markers become `Page` offsets
(`chancery.sources.marks`). A list without marks is an ordinary list and stays in `text`.
`dateline` is the first short line near the top that carries a date (parsed by the enricher).

A teletype body (a telegram as the State Department's cable files keep it: nearly all capitals)
has no title line: its first line is a header or paragraph 1, so the whole file stays `text`
(where the entity step reads it) and the title is its "SUBJECT:" line, if any.
"""

from __future__ import annotations

import re

from chancery.dates import MONTH_PATTERN
from chancery.errors import SourceError
from chancery.model import Collection, Document, Source
from chancery.sources import marks
from chancery.sources.files import SourceItem, decode_text

FORMAT = "text"
SUFFIXES = ("", ".txt", ".md", ".text", ".markdown")

DATE_LINE = re.compile(
    rf"(?i)\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTH_PATTERN})|(?:{MONTH_PATTERN})\s+\d{{1,2}}(?:st|nd|rd|th)?,?)\s+\d{{4}}\b"
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{6}Z\b"
)
_TITLE_MARKUP = re.compile(r"^#{1,6}\s*|^\*\*|\*\*$|^__|__$")
_SUBJECT = re.compile(r"^[ \t]*SUBJ(?:ECT)?[ \t]*[:.][ \t]*(\S.*?)[ \t]*$", re.M)
TELETYPE_LETTERS = 200  # a shorter all-capitals file may be a heading and a line
TELETYPE_CAPITALS = 0.9  # share of capitals among the letters of a teletype body


def sniff(item: SourceItem) -> int:
    """1 for a text file with a text suffix (the fallback), 0 for binary or other suffixes."""
    if item.suffix not in SUFFIXES or b"\x00" in item.data[:8192]:
        return 0
    return 1


def teletype(text: str) -> bool:
    """Nearly all capitals over some length: a telegram body, whose first line is no title."""
    letters = [c for c in text if c.isalpha()]
    capitals = sum(c.isupper() for c in letters)
    return len(letters) >= TELETYPE_LETTERS and capitals >= TELETYPE_CAPITALS * len(letters)


def read(item: SourceItem) -> list[Document]:
    raw = decode_text(item).replace("\r\n", "\n")
    if not raw.strip():
        raise SourceError(item.path, "empty file")
    lines = raw.split("\n")
    first = next(i for i, ln in enumerate(lines) if ln.strip())
    title = _TITLE_MARKUP.sub("", lines[first].strip()).strip()
    if teletype(raw):
        subject = _SUBJECT.search("\n".join(lines[: first + 20]))  # a header field, not a quotation
        title, first = (subject.group(1) if subject else ""), first - 1
    doc = Document(
        id=f"text/{item.stem}",
        collection=Collection(id="text", title="Plain-text documents", archive="text"),
        source=Source(format=FORMAT, path=item.path),
    )
    body_lines, notes = marks.split_notes(lines[first + 1 :], loose=True)
    body = "\n".join(body_lines).strip()
    anchors = marks.bracket_anchors(body, len(notes)) if notes else []
    head: list[marks.Anchor] = []
    if notes and not anchors:  # marks glued to words, as a copied web page prints them
        title, head, anchors = marks.glued_with_heading(title, body, len(notes), in_numbers=False)
    if notes and not (anchors or head):  # an ordinary numbered list ends the text, not notes
        body, notes = "\n".join(lines[first + 1 :]).strip(), []
    doc.title = title or None
    doc.text, doc.pages, doc.footnotes = marks.apply_marks(body, anchors, notes)
    marks.place_head_notes(doc.footnotes, head)
    doc.dateline = next(
        (
            ln.strip()
            for ln in doc.text.split("\n")[:12]
            if ln.strip() and len(ln.strip()) < 100 and DATE_LINE.search(ln)
        ),
        None,
    )
    return [doc]
