"""FRUS TEI XML volumes (HistoryAtState encodings) → one `Document` per `div[@type="document"]`.

Reads the 2015 volumes, the 2013 "experimental" encoding and the current encoding (including a
bare document `div` whose `frus:` prefix is unbound). Elements are matched by local name, so
the TEI namespace, no namespace and both `frus` namespaces all work.

Choices (see tests/test_frus_tei.py):
- Every `note` inside a document div is a `Footnote`, except an unnumbered source note
  (`note[@type="source"]` without `@n`, printed inline above the head): that one only gives
  `archive_file`/`doc_type`. Footnote text is never part of `text`.
- `text` holds dateline/opener, body, closer, lists and tables (cells joined by a tab, rows by
  a newline, `lb` as a newline); paragraphs are separated by a blank line. The head is `title`.
- Mentions inside `text` carry real offsets (`text[start:end] == mention.text`); mentions in
  the head or in footnotes carry `start == end == -1`. `persName/@corresp` is kept as
  `Mention.entity_id = "VOLUME#p_XYZ"` for later linking to authority records.
- Dates come from markup only (`date/@when|@from|@to|@notBefore|@notAfter`,
  `frus:doc-dateTime-min/max`); text-only datelines are left to `chancery.enrich.dates`.

Parsing is safe: no entity expansion, no DTD loading, no network. A duplicate `xml:id` is
accepted with a warning; malformed XML raises `SourceError` with the line number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from chancery.dates import interval_end, interval_start, precision_of
from chancery.errors import SourceError
from chancery.model import (
    Collection,
    DocDate,
    Document,
    Footnote,
    Mention,
    Page,
    Party,
    Reference,
    Source,
)
from chancery.sources.files import SourceItem, limits

FORMAT = "frus-tei"

XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
FRUS_NS = "http://history.state.gov/frus/ns/1.0"
URL_BASE = "https://history.state.gov/historicaldocuments"
SNIFF_MARKERS = (b"<TEI", b"tei-c.org", b'type="document"', b"history.state.gov")

_UNBOUND_PREFIX = re.compile(r"Namespace prefix (\S+) (?:for|on) .* is not defined")
_ROOT_TAG = re.compile(rb"<(?:!--.*?-->|\?.*?\?>|!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>|([A-Za-z_][\w.:-]*))", re.S)
_XML_ID_ATTR = re.compile(rb"""xml:id\s*=\s*["']([^"']*)["']""")
_DOC_XMLID = re.compile(r"^(d\d+)(?:fn.*)?$")
_HEAD_NUMBER = re.compile(r"^\s*\d+[A-Za-z]?\.\s+")
_HEAD_TYPE_FIXED = re.compile(
    r"^(memorandum of (?:telephone )?conversation|memorandum for the record|editorial note)\b", re.I
)
_HEAD_TYPE_CUT = re.compile(
    r"[,(:;]|\s(?:from|by|to|for|of|on|with|between|prepared|sent|held|regarding|in|at|about|"
    r"concerning|re)\b",
    re.I,
)
_SOURCE_TYPE = re.compile(
    r"^(?:circular |paraphrase of )?(?:telegram|airgram|instruction|despatch|dispatch|note|memorandum|"
    r"letter|message|aide-m[ée]moire|note verbale)s?$",
    re.I,
)
_SENTENCE_END = re.compile(r"(?<!\b[A-Z])\.\s+(?=[A-Z])")
_PARTY_LEAD = re.compile(r"^.*\b(?:to|from|by|and)\s+", re.I | re.S)
_DASHES = " ,;:—–-"

# element kinds, dispatched by local name
INLINE, SKIP, NOTE, PB, LB, BLOCK, ROW, CELL, LIST, LABEL, REF, PERS, PLACE, ORG, GLOSS, DATE, DATELINE = (
    range(17)
)
_KIND_BY_NAME = {
    "note": NOTE,
    "pb": PB,
    "lb": LB,
    "ref": REF,
    "persName": PERS,
    "placeName": PLACE,
    "orgName": ORG,
    "gloss": GLOSS,
    "date": DATE,
    "dateline": DATELINE,
    "row": ROW,
    "cell": CELL,
    "list": LIST,
    "label": LABEL,
    "figure": SKIP,
    "graphic": SKIP,
    "gap": SKIP,
    "milestone": SKIP,
    "anchor": SKIP,
}
for _name in (
    "p head opener closer signed salute postscript item table div ab l lg trailer byline "
    "docDate address addrLine floatingText body front back text attachment argument epigraph "
    "docAuthor sp speaker stage"
).split():
    _KIND_BY_NAME[_name] = BLOCK
_KIND_CACHE: dict[object, int] = {}
_PARTY_TYPES = ("from", "to")
_MENTION_TYPE = {PERS: "person", PLACE: "place", ORG: "organization"}


def _kind(tag: object) -> int:
    """The walker's kind for an element tag (cached; comments, PIs and entities are SKIP)."""
    kind = _KIND_CACHE.get(tag)
    if kind is None:
        if not isinstance(tag, str):
            kind = SKIP
        else:
            ns, _, local = tag[1:].rpartition("}") if tag[0] == "{" else ("", "", tag)
            if ns.startswith("http://history.state.gov/"):
                kind = BLOCK if local == "attachment" else SKIP
            else:
                kind = _KIND_BY_NAME.get(local, INLINE)
        _KIND_CACHE[tag] = kind
    return kind


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _norm(text: str) -> str:
    return " ".join(text.split())


