"""Resolve references to documents in the archive, store them as links, infer missing dates.

`link_documents(store, doc_ids)` reads a light record of every stored document once (ids,
order, chapter, dates, message numbers, parties, pages), then for the given documents plus every
document still holding unresolved references or lacking a date:

- fills `Reference.target_id` where the target is in the archive (``#d12`` / ``VOL#d12`` →
  ``VOL/d12``; ``#pg_21`` → the document holding page 21; ``supra``/``infra`` → the document
  before/after; ``msg:307`` → the document whose `message_numbers` hold 307 and whose date,
  place and parties fit; "my wire of last night" → the same sender's message of the day before),
- replaces the document's outgoing links (`store.put_links_many`, kind = reference kind),
- infers an interval for documents with no stated date (`chancery.enrich.inference`).

Unresolved references stay with `target_id=None`; a later run resolves them once the target
arrives, which is why `Archive.ingest` runs this after every ingest that wrote documents.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

from chancery.crashpoint import crash_point
from chancery.dates import to_date
from chancery.enrich.inference import LOOSE, infer_interval, is_inferred, resolve_dtg
from chancery.enrich.references import message_hints, normalise_number
from chancery.model import DocDate
from chancery.store.base import DocumentData, LinkTriple, Store

RESOLVABLE = ("tei-ref", "document", "footnote", "message", "relative", "reply")
_TARGET = re.compile(r"^(?P<vol>[^#\s]*)#(?:(?P<doc>d\d+)(?:fn\d+)?|pg_(?P<page>[\w.-]+))$")
_WORD = re.compile(r"[a-z]{4,}")
_NOT_NAMES = {"ambassador", "embassy", "department", "secretary", "state", "minister", "office", "government"}
_RELATIVE_DAYS = {
    "last night": 1,
    "yesterday": 1,
    "the day before yesterday": 2,
    "this morning": 0,
    "today": 0,
    "earlier today": 0,
    "this afternoon": 0,
}


@dataclass
class LinkReport:
    """What a linking run did."""

    examined: int = 0
    references: int = 0
    resolved: int = 0
    links: int = 0
    updated: int = 0
    inferred_dates: int = 0
    seconds: float = 0.0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind → [found, resolved]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Record:
    """What linking needs to know about a stored document, without its text."""

    id: str
    collection: str
    position: int
    n: str | None
    chapter: str | None
    when: str | None
    not_before: str | None
    not_after: str | None
    basis: str | None
    place: str
    senders: set[str]
    recipients: set[str]
    pending: bool  # unresolved references or no stated date: worth revisiting


class Light(NamedTuple):
    """What linking needs of a document from its dict; made where the dict is (an ingest worker)."""

    record: Record  # position filled in when the archive's order is known
    messages: list[str]  # normalised message numbers
    pages: list[str]
    # A dated document's resolvable references, each with "i" (its index in the document's
    # references) and "in_text" (its text occurs in the document's text): enough to link it
    # without reading it back. None when the document needs reading (it lacks a stated date).
    refs: list[dict[str, Any]] | None = None


def light(doc: dict[str, Any], with_refs: bool = True) -> Light:
    date_ = doc.get("date") or {}
    refs = None
    if with_refs and date_.get("when") is not None and not is_inferred(date_.get("basis")):
        text = doc.get("text") or ""
        refs = [
            {
                "i": i,
                "kind": ref.get("kind"),
                "target": ref.get("target"),
                "target_id": ref.get("target_id"),
                "text": ref.get("text"),
                "in_text": _in_text(ref, text),
            }
            for i, ref in enumerate(doc.get("references") or [])
            if ref.get("kind") in RESOLVABLE
        ]
    return Light(
        _record(doc, 0),
        [normalise_number(str(num)) for num in doc.get("message_numbers") or []],
        [str(page.get("n")) for page in doc.get("pages") or []],
        refs,
    )


def _in_text(ref: dict[str, Any], text: str) -> bool:
    quoted = ref.get("text", "")
    return isinstance(quoted, str) and quoted in text


class ArchiveIndex:
    """Lookup tables over the light records, built once per linking run."""

    def __init__(self, records: list[Record], collections: dict[str, dict[str, Any]]) -> None:
        self.records = {r.id: r for r in records}
        self.order: dict[str, list[str]] = defaultdict(list)
        self.by_message: dict[str, list[str]] = defaultdict(list)
        self.by_day: dict[date, list[str]] = defaultdict(list)
        self.pages: dict[tuple[str, str], str] = {}
        self.collections = collections
        for r in records:
            self.order[r.collection].append(r.id)
            day = to_date(r.when)
            if day:
                self.by_day[day].append(r.id)

    def add_details(self, item: Light) -> None:
        doc_id, coll = item.record.id, item.record.collection
        for num in item.messages:
            self.by_message[num].append(doc_id)
        for page in item.pages:
            self.pages.setdefault((coll, page), doc_id)

    def neighbour(self, doc_id: str, step: int) -> str | None:
        r = self.records[doc_id]
        i = r.position + step
        ids = self.order[r.collection]
        return ids[i] if 0 <= i < len(ids) else None

    def coverage(self, collection_id: str) -> tuple[date | None, date | None]:
        cov = (self.collections.get(collection_id) or {}).get("coverage") or {}
        low, high = to_date(cov.get("not_before")), to_date(cov.get("not_after"))
        if low and high:
            return low, high
        days = [d for i in self.order[collection_id] if (d := to_date(self.records[i].when))]
        return (low or min(days, default=None)), (high or max(days, default=None))


def _names(parties: list[dict[str, Any]] | None) -> set[str]:
    words: set[str] = set()
    for p in parties or []:
        words.update(_WORD.findall(f"{p.get('name') or ''} {p.get('role') or ''}".lower()))
    return words - _NOT_NAMES


def _record(doc: dict[str, Any], position: int) -> Record:
    date_ = doc.get("date") or {}
    refs = doc.get("references") or []
    pending = date_.get("when") is None or any(
        r.get("target_id") is None and r.get("kind") in RESOLVABLE for r in refs
    )
    return Record(
        id=doc["id"],
        collection=(doc.get("collection") or {}).get("id") or "",
        position=position,
        n=doc.get("n"),
        chapter=doc.get("chapter"),
        when=date_.get("when"),
        not_before=date_.get("not_before"),
        not_after=date_.get("not_after"),
        basis=date_.get("basis"),
        place=(doc.get("place") or "").lower(),
        senders=_names(doc.get("senders")),
        recipients=_names(doc.get("recipients")),
        pending=pending,
    )


def build_index(store: Store, known: dict[str, Light] | None = None) -> ArchiveIndex:
    """Light records and lookup tables for every stored document.

    `known` holds light records already made (by the ingest workers, for the documents they
    just stored); only the other documents' bodies are read from the store.
    """
    known = known or {}
    order = store.document_order()
    missing = [doc_id for doc_id, _ in order if doc_id not in known]
    loaded: dict[str, Light] = {}
    for start in range(0, len(missing), 500):
        for doc in store.documents(missing[start : start + 500]):
            loaded[doc["id"]] = light(doc, with_refs=False)
    items: list[Light] = []
    positions: dict[str, int] = defaultdict(int)
    for doc_id, _ in order:
        item = known.get(doc_id) or loaded.get(doc_id)
        if item is None:  # removed since the order was read
            continue
        coll = item.record.collection
        item.record.position = positions[coll]
        positions[coll] += 1
        items.append(item)
    index = ArchiveIndex([item.record for item in items], {c["id"]: c for c in store.collections()})
    for item in items:
        index.add_details(item)
    return index


# -- resolution ------------------------------------------------------------------------------
def resolve(ref: dict[str, Any], doc: dict[str, Any], index: ArchiveIndex) -> str | None:
    """The archive id a reference points to, or None when its target is not in the archive."""
    target, kind = ref.get("target") or "", ref.get("kind")
    src = index.records[doc["id"]]
    if kind == "footnote":
        return index.neighbour(src.id, -1 if target == "supra" else 1)
    if kind in ("tei-ref", "document"):
        existing = ref.get("target_id")
        if existing and existing in index.records:
            return existing
        m = _TARGET.match(target)
        if not m:
            return None
        vol = m["vol"] or src.collection
        if m["doc"]:
            candidate = f"{vol}/{m['doc']}"
            return candidate if candidate in index.records else None
        return index.pages.get((vol, m["page"]))
    if kind == "relative":
        return _resolve_relative(target.removeprefix("rel:"), src, index)
    if kind in ("message", "reply") and target.startswith("msg:"):
        return _resolve_message(ref.get("text") or "", src, index)
    return None


def _resolve_message(text: str, src: Record, index: ArchiveIndex) -> str | None:
    hints = message_hints(text)
    if not hints:
        return None
    src_day = to_date(src.when) or to_date(src.not_after)
    best: list[tuple[int, str]] = []
    for cand_id in index.by_message.get(hints.number, []):
        cand = index.records.get(cand_id)
        if cand is None or cand_id == src.id:
            continue
        day = to_date(cand.when) or to_date(cand.not_before)
        if src_day and day and (day > src_day or (src_day - day).days > 400):
            continue
        score = 0
        if hints.month_day:
            if not day or (day.month, day.day) != hints.month_day:
                continue
            score += 4
        if hints.place:
            place = hints.place.lower()
            side = cand.recipients if hints.direction == "to" else cand.senders | {cand.place}
            score += 2 if place in side or place in cand.place else -1
        if hints.by == "sender":
            score += 2 if cand.senders & src.senders else -1
        elif hints.by == "recipient":
            score += 2 if cand.senders & src.recipients else -1
        elif (cand.senders | cand.recipients) & (src.senders | src.recipients):
            score += 2
        if cand.collection == src.collection:
            score += 1
        best.append((score, cand_id))
    best.sort(reverse=True)
    if not best or (len(best) > 1 and best[0][0] == best[1][0]) or best[0][0] < 2:
        return None
    return best[0][1]


def _resolve_relative(phrase: str, src: Record, index: ArchiveIndex) -> str | None:
    days_back = _RELATIVE_DAYS.get(phrase)
    day = to_date(src.when)
    if days_back is None or day is None:
        return None
    matches = [
        i
        for i in index.by_day.get(day - timedelta(days=days_back), [])
        if i != src.id
        and index.records[i].senders & src.senders
        and (not src.recipients or index.records[i].recipients & src.recipients)
    ]
    if len(matches) == 1 or (matches and days_back):  # several the day before: the latest in order
        return matches[-1]
    return None


# -- dates -----------------------------------------------------------------------------------
def date_evidence(doc_id: str, index: ArchiveIndex, limit: int = 2) -> tuple[list[date], list[date]]:
    """The nearest dated neighbours before and after `doc_id` in its chapter, nearest first."""
    src = index.records[doc_id]
    ids = index.order[src.collection]
    found: tuple[list[date], list[date]] = ([], [])
    for step, out in ((-1, found[0]), (1, found[1])):
        i = src.position + step
        while 0 <= i < len(ids) and len(out) < limit:
            other = index.records[ids[i]]
            if other.chapter != src.chapter:
                break
            day = to_date(other.when) if not is_inferred(other.basis) else None
            if day:
                out.append(day)
            i += step
    return found


def infer_date(
    doc: dict[str, Any], index: ArchiveIndex, not_earlier: list[date], not_later: list[date]
) -> DocDate | None:
    """An inferred interval for an undated document in a collection; None for loose files (their
    own words date them: `chancery.enrich.standalone`)."""
    src = index.records[doc["id"]]
    archive = (index.collections.get(src.collection) or {}).get("archive")
    if archive in (None, "text") or src.collection in LOOSE or len(index.order[src.collection]) < 2:
        return None
    previous, following = date_evidence(src.id, index)
    interval = infer_interval(
        previous, following, index.coverage(src.collection), not_earlier, not_later, doc.get("text") or ""
    )
    if interval is None:
        return None
    stated = doc.get("date") or {}
    low, high = to_date(stated.get("not_before")), to_date(stated.get("not_after"))
    inferred_low, inferred_high = to_date(interval.not_before), to_date(interval.not_after)
    if (
        stated.get("basis") is not None
        and not is_inferred(stated.get("basis"))
        and low
        and high
        and inferred_low
        and inferred_high
    ):
        new_low, new_high = max(low, inferred_low), min(high, inferred_high)
        if new_low > new_high:
            return None
        interval = infer_interval([new_low], [new_high])
        if interval is None:
            return None
    return resolve_dtg(doc.get("text") or "", interval) or interval


# -- the run ---------------------------------------------------------------------------------
def link_documents(
    store: Store,
    doc_ids: Iterable[str] | None = None,
    known: dict[str, Light] | None = None,
    on_changed: Callable[[list[DocumentData], list[str] | None], None] | None = None,
) -> LinkReport:
    """Resolve and store links for `doc_ids` (all documents when None) plus pending ones.

    `known`: light records already made for some stored documents (see `build_index`); a
    dated one is linked from its record and read back only when a reference target changes.
    `on_changed(documents, changed_keys)` is called with each batch of documents this run
    rewrote, once stored; `changed_keys` is ["references"] for a batch where nothing else
    changed, else None.
    """
    started = time.perf_counter()
    known = known or {}
    report = LinkReport()
    index = build_index(store, known)
    wanted = set(index.records) if doc_ids is None else set(doc_ids) & set(index.records)
    wanted |= {r.id for r in index.records.values() if r.pending}
    ordered = [i for ids in index.order.values() for i in ids if i in wanted]
    docs: list[dict[str, Any]] = []
    patches: dict[str, dict[int, str | None]] = {}  # light-linked id -> {reference index: target}
    not_later: dict[str, list[date]] = defaultdict(list)
    light_count = 0
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        lights = {i: known[i].refs for i in chunk if i in known and known[i].refs is not None}
        loaded = {d["id"]: d for d in store.documents([i for i in chunk if i not in lights])}
        batch: list[tuple[str, list[LinkTriple]]] = []
        for doc_id in chunk:
            if doc_id in loaded:
                doc = loaded[doc_id]
                batch.append((doc_id, _link_one(doc, index, report, not_later)))
                docs.append(doc)
            elif doc_id in lights:
                light_count += 1
                refs = lights[doc_id] or []
                links, changed_at = _link_refs(doc_id, refs, _light_in_text, index, report, not_later)
                batch.append((doc_id, links))
                if changed_at:
                    patches[doc_id] = {refs[k]["i"]: refs[k]["target_id"] for k in changed_at}
        store.put_links_many(batch)
        crash_point("links")
    changed = []
    for doc in docs:
        before = orig_date = doc.get("date") or {}
        if orig_date.get("when") is None or is_inferred(orig_date.get("basis")):
            earlier = [
                d
                for r in doc.get("references") or []
                if r.get("target_id")
                and r.get("kind") in ("message", "reply")
                and r["text"] in doc["text"]
                and (d := to_date(index.records[r["target_id"]].when))
            ]
            inferred = infer_date(doc, index, earlier, not_later.get(doc["id"], []))
            if inferred is not None:
                doc["date"] = inferred.__dict__
                report.inferred_dates += 1
        if doc.pop("_refs_changed", False) or doc.get("date") != before:
            changed.append(doc)
    for start in range(0, len(changed), 500):
        store.update_documents(changed[start : start + 500])
        crash_point("dates")
        if on_changed:
            on_changed(changed[start : start + 500], None)
    patched = list(patches)
    for start in range(0, len(patched), 500):
        batch_docs = store.documents(patched[start : start + 500])
        for doc in batch_docs:
            for i, target_id in patches[doc["id"]].items():
                doc["references"][i]["target_id"] = target_id
        store.update_documents(batch_docs)
        if on_changed:
            on_changed(batch_docs, ["references"])
    report.examined = len(docs) + light_count
    report.updated = len(changed) + len(patches)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _light_in_text(ref: dict[str, Any]) -> bool:
    return ref["in_text"]


def _link_one(
    doc: dict[str, Any], index: ArchiveIndex, report: LinkReport, not_later: dict[str, list[date]]
) -> list[LinkTriple]:
    """Resolve the document's references in place; its outgoing links as (dst, kind, text)."""
    text = doc.get("text") or ""
    links, changed_at = _link_refs(
        doc["id"], doc.get("references") or [], lambda ref: _in_text(ref, text), index, report, not_later
    )
    doc["_refs_changed"] = bool(changed_at)
    return links


