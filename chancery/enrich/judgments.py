"""Researchers' entity judgments, applied after entity resolution: a pure final step.

A judgment merges two entities, splits names off one into a new entity, or rejects, confirms or
sets the entity of one mention. Judgments are data from the store (`entity_judgments`): ingest and
re-enrichment load them (`Judgments.of(rows, names)`) into the enrichment context and
`judgment_step` applies them last, so they hold across re-enrichment, authority updates and
re-ingest. A mention judgment finds its mention by document id, surface text and the nearest
offset, so small edits of the text do not lose it. A merge leaves a redirect (absorbed id ->
surviving id, chains followed) and a split moves the mentions written as the moved names.
`edit_authority` applies merges and splits to authority records, at judgment time and after
every authority load. An `undo` row withdraws an earlier judgment (`undoes`: its id): both are
kept for the history, and neither is applied (`in_force`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import orjson

from chancery.authority.names import normalize, person_variants
from chancery.model import Document, Mention, Party

if TYPE_CHECKING:
    from chancery.enrich import Context

KINDS = ("merge", "split", "reject", "confirm", "set", "undo")
MENTION_KINDS = ("reject", "confirm", "set")
CONTEXT_KEY = "judgments"  # where the loaded judgments wait in `Context.extra`


@dataclass(frozen=True)
class Judgment:
    """One stored judgment. merge: `subject` is folded into `target`; split: `names` of `subject`
    move to the new entity `target`; reject/confirm/set: the mention of `doc_id` written `text` at
    `start`..`end` gets `target` (None for reject); `subject` is its entity when judged. undo:
    withdraws the judgment `undoes` (its other fields are copied from it, for the history).
    `undone_by` and `undone_at` are not stored: the history fills them from the undo row."""

    kind: str
    subject: str | None = None
    target: str | None = None
    doc_id: str | None = None
    start: int | None = None
    end: int | None = None
    text: str | None = None
    names: tuple[str, ...] = ()
    viewer: str | None = None
    at: str = ""
    note: str | None = None
    id: int | None = None
    undoes: int | None = None
    undone_by: str | None = None
    undone_at: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"judgment kind must be one of {', '.join(KINDS)}, not {self.kind!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "subject": self.subject,
            "target": self.target,
            "mention": (
                {"doc_id": self.doc_id, "start": self.start, "end": self.end, "text": self.text}
                if self.doc_id
                else None
            ),
            "names": list(self.names),
            "viewer": self.viewer,
            "at": self.at,
            "note": self.note,
            "undoes": self.undoes,
            "undone": {"viewer": self.undone_by, "at": self.undone_at} if self.undone_at else None,
        }

    def row(self) -> dict[str, Any]:
        """The store's columns (`entity_judgments`)."""
        return {
            "kind": self.kind,
            "subject": self.subject,
            "target": self.target,
            "doc_id": self.doc_id,
            "start_offset": self.start,
            "end_offset": self.end,
            "surface": self.text,
            "names": orjson.dumps(list(self.names)).decode() if self.names else None,
            "viewer": self.viewer,
            "at": self.at,
            "note": self.note,
            "undoes": self.undoes,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Judgment:
        names = row.get("names")
        return cls(
            kind=row["kind"],
            subject=row.get("subject"),
            target=row.get("target"),
            doc_id=row.get("doc_id"),
            start=row.get("start_offset"),
            end=row.get("end_offset"),
            text=row.get("surface"),
            names=tuple(orjson.loads(names)) if names else (),
            viewer=row.get("viewer"),
            at=row.get("at") or "",
            note=row.get("note"),
            id=row.get("id"),
            undoes=row.get("undoes"),
        )


def in_force(judgments: Iterable[Judgment]) -> list[Judgment]:
    """The judgments that apply: neither undo rows nor the judgments they withdrew."""
    judgments = list(judgments)
    undone = {j.undoes for j in judgments if j.kind == "undo" and j.undoes is not None}
    return [j for j in judgments if j.kind != "undo" and j.id not in undone]


def with_undone(judgments: Iterable[Judgment]) -> list[Judgment]:
    """`judgments` with each withdrawn one marked by who undid it, and when (for the history)."""
    judgments = list(judgments)
    undos = {j.undoes: j for j in judgments if j.kind == "undo"}
    return [
        replace(j, undone_by=undos[j.id].viewer, undone_at=undos[j.id].at) if j.id in undos else j
        for j in judgments
    ]


@dataclass
class Judgments:
    """Judgments compiled for applying: redirects, splits, mention judgments by document."""

    redirects: dict[str, str] = field(default_factory=dict)  # absorbed id -> surviving id
    splits: dict[str, list[tuple[frozenset[str], str]]] = field(default_factory=dict)  # id -> (names, new id)
    by_doc: dict[str, list[Judgment]] = field(default_factory=dict)  # mention judgments, oldest first
    names: dict[str, str] = field(default_factory=dict)  # entity id -> its name (what mentions show)
    all: list[Judgment] = field(default_factory=list)

    @classmethod
    def of(cls, judgments: Iterable[Judgment], names: Mapping[str, str] | None = None) -> Judgments:
        out = cls(names=dict(names or {}))
        for j in sorted(in_force(judgments), key=lambda j: (j.id is None, j.id or 0)):
            out.all.append(j)
            if j.kind == "merge" and j.subject and j.target and j.subject != j.target:
                out.redirects[j.subject] = j.target
            elif j.kind == "split" and j.subject and j.target:
                out.splits.setdefault(j.subject, []).append((frozenset(name_keys(j.names)), j.target))
            elif j.kind in MENTION_KINDS and j.doc_id:
                out.by_doc.setdefault(j.doc_id, []).append(j)
        return out

    def resolve(self, entity_id: str | None) -> str | None:
        """The surviving id of `entity_id` (merges followed, cycles cut)."""
        seen: set[str] = set()
        while entity_id in self.redirects and entity_id not in seen:
            seen.add(entity_id)
            entity_id = self.redirects[entity_id]
        return entity_id

    def entity_for(self, entity_id: str | None, written: str) -> str | None:
        """Where a mention or party of `entity_id` written `written` belongs now."""
        entity_id = self.resolve(entity_id)
        if entity_id is None:
            return None
        norm = normalize(written)
        for moved, new_id in self.splits.get(entity_id, ()):
            if norm in moved:
                return self.resolve(new_id)
        return entity_id

    def keep_names(self, entity_id: str, names: Iterable[str]) -> None:
        """Mentions written as one of `names` (spellings `entity_id` keeps, a shared surname)
        stay with it when names are split off it."""
        kept = name_keys(names)
        self.splits[entity_id] = [(moved - kept, new) for moved, new in self.splits.get(entity_id, ())]

    def __bool__(self) -> bool:
        return bool(self.all)


def judgment_step(document: Document, context: Context) -> Document:
    """The enrichment step: the judgments in `context.extra["judgments"]`, applied to `document`."""
    judgments = context.extra.get(CONTEXT_KEY)
    return apply_judgments(document, judgments) if judgments else document


def apply_judgments(document: Document, judgments: Judgments) -> Document:
    """`document` with merges, splits and its mention judgments applied (a new Document when
    something changed; `document` is left as it was)."""
    mentions = [_moved(m, judgments) for m in document.mentions]
    for j in judgments.by_doc.get(document.id, ()):
        i = locate(mentions, j)
        if i is None:
            continue
        target = judgments.resolve(j.target)
        name = judgments.names.get(target or "", mentions[i].entity_name) if target else None
        mentions[i] = replace(mentions[i], entity_id=target, entity_name=name)
    senders = [_moved_party(p, judgments) for p in document.senders]
    recipients = [_moved_party(p, judgments) for p in document.recipients]
    if (mentions, senders, recipients) == (document.mentions, document.senders, document.recipients):
        return document
    return replace(document, mentions=mentions, senders=senders, recipients=recipients)


def _moved(m: Mention, judgments: Judgments) -> Mention:
    new = judgments.entity_for(m.entity_id, m.text)
    if new == m.entity_id:
        return m
    return replace(m, entity_id=new, entity_name=judgments.names.get(new or "", m.entity_name))


def _moved_party(p: Party, judgments: Judgments) -> Party:
    new = judgments.entity_for(p.entity_id, p.name)
    return p if new == p.entity_id else replace(p, entity_id=new)


def locate(mentions: list[Mention], j: Judgment) -> int | None:
    """The mention `j` judged: same surface text (else same text ignoring case), nearest offset."""
    start = j.start or 0
    for same in (lambda m: m.text == j.text, lambda m: m.text.lower() == (j.text or "").lower()):
        found = [i for i, m in enumerate(mentions) if same(m)]
        if found:
            return min(found, key=lambda i: (abs(mentions[i].start - start), i))
    return None


def name_keys(names: Iterable[str]) -> set[str]:
    """Normalised forms a mention may write a name in: the name, its full-name spellings and
    its surname ("Vyshinsky, Andrey Y." gives andrey y vyshinsky, a y vyshinsky, vyshinsky...)."""
    keys: set[str] = set()
    for name in filter(None, names):
        forms, surname = person_variants(name)
        keys.update(normalize(f) for f in [name, *forms, *([surname] if surname else [])])
    return keys - {""}


# -- authority records ------------------------------------------------------------------------
def name_rows(entity: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (normalised name, id) rows of the name index for one entity record."""
    names = [entity.get("name") or "", *(entity.get("variants") or [])]
    keys: set[str] = set()
    for name in filter(None, names):
        if entity.get("type") == "person":
            keys.update(normalize(v) for v in person_variants(name)[0])
        keys.add(normalize(name))
    return sorted((k, entity["id"]) for k in keys if k)


@dataclass
class AuthorityEdit:
    entities: list[dict[str, Any]]  # every record, edited ones replaced
    names: list[tuple[str, str]]
    removed: list[str]  # ids folded into another
    touched: list[str]  # ids whose records and name rows were rewritten


def edit_authority(
    entities: list[dict[str, Any]], names: list[tuple[str, str]], judgments: Iterable[Judgment]
) -> AuthorityEdit:
    """Authority records with merges and splits applied in order (records are copied, never
    changed in place); a judgment naming a record that is not there is passed over, and so are
    withdrawn ones."""
    by_id = {e["id"]: e for e in entities}
    touched: dict[str, None] = {}
    removed: list[str] = []
    for j in in_force(judgments):
        subject, target = j.subject or "", j.target or ""
        if j.kind == "merge" and subject in by_id and target in by_id and subject != target:
            by_id[target] = _fold(by_id[target], by_id.pop(subject))
            removed.append(subject)
            touched.update({target: None, subject: None})
        elif j.kind == "split" and subject in by_id and target and target not in by_id:
            by_id[subject], by_id[target] = _split(by_id[subject], target, j.names)
            touched.update({subject: None, target: None})
    fresh = [row for t in touched if t in by_id for row in name_rows(by_id[t])]
    rows = [r for r in names if r[1] not in touched] + fresh
    return AuthorityEdit(list(by_id.values()), rows, removed, list(touched))


def _fold(kept: dict[str, Any], folded: dict[str, Any]) -> dict[str, Any]:
    out = {**kept, "variants": list(kept.get("variants") or [])}
    out["name_sources"] = {k: list(v) for k, v in (kept.get("name_sources") or {}).items()}
    for name in [folded.get("name"), *(folded.get("variants") or [])]:
        if name and name != out.get("name") and name not in out["variants"]:
            out["variants"].append(name)
    for name, sources in (folded.get("name_sources") or {}).items():
        have = out["name_sources"].setdefault(name, [])
        have.extend(s for s in sources if s not in have)
    for key in ("sources", "offices", "remarks"):
        out[key] = list(kept.get(key) or []) + [
            x for x in folded.get(key) or [] if x not in (kept.get(key) or [])
        ]
    for key in ("birth", "death", "description"):
        out[key] = kept.get(key) or folded.get(key)
    out["merged_from"] = [*(kept.get("merged_from") or []), folded["id"], *(folded.get("merged_from") or [])]
    return out


def _split(
    entity: dict[str, Any], new_id: str, names: Iterable[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    moved = [n for n in names if n]
    norms = {normalize(n) for n in moved}
    kept = {**entity, "variants": [v for v in entity.get("variants") or [] if normalize(v) not in norms]}
    kept["name_sources"] = {
        k: v for k, v in (entity.get("name_sources") or {}).items() if normalize(k) not in norms
    }
    new = {
        "id": new_id,
        "type": entity.get("type"),
        "name": moved[0],
        "variants": moved[1:],
        "description": None,
        "birth": None,
        "death": None,
        "sources": [],
        "offices": [],
        "name_sources": {n: [f"split from {entity['id']}"] for n in moved},
        "merged_from": [],
        "remarks": [],
    }
    return kept, new
