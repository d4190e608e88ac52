"""Stars, tags and notes on a document or a passage, after the W3C Web Annotation model.

An annotation has a body (a note's text, a tag; a star has none), a target (the document, or a
passage of its text kept as a text-quote plus a text-position selector), its `creator` (the
viewer's name), UTC `created`/`modified` times, and is private to its creator unless
`shared_with` names a group. After re-ingest stores changed documents, `reanchor` finds each
passage again by its quote and flags it `orphaned` when the quote is gone (never deletes it).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from chancery.errors import NotAllowed, NotFound
from chancery.store.base import AnnotationData, Store
from chancery.workspace.anchoring import Span, anchor, locate, span
from chancery.workspace.viewer import Viewer

# kind -> W3C motivation
MOTIVATIONS = {"note": "commenting", "tag": "tagging", "star": "bookmarking"}
MAX_VALUE = 20_000  # characters of a note (a tag is one line)
JSONLD_CONTEXT = "http://www.w3.org/ns/anno.jsonld"


@dataclass(frozen=True)
class Annotation:
    """One star, tag or note; `exact`/`start`... are set for a passage, None for the document."""

    id: str
    doc_id: str
    creator: str
    kind: str
    created: str
    modified: str
    value: str | None = None
    shared_with: str | None = None
    exact: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    start: int | None = None
    end: int | None = None
    orphaned: bool = False

    def to_dict(self) -> AnnotationData:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: AnnotationData) -> Annotation:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_jsonld(self, document_url: str) -> dict[str, Any]:
        """The annotation as W3C Web Annotation JSON-LD; `document_url` is the target's IRI."""
        target: str | dict[str, Any] = document_url
        if self.exact is not None:
            target = {
                "source": document_url,
                "selector": [
                    {
                        "type": "TextQuoteSelector",
                        "exact": self.exact,
                        "prefix": self.prefix,
                        "suffix": self.suffix,
                    },
                    {"type": "TextPositionSelector", "start": self.start, "end": self.end},
                ],
            }
        data: dict[str, Any] = {
            "@context": JSONLD_CONTEXT,
            "id": f"{document_url}#annotation-{self.id}",
            "type": "Annotation",
            "motivation": MOTIVATIONS[self.kind],
            "creator": {"type": "Person", "nickname": self.creator},
            "created": self.created,
            "modified": self.modified,
            "target": target,
        }
        if self.value is not None:
            data["body"] = {
                "type": "TextualBody",
                "value": self.value,
                "purpose": MOTIVATIONS[self.kind],
                "format": "text/plain",
            }
        if self.shared_with:
            data["audience"] = {"type": "Group", "name": self.shared_with}
        if self.orphaned:  # outside the W3C vocabulary: the quote is no longer in the text
            data["orphaned"] = True
        return data


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def new_id() -> str:
    """A fresh id that sorts in creation order (nanosecond clock, then random)."""
    return f"{time.time_ns():x}{uuid.uuid4().hex[:8]}"


def visible(store: Store, viewer: Viewer, doc_ids: Iterable[str] | None = None) -> list[Annotation]:
    """The viewer's own annotations and those shared with one of their groups."""
    if viewer.name is None and not viewer.groups:
        return []
    rows = store.annotations(doc_ids, creator=viewer.name, groups=sorted(viewer.groups))
    return [Annotation.from_dict(a) for a in rows]


def annotate(
    store: Store,
    viewer: Viewer,
    doc_id: str,
    kind: str,
    value: str | None = None,
    *,
    quote: str | None = None,
    start: int | None = None,
    end: int | None = None,
    shared_with: str | None = None,
) -> Annotation:
    """A new note, tag or star on the document, or on a passage (`quote` and/or `start`, `end`)."""
    name = _writer(viewer, shared_with)
    if kind not in MOTIVATIONS:
        raise ValueError(f"kind must be one of {', '.join(MOTIVATIONS)}, not {kind!r}")
    value = _clean_value(kind, value)
    doc = store.document(doc_id)
    if doc is None:
        raise NotFound(f"no document with id {doc_id!r}")
    passage: Span | None = None
    if quote or start is not None:
        passage = anchor(doc.get("text") or "", quote, start, end)
        if passage is None:
            raise ValueError(f"the passage {quote or (start, end)!r} is not in the text of {doc_id!r}")
    stamp = now()
    made = Annotation(new_id(), doc_id, name, kind, stamp, stamp, value, shared_with or None)
    if passage is not None:
        made = replace(made, **_selector(passage))
    store.put_annotations([made.to_dict()])
    return made


