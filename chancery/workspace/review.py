"""Entity review: researchers merge and split entities and judge the entity of a mention.

Each judgment is stored (`entity_judgments`: kind, entities, mention locator, who, when, note),
applied at once to the authority records (merges and splits, `edit_authority`) and to the stored
documents it touches (`apply_judgments`), whose rewrite goes through the change feed so every
search index catches up. Ingest and re-enrichment apply every judgment again as their last step
(`load_judgments` fills the enrichment context), and `authority load` re-applies merges and splits
to the fresh records, so judgments hold across re-enrichment, authority updates and re-ingest.

A judgment is undone by an `undo` row naming it (`undo`): both stay in the history. Undoing a
mention judgment leaves its document to be re-enriched; undoing a merge or split rebuilds the
records it touched from the bases kept before any judgment touched them (`entity_bases`, renewed
by `authority load`) with the judgments still in force, and leaves the documents naming them to be
re-enriched: what re-enrichment gives as if the judgment had never been made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from chancery.authority.names import normalize, slug
from chancery.enrich import DEEP, Context
from chancery.enrich import steps as enrich_steps
from chancery.enrich.judgments import CONTEXT_KEY as JUDGMENTS_KEY
from chancery.enrich.judgments import (
    MENTION_KINDS,
    AuthorityEdit,
    Judgment,
    Judgments,
    apply_judgments,
    edit_authority,
    in_force,
    locate,
    name_keys,
    with_undone,
)
from chancery.errors import JudgmentError, NotFound
from chancery.model import Collection, Document, Party
from chancery.search.engine import matching_ids
from chancery.search.index import SearchIndex
from chancery.store.base import DocumentData, EntityData, Store
from chancery.workspace.viewer import Viewer

_QUERY_WORD = re.compile(r'[^\s()"*]+')  # an id the query language reads as one word
BATCH = 500


def load_judgments(store: Store) -> Judgments:
    """Every stored judgment compiled for applying, with the names of the entities they point to."""
    judgments = [Judgment.from_row(r) for r in store.entity_judgments()]
    compiled = Judgments.of(judgments)
    for entity_id in {j.target for j in judgments if j.target} | set(compiled.redirects.values()):
        record = store.entity(entity_id)
        if record:
            compiled.names[entity_id] = record["name"]
    for entity_id in list(compiled.splits):
        record = store.entity(entity_id)
        if record:
            compiled.keep_names(entity_id, [record["name"], *(record.get("variants") or [])])
    return compiled


def parse_names(text: str, record: EntityData | None = None) -> list[str]:
    """Names typed as "N1,N2" (or "N1;N2"): comma-separated pieces that together spell one of the
    record's names ("Vyshinsky, Andrey Y.") are kept whole."""
    if ";" in text:
        return [n.strip() for n in text.split(";") if n.strip()]
    recorded = {n.lower() for n in [*(record or {}).get("variants", []), (record or {}).get("name", "")]}
    pieces, names = [p.strip() for p in text.split(",")], []
    while pieces:
        for size in range(len(pieces), 0, -1):
            joined = ", ".join(pieces[:size])
            if size == 1 or joined.lower() in recorded:
                names.append(joined)
                pieces = pieces[size:]
                break
    return [n for n in names if n]


def judgments(store: Store, entity_id: str | None = None, doc_id: str | None = None) -> list[Judgment]:
    """Stored judgments, oldest first: all, or those naming `entity_id` (or an id merged into
    it) or the document `doc_id`; undo rows included, and withdrawn judgments marked so."""
    found = with_undone(Judgment.from_row(r) for r in store.entity_judgments())
    if entity_id:
        compiled = Judgments.of(found)
        found = [
            j for j in found if entity_id in (j.subject, j.target) or compiled.resolve(j.subject) == entity_id
        ]
    if doc_id:
        found = [j for j in found if j.doc_id == doc_id]
    return found


