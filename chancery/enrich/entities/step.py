"""The DEEP enrichment step: link a document's mentions and parties to authority entities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from chancery.enrich.entities.dictionary import Resolver
from chancery.enrich.entities.resolve import (
    DocumentResolver,
    find_mentions,
    forename_signer,
    resolve_party,
    signer,
)
from chancery.model import Document, Mention, Party

if TYPE_CHECKING:
    from chancery.enrich import Context


def _iso(document: Document) -> str | None:
    date = document.date
    return date.when or date.not_before if date else None


def _until(document: Document) -> str | None:
    date = document.date
    return date.not_after if date and not date.when else None


def entity_step(document: Document, context: Context) -> Document:
    """Link mentions, TEI-marked mentions and parties to authority entities.

    Returns a new Document when something was found or linked (unchanged mentions and parties
    shared), else `document` itself; `document` and its mentions and parties are left as they were.
    """
    resolver = context.resolver
    if resolver is None:
        return document
    coll = document.collection.id if document.collection else None
    doc = DocumentResolver(resolver, _iso(document), coll, _until(document))
    marked: list[Mention] = []
    for m in document.mentions:
        ent_id = resolver.by_source.get(m.entity_id, m.entity_id) if m.entity_id else m.entity_id
        name = resolver.entities[ent_id]["name"] if ent_id in resolver.entities else m.entity_name
        if (ent_id, name) != (m.entity_id, m.entity_name):
            m = replace(m, entity_id=ent_id, entity_name=name)
        marked.append(m)
    known = [m.entity_id for m in marked if m.entity_id in resolver.entities]
    # Senders and recipients first: "Johnson" in the body of a memorandum to President Johnson.
    parties: list[list[Party]] = []
    for group in (document.senders, document.recipients):
        linked = []
        for party in group:
            if not party.entity_id and party.name:
                ent = resolve_party(resolver, party.name, doc, party.role)
                if ent != party.entity_id:
                    party = replace(party, entity_id=ent)
            linked.append(party)
        parties.append(linked)
    text = document.text or ""
    by_forename = None  # "Walt" under a memorandum from "Rostow": Walt W. Rostow, sender and signer
    for i, party in enumerate(parties[0]):
        if party.name and (by_forename := forename_signer(resolver, text, party.name)):
            parties[0][i] = replace(party, entity_id=by_forename[2])
            break
    known += [p.entity_id for group in parties for p in group if p.entity_id in resolver.entities]
    known += _named_in_full(resolver, document.title or "")
    from chancery.enrich.statistical import default_detector

    detector = context.extra.get("detector", default_detector())
    found = find_mentions(
        resolver, document.text or "", doc.date, coll, known, context=doc, detector=detector
    )
    senders = [(p.role or p.name or "", p.entity_id) for p in parties[0]]
    if by_forename:
        found = _signed(resolver, text, found, *by_forename, force=True)
    elif senders and (signed := signer(resolver, text, doc, senders)):
        found = _signed(resolver, text, found, *signed)
    spans = [(m.start, m.end) for m in marked]
    for f in found:
        if not any(s < f["end"] and f["start"] < e for s, e in spans):
            marked.append(Mention(**f))
    mentions = sorted(marked, key=lambda m: m.start)
    if all(
        _same(new, old)
        for new, old in (
            (mentions, document.mentions),
            (parties[0], document.senders),
            (parties[1], document.recipients),
        )
    ):
        return document  # nothing found or linked: no copy
    return replace(document, mentions=mentions, senders=parties[0], recipients=parties[1])


def _signed(
    resolver: Resolver,
    text: str,
    found: list[dict[str, Any]],
    start: int,
    end: int,
    ent: str,
    force: bool = False,
) -> list[dict[str, Any]]:
    """`found` with the signature at start..end linked to `ent` (a mention there that names
    nobody, or nothing, replaced; with `force`, any mention there)."""
    over = [f for f in found if f["start"] < end and start < f["end"]]
    if not force and any(f["entity_id"] for f in over):
        return found
    mention = {
        "type": "person",
        "text": text[start:end],
        "start": start,
        "end": end,
        "entity_id": ent,
        "entity_name": resolver.entities[ent]["name"],
    }
    return sorted([f for f in found if f not in over] + [mention], key=lambda f: f["start"])


def _named_in_full(resolver: Resolver, title: str) -> list[str]:
    """People the heading names in full, unambiguously ("… to President Lyndon B. Johnson")."""
    return [m.candidates[0] for m in resolver.find(title)[1] if m.kind == "person" and len(m.candidates) == 1]


def _same(new: Sequence[object], old: Sequence[object]) -> bool:
    return len(new) == len(old) and all(a is b for a, b in zip(new, old, strict=True))
