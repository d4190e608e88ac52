"""Dates for documents that stand alone: an interval from the document's own words.

A document with no stated date and no archive around it (a loose text file) is dated by what a
historian reads in it, each item a set of possible days, intersected in turn:

- a sender or recipient named with an American office ("the Ambassador in the Soviet Union
  (Harriman)", "President Truman"): the terms in which someone of that name held that office
  (POCOM and the Presidents, `entities/offices.py`);
- a signature under a message from an office ("Telegram From the Embassy in France ...",
  "Dillon"): the signer's terms in that office;
- an office-holder named with his office in the text ("Secretary Byrnes", "the Acting Secretary
  (Grew)"): not before that person first held it (he may be named after leaving office);
- a future event "before July 1": the document is written in the months before a July 1;
- a date-time group "160900.": a 16th (the interval is trimmed to its first and last 16th).

A heading that contradicts itself gives no interval; a name in the body that contradicts the
heading is left out; with no upper or no lower bound there is no interval. `basis` lists what was used: "inferred from President Truman
(1945-04-12–1953-01-20); ...". Pieces are inclusive (low, high) day pairs.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

from chancery.dates import MONTH_OR_ABBREVIATION_PATTERN as MONTHS
from chancery.dates import month_day, to_date
from chancery.enrich.entities.offices import (
    ACTING,
    Office,
    candidates,
    fitting_roles,
    holders_terms,
    office_terms,
    signing_office,
)
from chancery.enrich.inference import DTG, LOOSE, ORDERED, resolve_dtg
from chancery.model import DocDate, Document, Party
from chancery.sources.parties import parse_parties

if TYPE_CHECKING:
    from chancery.enrich import Context
    from chancery.enrich.entities import Resolver

Piece = tuple[date, date]
ALL: list[Piece] = [(date.min, date.max)]
# How far ahead "before July 1" looks: plans are made weeks or months ahead, not a year.
BEFORE_WINDOW = timedelta(days=150)
BEFORE = re.compile(
    rf"\b(?:will|shall|would|expects?|hopes?|intends?|plans?|must|should)\b[^.;]{{0,80}}?\bbefore\s+"
    rf"(?P<md>(?:{MONTHS})\.?\s+\d{{1,2}}|\d{{1,2}}\s+(?:{MONTHS}))\b(?!,?\s*\d{{4}})"
)
TITLES = (
    r"(?:Acting Secretary|Under Secretary|Assistant Secretary|Secretary|President|Ambassador)"
    r"(?:\s+of\s+State(?:\s+for\s+[A-Z]\w+(?:\s+(?:and\s+)?[A-Z]\w+){0,3}\s+Affairs)?)?"
)
TITLED = re.compile(rf"(?<![\w-])(?P<role>{TITLES})\s+(?P<name>[A-Z][a-z’']+(?:-[A-Z][a-z]+)?)\b(?!\s+\()")
PAREN = re.compile(
    r"\b(?P<role>(?:American\s+|United\s+States\s+)?(?:Acting\s+|Under\s+|Assistant\s+)?"
    r"(?:Secretary|President|Ambassador|Minister|Chargé|Charge|Representative)(?:\s+of\s+State)?"
    r"(?:\s+(?:in|to|at|for)\s+(?:the\s+)?[A-Z]\w+(?:\s+(?:of\s+)?[A-Z]\w+){0,3})?)\s+"
    r"\((?P<name>[A-Z][\w.'’ -]{1,40}?)\)"
)
CITED = re.compile(
    rf"(?<!\bas )\b(?:of|dated)\s+(?P<md>(?:{MONTHS})\.?\s+\d{{1,2}}|\d{{1,2}}\s+(?:{MONTHS}))\.?,?\s+(?P<year>1[789]\d\d)\b"
)
SIGNATURE = re.compile(
    r"\n\s*\[?(?P<name>(?:[A-Z][\w.]*\.?\s+){0,2}[A-Z][a-z’']+(?:-[A-Z][a-z]+)?)\.?\]?\s*\Z"
)
# A heading's numbering and kind before its parties: "12. Telegram From ", "Memorandum by ".
HEAD_PREFIX = re.compile(
    r"^\s*(?:\d+[a-z]?\.\s+)?(?:(?:[A-Z][\w-]*\s+){0,3}(?:From|by)\s+(?=(?:the\s+)?[A-Z]))?", re.I
)
# "Vice President Nixon", "former Ambassador Kennan", "Deputy Assistant Secretary Jones".
NOT_THE_OFFICE = frozenset({"vice", "former", "ex", "deputy"})
# Office-holders named with their office in the body may be named after leaving it ("President
# Roosevelt" in June 1945): their term, stretched this long after its end.
BODY_GRACE = timedelta(days=730)


def intersect(a: list[Piece], b: list[Piece]) -> list[Piece]:
    """The days in both sets of pieces."""
    out = []
    for lo1, hi1 in a:
        for lo2, hi2 in b:
            lo, hi = max(lo1, lo2), min(hi1, hi2)
            if lo <= hi:
                out.append((lo, hi))
    return sorted(out)


def _pieces(terms: list[tuple[str, str]]) -> list[Piece]:
    out = []
    for start, end in terms:
        lo, hi = to_date(start), to_date(end) if end != "9999" else date.max
        if lo and hi and lo <= hi:
            out.append((lo, hi))
    return out


def _span(pieces: list[Piece]) -> str:
    lo, hi = pieces[0][0], pieces[-1][1]
    return f"{lo.isoformat()}–{'' if hi == date.max else hi.isoformat()}"


def before_pieces(text: str, known: list[Piece]) -> tuple[list[Piece], str] | None:
    """ "… will arrive before July 1": the BEFORE_WINDOW before each July 1 the known days allow."""
    m = BEFORE.search(text)
    found = month_day(m["md"]) if m else None
    if not m or not found or known[0][0] == date.min or known[-1][1] == date.max:
        return None
    out = []
    for year in range(known[0][0].year, known[-1][1].year + 1):
        try:
            day = date(year, *found)
        except ValueError:
            return None
        out.append((day - BEFORE_WINDOW, day - timedelta(days=1)))
    return out, f"“before {m['md']}”"


def cited_pieces(text: str, known: list[Piece]) -> tuple[list[Piece], str] | None:
    """ "your telegram of March 16, 1948", "a letter dated …": not before the latest such date."""
    days = []
    for m in CITED.finditer(text):
        found = month_day(m["md"])
        if found:
            try:
                days.append(date(int(m["year"]), *found))
            except ValueError:
                continue
    latest = max((d for d in days if d <= known[-1][1]), default=None)
    if latest is None or latest <= known[0][0]:
        return None
    return [(latest, date.max)], f"cites {latest.isoformat()}"


def dtg_trim(text: str, pieces: list[Piece]) -> tuple[list[Piece], str] | None:
    """The pieces cut to their first and last day matching a leading date-time group's day."""
    m = DTG.search(text[:400])
    if not m or int(m["hour"]) > 23 or pieces[0][0] == date.min or pieces[-1][1] == date.max:
        return None
    day = int(m["day"])
    days: list[date] = []
    for lo, hi in pieces:
        d = lo
        while d <= hi and len(days) < 2000:
            if d.day == day:
                days.append(d)
            d += timedelta(days=1)
    if not days:
        return None
    return [(days[0], days[-1])], f"date-time group {m['day']}{m['hour']}{m['minute']}"


