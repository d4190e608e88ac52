"""References: find the messages, documents, footnotes and replies a document points to.

`reference_step` reads `text` and footnote texts and appends `Reference`s with a `kind`
(message | relative | document | footnote | reply) and a normalised raw `target`:

- ``msg:307`` for a numbered message (the phrase in `text` keeps date, place and direction,
  re-read by `message_hints` when resolving),
- ``#d135`` for a document of the same volume, ``dfat-v06#d233`` for another DFAT volume
  (the TEI `ref/@target` form, so FRUS refs and text references resolve alike),
- ``supra`` / ``infra`` for the document just before / after in the volume,
- ``rel:last night`` for a relative phrase such as "my wire of last night".

References the reader already set (FRUS TEI `ref`, kind "tei-ref") are kept and not duplicated.
The step is pure and idempotent; resolution (`target_id`) happens in `chancery.linking`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace

from chancery.dates import MONTH_OR_ABBREVIATION_PATTERN, month_day
from chancery.enrich import Context
from chancery.model import Document, Reference

MONTHS = MONTH_OR_ABBREVIATION_PATTERN  # month names and abbreviations, for the date tails below
_DAY_MONTH = rf"(?:(?:{MONTHS})\.?\s+\d{{1,2}}|\d{{1,2}}\s+(?:{MONTHS})\.?)(?:,?\s+\d{{4}})?"
_NUM = r"(?:No\.?\s*|Nos?\.\s*|number\s+)?(?P<num>[A-Z]{0,3}[.-]?\s?\d{1,5}(?:/\d+)?)\b"
_TAIL = rf"(?:,?\s+(?:of|dated|sent)\s+(?P<date>{_DAY_MONTH})|,?\s+(?P<date2>{_DAY_MONTH}))?"
_PLACE = r"(?:,?\s+(?P<dir>from|to)\s+(?P<place>(?-i:[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)))?"
_PLACE2 = _PLACE.replace("P<dir>", "P<dir2>").replace("P<place>", "P<place2>")

_MESSAGE_WORDS = (
    r"(?:(?:White\s+House|Navy|War\s+Department|Department(?:'s)?|Embassy(?:'s)?|circular)\s+)?"
    r"(?:messages?|telegrams?|cablegrams?|cables?|despatch(?:es)?|dispatch(?:es)?|airgrams?|wires?|"
    r"savingrams?|tels?)"
)
MESSAGE = re.compile(
    rf"\b(?P<who>(?:your|my|our|his|their)\s+)?(?P<kind>{_MESSAGE_WORDS})\s+{_NUM}{_PLACE}{_TAIL}{_PLACE2}",
    re.I,
)
# Cable jargon: Deptel 45, Embtel 123, urtel 456, mytel 12, Depcirtel 3.
CABLE_JARGON = re.compile(
    rf"\b(?P<kind>Deptels?|Embtels?|Depcirtels?|Contels?|Legtels?|Urtels?|Mytels?|Reftels?|Deptcirtel)"
    rf"\s+{_NUM}{_PLACE}{_TAIL}{_PLACE2}",
    re.I,
)
# "your 456 of June 3", "my 250", "Your D.1190 and your No. 398".
BARE_NUMBER = re.compile(
    rf"\b(?P<who>your|my|our|urs?)\s+(?P<num>(?:No\.?\s*)?[A-Z]{{0,3}}\.?\s?\d{{1,5}})\b(?!\s*(?:%|per\b|years?\b|days?\b)){_TAIL}",
    re.I,
)
RELATIVE = re.compile(
    r"\b(?P<who>my|your|our|his)\s+(?:wire|telegram|tel|message|cable|cablegram|despatch|letter|note)\s+"
    r"(?:of\s+)?(?P<when>last\s+night|yesterday|this\s+morning|today|the\s+day\s+before\s+yesterday|"
    r"last\s+week|earlier\s+today|this\s+afternoon)",
    re.I,
)
_DOC_LIST = r"(?P<nums>\d{1,4}(?:\s*(?:-|–|,|and|to)\s*\d{1,4})*)"
OTHER_VOLUME = re.compile(
    r"Documents\s+on\s+Australian\s+Foreign\s+Policy(?:\s+\d{4}\s*[-–]\s*\d{2,4})?,?\s+vol\.?\s+"
    rf"(?P<vol>[IVXL]+|\d+),?\s+(?:Documents?|Doc\.|Nos?\.)\s+{_DOC_LIST}",
    re.I,
)
DOCUMENT = re.compile(rf"\bDocuments?\s+(?:Nos?\.\s*)?{_DOC_LIST}\b")
SUPRA = re.compile(r"^\s*(?P<word>Supra|Infra)\b\.?", re.I)
REPLY = re.compile(
    r"(?P<phrase>\bThis\s+reply\s+stated|\bIn\s+(?:his\s+|its\s+|their\s+)?reply\s+to\b(?:[^.;\n]|\.(?=\s?\d))*|"
    r"\bReplying\s+to\b(?:[^.;\n]|\.(?=\s?\d))*|(?:^|(?<=[.\n]\s)|(?<=\n))Re(?:ference|\.)?\s+(?:your|ur|my|White\s+House|"
    r"Deptel|Embtel|telegram|cable|message)\b(?:[^.;\n]|\.(?=\s?\d))*|\bYour\s+[^.;\n]{1,60}?\s+received\b)",
    re.I | re.M,
)
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}

# Cheap triggers: the full patterns (slow alternations under re.I) run only in windows around
# these lower-case words, found with str.find on the lower-cased text (10-50x faster than re).
_TRIGGERS = {
    "message": ("messag", "telegr", "cable", "despatch", "dispatch", "airgram", "wire", "savingram", "tel"),
    "jargon": ("tel",),
    "bare": ("your ", "my ", "our ", "ur ", "urs "),
    "reply": ("repl", "referen", "receiv", "\nre ", "\nre.", ". re ", ". re.", "\n re ", "\n re."),
}
_NUMBERED = {"message", "jargon", "bare"}
_DIGIT = re.compile(r"\d")


def _windowed(
    pattern: re.Pattern[str], trigger: str, text: str, lower: str, before: int = 80, after: int = 220
) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)`, but only in windows around the trigger words."""
    hits: list[int] = [0] if trigger == "reply" and lower.startswith(("re ", "re.")) else []
    needs_number = trigger in _NUMBERED
    for word in _TRIGGERS[trigger]:
        at = lower.find(word)
        while at != -1:
            # numbered patterns need a digit soon after the word ("telegram No. 307", "your 456")
            if not needs_number or _DIGIT.search(lower, at + len(word), at + len(word) + 16):
                hits.append(at)
            at = lower.find(word, at + 1)
    windows: list[list[int]] = []
    for at in sorted(hits):
        start, end = max(0, at - before), min(len(text), at + after)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    last_end = -1
    for start, end in windows:
        for m in pattern.finditer(text, start, end):
            if m.start() >= last_end:
                last_end = m.end()
                yield m