def toggle_star(store: Store, viewer: Viewer, doc_id: str) -> bool:
    """Star the document for the viewer, or unstar it; True when it is now starred."""
    name = _writer(viewer, None)
    stars = [a for a in visible(store, viewer, [doc_id]) if a.kind == "star" and a.creator == name]
    for star in stars:
        store.delete_annotation(star.id)
    if stars:
        return False
    annotate(store, viewer, doc_id, "star")
    return True


def remove(store: Store, viewer: Viewer, doc_id: str, annotation_id: str) -> None:
    """Delete one of the viewer's own annotations on `doc_id`."""
    found = [a for a in visible(store, viewer, [doc_id]) if a.id == annotation_id]
    if not found:
        raise NotFound(f"no annotation {annotation_id!r} on {doc_id!r}")
    if found[0].creator != viewer.name:
        raise NotAllowed("only its author may delete an annotation")
    store.delete_annotation(annotation_id)


def reanchor(store: Store, doc_ids: Iterable[str]) -> dict[str, int]:
    """Find every passage annotation of these (re-stored) documents again in their new text:
    positions and context are updated, and a passage whose quote is gone is flagged `orphaned`
    (a later text holding it again clears the flag). Returns counts: kept, moved, orphaned
    (all orphaned now) and lost (orphaned by this change)."""
    counts = {"kept": 0, "moved": 0, "orphaned": 0, "lost": 0}
    by_doc: dict[str, list[Annotation]] = {}
    for row in store.annotations(doc_ids, everyone=True):
        if row.get("exact") is not None:
            by_doc.setdefault(row["doc_id"], []).append(Annotation.from_dict(row))
    changed: list[AnnotationData] = []
    for doc in store.documents(by_doc):
        text = doc.get("text") or ""
        for old in by_doc[doc["id"]]:
            new = _reanchored(old, text)
            counts["orphaned" if new.orphaned else "kept" if new == old else "moved"] += 1
            counts["lost"] += new.orphaned and not old.orphaned
            if new != old:
                changed.append(replace(new, modified=now()).to_dict())
    if changed:
        store.put_annotations(changed)
    return counts


def stale(store: Store, doc_id: str, found: list[Annotation]) -> bool:
    """True when a passage of `found` (annotations on `doc_id`) no longer holds its quote: the
    document changed without `reanchor` (an ingest stopped between storing and re-anchoring)."""
    passages = [a for a in found if a.exact is not None and not a.orphaned]
    doc = store.document(doc_id) if passages else None
    text = (doc or {}).get("text") or ""
    return any(text[a.start or 0 : a.end or 0] != a.exact for a in passages)


def _reanchored(old: Annotation, text: str) -> Annotation:
    assert old.exact is not None
    start = old.start or 0
    if not old.orphaned and text[start : old.end or 0] == old.exact:
        if span(text, start, old.end or 0) == Span(
            start, old.end or 0, old.exact, old.prefix or "", old.suffix or ""
        ):
            return old
    found = locate(text, old.exact, old.prefix or "", old.suffix or "", start)
    if found is None:
        return old if old.orphaned else replace(old, orphaned=True)
    return replace(old, orphaned=False, **_selector(span(text, *found)))


def _selector(passage: Span) -> dict[str, Any]:
    return {
        "exact": passage.exact,
        "prefix": passage.prefix,
        "suffix": passage.suffix,
        "start": passage.start,
        "end": passage.end,
    }


def _writer(viewer: Viewer, shared_with: str | None) -> str:
    if not viewer.can_write or viewer.name is None:
        raise NotAllowed("annotating needs a researcher's or an admin's account")
    if shared_with and shared_with not in viewer.groups and not viewer.is_admin:
        raise NotAllowed(f"{viewer.name} is not in the group {shared_with!r}")
    return viewer.name


def _clean_value(kind: str, value: str | None) -> str | None:
    if kind == "star":
        return None
    text = (value or "").strip()
    if kind == "tag":
        text = " ".join(text.split()).lower()
    if not text:
        raise ValueError(f"a {kind} needs a text")
    if len(text) > MAX_VALUE:
        raise ValueError(f"a {kind} is at most {MAX_VALUE:,} characters")
    return text


# -- search ---------------------------------------------------------------------------------
def matching(store: Store, viewer: Viewer, field: str, value: str) -> set[str]:
    """Ids of the documents with a visible annotation matching `field:value` (tag, note, starred)."""
    wanted = value.strip().lower()
    found: set[str] = set()
    words = re.findall(r"\w+", wanted)
    for a in visible(store, viewer):
        text = (a.value or "").lower()
        if field == "tag" and a.kind == "tag" and text == " ".join(wanted.split()):
            found.add(a.doc_id)
        elif field == "note" and a.kind == "note" and words and set(words) <= set(re.findall(r"\w+", text)):
            found.add(a.doc_id)
        elif field == "starred" and a.kind == "star":
            found.add(a.doc_id)
    return found