_PARA, _LINE, _TAB = "\x01", "\x02", "\x03"
_SEP_CHAR = {"\n\n": _PARA, "\n": _LINE, "\t": _TAB, " ": " "}
_FWD, _BWD = 0xF0000, 0x100000  # private-use code points standing for anchors until `finish`
_MARKS = "\x01-\x03\U000f0000-\U0010fffd"
_RUN = re.compile(f"[{_MARKS}][ {_MARKS}]*")  # must start with a mark: fast to search


class _TextBuilder:
    """Raw text chunks plus separator and anchor marks, normalised once in `finish`.

    Separators (space, tab, newline, blank line) collapse to the strongest one between two
    pieces of content; `mark()` gives a cell set to the offset of the next content (page
    breaks, mention starts), `here()` one set to the end of the content so far (footnote
    anchors, mention ends).
    """

    __slots__ = ("parts", "cells")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.cells: list[list[int]] = []

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)

    def request(self, sep: str) -> None:
        self.parts.append(_SEP_CHAR[sep])

    def mark(self) -> list[int]:
        cell = [-1]
        self.parts.append(chr(_FWD + len(self.cells)))
        self.cells.append(cell)
        return cell

    def here(self) -> list[int]:
        cell = [-1]
        self.parts.append(chr(_BWD + len(self.cells)))
        self.cells.append(cell)
        return cell

    def finish(self) -> str:
        """The normalised text; resolves every cell handed out by `mark` and `here`."""
        text = " ".join("".join(self.parts).split())
        if not self.cells and _PARA not in text and _LINE not in text and _TAB not in text:
            return text
        cells = self.cells
        out: list[str] = []
        length = last = 0
        end = len(text)
        for match in _RUN.finditer(text):
            piece = text[last : match.start()]
            space = piece.endswith(" ")
            if space:
                piece = piece[:-1]
            out.append(piece)
            length += len(piece)
            run = match.group()
            last = match.end()
            forward = []
            if not run.isascii():  # anchors are private-use code points; separators are ASCII
                for char in run:
                    code = ord(char)
                    if code >= _BWD:
                        cells[code - _BWD][0] = length
                    elif code >= _FWD:
                        forward.append(code - _FWD)
            if length and last < end:
                if _PARA in run:
                    sep = "\n\n"
                elif _LINE in run:
                    sep = "\n"
                elif _TAB in run:
                    sep = "\t"
                else:
                    sep = " " if space or " " in run else ""
                out.append(sep)
                length += len(sep)
            for index in forward:
                cells[index][0] = length
        out.append(text[last:])
        return "".join(out)