def _terms_pieces(held: dict[str, list[tuple[str, str]]]) -> list[Piece]:
    return sorted(p for terms in held.values() for p in _pieces(terms))


def heading_parties(document: Document) -> tuple[list[Party], list[Party]]:
    """The reader's parties, or (for a plain-text reader that has none) those of the FRUS-style title."""
    if document.senders or document.recipients or not document.title:
        return document.senders, document.recipients
    return parse_parties(HEAD_PREFIX.sub("", document.title, count=1), "frus")


def _named_offices(text: str) -> list[tuple[str, str]]:
    """(office, name) pairs named in `text`: "President Truman", "the Ambassador in China (Hurley)"."""
    found: list[tuple[str, str]] = []
    for pattern in (PAREN, TITLED):
        for m in pattern.finditer(text):
            before = text[max(0, m.start() - 12) : m.start()].split()[-1:]
            pair = (" ".join(m["role"].split()), m["name"].strip())
            if not NOT_THE_OFFICE.intersection(w.lower() for w in before) and pair not in found:
                found.append(pair)
    return found


def evidence(document: Document, resolver: Resolver) -> list[tuple[str, list[Piece], bool]]:
    """(label, possible days, certain) for every office-holder the document names with an office,
    the certain first (its heading's parties and names, a signature), then the body's names."""
    items: list[tuple[str, list[Piece], bool]] = []
    seen: set[tuple[str, str]] = set()
    senders, recipients = heading_parties(document)
    heading = [
        (HEAD_PREFIX.sub("", p.role or "", count=1), p.name)
        for p in (*senders, *recipients)
        if p.role and p.name and p.name != p.role
    ]
    for role, name in heading + _named_offices(document.title or ""):
        if (role, name) not in seen and (pieces := _terms_pieces(office_terms(resolver, name, role))):
            seen.add((role, name))
            items.append((f"{name} as {role} {_span(pieces)}", pieces, True))
    text = document.text or ""
    sig = SIGNATURE.search(text[-200:])
    bare = [p for p in senders if p.role and (not p.name or p.name == p.role)]
    if (
        sig
        and len(bare) == 1
        and (office := signing_office(HEAD_PREFIX.sub("", bare[0].role or "", count=1)))
    ):
        held = holders_terms(resolver, candidates(resolver, sig["name"]), office)
        if pieces := _terms_pieces(held):
            items.append((f"{sig['name']} signing for the {bare[0].role} {_span(pieces)}", pieces, True))
    for role, name in _named_offices(text):
        if (role, name) in seen:
            continue
        seen.add((role, name))
        # "Secretary Herter" may be the Acting Secretary; a former President stays "President Truman".
        office = Office(frozenset({"secretary"}) | ACTING) if role == "Secretary" else fitting_roles(role)
        grace = date.max - date.min if role == "President" else BODY_GRACE
        held = holders_terms(resolver, candidates(resolver, name), office) if office else {}
        pieces = [(lo, hi + grace if date.max - hi > grace else date.max) for lo, hi in _terms_pieces(held)]
        if pieces:
            items.append((f"{role} {name} named {_span(pieces)}", pieces, False))
    return items


