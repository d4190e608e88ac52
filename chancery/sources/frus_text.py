"""FRUS documents copied as plain text from history.state.gov, recognised by their shape.

Two layouts. Older volumes (seed 000): an archive-file heading ("Moscow Embassy Files—710
Sino-Soviet Relations: Telegram"), the editors' title, an optional "[Paraphrase]" marker, the
body. The web page of any volume: a numbered heading ("163. Telegram From the Ambassador in the
Soviet Union (Harriman) to President Truman1"), a dateline ("Moscow, June 16, 1945—9 a.m."),
the body. Both carry "[Page 906]" markers, footnote numbers glued to words ("last night63") and
the web page's footnote list at the end ("  1. Source: ...", numbered 1..n).

A file is FRUS by its shape: the archive-file heading, or a numbered heading together with a
page marker, a "1. Source:" note, an "Editorial Note" heading, or a dateline with either
footnotes whose marks are found or an editors' title naming an office ("... (Harriman) to
...", "the Department of State"); a generic memo that merely opens with a number, even with a
date under it, stays with the text reader.

Choices: page markers and footnote marks leave `text` and become offsets (`chancery.sources.
marks`); `Footnote.n` is the number printed at the mark ("63"), the one the TEI edition uses.
A mark glued to the heading is a footnote at offset 0, as the TEI reader stores a head's note.
The heading is the `title` as printed (with its number, as the TEI heads of recent volumes
have it), its number is `n`; senders and recipients come from it ('frus' party style).
"[Paraphrase]" sets `markings.paraphrase` and leaves `text`. The dateline is the first short
dated line near the top: it stays in `text` and is parsed by the date enricher.
"""

from __future__ import annotations

import re

from chancery.dates import MONTH_PATTERN
from chancery.errors import SourceError
from chancery.model import Collection, Document, Markings, Party, Source
from chancery.sources import marks, parties
from chancery.sources.files import SourceItem, decode_text
from chancery.sources.frus_tei import doc_type_from_head
from chancery.sources.text import DATE_LINE

FORMAT = "frus-text"

DOC_KINDS = (
    "Telegram|Memorandum of Conversation|Memorandum|Letter|Despatch|Dispatch|Airgram|Instruction|"
    "Note|Message|Report|Minutes|Circular Telegram|Circular Airgram|Paper|Editorial Note|Aide-Mémoire"
)
_HEADING = re.compile(rf"^(?P<file>.+?):\s*(?P<kind>{DOC_KINDS})\s*$")
_PAGE_HEAD = re.compile(r"\[Page [0-9ivxlcdm]+[a-z]?\]", re.I)
# "163. Telegram From ...": a document number, then a title of at least two words.
_NUMBERED = re.compile(r"^(?P<n>\d{1,4}[A-Za-z]?)\.\s+(?P<title>[A-Z\[“\"][^\s]*(?:\s+\S+){1,})$")
_SOURCE_NOTE = re.compile(r"^\s*1\.\s+Source:", re.M)
_EDITORIAL = re.compile(r"^Editorial Note\d*$")
# An editors' title naming an office: "... (Harriman) to ...", "... to the Department of State".
_OFFICE_TITLE = re.compile(
    r"\([A-Z][^()]{1,60}\)|\b(?:Department of State|Secretary of State|Embassy|Legation|Ambassador|"
    r"National Security Council|President (?:Roosevelt|Truman|Eisenhower|Kennedy|Johnson|Nixon|Ford|Carter))\b"
)
_LOOSE_DATE = re.compile(
    rf"^[A-Z][^,]{{0,40}},\s+(?:{MONTH_PATTERN})\s+\d{{1,2}}\.\s+\d{{4}}\b"
)  # "June 28. 1963"
_UNDATED = re.compile(r"^[A-Z][\w .’'-]{1,40},\s+undated\.?$")
_KIND_FROM = re.compile(r"^(?:[A-Z0-9][\w-]*\s+){1,6}?(?:From|from)\s+")  # "Telegram 1261 From "
# A title's trailing place and date: "..., Colombo, March 11, 1956", "..., March 2, 1972, 1124Z".
_TITLE_DATE = re.compile(rf",\s+(?:[A-Z][\w .’'-]{{0,40}},\s+)?(?:{MONTH_PATTERN})\s+\d{{1,2}}\b.*$")
_HEAD_LINES = 6