class _DocumentWalker:
    """One recursive pass over a document div: text, pages, footnotes, mentions, refs, parties."""

    def __init__(self, volume: str) -> None:
        self.volume = volume
        self.body = _TextBuilder()
        self.pages: list[tuple[str, list[int]]] = []
        self.footnotes: list[tuple[str, str, list[int]]] = []
        self.mentions: list[tuple[str, list[int], list[int], str | None, str | None]] = []
        self.references: list[Reference] = []
        self.parties: list[tuple[str, bool, list[int], list[int], _TextBuilder]] = []
        self.page_ids: list[str] = []
        self.source_note: str | None = None
        self.summary: str | None = None
        self.dateline_span: tuple[list[int], list[int]] | None = None
        self.dateline_done = False
        self.in_dateline = False
        self.place: str | None = None
        self.date_attrs: dict[str, str] | None = None

    # --------------------------------------------------------------- walking

    def children(self, elem: etree._Element, sink: _TextBuilder) -> None:
        """Text and children of `elem` into `sink`; formatting-only whitespace is dropped:
        whitespace before the first child and after the last one (pretty-printing)."""
        add = sink.parts.append
        text = elem.text
        if not len(elem):
            if text:
                add(text)
            return
        if text and not text.isspace():
            add(text)
        kids = list(elem)
        last = kids[-1]
        cache = _KIND_CACHE
        for child in kids:
            tag = child.tag
            kind = cache.get(tag)
            if kind is None:
                kind = _kind(tag)
            if kind == INLINE or (kind == GLOSS and child.get("type") not in _PARTY_TYPES):
                if len(child):
                    self.children(child, sink)
                else:
                    leaf = child.text
                    if leaf:
                        add(leaf)
            elif kind == BLOCK:
                add(_PARA)
                self.children(child, sink)
                add(_PARA)
            else:
                self.element(child, kind, sink)
            tail = child.tail
            if tail and (child is not last or not tail.isspace()):
                add(tail)

    def element(self, elem: etree._Element, kind: int, sink: _TextBuilder) -> None:
        if kind == BLOCK:
            sink.request("\n\n")
            self.children(elem, sink)
            sink.request("\n\n")
        elif kind == NOTE:
            self.note(elem)
        elif kind == PB:
            self.pages.append((elem.get("n") or "", self.body.mark()))
            page_id = elem.get(XML_ID)
            if page_id:
                self.page_ids.append(page_id)
        elif kind == LB:
            sink.request("\n")
        elif kind in (PERS, PLACE, ORG):
            self.named(elem, kind, sink)
        elif kind == GLOSS:
            if elem.get("type") in ("from", "to"):
                self.named(elem, kind, sink)
            else:
                self.children(elem, sink)
        elif kind == REF:
            self.reference(elem, sink)
        elif kind == ROW:
            sink.request("\n")
            first = True
            for cell in elem:
                if not first:
                    sink.request("\t")
                first = False
                cell_kind = _kind(cell.tag)
                self.children(cell, sink) if cell_kind in (CELL, INLINE) else self.element(
                    cell, cell_kind, sink
                )
            sink.request("\n")
        elif kind == LIST:
            self.list(elem, sink)
        elif kind == DATELINE:
            self.dateline(elem, sink)
        elif kind == DATE:
            if self.in_dateline and self.date_attrs is None and elem.attrib:
                self.date_attrs = dict(elem.attrib)
            self.children(elem, sink)
        elif kind in (CELL, LABEL):
            self.children(elem, sink)
        # SKIP: nothing

    def list(self, elem: etree._Element, sink: _TextBuilder) -> None:
        sink.request("\n\n")
        text = elem.text
        if text and not text.isspace():
            sink.add(text)
        after_label = False
        for child in elem:
            kind = _kind(child.tag)
            if kind == LABEL:
                sink.request("\n\n")
                self.children(child, sink)
                after_label = True
            elif after_label and _local(child.tag) == "item":
                sink.request(" ")
                self.children(child, sink)
                sink.request("\n\n")
                after_label = False
            else:
                self.element(child, BLOCK if kind == INLINE else kind, sink)
                after_label = False
            tail = child.tail
            if tail and not tail.isspace():
                sink.add(tail)
        sink.request("\n\n")

    def dateline(self, elem: etree._Element, sink: _TextBuilder) -> None:
        first = sink is self.body and not self.dateline_done
        sink.request("\n\n")
        if first:
            self.dateline_done = self.in_dateline = True
            start = sink.mark()
            self.children(elem, sink)
            self.dateline_span = (start, sink.here())
            self.in_dateline = False
        else:
            self.children(elem, sink)
        sink.request("\n\n")

    def note(self, elem: etree._Element) -> None:
        n = elem.get("n")
        note_type = elem.get("type")
        builder = _TextBuilder()
        anchor = self.body.here()
        self.children(elem, builder)
        text = builder.finish()
        if note_type == "source":
            if self.source_note is None:
                self.source_note = text
            if not n:  # printed inline above the head (or an attachment's head): not a footnote
                return
        elif note_type == "summary" and self.summary is None:
            self.summary = text
        self.footnotes.append((n or "", text, anchor))

    def named(self, elem: etree._Element, kind: int, sink: _TextBuilder) -> None:
        in_body = sink is self.body
        party_type = elem.get("type")
        is_party = party_type in ("from", "to")
        if in_body or is_party:
            start = sink.mark()
            self.children(elem, sink)
            end = sink.here()
        else:
            self.children(elem, sink)
        if kind == PLACE and self.in_dateline and self.place is None:
            self.place = _norm("".join(elem.itertext()))
        if is_party:
            self.parties.append((party_type, kind == PERS, start, end, sink))
        if kind == GLOSS:
            return
        corresp = elem.get("corresp") or elem.get("ref")
        entity_id = None
        if corresp:
            entity_id = f"{self.volume}#{corresp.split()[0].lstrip('#')}" if corresp.split() else None
        if in_body:
            self.mentions.append((_MENTION_TYPE[kind], start, end, entity_id, None))
        else:
            self.mentions.append(
                (_MENTION_TYPE[kind], [-1], [-1], entity_id, _norm("".join(elem.itertext())))
            )

    def reference(self, elem: etree._Element, sink: _TextBuilder) -> None:
        target = elem.get("target") or ""
        self.references.append(Reference(text=_norm("".join(elem.itertext())), kind="tei-ref", target=target))
        self.children(elem, sink)