def standalone_interval(document: Document, resolver: Resolver) -> DocDate | None:
    """The interval the document's own words support, or None without both bounds."""
    known: list[Piece] = ALL
    used: list[str] = []
    for label, pieces, certain in evidence(document, resolver):
        narrowed = intersect(known, pieces)
        if narrowed:
            known, used = narrowed, [*used, label]
        elif certain:
            return None  # the heading contradicts itself: no way to tell which part is wrong
        # a name in the body that contradicts the heading is left out
    text = document.text or ""
    for rule in (cited_pieces, before_pieces, dtg_trim):
        extra = rule(text, known)
        if extra and (narrowed := intersect(known, extra[0])):
            known, used = narrowed, [*used, extra[1]]
    low, high = known[0][0], known[-1][1]
    if low == date.min or high == date.max:
        return None
    interval = DocDate(
        when=low.isoformat() if low == high else None,
        not_before=low.isoformat(),
        not_after=high.isoformat(),
        precision="day" if low == high else None,
        basis="inferred from " + "; ".join(used),
    )
    exact = resolve_dtg(text, interval)
    return replace(exact, basis=interval.basis) if exact else interval


def standalone_date_step(document: Document, context: Context) -> Document:
    """Date an undated document from its own words (when the authority is loaded)."""
    stated = document.date
    coll = document.collection
    if context.resolver is None or (coll.archive in ORDERED and coll.id not in LOOSE):
        return document  # a volume's undated document is dated by its neighbours (chancery.linking)
    if stated and (stated.when or stated.not_before) and not (stated.basis or "").startswith("inferred from"):
        return document  # stated, or inferred from the archive around it
    found = standalone_interval(document, context.resolver)
    if found is None:
        return document
    # The date-time group that had no month or year now has them: its warning is answered.
    warnings = document.warnings
    if "date-time group" in (found.basis or ""):
        warnings = [
            w
            for w in warnings
            if not (w.startswith("dates: leading date-time group") and "no month/year" in w)
        ]
    return replace(document, date=found, warnings=warnings)