def _link_refs(
    doc_id: str,
    refs: list[dict[str, Any]],
    in_text: Callable[[dict[str, Any]], bool],
    index: ArchiveIndex,
    report: LinkReport,
    not_later: dict[str, list[date]],
) -> tuple[list[LinkTriple], list[int]]:
    """Set each resolvable reference's target_id; the links and the positions that changed."""
    links: dict[tuple[str, str], str] = {}
    changed_at = []
    src_day = to_date(index.records[doc_id].when)
    source = {"id": doc_id}
    for k, ref in enumerate(refs):
        kind = ref.get("kind")
        if kind not in RESOLVABLE:
            continue
        target_id = resolve(ref, source, index)
        counts = report.by_kind.setdefault(kind, [0, 0])
        counts[0] += 1
        report.references += 1
        if target_id != ref.get("target_id"):
            ref["target_id"] = target_id
            changed_at.append(k)
        if target_id:
            counts[1] += 1
            report.resolved += 1
            links.setdefault((target_id, kind if kind != "tei-ref" else "reference"), ref.get("text") or "")
            if src_day and kind in ("message", "reply") and in_text(ref):
                not_later[target_id].append(src_day)
    report.links += len(links)
    return [(dst, kind, text) for (dst, kind), text in links.items()], changed_at


def evaluate_inference(store: Store, collection_ids: Iterable[str] | None = None) -> dict[str, Any]:
    """Hide each stated day, infer it from neighbours and coverage: containment share, median width."""
    index = build_index(store)
    wanted = set(collection_ids) if collection_ids is not None else set(index.order)
    inside = total = 0
    widths: list[int] = []
    for coll in wanted:
        coverage = index.coverage(coll)
        for doc_id in index.order.get(coll, []):
            record = index.records[doc_id]
            truth = to_date(record.when) if not is_inferred(record.basis) else None
            if truth is None:
                continue
            previous, following = date_evidence(doc_id, index)
            interval = infer_interval(previous, following, coverage)
            if interval is None:
                continue
            low, high = to_date(interval.not_before), to_date(interval.not_after)
            total += 1
            inside += bool(low and high and low <= truth <= high)
            widths.append((high - low).days if low and high else 0)
    widths.sort()
    return {
        "documents": total,
        "contained": inside,
        "share": round(inside / total, 4) if total else None,
        "median_width_days": widths[len(widths) // 2] if widths else None,
    }