# ------------------------------------------------------------------- parsing


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        collect_ids=False,
        huge_tree=False,
        remove_comments=False,
    )


def _bind_prefix(data: bytes, prefix: str) -> bytes:
    """Declare an unbound namespace prefix on the root element (same line: line numbers hold)."""
    uri = FRUS_NS if prefix == "frus" else f"urn:chancery:unbound:{prefix}"
    for match in _ROOT_TAG.finditer(data):
        if match.group(1):
            at = match.end(1)
            return data[:at] + f' xmlns:{prefix}="{uri}"'.encode() + data[at:]
    return data


def _parse(item: SourceItem) -> tuple[etree._Element, list[str]]:
    """Parse safely; bind unbound prefixes; report duplicate xml:ids as warnings."""
    data = item.data
    cap = limits().max_xml_tags
    if data.count(b"<") > cap:  # parsed, each tag costs memory: refuse a file of millions of them
        raise SourceError(item.path, f"more than {cap} XML tags (the limit); refused")
    warnings: list[str] = []
    bound: set[str] = set()
    for _attempt in range(5):
        try:
            root = etree.fromstring(data, _parser())
            break
        except etree.XMLSyntaxError as exc:
            match = _UNBOUND_PREFIX.search(exc.msg or "")
            if match and match.group(1) not in bound:
                bound.add(match.group(1))
                data = _bind_prefix(data, match.group(1))
                warnings.append(f"namespace prefix {match.group(1)!r} was not declared; bound it")
                continue
            raise SourceError(item.path, f"malformed XML: {exc.msg}", exc.lineno) from None
        except ValueError as exc:  # e.g. a unicode string with an encoding declaration
            raise SourceError(item.path, f"cannot parse XML: {exc}") from None
    else:
        raise SourceError(item.path, "malformed XML: too many undeclared namespace prefixes")
    if root is None:
        raise SourceError(item.path, "empty XML document")
    _refuse_external_entities(item, root)
    return root, warnings


