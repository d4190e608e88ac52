"""The single document model every reader produces and the JSON export contract.

`Document.to_dict()` is the public export format (see README, "Document JSON"). Field names
here are a contract with users' scripts: add fields, never rename or remove them.
Offsets (`pages`, `footnotes`, `mentions`) are character offsets into `Document.text`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Self

PRECISIONS = ("year", "month", "day", "minute")
DATE_BASES = ("dateline", "header", "date-time group", "metadata", "footnote", "inferred", "context")


@dataclass
class Collection:
    """A volume or record group: a FRUS volume, a DFAT volume, the Wilson Center archive."""

    id: str
    title: str | None = None
    archive: str | None = None  # frus | dfat | wilson | text
    coverage: dict[str, str | None] = field(default_factory=dict)  # {"not_before", "not_after"}
    persons: list[dict[str, Any]] = field(default_factory=list)  # editors' persons list
    toc: list[dict[str, Any]] = field(default_factory=list)  # [{"title", "level", "document_ids"}]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass
class Source:
    """Where a document came from: reader format, path (with archive member), URL, file hash."""

    format: str
    path: str
    url: str | None = None
    sha256: str | None = None


@dataclass
class DocDate:
    """A date as an interval: ISO `not_before`/`not_after`, `when` at its `precision`."""

    when: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    precision: str | None = None  # year | month | day | minute
    basis: str | None = None  # dateline | header | date-time group | metadata | inferred ...


@dataclass
class Party:
    """A sender or recipient as named in the document, optionally resolved to an entity."""

    name: str
    role: str | None = None
    entity_id: str | None = None


@dataclass
class Markings:
    classification: str | None = None  # e.g. "TOP SECRET", "restricted"
    handling: list[str] = field(default_factory=list)  # e.g. ["PERSONAL", "EYES ONLY"]
    paraphrase: bool = False
    channel: str | None = None  # e.g. "navy"


@dataclass
class Page:
    """Where page `n` starts in the text; a scanned or PDF page also names its stored image and
    thumbnail (paths under the archive's pages folder, "<sha256>/<n>.webp"), else neither key."""

    n: str
    offset: int
    image: str | None = None
    thumbnail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None or k in ("n", "offset")}


@dataclass
class Footnote:
    n: str
    text: str
    offset: int  # where the footnote's anchor stands in `text`


@dataclass
class Reference:
    text: str
    kind: str  # message | document | footnote | tei-ref | reply | relative
    target_id: str | None = None
    target: str | None = None  # raw target as written (e.g. TEI ref/@target)


@dataclass
class Mention:
    type: str  # person | place | organization
    text: str
    start: int
    end: int
    entity_id: str | None = None
    entity_name: str | None = None


@dataclass
class Document:
    """One archival document, whatever archive or format it came from."""

    id: str
    collection: Collection
    source: Source
    title: str | None = None
    doc_type: str | None = None
    date: DocDate = field(default_factory=DocDate)
    place: str | None = None
    senders: list[Party] = field(default_factory=list)
    recipients: list[Party] = field(default_factory=list)
    markings: Markings = field(default_factory=Markings)
    archive_file: str | None = None
    message_numbers: list[str] = field(default_factory=list)
    citation: str | None = None
    summary: str | None = None
    credits: str | None = None
    original_language: str | None = None
    text: str = ""
    pages: list[Page] = field(default_factory=list)
    footnotes: list[Footnote] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    # Not in the list, useful for readers: position inside the collection.
    n: str | None = None  # document number within its volume ("135")
    order: int | None = None  # reading order within the collection
    chapter: str | None = None  # enclosing chapter/compilation heading
    dateline: str | None = None  # the dateline as printed
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The export contract: plain JSON-serialisable data (the collection as {id, title})."""
        data: dict[str, Any] = {}
        for name in _DOCUMENT_FIELDS:
            value = getattr(self, name)
            if name == "pages":
                value = [p.to_dict() for p in value]
            elif isinstance(value, list):
                value = [dict(v.__dict__) if hasattr(v, "__dict__") else v for v in value]
            elif name == "collection":
                value = {"id": value.id, "title": value.title}
            elif name == "markings":
                value = {**value.__dict__, "handling": list(value.handling)}
            elif hasattr(value, "__dict__"):
                value = dict(value.__dict__)
            data[name] = value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], collection: Collection | None = None) -> Document:
        """Inverse of `to_dict` (the collection is the short {id, title} form unless given)."""
        coll = collection or Collection(id=data["collection"]["id"], title=data["collection"].get("title"))
        return cls(
            id=data["id"],
            collection=coll,
            source=Source(**data["source"]),
            title=data.get("title"),
            doc_type=data.get("doc_type"),
            date=DocDate(**(data.get("date") or {})),
            place=data.get("place"),
            senders=[Party(**p) for p in data.get("senders") or []],
            recipients=[Party(**p) for p in data.get("recipients") or []],
            markings=Markings(**(data.get("markings") or {})),
            archive_file=data.get("archive_file"),
            message_numbers=list(data.get("message_numbers") or []),
            citation=data.get("citation"),
            summary=data.get("summary"),
            credits=data.get("credits"),
            original_language=data.get("original_language"),
            text=data.get("text") or "",
            pages=[Page(**p) for p in data.get("pages") or []],
            footnotes=[Footnote(**f) for f in data.get("footnotes") or []],
            references=[Reference(**r) for r in data.get("references") or []],
            mentions=[Mention(**m) for m in data.get("mentions") or []],
            n=data.get("n"),
            order=data.get("order"),
            chapter=data.get("chapter"),
            dateline=data.get("dateline"),
            warnings=list(data.get("warnings") or []),
        )


@dataclass
class Entity:
    """An authority record: a person, place or organisation with names and offices."""

    id: str  # stable, e.g. "person:hsg:harriman-w-averell"
    type: str  # person | place | organization
    name: str  # preferred name
    variants: list[str] = field(default_factory=list)
    description: str | None = None
    birth: str | None = None
    death: str | None = None
    sources: list[str] = field(default_factory=list)  # URLs / source ids merged into this entity
    # offices held: [{"role": "secretary-ad-interim", "title": ..., "country": ..., "start": ..., "end": ...}]
    offices: list[dict[str, Any]] = field(default_factory=list)
    name_sources: dict[str, list[str]] = field(default_factory=dict)  # spelling -> where it was found
    merged_from: list[str] = field(default_factory=list)  # ids of duplicate records merged into this one
    remarks: list[Any] = field(default_factory=list)  # editors' remarks, each with the records it came from

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entity:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


_DOCUMENT_FIELDS = tuple(f.name for f in fields(Document))