@dataclass
class MessageHints:
    """What a message reference says about its target besides the number."""

    number: str
    month_day: tuple[int, int] | None = None
    place: str | None = None
    direction: str | None = None  # "from" | "to": the place is the target's origin / destination
    by: str | None = None  # "sender" (my, our, mytel) | "recipient" (your, urtel) | None


def normalise_number(raw: str) -> str:
    """'No. 307' → '307', 'D.1190' → 'D1190', 'd 57' → 'D57'."""
    raw = re.sub(r"^(?:No\.?|Nos?\.|number)\s*", "", raw.strip(), flags=re.I)
    return re.sub(r"[^0-9A-Za-z/]", "", raw).upper()


def message_hints(text: str) -> MessageHints | None:
    """Re-read a message reference's phrase: number, month/day, place, whose message."""
    for pattern in (CABLE_JARGON, MESSAGE, BARE_NUMBER):
        m = pattern.search(text)
        if not m:
            continue
        groups = m.groupdict()
        hints = MessageHints(number=normalise_number(groups["num"]))
        date = groups.get("date") or groups.get("date2")
        hints.month_day = month_day(date) if date else None
        for place, direction in (("place", "dir"), ("place2", "dir2")):
            if groups.get(place):
                hints.place, hints.direction = groups[place], groups[direction].lower()
        who = (groups.get("who") or groups.get("kind") or "").strip().lower()
        if who.startswith(("my", "our")):
            hints.by = "sender"
        elif who.startswith(("your", "ur")):
            hints.by = "recipient"
        return hints
    return None