def _refuse_external_entities(item: SourceItem, root: etree._Element) -> None:
    """A DOCTYPE declaring SYSTEM/PUBLIC entities is an error: they are never fetched, and
    reading on without them would store the document with that content silently missing."""
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is None:
        return
    for entity in dtd.iterentities():
        if entity.system_url is not None:
            raise SourceError(
                item.path,
                f"DOCTYPE declares external entity {entity.name!r} ({entity.system_url}); "
                "external entities are refused",
                _line_of(item.data, entity.name),
            )


def _line_of(data: bytes, entity: str | None) -> int | None:
    """The line of `<!ENTITY name` in the raw XML, when it can be found."""
    match = re.search(rb"<!ENTITY\s+(?:%\s*)?" + re.escape((entity or "").encode()) + rb"\s", data)
    return data.count(b"\n", 0, match.start()) + 1 if match else None


def _duplicate_ids(data: bytes) -> list[str]:
    seen: set[bytes] = set()
    dups: list[str] = []
    for value in _XML_ID_ATTR.findall(data):
        if value in seen:
            dups.append(value.decode("utf-8", "replace"))
        seen.add(value)
    return dups


# ------------------------------------------------------------------- volume level


def _find_child(elem: etree._Element, local: str) -> etree._Element | None:
    for child in elem:
        if _local(child.tag) == local:
            return child
    return None


def _volume_title(root: etree._Element) -> str | None:
    header = _find_child(root, "teiHeader")
    if header is None:
        return None
    titles = [t for t in header.iter() if _local(t.tag) == "title"]
    for title in titles:
        if title.get("type") == "complete":
            return _norm("".join(title.itertext())) or None
    return _norm("".join(titles[0].itertext())) or None if titles else None


def _volume_id(root: etree._Element, item: SourceItem, first_doc_id: str | None) -> str:
    root_id = root.get(XML_ID)
    if _local(root.tag) == "TEI":
        if root_id:
            return root_id
        header = _find_child(root, "teiHeader")
        if header is not None:
            for idno in header.iter():
                if _local(idno.tag) == "idno" and idno.get("type") == "frus" and (idno.text or "").strip():
                    return idno.text.strip()
        return item.stem
    stem = item.stem
    if first_doc_id and stem.endswith(f"-{first_doc_id}"):
        stem = stem[: -len(first_doc_id) - 1]
    at = stem.find("frus")
    return stem[at:] if at > 0 else stem


def _persons(root: etree._Element) -> list[dict[str, str | None]]:
    persons_div = None
    for div in root.iter("{*}div", "div"):
        if div.get(XML_ID) == "persons":
            persons_div = div
            break
    if persons_div is None:
        return []
    persons = []
    for item in persons_div.iter("{*}item", "item"):
        for pers in item.iter("{*}persName", "persName"):
            pid = pers.get(XML_ID)
            if not pid:
                continue
            name = _norm("".join(pers.itertext()))
            full = _norm("".join(item.itertext()))
            at = full.find(name)
            description = full[at + len(name) :].lstrip(_DASHES) if at >= 0 else ""
            persons.append({"id": pid, "name": name, "description": description or None})
            break
    return persons


def _head_text(head: etree._Element) -> str:
    builder = _TextBuilder()
    _HeadOnly().children(head, builder)
    return builder.finish()


