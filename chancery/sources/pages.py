"""A Document from page texts (a PDF's text layer or OCR): pages, title, dateline, cable parties.

Shared by the PDF and image readers. The text is the pages joined by a blank line, and each
page's start is a `Page` offset. The head of the first page is read the way a cable or letter
is: a `SUBJECT:` line or the first plain line is the title; `FROM:`/`TO:` (or `FM`/`TO`,
"FROM X FOR Y") lines name the parties, as does an editor's "Sender to Recipient" title; the
dateline is the first short dated line that is not a declassification stamp ("DECLASSIFIED
Authority NND 969000 By JW NARA Date 3/4/99" says when the page was released, not written).
Dates, markings and date-time groups are then found by the ordinary enrichment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chancery.dates import MONTH_ABBREVIATION_PATTERN, MONTH_PATTERN
from chancery.model import Collection, Document, Page, Party, Source
from chancery.sources.files import SourceItem
from chancery.sources.parties import header_case, parse_parties

_MONTHS = MONTH_PATTERN
_MON3 = MONTH_ABBREVIATION_PATTERN
_DATE_LINE = re.compile(
    rf"(?i)\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS}|{_MON3})\.?"
    rf"|(?:{_MONTHS}|{_MON3})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?)\s+[1l]\d{{3}}\b"
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{6}Z\b"
)
DECLASSIFICATION = re.compile(
    r"(?i)\b(?:DECLASSIFIED|DECLASSIFICATION|Authority\s+N[NL]D|\bNND\s*\d|NARA\b|E\.?\s?O\.?\s+1[23]\d{3}"
    r"|Sanitized|Date\s*:?\s*\d{1,2}/\d{1,2}/\d{2,4})"
)
_HEADER = re.compile(r"^\s*(?P<key>[A-Z0-9]{2,8})\s*[:.;]?\s+(?P<value>\S.*?)\s*$")
# Header keys as typed, and as OCR misreads them (O for 0, I for T, F for E ...).
_HEADER_KEYS = {
    "FROM": "FROM",
    "FM": "FROM",
    "FR0M": "FROM",
    "FRCM": "FROM",
    "FROW": "FROM",
    "PROM": "FROM",
    "TO": "TO",
    "T0": "TO",
    "IO": "TO",
    "SUBJECT": "SUBJECT",
    "SUBJ": "SUBJECT",
    "SUEJECT": "SUBJECT",
    "SUBJECI": "SUBJECT",
    "DATE": "DATE",
    "DAIE": "DATE",
    "DATF": "DATE",
    "DA1E": "DATE",
    "DATED": "DATE",
    "REF": "REF",
    "INFO": "INFO",
}
_KIND = re.compile(
    r"^\W*(TELEGRAM|CABLEGRAM|CABLE|AIRGRAM|TELEGRAPH|MEMORANDUM|LETTER|DESPATCH|DISPATCH)\W*$", re.I
)
_TIME_TAIL = re.compile(
    r"^\s*(?:[,.]?\s*(?:\d{1,2}(?:[:.]\d{2})?\s*(?:[ap]\.\s?m\.?|[ap]m\b)|noon|midnight)\.?)?\s*$", re.I
)
_FROM_FOR = re.compile(
    r"\bFROM\s+(?P<from>[A-Z][A-Z .,'-]+?)\s+(?:FOR|TO)\s+(?P<to>[A-Z][A-Z .,'-]+?)\s*[:.]?$"
)
_PAGE_NUMBER = re.compile(r"^\W*(?:page\s+)?\d{1,4}\W*$|^-\s*\d+\s*-$", re.I)
_MARKING_ONLY = re.compile(
    r"^\W*(?:TOP\s+SECRET|SECRET|CONFIDENTIAL|RESTRICTED|UNCLASSIFIED|LIMITED\s+OFFICIAL\s+USE"
    r"|MOST\s+SECRET|PERSONAL|EYES\s+ONLY|PRIORITY|IMMEDIATE|NIACT|NODIS|EXDIS|LIMDIS|[A-Z]{1,3})\W*$"
)
_TITLE_TO = re.compile(r"^(?P<from>.{3,120}?),?\s+to\s+(?P<to>.{3,160})$")
_HEAD_LINES = 18
DISPLAY_WIDTH = 1400  # pixels: the widest a page image is kept for the reader (a page 4x as tall at most)


@dataclass
class PageText:
    """One page's text and how it was got: "text" (a text layer) or "ocr", with OCR confidence."""

    text: str
    method: str = "text"
    confidence: float | None = None
    timed_out: bool = False


def build_document(item: SourceItem, pages: list[PageText], fmt: str, collection: Collection) -> Document:
    """The Document for a file whose pages are `pages` (at least one)."""
    parts: list[str] = []
    offsets: list[Page] = []
    length = 0
    for n, page in enumerate(pages, start=1):
        if parts:
            parts.append("\n\n")
            length += 2
        offsets.append(Page(n=str(n), offset=length))
        body = page.text.strip("\n")
        parts.append(body)
        length += len(body)
    text = "".join(parts)
    doc = Document(
        id=f"{collection.id}/{_slug(item.stem)}",
        collection=collection,
        source=Source(format=fmt, path=item.path),
        text=text,
        pages=offsets,
    )
    read_head(doc)
    ocr_pages = [(n, p) for n, p in enumerate(pages, start=1) if p.method == "ocr"]
    for n, page in ocr_pages:
        conf = "unknown" if page.confidence is None else f"{page.confidence:.0f}"
        if page.confidence is not None and page.confidence < 60:
            doc.warnings.append(f"ocr: page {n} read with low confidence ({conf})")
        if page.timed_out:
            doc.warnings.append(
                f"ocr: page {n} took too long and was left without text (CHANCERY_OCR_TIMEOUT)"
            )
        elif not page.text.strip():
            doc.warnings.append(f"ocr: page {n} has no text")
    return doc