def _roman(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    upper = text.upper()
    values = [_ROMAN[c] for c in upper if c in _ROMAN]
    if len(values) != len(upper):
        return None
    total = 0
    for i, v in enumerate(values):
        total += -v if i + 1 < len(values) and values[i + 1] > v else v
    return total


def document_numbers(nums: str) -> list[int]:
    """'233-4' → [233, 234]; '303, 321 and 322' → [303, 321, 322]; ranges capped at 30."""
    out: list[int] = []
    for part in re.split(r"\s*(?:,|and)\s*", nums):
        bounds = re.split(r"\s*(?:-|–|to)\s*", part.strip())
        if not bounds or not bounds[0].isdigit():
            continue
        start = int(bounds[0])
        if len(bounds) == 2 and bounds[1].isdigit():
            high = bounds[1]
            end = (
                int(bounds[0][: len(bounds[0]) - len(high)] + high)
                if len(high) < len(bounds[0])
                else int(high)
            )
            if start <= end <= start + 30:
                out.extend(range(start, end + 1))
                continue
        out.append(start)
    return out


def extract(text: str, in_footnote: bool = False) -> list[Reference]:
    """All references in one text (document body or one footnote)."""
    refs: list[Reference] = []
    taken: list[tuple[int, int]] = []
    lower = text.lower()

    def add(m: re.Match[str], kind: str, target: str, phrase: str | None = None) -> None:
        refs.append(Reference(text=" ".join((phrase or m[0]).split()), kind=kind, target=target))
        taken.append(m.span())

    def free(m: re.Match[str]) -> bool:
        return not any(m.start() < end and start < m.end() for start, end in taken)

    if in_footnote and (m := SUPRA.match(text)):
        add(m, "footnote", m["word"].lower())
    for m in OTHER_VOLUME.finditer(text):
        vol = _roman(m["vol"])
        for n in document_numbers(m["nums"]):
            add(m, "document", f"dfat-v{vol:02d}#d{n}" if vol else f"vol-{m['vol']}#d{n}")
    for m in DOCUMENT.finditer(text):
        if free(m):
            for n in document_numbers(m["nums"]):
                add(m, "document", f"#d{n}")
    for m in RELATIVE.finditer(text):
        add(m, "relative", "rel:" + " ".join(m["when"].lower().split()))
    for pattern, trigger in ((CABLE_JARGON, "jargon"), (MESSAGE, "message"), (BARE_NUMBER, "bare")):
        for m in _windowed(pattern, trigger, text, lower):
            if free(m) and re.search(r"\d", m["num"]):
                add(m, "message", "msg:" + normalise_number(m["num"]))
    for m in _windowed(REPLY, "reply", text, lower, after=800):
        phrase = m["phrase"].strip()
        inner = message_hints(phrase)
        target = f"msg:{inner.number}" if inner else None
        refs.append(Reference(text=" ".join(phrase.split()), kind="reply", target=target))
    return refs


def reference_step(document: Document, context: Context | None) -> Document:
    """The document with the references found in `text` and footnotes added after its own (none repeated).

    Pure: the input document and its reference list are left as they were.
    """
    found = extract(document.text)
    for note in document.footnotes:
        found.extend(extract(note.text, in_footnote=True))
    seen = {(r.kind, r.target, r.text) for r in document.references}
    tei = [r for r in document.references if r.kind == "tei-ref"]
    tei_targets = {_same_volume_form(r.target, document) for r in tei}
    # "Document 3" inside the editors' "Foreign Relations, 1952-1954, volume IV, … (Document 3)":
    # their ref already says which volume; read alone, the phrase would name this volume's d3.
    covered = Counter(
        " ".join(m[0].split())
        for r in tei
        for m in DOCUMENT.finditer(r.text or "")
        for _ in document_numbers(m["nums"])
    )
    added: list[Reference] = []
    for ref in found:
        key = (ref.kind, ref.target, ref.text)
        if ref.kind == "document" and covered[ref.text] > 0:
            covered[ref.text] -= 1
            continue
        if key in seen or (ref.kind == "document" and ref.target in tei_targets):
            continue
        seen.add(key)
        added.append(ref)
    if not added:
        return document
    return replace(document, references=[*document.references, *added])


def _same_volume_form(target: str | None, document: Document) -> str | None:
    """'frus1948v01p1#d12' inside frus1948v01p1 → '#d12'; fragments like '#d12fn3' → '#d12'."""
    if not target:
        return None
    m = re.match(r"^(?P<vol>[^#]*)#(?P<frag>d\d+)", target)
    if not m:
        return target
    vol = m["vol"] if m["vol"] and m["vol"] != document.collection.id else ""
    return f"{vol}#{m['frag']}"
