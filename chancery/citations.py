"""Citations of one document (an export-contract dict): Chicago note and bibliography, BibTeX,
CSL-JSON and RIS. Pure functions; fields a document lacks are left out, never invented."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from chancery.dates import MONTH_ABBREVIATIONS, MONTH_NAMES

FORMATS = ("chicago", "chicago-note", "chicago-bibliography", "bibtex", "csl-json", "ris")
# Formats of many documents at once (chancery.workspace.formats writes them): declared here, with
# their media types and file extensions, for the CLI and the web.
EXPORT_FORMATS = ("csv", "jsonl", "bibtex", "csl-json", "ris")
EXPORT_MEDIA_TYPES = {
    "csv": "text/csv",
    "jsonl": "application/jsonl",
    "bibtex": "application/x-bibtex",
    "csl-json": "application/vnd.citationstyles.csl+json",
    "ris": "application/x-research-info-systems",
}
EXPORT_EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "bibtex": "bib", "csl-json": "json", "ris": "ris"}
EXPORT_LABELS = {
    "csv": "CSV",
    "jsonl": "JSON Lines",
    "bibtex": "BibTeX",
    "csl-json": "CSL-JSON",
    "ris": "RIS",
}
ARCHIVE_NAMES = {
    "frus": "Foreign Relations of the United States",
    "dfat": "Documents on Australian Foreign Policy",
    "wilson": "Wilson Center Digital Archive",
}


def date_interval(doc: dict[str, Any]) -> tuple[str, str] | None:
    """(not_before, not_after) of a date known only as an interval (no `when`), else None."""
    date = doc.get("date") or {}
    if not isinstance(date, dict) or date.get("when"):
        return None
    low, high = date.get("not_before"), date.get("not_after")
    return (low, high) if low and high and low != high else None


def _parts(when: str, precision: str | None = None) -> list[int]:
    match = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", when)
    if not match:
        return []
    parts = [int(p) for p in match.groups() if p]
    return parts[: {"year": 1, "month": 2}.get(precision or "", 3)]


def date_parts(doc: dict[str, Any]) -> list[int]:
    """[year, month, day] as far as the document's date precision allows; of an interval, only what
    both its ends share (April 16 – June 16, 1945 is [1945]: no day is claimed that is not known)."""
    if span := date_interval(doc):
        low, high = _parts(span[0]), _parts(span[1])
        shared = []
        for a, b in zip(low, high, strict=False):
            if a != b:
                break
            shared.append(a)
        return shared
    date = doc.get("date") or {}
    if isinstance(date, str):
        date = {"when": date}
    return _parts(date.get("when") or date.get("not_before") or "", date.get("precision"))


def _day_text(parts: list[int]) -> str:
    if len(parts) == 1:
        return str(parts[0])
    month = MONTH_NAMES[parts[1] - 1]
    return f"{month} {parts[2]}, {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"


def display_date(doc: dict[str, Any]) -> str | None:
    """'July 1, 1945', 'July 1945', '1945', an interval 'April 16 – June 16, 1945', or None when undated."""
    if span := date_interval(doc):
        low, high = _parts(span[0]), _parts(span[1])
        if low and high:
            first, last = _day_text(low), _day_text(high)
            if low[0] == high[0] and len(low) > 1:
                first = first.replace(f", {low[0]}", "").replace(f" {low[0]}", "")
            return f"{first} \u2013 {last}"
    parts = date_parts(doc)
    return _day_text(parts) if parts else None


def date_inferred(doc: dict[str, Any]) -> bool:
    """Whether the document's date was inferred rather than stated."""
    date = doc.get("date") or {}
    return isinstance(date, dict) and str(date.get("basis") or "").startswith("inferred")


def cited_date(doc: dict[str, Any]) -> str:
    """The date as a citation gives it: an inferred interval in square brackets (supplied by the
    editor, as Chicago has it), 'n.d.' when undated."""
    text = display_date(doc)
    if text is None:
        return "n.d."
    return f"[{text}]" if date_interval(doc) and date_inferred(doc) else text


def _names(parties: list[dict[str, Any]] | None) -> list[str]:
    return [p["name"].strip() for p in parties or [] if (p.get("name") or "").strip()]