def entity(store: Store, entity_id: str) -> EntityData:
    """The record of `entity_id`, following merges to the surviving entity; NotFound if none."""
    record = store.entity(entity_id)
    if record is None:
        survivor = Judgments.of(judgments(store)).resolve(entity_id)
        record = store.entity(survivor) if survivor else None
    if record is None:
        raise NotFound(f"no entity with id {entity_id!r}")
    return record


# -- judging ----------------------------------------------------------------------------------
def merge(
    store: Store, index: SearchIndex, viewer: Viewer, keep: str, fold: str, note: str | None = None
) -> Judgment:
    """Fold entity `fold` into `keep`: its names join `keep`, its id redirects there."""
    _may_write(viewer)
    kept, folded = entity(store, keep), entity(store, fold)
    if kept["id"] == folded["id"]:
        raise JudgmentError(f"{keep} and {fold} are already one entity")
    if kept.get("type") != folded.get("type"):
        raise JudgmentError(f"cannot merge a {folded.get('type')} into a {kept.get('type')}")
    judgment = _judgment("merge", viewer, note, subject=folded["id"], target=kept["id"])
    edit = edit_authority([kept, folded], [], [judgment])
    return _record(store, index, judgment, edit, [folded["id"]])


def split(
    store: Store,
    index: SearchIndex,
    viewer: Viewer,
    entity_id: str,
    names: Iterable[str],
    note: str | None = None,
) -> Judgment:
    """Move `names` (spellings of `entity_id`) and the mentions written so to a new entity."""
    _may_write(viewer)
    record = entity(store, entity_id)
    names = parse_names(names, record) if isinstance(names, str) else [n.strip() for n in names if n.strip()]
    if not names:
        raise JudgmentError("name at least one spelling to split off")
    recorded = {n.lower(): n for n in [record["name"], *(record.get("variants") or [])]}
    if any(n.lower() == record["name"].lower() for n in names):
        raise JudgmentError(f"{record['name']!r} is the entity's own name: split off its other names")
    names = [recorded.get(n.lower(), n) for n in names]
    new_id = f"{record['id']}:split:{slug(names[0])}"
    if store.entity(new_id):
        raise JudgmentError(f"{new_id} exists already")
    judgment = _judgment("split", viewer, note, subject=record["id"], target=new_id, names=tuple(names))
    edit = edit_authority([record], [], [judgment])
    return _record(store, index, judgment, edit, [record["id"]])


def judge_mention(
    store: Store,
    index: SearchIndex,
    viewer: Viewer,
    kind: str,
    doc_id: str,
    mention: str,
    target: str | None = None,
    note: str | None = None,
) -> list[Judgment]:
    """Reject, confirm or set the entity of a mention of `doc_id`: `mention` is its text (every
    mention so written), "TEXT@START" or "START:END" (one mention)."""
    _may_write(viewer)
    if kind not in ("reject", "confirm", "set"):
        raise JudgmentError(f"a mention is rejected, confirmed or set, not {kind!r}")
    data = store.document(doc_id)
    if data is None:
        raise NotFound(f"no document with id {doc_id!r}")
    if kind == "set":
        if not target:
            raise JudgmentError("set needs the entity the mention names")
        target = entity(store, target)["id"]
    chosen = _mentions(data, mention)
    if not chosen:
        raise JudgmentError(f"{doc_id} has no mention {mention!r}")
    made = []
    for m in chosen:
        if kind == "confirm" and not m.get("entity_id"):
            raise JudgmentError(f"{m['text']!r} at {m['start']} names no entity to confirm: set one")
        to = None if kind == "reject" else (target or m.get("entity_id"))
        j = _judgment(
            kind, viewer, note, subject=m.get("entity_id"), target=to, doc_id=doc_id, start=m["start"],
            end=m["end"], text=m["text"],
        )  # fmt: skip
        made.append(_record(store, index, j, None, []))
    return made


