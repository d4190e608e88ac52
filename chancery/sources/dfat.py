"""Documents on Australian Foreign Policy: one Markdown file per document with YAML front matter.

Front matter gives the id (`vol_id`, `doc_num`), order, title ("Sender to Recipient"), date
(`doc_date`, basis "metadata") and NAA references. The body opens with a line such as
"Cablegram 2 CANBERRA, 2 January 1944" (→ `dateline` and `doc_type`), usually a
classification line, the text, a "_" separator, numbered footnotes and the archive reference
"[AA:A989, 43-44/970/54]" (→ `archive_file`, left out of `text`).

Paragraphs: many files are hard-wrapped with a blank line after every line; a wrapped line
ends with a trailing space, so a line ending in a space is joined to the next one unless it
ends a sentence well short of the file's wrap width, or the next line opens a numbered
paragraph, heading or list item. Files whose lines are not wrapped (long lines) keep every
line as a paragraph. The opener and the classification line stay in `text` (the markings
enricher reads classification from the text head). Markdown escapes and emphasis are undone;
footnote markers "[1]" / "[1](#f1)" are removed from `text` and recorded as `Footnote` offsets;
"See Document 135" stays verbatim in footnote texts.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from chancery.dates import date_interval
from chancery.errors import SourceError
from chancery.model import Collection, DocDate, Document, Footnote, Party, Source
from chancery.sources.files import SourceItem, decode_text, limits
from chancery.sources.parties import DFAT_TITLE_KIND, parse_parties

FORMAT = "dfat"
COLLECTION_PREFIX = "Documents on Australian Foreign Policy, "

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_FRONT = re.compile(r"\A---[ \t]*\r?\n(?P<yaml>.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_SEPARATOR = re.compile(r"^\s*_\s*$")
_ARCHIVE_REF = re.compile(r"^\s*_?\s*\[(?P<ref>[A-Z][A-Za-z]*\s*:[^\]]*)\]\s*_?\s*$")
_NOTE_START = re.compile(r"^\s*(?:\*\s+)?_?(?:(?P<n>\d{1,3})|\[(?P<bn>\d{1,3})\])\s+(?P<text>\S.*)$")
_MARKER = re.compile(r" ?\[(?P<n>\d{1,3})\](?:\(#f\d+\))?")
_SENTINEL = re.compile(r"\x00(?P<n>\d{1,3})\x00")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|~])")
_EMPHASIS = re.compile(r"(?<![\w\\])(\*\*|__|\*|_)(?=\S)(?P<inner>.+?)(?<=\S)\1(?!\w)")
_HEADING = re.compile(r"^#{1,6}\s+")
_BULLET = re.compile(r"^\s*[*+-]\s+")
_PARA_START = re.compile(r"^\s*(?:\d+\\?\.|\(?[a-z0-9]{1,4}\)|[*+-]\s|#|[A-Z][A-Z ,'’&-]{3,}$|\d+\s)")
_SENTENCE_END = re.compile(r"[.:;?!'’\"”)]\s*$")
_OPENER_KIND = re.compile(
    r"^(?P<kind>Circular Cablegram|Cablegrams?|Savingram|Letter|Memorandum|Record of Conversation|"
    r"Record of Meeting|Minutes?|Notes?|Dispatch|Despatch|Submission|Cable|Telegram|Teleprinter Message|"
    r"Agendum|Extracts?|Report|Aide-m[ée]moire|Brief|Paper|Statement|Speech|Message)\b",
    re.I,
)
_KIND_NAMES = {
    "cablegrams": "cablegram",
    "minutes": "minute",
    "notes": "note",
    "despatch": "dispatch",
    "extracts": "extract",
    "circular cablegram": "cablegram",
}


def sniff(item: SourceItem) -> int:
    """9 for Markdown with DFAT front matter (doc_num and vol_id), 0 otherwise."""
    if item.suffix not in (".md", ".markdown", ""):
        return 0
    head = item.data[:2048]
    if not head.startswith(b"---") or b"\x00" in head:
        return 0
    return 9 if b"\ndoc_num:" in head and b"\nvol_id:" in head else 0


def read(item: SourceItem) -> list[Document]:
    raw = decode_text(item)
    if not raw.strip():
        raise SourceError(item.path, "empty file")
    meta, body, body_line = _front_matter(item, raw)
    vol_id, doc_num = meta.get("vol_id"), meta.get("doc_num")
    if not isinstance(vol_id, int) or doc_num in (None, ""):
        raise SourceError(item.path, "front matter lacks vol_id or doc_num", 1)
    vol_title = str(meta.get("vol_full_title") or meta.get("vol_title") or f"Volume {vol_id}")
    doc = Document(
        id=f"dfat-v{vol_id:02d}/d{doc_num}",
        collection=Collection(id=f"dfat-v{vol_id:02d}", title=COLLECTION_PREFIX + vol_title, archive="dfat"),
        source=Source(format=FORMAT, path=item.path),
        n=str(doc_num),
        order=meta.get("doc_order") if isinstance(meta.get("doc_order"), int) else None,
    )
    title = _MARKER.sub("", str(meta.get("title") or "")).strip()
    doc.title = " ".join(title.split()) or None
    doc.date = _metadata_date(meta.get("doc_date"))
    if doc.title:
        doc.senders, doc.recipients = parse_title_parties(doc.title)
    _read_body(doc, body, meta)
    if doc.date.when is None and meta.get("doc_date"):
        doc.warnings.append(
            f"front matter doc_date {meta.get('doc_date')!r} is not an ISO date (line {body_line})"
        )
    return [doc]


def parse_title_parties(title: str) -> tuple[list[Party], list[Party]]:
    """ "Mr R. G. Menzies, Prime Minister, to Mr R. G. Casey, Minister for Supply" → parties."""
    return parse_parties(title, "dfat")


def _front_matter(item: SourceItem, raw: str) -> tuple[dict[str, Any], str, int]:
    match = _FRONT.match(raw)
    if not match:
        raise SourceError(item.path, "no YAML front matter (expected '---' on line 1)", 1)
    cap = limits().max_front_matter_bytes
    if len(match["yaml"]) > cap:
        raise SourceError(item.path, f"front matter is longer than {cap} characters (the limit); refused", 1)
    try:
        _refuse_aliases(item, match["yaml"])
        meta = yaml.load(match["yaml"], Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SourceError(
            item.path, f"bad YAML front matter ({getattr(exc, 'problem', exc)})", mark.line + 2 if mark else 1
        ) from None
    if not isinstance(meta, dict):
        raise SourceError(item.path, "front matter is not a mapping", 1)
    return meta, raw[match.end() :], raw[: match.end()].count("\n") + 1


def _refuse_aliases(item: SourceItem, text: str) -> None:
    """YAML anchors and aliases are refused: a few hundred bytes of them can expand to gigabytes."""
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            line = event.start_mark.line + 2 if event.start_mark else 1
            raise SourceError(item.path, "YAML anchors and aliases are not allowed in front matter", line)


def _metadata_date(value: Any) -> DocDate:
    """ISO day, month ("1937-02") or year from `doc_date` as an interval."""
    return date_interval(str(value or ""), "metadata")


def _read_body(doc: Document, body: str, meta: dict[str, Any]) -> None:
    lines = [ln.rstrip("\r") for ln in body.split("\n")]
    ref_matches = [(i, m) for i, ln in enumerate(lines) if (m := _ARCHIVE_REF.match(ln))]
    refs = [i for i, _ in ref_matches]
    printed_refs = [m["ref"].strip() for _, m in ref_matches]
    lines = [ln for i, ln in enumerate(lines) if i not in set(refs)]
    naa = [
        str(r.get("reference", "")).strip().strip("[]")
        for r in meta.get("naa_refs") or []
        if isinstance(r, dict)
    ]
    doc.archive_file = "; ".join(printed_refs or [r for r in naa if r]) or None
    first_sep = next((i for i, ln in enumerate(lines) if _SEPARATOR.match(ln)), None)
    lines = [ln for ln in lines if not _SEPARATOR.match(ln)]
    markers = {m["n"] for m in _MARKER.finditer(body)}
    note_at = _footnote_block(lines, first_sep) if markers else None
    notes: dict[str, str] = {}
    if note_at is not None:
        notes = _footnote_texts(lines[note_at:])
        lines = lines[:note_at]
    paragraphs = rebuild_paragraphs(lines)
    if paragraphs:
        opener = _plain(paragraphs[0])
        kind = _OPENER_KIND.match(opener) or DFAT_TITLE_KIND.match(doc.title or "")
        if kind:
            name = kind["kind"].lower()
            doc.doc_type = _KIND_NAMES.get(name, name)
        if re.search(r"\b(1[89]|20)\d\d\b", opener) and len(opener) < 160:
            doc.dateline = _MARKER.sub("", opener).strip()
    _set_text(doc, "\n\n".join(paragraphs), notes, str(meta.get("title") or ""))


def _footnote_block(lines: list[str], first_sep: int | None) -> int | None:
    """Index of the first line of the trailing footnote list numbered 1..n, or None."""
    valid = []
    for i, ln in enumerate(lines):
        start = _NOTE_START.match(ln)
        if not start or _note_number(start) != 1:
            continue
        expected, ok = 2, True
        for later in lines[i + 1 :]:
            nxt = _NOTE_START.match(later)
            if nxt and _note_number(nxt) == expected:
                expected += 1
            elif nxt and later.lstrip().startswith("*"):
                ok = False
                break
        if ok:
            valid.append(i)
    if not valid:
        return None
    if first_sep is not None:
        after = [i for i in valid if i >= first_sep - 1]
        if after:
            return after[0]
    return valid[-1]


def _note_number(match: re.Match[str]) -> int:
    return int(match["n"] or match["bn"])


def _footnote_texts(lines: list[str]) -> dict[str, str]:
    notes: dict[str, list[str]] = {}
    current: str | None = None
    expected = 1
    for ln in lines:
        start = _NOTE_START.match(ln)
        if start and _note_number(start) == expected:
            current = str(expected)
            notes[current] = [start["text"]]
            expected += 1
        elif current and ln.strip():
            notes[current].append(ln.strip())
    return {n: _plain(" ".join(" ".join(parts).split())).strip("_ ") for n, parts in notes.items()}


def rebuild_paragraphs(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines (trailing space, blank line between) into paragraphs."""
    content = [ln for ln in lines if ln.strip()]
    wrapped = [len(ln.strip()) for ln in content if ln.endswith(" ") and not _BULLET.match(ln)]
    wrapped.sort()
    width = wrapped[len(wrapped) * 9 // 10] if wrapped else 0
    hard_wrapped = bool(wrapped) and len(wrapped) >= len(content) // 2 and width <= 90
    paragraphs: list[str] = []
    joining = False
    for ln in content:
        stripped = ln.strip()
        if joining and paragraphs and not _PARA_START.match(ln):
            joined = paragraphs[-1]
            paragraphs[-1] = (
                joined[:-1] + stripped
                if joined.endswith("-") and not joined.endswith(" -")
                else (joined + " " + stripped)
            )
        else:
            paragraphs.append(_bullet(ln))
        short_end = _SENTENCE_END.search(stripped) and len(stripped) < width - 12
        joining = hard_wrapped and ln.endswith(" ") and not short_end and not _HEADING.match(ln)
    return paragraphs


def _bullet(line: str) -> str:
    stripped = line.strip()
    return "- " + _BULLET.sub("", line) if _BULLET.match(line) else stripped


def _plain(text: str) -> str:
    """Undo Markdown: headings, emphasis, escapes (markers already replaced by sentinels)."""
    text = _HEADING.sub("", text)
    text = _EMPHASIS.sub(lambda m: m["inner"], text)
    return _ESCAPE.sub(r"\1", text)


def _set_text(doc: Document, markdown: str, notes: dict[str, str], title: str | None = None) -> None:
    """Plain text with footnote markers removed and recorded as offsets."""
    marked = _MARKER.sub(lambda m: f"\x00{m['n']}\x00", markdown)
    plain = "\n\n".join(_plain(p).strip() for p in marked.split("\n\n")).strip()
    out: list[str] = []
    pos = length = 0
    seen: set[str] = set()
    for m in _SENTINEL.finditer(plain):
        chunk = plain[pos : m.start()]
        out.append(chunk)
        length += len(chunk)
        n = m["n"]
        if n in notes and n not in seen:
            doc.footnotes.append(Footnote(n=n, text=notes[n], offset=length))
            seen.add(n)
        elif n not in notes:
            doc.warnings.append(f"footnote marker [{n}] has no footnote text")
        pos = m.end()
    out.append(plain[pos:])
    doc.text = "".join(out)
    for n, text in notes.items():
        if n not in seen:
            doc.footnotes.append(Footnote(n=n, text=text, offset=len(doc.text)))
            where = "is anchored in the title" if f"[{n}]" in (title or "") else "has no marker in the text"
            doc.warnings.append(f"footnote {n} {where}")
