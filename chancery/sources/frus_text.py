"""FRUS documents copied as plain text from history.state.gov (layout of seed 000).

Layout: an archive-file heading ("Moscow Embassy Files—710 Sino-Soviet Relations: Telegram"),
the editors' title ("The Ambassador in the Soviet Union (Harriman) to President Truman"), an
optional "[Paraphrase]" marker, the body with "[Page 906]" markers and footnote numbers glued to
words ("last night63"), and the web page's footnote list ("  1. Supra.") at the end.

Choices: page markers and footnote numbers are removed from `text` and kept as offsets; the
footnotes are paired with the glued numbers by order, and `Footnote.n` keeps the number
printed in the volume ("63"), the one the TEI edition and cross-references use (the web page
renumbers its list 1..n). A footnote without a found anchor keeps its list number and an
offset at the end of the text, with a warning. "[Paraphrase]" is an editorial marker: it sets
`markings.paraphrase` and is left out of `text`. The signature ("[Harriman]") stays in `text`.
The dateline and date are left to the date enricher.
"""

from __future__ import annotations

import re

from chancery.errors import SourceError
from chancery.model import Collection, Document, Footnote, Markings, Page, Party, Source
from chancery.sources import parties
from chancery.sources.files import SourceItem, decode_text

FORMAT = "frus-text"

DOC_KINDS = (
    "Telegram|Memorandum of Conversation|Memorandum|Letter|Despatch|Dispatch|Airgram|Instruction|"
    "Note|Message|Report|Minutes|Circular Telegram|Circular Airgram|Paper|Editorial Note|Aide-Mémoire"
)
_HEADING = re.compile(rf"^(?P<file>.+?):\s*(?P<kind>{DOC_KINDS})\s*$")
_PAGE = re.compile(r"[ \t]*\[Page (?P<n>[0-9ivxlcdmIVXLCDM]+)\][ \t]*")
_PAGE_HEAD = re.compile(r"\[Page [0-9ivxlcdm]+\]", re.I)
_FOOTNOTE_ITEM = re.compile(r"^\s+(?P<n>\d{1,3})\.\s+(?P<text>\S.*)$")
_GLUED_NUMBER = re.compile(r"(?<=[A-Za-z.,;:!?’”')\]])(?P<n>\d{1,3})(?=[\s.,;:]|$)")


def sniff(item: SourceItem) -> int:
    """5 for a history.state.gov plain-text layout, 0 otherwise."""
    if item.suffix not in ("", ".txt", ".text", ".md"):
        return 0
    head = item.data[:4096]
    if b"\x00" in head:
        return 0
    lines = [ln.strip() for ln in head.decode("utf-8", "ignore").splitlines() if ln.strip()][:6]
    if not lines or lines[0].startswith("**"):
        return 0
    score = 0
    if _HEADING.match(lines[0]):
        score += 3
    if any(_PAGE_HEAD.search(ln) for ln in lines) or _PAGE_HEAD.search(head.decode("utf-8", "ignore")):
        score += 1
    if any(parties.OFFICE_NAME.match(ln.split(" to ")[0]) for ln in lines[:3] if " to " in ln):
        score += 2
    return 5 if score >= 2 else 0


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
    if idx < len(lines) and not lines[idx].strip().startswith("["):
        doc.title = lines[idx].strip()
        doc.senders, doc.recipients = parse_title_parties(doc.title)
        idx = _skip_blank(lines, idx + 1)
    if idx < len(lines) and lines[idx].strip().lower() == "[paraphrase]":
        doc.markings = Markings(paraphrase=True)
        idx = _skip_blank(lines, idx + 1)
    body_lines, notes = _split_footnotes(lines[idx:])
    _build_text(doc, "\n".join(body_lines).strip(), notes)
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


def _split_footnotes(lines: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Split off the trailing numbered list ("  1. Supra.") numbered 1..n."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (_FOOTNOTE_ITEM.match(lines[start - 1]) or not lines[start - 1].strip()):
        start -= 1
    items = [m for ln in lines[start:end] if (m := _FOOTNOTE_ITEM.match(ln))]
    numbers = [int(m["n"]) for m in items]
    if not items or numbers != list(range(1, len(items) + 1)):
        return lines[:end], []
    return lines[:start], [(m["n"], m["text"].strip()) for m in items]


def _pick_anchors(body: str, count: int) -> list[re.Match[str]]:
    """The glued numbers that anchor `count` footnotes: a run of consecutive numbers if any."""
    candidates = [
        m
        for m in _GLUED_NUMBER.finditer(body)
        if not _PAGE_HEAD.search(body[max(0, m.start() - 9) : m.end() + 1])
    ]
    for i in range(len(candidates)):
        run = candidates[i : i + count]
        if len(run) == count and all(
            int(b["n"]) == int(a["n"]) + 1 for a, b in zip(run, run[1:], strict=False)
        ):
            return run
    return []


def _build_text(doc: Document, body: str, notes: list[tuple[str, str]]) -> None:
    """Remove page markers and footnote numbers from `body`, recording their offsets."""
    anchors = _pick_anchors(body, len(notes)) if notes else []
    if notes and not anchors:
        doc.warnings.append(f"{len(notes)} footnotes but no matching inline footnote numbers")
    events: list[tuple[int, int, str, str]] = [
        (m.start(), m.end(), "page", m["n"]) for m in _PAGE.finditer(body)
    ]
    events += [(m.start(), m.end(), "note", m["n"]) for m in anchors]
    events.sort()
    out: list[str] = []
    length, pos, note_idx = 0, 0, 0
    for start, end, kind, n in events:
        if start < pos:
            continue
        chunk = body[pos:start]
        out.append(chunk)
        length += len(chunk)
        if kind == "page":
            before = "".join(out[-1:])
            if before and not before.endswith(("\n", " ")) and end < len(body) and body[end] not in "\n":
                out.append(" ")
                length += 1
            doc.pages.append(Page(n=n, offset=length))
        else:
            doc.footnotes.append(Footnote(n=n, text=notes[note_idx][1], offset=length))
            note_idx += 1
        pos = end
    out.append(body[pos:])
    doc.text = "".join(out)
    for list_n, note_text in notes[note_idx:]:
        doc.footnotes.append(Footnote(n=list_n, text=note_text, offset=len(doc.text)))