def _mentions(doc: DocumentData, locator: str) -> list[dict[str, Any]]:
    mentions = doc.get("mentions") or []
    span = re.fullmatch(r"(\d+):(\d+)", locator)
    if span:
        start, end = int(span[1]), int(span[2])
        return [m for m in mentions if (m["start"], m["end"]) == (start, end)]
    text, _, at = locator.rpartition("@") if re.search(r"@\d+$", locator) else (locator, "", "")
    same = [m for m in mentions if m["text"] == text] or [
        m for m in mentions if m["text"].lower() == text.lower()
    ]
    if at and same:
        return [min(same, key=lambda m: abs(m["start"] - int(at)))]
    return same


def _may_write(viewer: Viewer) -> None:
    if not viewer.can_write:
        raise PermissionError(f"{viewer.name or 'an anonymous visitor'} may not judge entities")


def _judgment(kind: str, viewer: Viewer, note: str | None, **fields: Any) -> Judgment:
    at = datetime.now(UTC).isoformat(timespec="seconds")
    return Judgment(kind, viewer=viewer.name, at=at, note=(note or "").strip() or None, **fields)


def _record(
    store: Store, index: SearchIndex, judgment: Judgment, edit: AuthorityEdit | None, ids: list[str]
) -> Judgment:
    """Store the judgment and its authority edit in one transaction, then rewrite the documents
    it touches (those naming `ids`, or its own document) with every judgment applied."""
    if edit is None:
        new_id = store.add_entity_judgment(judgment.row())
    else:
        store.keep_entity_bases(set(edit.touched) - _derived(store))  # as the authority gave them
        touched = {e["id"]: e for e in edit.entities if e["id"] in edit.touched}
        names = [r for r in edit.names if r[1] in touched]
        new_id = store.add_entity_judgment(judgment.row(), edit.touched, list(touched.values()), names)
    doc_ids = [judgment.doc_id] if judgment.doc_id else documents_naming(store, index, ids)
    reapply(store, doc_ids)
    return replace(judgment, id=new_id)


def _derived(store: Store) -> set[str]:
    """Ids of entities a split made (they have no authority record of their own)."""
    return {j.target for j in judgments(store) if j.kind == "split" and j.target}


def undo(
    store: Store, index: SearchIndex, viewer: Viewer, judgment_id: int, note: str | None = None
) -> tuple[Judgment, list[str], set[str]]:
    """Withdraw judgment `judgment_id`: the undo row is stored (who, when) and, for a merge or
    split, the records it touched are rebuilt without it; returns the undo, the ids of the
    documents to restore and the entities whose mentions there are resolved again
    (`restore_documents`)."""
    _may_write(viewer)
    every = [Judgment.from_row(r) for r in store.entity_judgments()]
    judged = next((j for j in every if j.id == judgment_id), None)
    if judged is None:
        raise NotFound(f"no judgment #{judgment_id}")
    if judged.kind == "undo":
        raise JudgmentError(f"#{judgment_id} is an undo: judge again instead")
    if judged not in in_force(every):
        raise JudgmentError(f"judgment #{judgment_id} is undone already")
    made = _judgment(
        "undo", viewer, note, subject=judged.subject, target=judged.target, doc_id=judged.doc_id,
        start=judged.start, end=judged.end, text=judged.text, names=judged.names, undoes=judged.id,
    )  # fmt: skip
    if judged.kind in MENTION_KINDS:
        return replace(made, id=store.add_entity_judgment(made.row())), [judged.doc_id or ""], set()
    remaining = [j for j in in_force(every) if j.id != judged.id and j.kind in ("merge", "split")]
    if judged.kind == "split":
        later = [j for j in in_force(every) if j.id != judged.id and judged.target in (j.subject, j.target)]
        if later:
            raise JudgmentError(
                f"judgment #{later[0].id} names {judged.target}, which this split made: undo it first"
            )
    component = {i for i in (judged.subject, judged.target) if i}
    grown = True
    while grown:  # every entity the remaining merges and splits connect to these
        grown = False
        for j in remaining:
            ids = {i for i in (j.subject, j.target) if i}
            if ids & component and not ids <= component:
                component |= ids
                grown = True
    derived = {j.target for j in every if j.kind == "split" and j.target}
    bases = store.entity_bases(component - derived)
    records, names = [], []
    for entity_id in sorted(component - derived):
        base = bases.get(entity_id)
        if base is None:
            raise JudgmentError(
                f"no record of {entity_id} from before it was judged (judged by an older version): "
                "run `chancery authority load`, then undo"
            )
        records.append(base["record"])
        names += [(norm, entity_id) for norm in base["names"]]
    rebuilt = edit_authority(records, names, [j for j in remaining if {j.subject, j.target} & component])
    doc_ids = documents_naming(store, index, sorted(component))
    new_id = store.add_entity_judgment(made.row(), sorted(component), rebuilt.entities, rebuilt.names)
    return replace(made, id=new_id), doc_ids, component