class _HeadOnly(_DocumentWalker):
    """A walker that only renders text (for chapter headings): notes and pbs are dropped."""

    def __init__(self) -> None:
        super().__init__("")

    def element(self, elem: etree._Element, kind: int, sink: _TextBuilder) -> None:
        if kind not in (NOTE, PB):
            self.children(elem, sink)


def _document_divs(root: etree._Element) -> Iterator[tuple[etree._Element, list[etree._Element]]]:
    """Document divs in order with their enclosing non-document divs (outermost first)."""
    if _local(root.tag) == "div" and root.get("type") == "document":
        yield root, []
        return
    stack: list[tuple[Iterator[etree._Element], list[etree._Element]]] = [(iter(root), [])]
    while stack:
        children, chapters = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        local = _local(child.tag)
        if local == "div":
            if child.get("type") == "document":
                yield child, chapters
            else:
                stack.append((iter(child), [*chapters, child]))
        elif local in ("text", "front", "body", "back", "group"):
            stack.append((iter(child), chapters))


# ------------------------------------------------------------------- document fields


def _trim_iso(value: str) -> str:
    """ISO at its precision: seconds dropped when zero ("1949-01-19T21:00"), zone kept."""
    value = value.strip()
    if "T" not in value:
        return value
    day, _, time = value.partition("T")
    zone = ""
    for mark in ("Z", "+", "-"):
        at = time.find(mark)
        if at > 0:
            time, zone = time[:at], time[at:]
            break
    if len(time) == 8 and time.endswith(":00"):
        time = time[:5]
    return f"{day}T{time}{zone}"


def _doc_date(attrs: dict[str, str] | None, div: etree._Element) -> DocDate:
    dt_min = dt_max = None
    for key, value in div.attrib.items():
        if key.endswith("doc-dateTime-min"):
            dt_min = value
        elif key.endswith("doc-dateTime-max"):
            dt_max = value
    attrs = attrs or {}
    when = attrs.get("when") or attrs.get("from") or attrs.get("notBefore")
    low = attrs.get("from") or attrs.get("notBefore") or attrs.get("when")
    high = attrs.get("to") or attrs.get("notAfter") or attrs.get("when")
    basis = "dateline"
    if dt_min or dt_max:
        low, high = dt_min or dt_max, dt_max or dt_min
        if not when:
            when = low if low == high else None
            basis = "metadata"
    if not (when or low or high):
        return DocDate()
    try:
        when = _trim_iso(when) if when else None
        low = interval_start(_trim_iso(low)) if low else None
        high = interval_end(_trim_iso(high)) if high else None
    except ValueError:  # a malformed month such as "1949-1x"
        return DocDate()
    precision = precision_of(when) if when else None
    return DocDate(
        when=when, not_before=low or when, not_after=high or when, precision=precision, basis=basis
    )


def doc_type_from_head(title: str) -> str | None:
    """ "163. Telegram From ..." → "telegram": the kind a FRUS head opens with, or None."""
    head = _HEAD_NUMBER.sub("", title, count=1)
    if not head or not head[0].isupper() or head.startswith(("The ", "A ", "An ")):
        return None
    fixed = _HEAD_TYPE_FIXED.match(head)
    if fixed:
        return fixed.group(1).lower()
    cut = _HEAD_TYPE_CUT.search(head)
    phrase = (head[: cut.start()] if cut else head).strip()
    if not phrase or len(phrase.split()) > 5 or any(ch.isdigit() for ch in phrase):
        return None
    return phrase.lower()


def _source_fields(note: str | None) -> tuple[str | None, str | None]:
    """(archive_file, doc_type) from a source note."""
    if not note:
        return None, None
    text = note.strip()
    if text.lower().startswith("source:"):
        text = text[7:].strip()
        first = _SENTENCE_END.split(text, maxsplit=1)[0].rstrip(". ")
        return first or None, None
    file_part, sep, last = text.rpartition(": ")
    if sep and _SOURCE_TYPE.match(last.strip().rstrip(".")):
        return file_part.strip() or None, last.strip().rstrip(".").lower()
    return text.rstrip(".") or None, None


