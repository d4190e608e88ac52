"""Wilson Center Digital Archive: record pages copied as text/Markdown, the scraped CSV, API JSON.

Layouts:
- text/Markdown (seed 001): bold date line, bold title (may wrap), then "**Citation:**",
  "**Summary:**", "**Credits:**", "**Original Language:**", "**Contents:**" sections; the
  contents label ("Transcript - English") is dropped and the transcript is `text`.
- CSV (one record per row, columns `record_id`, `title`, `original_publication_date`,
  `text_body`, `summary`, `source`, `authors`, `language`, `original_classification`, ...).
- API JSON: a transcript object (`content_type`, `raw`/`html`) → a document whose text is the
  HTML made plain; a collection object → no documents (see `read_collection`).

Choices: the record date is structured metadata, so `date` is set here (basis "metadata");
a party named only by office ("THE PRESIDENT") gets the office as both `name` and `role`; CSV
`authors` are the senders; the archive part of the citation / the CSV `source` column is
`archive_file`; CSV `original_classification` is `markings.classification`. Nothing absent from
the source (citation for CSV rows, title/date for a bare transcript) is made up.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from typing import Any

from chancery.dates import MONTH_NAMES, date_interval, iso_at, month_number
from chancery.errors import SourceError
from chancery.model import Collection, DocDate, Document, Markings, Party, Source
from chancery.sources.files import SourceItem, decode_text
from chancery.sources.parties import parse_parties, title_case

FORMAT = "wilson"
BASE_URL = "https://digitalarchive.wilsoncenter.org"


def wilson_collection() -> Collection:
    return Collection(id="wilson", title="Wilson Center Digital Archive", archive="wilson")


_DATE = re.compile(r"^(?:(?P<month>[A-Za-z]+)\s+(?:(?P<day>\d{1,2}),?\s+)?)?(?P<year>\d{4})$")
_SECTION = re.compile(r"^\*\*(?P<name>[A-Z][A-Za-z ]+):\*\*\s*$", re.M)
_BOLD = re.compile(r"\*\*(?P<text>.+?)\*\*", re.S)
_URL = re.compile(r"<?(?P<url>https?://[^\s>]+)>?")
_RECORD_ID = re.compile(r"/document/(?P<id>\d+)(?:[/?#]|$)")
_CONTENTS_LABEL = re.compile(r"^(?:Transcript|Translation|Original)\b[^\n]*-\s*[A-Z][\w ]*$")
_DATELINE = re.compile(
    r"^(?=.*\b(?:"
    + "|".join(m.upper() for m in MONTH_NAMES)
    + r")\b).*\b\d{4}\b(?:.*\bFROM\s+(?P<place>[A-Z][A-Z -]+))?$"
)
_DOC_KINDS = {
    "cable": "cable",
    "telegram": "telegram",
    "letter": "letter",
    "memorandum": "memorandum",
    "memorandum of conversation": "memorandum of conversation",
    "record of conversation": "record of conversation",
    "minutes": "minutes",
    "report": "report",
    "note": "note",
    "notes": "notes",
    "speech": "speech",
    "transcript": "transcript",
    "diary": "diary",
    "resolution": "resolution",
    "directive": "directive",
    "decree": "decree",
    "instructions": "instructions",
    "message": "message",
    "statement": "statement",
}


def sniff(item: SourceItem) -> int:
    """9 for Wilson CSV/JSON, 8 for the record-page text layout, 0 otherwise."""
    head = item.data[:4096]
    if b"\x00" in head:
        return 0
    text = head.decode("utf-8", "ignore")
    if item.suffix == ".csv":
        first = text.split("\n", 1)[0]
        return 9 if "record_id" in first and "title" in first else 0
    if item.suffix == ".json":
        if '"content_type"' in text and ('"raw"' in text or '"html"' in text):
            return 9
        return (
            9 if '"slug"' in text and ('"short_description"' in text or '"frontend_doc_date"' in text) else 0
        )
    if item.suffix in ("", ".txt", ".md", ".text") and "**Citation:**" in text:
        return 8 if "Wilson Center Digital Archive" in text or "**Original Language:**" in text else 6
    return 0


def read(item: SourceItem) -> list[Document]:
    raw = decode_text(item, lines=item.suffix != ".json")  # JSON may be one long line
    if not raw.strip():
        raise SourceError(item.path, "empty file")
    if item.suffix == ".csv":
        return _read_csv(item, raw)
    if item.suffix == ".json":
        return _read_json(item, raw)
    return [_read_page(item, raw.replace("\r\n", "\n"))]


def read_collection(item: SourceItem) -> Collection:
    """The collection an API collection JSON describes (its id, name and description)."""
    data = _load_json(item, decode_text(item, lines=False))
    return Collection(id=f"wilson-collection-{data.get('id')}", title=data.get("name"), archive="wilson")


def parse_date(text: str | None) -> DocDate:
    """ "July 1, 1945" / "November 1967" / "1967" → DocDate with basis "metadata"."""
    match = _DATE.match((text or "").strip())
    if not match:
        return DocDate()
    month = month_number(match["month"], abbreviations=False)
    if match["month"] and not month:
        return DocDate()
    day = int(match["day"]) if month and match["day"] else None
    return date_interval(iso_at(int(match["year"]), month, day), "metadata", check_day=True)


def doc_type_from_title(title: str | None) -> str | None:
    prefix = (title or "").split(",", 1)[0].strip().lower()
    return _DOC_KINDS.get(prefix)


def _new_document(item: SourceItem, record_id: str, url: str | None) -> Document:
    return Document(
        id=f"wilson/{record_id}",
        collection=wilson_collection(),
        source=Source(format=FORMAT, path=item.path, url=url),
    )


def _read_page(item: SourceItem, raw: str) -> Document:
    first_section = _SECTION.search(raw)
    if not first_section:
        raise SourceError(item.path, "no **Citation:** section: not a Wilson Center record page")
    header = [
        " ".join(m["text"].replace("\\", " ").split()) for m in _BOLD.finditer(raw[: first_section.start()])
    ]
    sections = _sections(raw)
    citation_block = sections.get("citation", "")
    url_match = _URL.search(citation_block)
    url = url_match["url"] if url_match else None
    id_match = _RECORD_ID.search(url or "")
    doc = _new_document(item, id_match["id"] if id_match else item.stem, url)
    dated = [h for h in header if parse_date(h).when]
    doc.date = parse_date(dated[0]) if dated else DocDate()
    titles = [h for h in header if h not in dated]
    doc.title = titles[0] if titles else None
    doc.doc_type = doc_type_from_title(doc.title)
    citation = _URL.sub("", citation_block).strip()
    doc.citation = " ".join(citation.split()) or None
    doc.archive_file = _archive_from_citation(doc.citation)
    doc.summary = sections.get("summary") or None
    doc.credits = sections.get("credits") or None
    doc.original_language = sections.get("original language") or None
    contents = sections.get("contents", "")
    label, _, rest = contents.partition("\n")
    doc.text = rest.strip() if _CONTENTS_LABEL.match(label.strip()) else contents.strip()
    _transcript_head(doc)
    return doc


def _sections(raw: str) -> dict[str, str]:
    found = list(_SECTION.finditer(raw))
    sections = {}
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(raw)
        sections[match["name"].strip().lower()] = raw[match.end() : end].strip()
    return sections


def _archive_from_citation(citation: str | None) -> str | None:
    if not citation or "Wilson Center Digital Archive," not in citation:
        return None
    archive = citation.split("Wilson Center Digital Archive,", 1)[1].strip().rstrip(".")
    return archive or None


def _transcript_head(doc: Document) -> None:
    """Dateline, place and FROM … FOR … parties stated in the first lines of the transcript."""
    head = [ln.strip() for ln in doc.text.split("\n") if ln.strip()][:6]
    for line in head:
        match = _DATELINE.match(line)
        if match and len(line) < 120 and not doc.dateline:
            doc.dateline = line
            if match["place"]:
                doc.place = title_case(match["place"].strip())
        if not doc.senders:
            senders, recipients = parse_parties(line, "cable")
            if senders or recipients:
                doc.senders, doc.recipients = senders, recipients


def _read_csv(item: SourceItem, raw: str) -> list[Document]:
    csv.field_size_limit(64 * 1024 * 1024)
    reader = csv.DictReader(io.StringIO(raw, newline=""))
    if not reader.fieldnames or "record_id" not in reader.fieldnames:
        raise SourceError(item.path, "CSV has no record_id column: not a Wilson Center export", 1)
    documents = []
    try:
        for row in reader:
            documents.append(_csv_document(item, row, reader.line_num))
    except csv.Error as exc:
        raise SourceError(item.path, f"malformed CSV ({exc})", reader.line_num) from None
    return documents


def _csv_document(item: SourceItem, row: dict[str, Any], line: int) -> Document:
    record_id = (row.get("record_id") or "").strip()
    if not record_id:
        raise SourceError(item.path, "row without record_id", line)
    doc = _new_document(item, record_id, (row.get("document_url") or "").strip() or None)
    doc.title = (row.get("title") or "").strip() or None
    doc.doc_type = doc_type_from_title(doc.title)
    doc.date = parse_date(row.get("original_publication_date"))
    doc.text = (row.get("text_body") or "").strip()
    doc.summary = (row.get("summary") or "").strip() or None
    doc.credits = (row.get("credits") or "").strip() or None
    doc.archive_file = (row.get("source") or "").strip() or None
    doc.original_language = ", ".join(_json_list(row.get("language"))) or None
    doc.senders = [Party(name=a) for a in _json_list(row.get("authors"))]
    classification = (row.get("original_classification") or "").strip()
    doc.markings = Markings(classification=classification or None)
    return doc


def _json_list(value: str | None) -> list[str]:
    """A CSV cell holding a JSON list ('["English"]'), or a plain string."""
    value = (value or "").strip()
    if not value:
        return []
    if value.startswith("["):
        try:
            data = json.loads(value)
        except json.JSONDecodeError:
            return [value]
        return [str(v).strip() for v in data if str(v).strip()] if isinstance(data, list) else [value]
    return [value]


def _load_json(item: SourceItem, raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SourceError(item.path, f"invalid JSON ({exc.msg})", exc.lineno) from None
    if not isinstance(data, dict):
        raise SourceError(item.path, "JSON is not an object: not a Wilson Center API record")
    return data


def _read_json(item: SourceItem, raw: str) -> list[Document]:
    data = _load_json(item, raw)
    if "content_type" in data and ("raw" in data or "html" in data):
        return [_transcript_document(item, data)]
    if "slug" in data and "frontend_doc_date" in data:
        return [_record_document(item, data)]
    if "slug" in data:
        return []  # a collection: no documents of its own; see read_collection()
    raise SourceError(item.path, "JSON is neither a Wilson Center transcript, record nor collection")


def _transcript_document(item: SourceItem, data: dict[str, Any]) -> Document:
    url = data.get("url")
    doc = _new_document(item, f"transcript-{data.get('id')}", f"{BASE_URL}{url}" if url else None)
    markup = data.get("html") or data.get("raw") or ""
    doc.text = html_to_text(markup) if "html" in str(data.get("content_type", "")) else str(markup).strip()
    return doc


def _record_document(item: SourceItem, data: dict[str, Any]) -> Document:
    doc = _new_document(item, str(data.get("id")), f"{BASE_URL}/document/{data.get('id')}")
    doc.title = data.get("title") or None
    doc.doc_type = doc_type_from_title(doc.title)
    doc.date = parse_date(data.get("frontend_doc_date"))
    doc.summary = html_to_text(data.get("description") or "") or None
    doc.citation = data.get("source") or None
    transcripts = data.get("transcripts") or []
    doc.text = "\n\n".join(
        html_to_text(t.get("html") or t.get("raw") or "") for t in transcripts if isinstance(t, dict)
    )
    return doc


class _TextExtractor(HTMLParser):
    """Collects text, a paragraph break per block element; style/script content skipped."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"}
    SKIP = {"style", "script", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: paragraphs separated by blank lines, spaces collapsed."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    paragraphs = (" ".join(p.split()) for p in "".join(parser.parts).split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)