def restore_documents(
    store: Store,
    context: Context,
    collections: dict[str, Collection],
    doc_ids: list[str],
    entity_ids: set[str],
    undone: Judgment,
) -> int:
    """After an undo: rewrite `doc_ids` as re-enrichment gives them without the withdrawn judgment.

    Re-enrichment keeps the entity a stored mention has, so the mentions a judgment changed are
    taken back first: for a mention judgment, the mention gets the entity it had before the first
    judgment on it; for a merge or split, the mentions and parties of `entity_ids` are resolved
    again by the entity step (a mention it does not find again goes to the one rebuilt record that
    has its written name, else stays). The judgments in force are then applied again."""
    steps = enrich_steps(tuple(DEEP))
    every = [Judgment.from_row(r) for r in store.entity_judgments()]
    changed = []
    for data in store.documents(doc_ids):
        doc = Document.from_dict(data, collections.get((data.get("collection") or {}).get("id") or ""))
        if undone.kind in MENTION_KINDS:
            doc = _before_judging(store, doc, undone, every)
        else:
            doc = _resolved_again(store, doc, entity_ids, steps, context)
        judged = apply_judgments(doc, context.extra[JUDGMENTS_KEY])
        if judged.to_dict() != data:
            changed.append(judged.to_dict())
    if changed:
        store.update_documents(changed)
    return len(changed)


def _before_judging(store: Store, doc: Document, undone: Judgment, every: list[Judgment]) -> Document:
    """`doc` with the mention `undone` judged given back the entity it had before any judgment."""
    i = locate(doc.mentions, undone)
    if i is None:
        return doc
    same = [
        j for j in every if j.doc_id == doc.id and j.kind in MENTION_KINDS and locate(doc.mentions, j) == i
    ]
    first = min(same, key=lambda j: j.id or 0) if same else undone
    record = store.entity(first.subject) if first.subject else None
    mention = replace(
        doc.mentions[i], entity_id=first.subject, entity_name=record["name"] if record else None
    )
    return replace(doc, mentions=[*doc.mentions[:i], mention, *doc.mentions[i + 1 :]])


def _resolved_again(
    store: Store, doc: Document, entity_ids: set[str], steps: list[Any], context: Context
) -> Document:
    taken = [m for m in doc.mentions if m.entity_id in entity_ids]
    if not taken and not any(p.entity_id in entity_ids for p in doc.senders + doc.recipients):
        return doc

    def cleared(parties: list[Party]) -> list[Party]:
        return [replace(p, entity_id=None) if p.entity_id in entity_ids else p for p in parties]

    out = replace(
        doc,
        mentions=[m for m in doc.mentions if m.entity_id not in entity_ids],
        senders=cleared(doc.senders),
        recipients=cleared(doc.recipients),
    )
    for step in steps:
        out = step(out, context)
    records = [r for r in (store.entity(i) for i in sorted(entity_ids)) if r]
    keys = {r["id"]: name_keys([r.get("name") or "", *(r.get("variants") or [])]) for r in records}
    missed = []
    for m in taken:  # not found again: to the one record with its written name, else as it was
        if any(x.start < m.end and m.start < x.end for x in out.mentions):
            continue
        owners = [i for i, k in keys.items() if normalize(m.text) in k]
        if len(owners) == 1 and owners[0] != m.entity_id:
            m = replace(m, entity_id=owners[0], entity_name=store.entity(owners[0])["name"])  # type: ignore[index]
        missed.append(m)
    if missed:
        out = replace(out, mentions=sorted([*out.mentions, *missed], key=lambda m: m.start))
    return out