def _parties(
    walker: _DocumentWalker, title: str, body_text: str, head_sink: _TextBuilder
) -> tuple[list[Party], list[Party]]:
    senders: list[Party] = []
    recipients: list[Party] = []
    previous: tuple[str, bool, int, Party] | None = None
    for party_type, is_person, start_cell, end_cell, sink in walker.parties:
        start, end = start_cell[0], end_cell[0]
        if start < 0 or end <= start or (sink is not head_sink and sink is not walker.body):
            continue
        text = title if sink is head_sink else body_text
        name = _norm(text[start:end])
        if not name:
            continue
        target = senders if party_type == "from" else recipients
        if not is_person:
            party = Party(name=name, role=name)
        else:
            role = None
            before = text[:start].rstrip()
            if sink is head_sink and before.endswith("("):
                lead = before[:-1].rstrip()
                if (
                    previous
                    and previous[0] == party_type
                    and not previous[1]
                    and previous[2] >= len(lead) - 1
                ):
                    role = previous[3].role
                    if previous[3] in target:
                        target.remove(previous[3])
                else:
                    role = _PARTY_LEAD.sub("", lead).strip(_DASHES) or None
                    if role and role[:4].lower() == "the ":
                        role = role[4:]
            party = Party(name=name, role=role)
        if all(p.name != party.name or p.role != party.role for p in target):
            target.append(party)
        previous = (party_type, is_person, end, party) if sink is head_sink else None
    return senders, recipients


def _resolve_target(target: str, volume: str, page_docs: dict[str, str]) -> str | None:
    """A document id for a ref target in this or another volume, else None."""
    raw = target.strip()
    if not raw or " " in raw:
        return None
    if raw.startswith("frus:"):
        raw = raw[5:]
    if raw.startswith(URL_BASE):
        raw = raw[len(URL_BASE) :].lstrip("/")
    if "#" in raw:
        vol, _, frag = raw.partition("#")
    elif "/" in raw:
        vol, _, frag = raw.partition("/")
    elif _DOC_XMLID.match(raw):
        vol, frag = "", raw
    else:
        return None
    vol = vol or volume
    match = _DOC_XMLID.match(frag)
    if match:
        return f"{vol}/{match.group(1)}"
    if vol == volume and frag in page_docs:
        return page_docs[frag]
    return None


def _document(
    div: etree._Element, chapters: list[etree._Element], volume: str, collection: Collection, item: SourceItem
) -> tuple[Document, list[str]]:
    """Build one Document (references unresolved) and return it with the pb xml:ids it holds."""
    walker = _DocumentWalker(volume)
    head_sink = _TextBuilder()
    warnings: list[str] = []
    head = None
    for child in div:
        kind = _kind(child.tag)
        if head is None and kind == BLOCK and _local(child.tag) == "head":
            head = child
            walker.children(child, head_sink)
        elif kind == INLINE:
            walker.body.request("\n\n")
            walker.children(child, walker.body)
            walker.body.request("\n\n")
        else:
            walker.element(child, kind, walker.body)
        tail = child.tail
        if tail and not tail.isspace():
            walker.body.add(tail)
    if div.text and not div.text.isspace():
        warnings.append("text directly inside the document div was ignored")
    text = walker.body.finish()
    title = head_sink.finish()
    xmlid = div.get(XML_ID) or (f"d{div.get('n')}" if div.get("n") else None)
    n = div.get("n")
    if not div.get(XML_ID):
        warnings.append(f"document div has no xml:id; used {xmlid!r}")
    if not title:
        title = f"Document {n}" if n else "Untitled document"
        warnings.append("document has no head; title made up from its number")
    archive_file, doc_type = _source_fields(walker.source_note)
    doc_type = doc_type_from_head(title) or doc_type
    senders, recipients = _parties(walker, title, text, head_sink)
    dateline = None
    if walker.dateline_span:
        start, end = walker.dateline_span[0][0], walker.dateline_span[1][0]
        dateline = _norm(text[start:end]) or None if 0 <= start < end else None
    mentions = [
        Mention(
            type=m_type,
            text=name if name is not None else text[start[0] : end[0]],
            start=start[0],
            end=end[0],
            entity_id=eid,
        )
        for m_type, start, end, eid, name in walker.mentions
        if name is not None or 0 <= start[0] < end[0]
    ]
    chapter = None
    if chapters:
        for child in chapters[-1]:
            if _local(child.tag) == "head":
                chapter = _head_text(child) or None
                break
    doc = Document(
        id=f"{volume}/{xmlid}",
        collection=collection,
        source=Source(format=FORMAT, path=item.path, url=f"{URL_BASE}/{volume}/{xmlid}"),
        title=title,
        doc_type=doc_type,
        date=_doc_date(walker.date_attrs, div),
        place=walker.place or None,
        senders=senders,
        recipients=recipients,
        archive_file=archive_file,
        summary=walker.summary,
        text=text,
        pages=[Page(n=n_, offset=cell[0]) for n_, cell in walker.pages],
        footnotes=[Footnote(n=n_, text=note, offset=cell[0]) for n_, note, cell in walker.footnotes],
        references=walker.references,
        mentions=mentions,
        n=n,
        chapter=chapter,
        dateline=dateline,
        warnings=warnings,
    )
    return doc, walker.page_ids