def ocr_summary(pages: list[PageText]) -> str | None:
    """ "OCR: pages 1-3 (confidence 91, 88, 93)" for the OCR'd pages, or None."""
    done = [(n, p) for n, p in enumerate(pages, start=1) if p.method == "ocr"]
    if not done:
        return None
    confs = ", ".join("?" if p.confidence is None else f"{p.confidence:.0f}" for _, p in done)
    return f"OCR of {len(done)} of {len(pages)} pages (confidence per page: {confs})"


def _slug(stem: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-") or "document"


def head_lines(text: str, n: int = _HEAD_LINES) -> list[str]:
    lines = []
    for line in text.split("\n"):
        if line.strip():
            lines.append(line.strip())
        if len(lines) >= n:
            break
    return lines


def read_head(doc: Document) -> None:
    """Title, dateline and parties from the first lines of `doc.text` (see the module note)."""
    lines = head_lines(doc.text)
    headers: dict[str, str] = {}
    header_lines = set()
    for line in lines:
        m = _HEADER.match(line)
        key = _HEADER_KEYS.get(m["key"].upper()) if m else None
        if m and key and (":" in line[: m.end("key") + 2] or line.isupper()):  # "To my surprise" is no header
            header_lines.add(line)
            headers.setdefault(key, m["value"])
    kind = next((m[1].capitalize() for ln in lines if (m := _KIND.match(ln))), None)
    plain = [
        ln
        for ln in lines
        if not DECLASSIFICATION.search(ln)
        and not _PAGE_NUMBER.match(ln)
        and not _MARKING_ONLY.match(ln)
        and not _KIND.match(ln)
        and ln not in header_lines
    ]
    title_line = next((ln for ln in plain if len(re.findall(r"[A-Za-z]{2,}", ln)) >= 2), None)
    if headers.get("SUBJECT"):
        doc.title = headers["SUBJECT"]
    elif "FROM" in headers and "TO" in headers:
        doc.title = f"{kind or 'Message'} from {headers['FROM']} to {headers['TO']}"
    else:
        doc.title = title_line or (lines[0] if lines else None)
    if doc.title and len(doc.title) > 200:
        doc.title = doc.title[:200].rsplit(" ", 1)[0] + "…"
    doc.doc_type = kind.lower() if kind else None
    candidates = ([headers["DATE"]] if "DATE" in headers else []) + [
        ln for ln in lines if len(ln) < 100 and not DECLASSIFICATION.search(ln)
    ]
    doc.dateline = next((c for ln in candidates if _DATE_LINE.search(c := clean_dateline(ln))), None)
    if "FROM" in headers or "TO" in headers:
        doc.senders = _parties(headers.get("FROM", ""))
        doc.recipients = _parties(headers.get("TO", ""))
        return
    for line in lines:
        m = _FROM_FOR.search(line)
        if m and line.isupper():
            doc.senders, doc.recipients = _parties(header_case(m["from"])), _parties(header_case(m["to"]))
            return
    if title_line:
        m = _TITLE_TO.match(
            re.sub(
                r"^\d+\.\s+|^(?:Telegram|Letter|Cablegram|Memorandum)\s+from\s+", "", title_line, flags=re.I
            )
        )
        if m and not _DATE_LINE.search(title_line):
            doc.senders, doc.recipients = _parties(m["from"]), _parties(m["to"])


_MARKING_PHRASES = (
    "TOP SECRET",
    "SECRET",
    "MOST SECRET",
    "CONFIDENTIAL",
    "RESTRICTED",
    "UNCLASSIFIED",
    "EYES ONLY",
    "LIMITED OFFICIAL USE",
    "PERSONAL AND CONFIDENTIAL",
    "TOP SECRET EYES ONLY",
)


def clean_marking_lines(text: str) -> str:
    """OCR'd stamp lines put right: "TOP, SECRET" or "T0P SECRFT" alone on a line → "TOP SECRET".

    Only a short line that is nothing but a near-exact classification phrase changes; the rest of
    the OCR text stays as read.
    """
    from rapidfuzz.distance import Levenshtein

    out = []
    for line in text.split("\n"):
        letters = " ".join(re.sub(r"[^A-Za-z0-9]+", " ", line).split()).upper().replace("0", "O")
        if 5 <= len(letters) <= 30 and line.strip() and not line.strip().islower():
            best = min(_MARKING_PHRASES, key=lambda p: Levenshtein.distance(p, letters))
            allowed = 1 if len(best) <= 12 else 2
            if best != line.strip().upper() and Levenshtein.distance(best, letters) <= allowed:
                indent = line[: len(line) - len(line.lstrip())]
                line = indent + best
        out.append(line)
    return "\n".join(out)


def clean_dateline(line: str) -> str:
    """A dateline without OCR debris: stray brackets and bars go, a garbled time after the year is cut."""
    line = re.sub(r"[|\\{}\[\]()]", "", line).strip()
    line = re.sub(r"(?<=\d)[lI](?=\d)|(?<=\s)[lI](?=\d{3}\b)", "1", line)
    m = _DATE_LINE.search(line)
    if m and re.search(r"[1l]\d{3}$", m.group()) and not _TIME_TAIL.match(line[m.end() :]):
        line = line[: m.end()]
    return line


def _parties(text: str) -> list[Party]:
    return parse_parties(text, "header")[0]