def documents_naming(store: Store, index: SearchIndex, entity_ids: Iterable[str]) -> list[str]:
    """Ids of the documents whose mentions or parties name one of `entity_ids` (through the
    search index's entity field; the whole store is read for an id the query language cannot
    spell)."""
    found: dict[str, None] = {}
    for entity_id in entity_ids:
        if _QUERY_WORD.fullmatch(entity_id):
            found.update(dict.fromkeys(matching_ids(index, f"person:{entity_id}")))
        else:
            found.update(dict.fromkeys(d["id"] for d in store.iter_documents() if _names(d, entity_id)))
    return list(found)


def _names(doc: DocumentData, entity_id: str) -> bool:
    parties = (doc.get("senders") or []) + (doc.get("recipients") or [])
    return any(x.get("entity_id") == entity_id for x in (doc.get("mentions") or []) + parties)


def reapply(store: Store, doc_ids: list[str]) -> int:
    """Rewrite the stored documents among `doc_ids` with every judgment applied (those that
    change go through the change feed); returns how many changed."""
    compiled = load_judgments(store)
    changed = 0
    for first in range(0, len(doc_ids), BATCH):
        rewritten = []
        for data in store.documents(doc_ids[first : first + BATCH]):
            doc = Document.from_dict(data)
            judged = apply_judgments(doc, compiled)
            if judged is not doc:
                rewritten.append(judged.to_dict())
        if rewritten:
            store.update_documents(rewritten)
            changed += len(rewritten)
    return changed


def authority_with_judgments(
    store: Store, entities: list[EntityData], names: list[tuple[str, str]]
) -> AuthorityEdit:
    """Freshly built authority records with the stored merges and splits applied (for `authority
    load`); `removed` lists the folded ids the store must drop again. The fresh records of the
    entities merges and splits name become their kept bases (what an undo rebuilds from)."""
    stored = judgments(store)
    named = {i for j in stored if j.kind in ("merge", "split") for i in (j.subject, j.target) if i}
    store.renew_entity_bases([e for e in entities if e["id"] in named], names)
    return edit_authority(entities, names, stored)


def find_entities(
    store: Store, text: str, type: str | None = None, exclude: str | None = None, limit: int = 10
) -> list[EntityData]:
    """Entities to pick by name or id: an id or an exact name first, then names containing `text`."""
    norm = normalize(text)
    found: dict[str, EntityData] = {}
    exact = store.entity(text.strip())
    for record in ([exact] if exact else []) + store.entities_by_name(norm):
        found.setdefault(record["id"], record)
    if len(norm) >= 3:
        for record in store.iter_entities(type):
            if len(found) >= limit * 3:
                break
            names = [record.get("name") or "", *(record.get("variants") or [])]
            if any(norm in normalize(n) for n in names):
                found.setdefault(record["id"], record)
    picked = [r for r in found.values() if r["id"] != exclude and (type is None or r.get("type") == type)]
    return picked[:limit]


def mentions_of(store: Store, index: SearchIndex, entity_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """Mentions naming `entity_id` in its documents (up to `limit`): doc id and title, text,
    offsets and a short context, for the entity page's review list."""
    out: list[dict[str, Any]] = []
    ids = documents_naming(store, index, [entity_id])
    for first in range(0, len(ids), BATCH):
        for data in store.documents(ids[first : first + BATCH]):
            text = data.get("text") or ""
            for m in data.get("mentions") or []:
                if m.get("entity_id") != entity_id:
                    continue
                out.append(
                    {
                        "doc_id": data["id"],
                        "title": data.get("title"),
                        "text": m["text"],
                        "start": m["start"],
                        "end": m["end"],
                        "before": text[max(0, m["start"] - 60) : m["start"]],
                        "after": text[m["end"] : m["end"] + 60],
                    }
                )
                if len(out) >= limit:
                    return out
    return out