def _join(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


def _collection_title(doc: dict[str, Any]) -> str | None:
    coll = doc.get("collection") or {}
    return coll.get("title") or coll.get("id")


def _url(doc: dict[str, Any], permalink: str | None) -> str | None:
    return (doc.get("source") or {}).get("url") or permalink


def _title(doc: dict[str, Any]) -> str:
    return (doc.get("title") or doc["id"]).strip().rstrip(".")


def _number(doc: dict[str, Any]) -> str | None:
    return f"doc. {doc['n']}" if doc.get("n") else None


def chicago_note(doc: dict[str, Any], permalink: str | None = None) -> str:
    """A Chicago-style first note: correspondents, type, place, date, title, collection, number."""
    senders, recipients = _names(doc.get("senders")), _names(doc.get("recipients"))
    head = [f"{_join(senders)} to {_join(recipients)}"] if senders and recipients else []
    parts = head + [doc.get("doc_type"), doc.get("place"), cited_date(doc)]
    where = [_collection_title(doc), _number(doc), doc.get("archive_file"), doc.get("citation")]
    where_text = ", ".join(p for p in where if p)
    url = _url(doc, permalink)
    text = ", ".join(p for p in parts if p) + f", \u201c{_title(doc)}"
    tail = ", ".join(p for p in (where_text and f"in {where_text}", url) if p)
    return f"{text},\u201d {tail}." if tail else f"{text}.\u201d"


def chicago_bibliography(doc: dict[str, Any], permalink: str | None = None) -> str:
    """A Chicago-style bibliography entry, led by the sender when one is named."""
    senders = _names(doc.get("senders"))
    recipients = _names(doc.get("recipients"))
    sentences = [_join(senders)] if senders else []
    sentences.append(f"\u201c{_title(doc)}.\u201d")
    kind = (doc.get("doc_type") or "document").capitalize()
    described = kind + (f" to {_join(recipients)}" if recipients else "")
    described += "".join(f", {p}" for p in (doc.get("place"), cited_date(doc)) if p)
    sentences.append(described.rstrip(".") + ".")
    where = ", ".join(p for p in (_collection_title(doc), _number(doc)) if p)
    if where:
        sentences.append(f"In {where}.")
    for extra in (doc.get("archive_file"), doc.get("citation")):
        if extra:
            sentences.append(extra.rstrip(".") + ".")
    url = _url(doc, permalink)
    if url:
        sentences.append(url + ".")
    return " ".join(s if s.endswith((".", ".\u201d")) else s + "." for s in sentences)


_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _bibtex_escape(value: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in " ".join(value.split()))


def bibtex_key(doc: dict[str, Any]) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", doc["id"]).strip("_") or "document"


def bibtex(doc: dict[str, Any], permalink: str | None = None) -> str:
    """A BibTeX @misc entry; every value is brace-escaped."""
    parts = date_parts(doc)
    fields: list[tuple[str, str | None]] = [
        ("title", _title(doc)),
        ("author", " and ".join("{" + _bibtex_escape(n) + "}" for n in _names(doc.get("senders"))) or None),
        ("howpublished", _collection_title(doc)),
        ("number", doc.get("n")),
        ("type", doc.get("doc_type")),
        ("address", doc.get("place")),
        ("year", str(parts[0]) if parts else None),
        ("month", MONTH_ABBREVIATIONS[parts[1] - 1].lower() if len(parts) > 1 else None),
        ("date", "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts)) or None),
        ("note", "; ".join(filter(None, [doc.get("archive_file"), doc.get("citation")])) or None),
        ("url", _url(doc, permalink)),
    ]
    lines = [f"@misc{{{bibtex_key(doc)},"]
    for name, value in fields:
        if not value:
            continue
        if name == "author":
            lines.append(f"  author = {{{value}}},")
        elif name == "month":
            lines.append(f"  month = {value},")
        elif name == "url":
            lines.append(f"  url = {{{value.replace('}', '%7D').replace('{', '%7B')}}},")
        else:
            lines.append(f"  {name} = {{{_bibtex_escape(value)}}},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def csl_json(doc: dict[str, Any], permalink: str | None = None) -> dict[str, Any]:
    """One CSL-JSON item (as used by Zotero, Pandoc and citeproc)."""
    item: dict[str, Any] = {"id": doc["id"], "type": "document", "title": _title(doc)}
    if senders := _names(doc.get("senders")):
        item["author"] = [{"literal": n} for n in senders]
    if recipients := _names(doc.get("recipients")):
        item["recipient"] = [{"literal": n} for n in recipients]
    if parts := date_parts(doc):
        item["issued"] = {"date-parts": [parts]}
    optional = {
        "container-title": _collection_title(doc),
        "number": doc.get("n"),
        "genre": doc.get("doc_type"),
        "publisher-place": doc.get("place"),
        "archive": ARCHIVE_NAMES.get((doc.get("source") or {}).get("format", "").split("-")[0]),
        "archive_location": doc.get("archive_file"),
        "note": doc.get("citation"),
        "URL": _url(doc, permalink),
    }
    item.update({k: v for k, v in optional.items() if v})
    return item


def _ris_type(doc: dict[str, Any]) -> str:
    fmt = (doc.get("source") or {}).get("format") or ""
    if fmt.startswith(("frus", "dfat")):
        return "GOVDOC"
    return "MANSCPT" if fmt == "wilson" else "GEN"


def ris(doc: dict[str, Any], permalink: str | None = None) -> str:
    """An RIS record (one tag per line, ending in ER)."""
    parts = date_parts(doc)
    lines = [("TY", _ris_type(doc)), ("ID", doc["id"]), ("TI", _title(doc))]
    lines += [("AU", n) for n in _names(doc.get("senders"))]
    if parts:
        lines.append(("PY", str(parts[0])))
        padded = [f"{p:02d}" for p in parts[1:]] + [""] * (2 - len(parts[1:]))
        lines.append(("DA", "/".join([str(parts[0]), *padded, ""])))
    optional = [
        ("T2", _collection_title(doc)),
        ("M1", doc.get("n")),
        ("M3", doc.get("doc_type")),
        ("CY", doc.get("place")),
        ("AN", doc.get("archive_file")),
        ("N1", ("To " + _join(_names(doc.get("recipients")))) if doc.get("recipients") else None),
        ("UR", _url(doc, permalink)),
    ]
    lines += [(tag, value) for tag, value in optional if value]
    body = "".join(f"{tag}  - {' '.join(str(value).split())}\n" for tag, value in lines)
    return body + "ER  - \n"


def cite(doc: dict[str, Any], format: str, permalink: str | None = None) -> str:
    """The citation of `doc` in `format` as text (CSL-JSON as a JSON string)."""
    builders: dict[str, Callable[..., Any]] = {
        "chicago": chicago_note,
        "chicago-note": chicago_note,
        "chicago-bibliography": chicago_bibliography,
        "bibtex": bibtex,
        "ris": ris,
    }
    if format == "csl-json":
        return orjson.dumps([csl_json(doc, permalink)], option=orjson.OPT_INDENT_2).decode()
    if format not in builders:
        raise ValueError(f"unknown citation format {format!r}; use one of {', '.join(FORMATS)}")
    return builders[format](doc, permalink)


def all_citations(doc: dict[str, Any], permalink: str | None = None) -> dict[str, str]:
    """Every format at once, keyed by format name (for the reader's Cite control)."""
    names = ("chicago-note", "chicago-bibliography", "bibtex", "csl-json", "ris")
    return {name: cite(doc, name, permalink) for name in names}


def highwire_tags(doc: dict[str, Any], permalink: str | None = None) -> list[tuple[str, str]]:
    """`citation_*` (Highwire Press) meta tags as (name, content) pairs, the tags Zotero's
    connector and Google Scholar read: title, one author a sender, date as YYYY/MM/DD (as far as
    known), the collection, the archive as publisher, the permalink."""
    tags = [("citation_title", _title(doc))]
    tags += [("citation_author", name) for name in _names(doc.get("senders"))]
    if parts := date_parts(doc):
        tags.append(("citation_date", "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts))))
    kind = (doc.get("source") or {}).get("format", "").split("-")[0]
    archive = ARCHIVE_NAMES.get(kind)
    optional = [
        # a printed volume (FRUS, DFAT): Zotero saves the document as a section of that book
        ("citation_inbook_title", _collection_title(doc) if kind in ("frus", "dfat") else None),
        ("citation_publisher", archive),
        ("citation_archive", archive),
        ("citation_archive_location", doc.get("archive_file")),
        ("citation_language", doc.get("original_language")),
        ("citation_public_url", permalink),
        ("citation_abstract_html_url", permalink),
    ]
    tags += [(name, " ".join(str(value).split())) for name, value in optional if value]
    return tags