# ------------------------------------------------------------------- reader API


def sniff(item: SourceItem) -> int:
    """90 for an .xml file that looks like FRUS/TEI in its first 4 KB, else 0."""
    if item.suffix not in (".xml", ".tei"):
        return 0
    head = item.data[:4096]
    return 90 if any(marker in head for marker in SNIFF_MARKERS) else 0


def read(item: SourceItem) -> list[Document]:
    """Every `div[@type="document"]` of a FRUS TEI volume (or fragment) as a Document."""
    root, parse_warnings = _parse(item)
    divs = list(_document_divs(root))
    if not divs:
        return []
    volume = _volume_id(root, item, divs[0][0].get(XML_ID))
    collection = Collection(id=volume, title=_volume_title(root), archive="frus", persons=_persons(root))
    duplicates = _duplicate_ids(item.data)
    if duplicates:
        shown = ", ".join(duplicates[:5]) + (" …" if len(duplicates) > 5 else "")
        parse_warnings.append(f"volume defines xml:id twice ({shown}); accepted, first one wins for links")
    documents: list[Document] = []
    page_docs: dict[str, str] = {}
    toc: dict[int, dict] = {}
    toc_order: list[int] = []
    seen_ids: set[str] = set()
    for order, (div, chapters) in enumerate(divs, 1):
        doc, page_ids = _document(div, chapters, volume, collection, item)
        doc.order = order
        doc.warnings[:0] = parse_warnings
        if doc.id in seen_ids:
            doc.warnings.append(f"document id {doc.id} occurs twice in the volume")
        seen_ids.add(doc.id)
        for page_id in page_ids:
            page_docs.setdefault(page_id, doc.id)
        for level, chapter in enumerate(chapters, 1):
            key = id(chapter)
            if key not in toc:
                head = _find_child(chapter, "head")
                toc[key] = {
                    "title": (_head_text(head) if head is not None else "") or chapter.get("type") or "",
                    "level": level,
                    "id": chapter.get(XML_ID),
                    "document_ids": [],
                }
                toc_order.append(key)
        if chapters:
            toc[id(chapters[-1])]["document_ids"].append(doc.id)
        documents.append(doc)
    for doc in documents:
        for ref in doc.references:
            ref.target_id = _resolve_target(ref.target or "", volume, page_docs)
    collection.toc = [toc[key] for key in toc_order]
    lows = [d.date.not_before[:10] for d in documents if d.date.not_before]
    highs = [d.date.not_after[:10] for d in documents if d.date.not_after]
    collection.coverage = {
        "not_before": min(lows) if lows else None,
        "not_after": max(highs) if highs else None,
    }
    return documents