def sniff(item: SourceItem) -> int:
    """5 for a history.state.gov layout (archive-file heading or FRUS shape), 0 otherwise."""
    if item.suffix not in ("", ".txt", ".text", ".md"):
        return 0
    head = item.data[:4096]
    if b"\x00" in head:
        return 0
    text = head.decode("utf-8", "ignore")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()][:6]
    if not lines or lines[0].startswith("**"):
        return 0
    if _NUMBERED.match(lines[0]) and _frus_shape(item, lines):
        return 5
    score = 0
    if _HEADING.match(lines[0]):
        score += 3
    if _PAGE_HEAD.search(text):
        score += 1
    if any(parties.OFFICE_NAME.match(ln.split(" to ")[0]) for ln in lines[:3] if " to " in ln):
        score += 2
    return 5 if score >= 2 else 0


def _frus_shape(item: SourceItem, lines: list[str]) -> bool:
    """A numbered heading plus one of: a page marker, a "1. Source:" note, an "Editorial Note"
    heading, or a dateline with either marked notes or an editors' title naming an office."""
    text = decode_text(item)
    title = _NUMBERED.match(lines[0])
    if _PAGE_HEAD.search(text) or _SOURCE_NOTE.search(text) or (title and _EDITORIAL.match(title["title"])):
        return True
    if _dateline(lines[1:]) is None:
        return False
    if title and _OFFICE_TITLE.search(title["title"]):
        return True
    body, notes = marks.split_notes(text.replace("\r\n", "\n").split("\n"))
    return bool(notes) and bool(marks.glued_anchors("\n".join(body), len(notes)))


def _dateline(lines: list[str]) -> str | None:
    """The first short dated line among the first lines ("Moscow, June 16, 1945—9 a.m.")."""
    for line in lines[:_HEAD_LINES]:
        line = line.strip()
        if (
            line
            and len(line) < 120
            and (DATE_LINE.search(line) or _LOOSE_DATE.search(line) or _UNDATED.match(line))
        ):
            return line
    return None


def read(item: SourceItem) -> list[Document]:
    raw = decode_text(item)
    lines = raw.replace("\r\n", "\n").split("\n")
    if not raw.strip():
        raise SourceError(item.path, "empty file")
    doc = Document(
        id=f"frus-text/{item.stem}",
        collection=Collection(id="frus-text", title="FRUS documents (plain text)", archive="frus"),
        source=Source(format=FORMAT, path=item.path),
    )
    idx = _skip_blank(lines, 0)
    heading = _HEADING.match(lines[idx].strip())
    if heading:
        doc.archive_file = heading["file"].strip()
        doc.doc_type = heading["kind"].lower()
        idx = _skip_blank(lines, idx + 1)
    title = ""
    if idx < len(lines) and not lines[idx].strip().startswith("["):
        title = lines[idx].strip()
        idx = _skip_blank(lines, idx + 1)
    if idx < len(lines) and lines[idx].strip().lower() == "[paraphrase]":
        doc.markings = Markings(paraphrase=True)
        idx = _skip_blank(lines, idx + 1)
    body_lines, notes = marks.split_notes(lines[idx:])
    body = "\n".join(body_lines).strip()
    title, head, anchors = marks.glued_with_heading(title, body, len(notes))
    if notes and not (anchors or head):
        doc.warnings.append(f"{len(notes)} footnotes but no matching inline footnote numbers")
    doc.text, doc.pages, doc.footnotes = marks.apply_marks(body, anchors, notes)
    marks.place_head_notes(doc.footnotes, head)
    if title:
        doc.title = title
        numbered = _NUMBERED.match(title)
        bare = numbered["title"] if numbered else title
        doc.n = numbered["n"] if numbered else None
        doc.doc_type = doc.doc_type or doc_type_from_head(title)
        bare = _TITLE_DATE.sub("", _KIND_FROM.sub("", bare, count=1))
        doc.senders, doc.recipients = parse_title_parties(bare)
    doc.dateline = _dateline([ln for ln in doc.text.split("\n") if ln.strip()])
    return [doc]


def parse_title_parties(title: str) -> tuple[list[Party], list[Party]]:
    """Senders and recipients named in an editors' title, roles kept as written."""
    return parties.parse_parties(title, "frus")


def parse_party(text: str) -> Party:
    """ "The Ambassador in China (Hurley)" → Party("Hurley", "Ambassador in China")."""
    return parties.parse_party(text, "frus")


def _skip_blank(lines: list[str], idx: int) -> int:
    while idx < len(lines) and not lines[idx].strip():
        idx += 1
    return idx
