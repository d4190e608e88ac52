"""Senders and recipients named in titles and cable headers: "Sender to Recipient", "FROM X FOR Y:".

One entry point, `parse_parties(text, style)`, for every reader; the style names whose
conventions the text follows, because the archives write parties differently:

- "dfat": DFAT titles, "Cablegram, Mr R. G. Casey, Minister to the United States, to Mr John
  Curtin, Prime Minister"; a kind prefix and "from" are dropped, "Note by Evans" names only a
  sender, "Mr Name, Office" splits into name and role, and surname lists ("Brennan, Bourchier
  And Greet") become one party each.
- "frus": FRUS editors' titles, "The Ambassador in China (Hurley) to the Secretary of State",
  "Memorandum by the Acting Secretary of State (Grew)"; "Office (Name)", "President Truman"
  and a bare office (kept as both name and role).
- "cable": a transcript's cable header, "FROM HARRIMAN FOR THE PRESIDENT AND ...:" in capitals;
  names come back in title case, an office ("THE PRESIDENT") as both name and role.

`parse_party(text, style)` reads one party. Both are pure; nothing is looked up.
"""

from __future__ import annotations

import re
from typing import Literal

from chancery.model import Party

Style = Literal["dfat", "frus", "cable"]
STYLES: tuple[Style, ...] = ("dfat", "frus", "cable")

__all__ = ["DFAT_TITLE_KIND", "OFFICE_NAME", "STYLES", "Style", "parse_parties", "parse_party", "title_case"]

# "Ambassador in China (Hurley)": an office with the holder's name in brackets (DFAT and FRUS).
OFFICE_NAME = re.compile(r"^(?P<role>.+?)\s*\((?P<name>[^()]+)\)$")


def parse_parties(text: str, style: Style) -> tuple[list[Party], list[Party]]:
    """(senders, recipients) named in `text` under the style's conventions; empty lists when none."""
    if style == "dfat":
        return _dfat_parties(text)
    if style == "frus":
        return _frus_parties(text)
    if style == "cable":
        return _cable_parties(text)
    raise ValueError(f"unknown party style {style!r}; use one of {', '.join(STYLES)}")


def parse_party(text: str, style: Style) -> Party:
    """One sender or recipient as written under the style's conventions."""
    if style == "dfat":
        return _dfat_party(text)
    if style == "frus":
        return _frus_party(text)
    if style == "cable":
        return _cable_party(text)
    raise ValueError(f"unknown party style {style!r}; use one of {', '.join(STYLES)}")


def _office_name(text: str) -> Party | None:
    """ "Ambassador in China (Hurley)" → Party("Hurley", "Ambassador in China"), else None."""
    match = OFFICE_NAME.match(text)
    return Party(name=match["name"].strip(), role=match["role"].strip()) if match else None


# ------------------------------------------------------------------- DFAT titles

# The kind a DFAT title opens with ("Cablegram, ..."; "Note by ..."): the reader takes it as doc_type.
DFAT_TITLE_KIND = re.compile(
    r"^(?P<kind>Cablegrams?|Savingram|Letter|Memorandum|Minute|Note|Dispatch|Despatch|Submission|Cable|"
    r"Telegram|Message|Brief|Paper|Report|Record|Statement)\b\s*(?:[,;:]\s*|\s+(?=from\b|to\b|by\b))",
    re.I,
)
_DFAT_BY = re.compile(r"(?:^|\s)by\s+", re.I)
_SURNAME_LIST = re.compile(r"^[A-Z][\w'’.-]*(?:,\s+[A-Z][\w'’.-]*)*,?\s+and\s+[A-Z][\w'’.-]*$", re.I)
_HONORIFIC = re.compile(r"^(?:Mr|Mrs|Miss|Sir|Dr|Lord|Lady|Viscount|Earl|Senator|General|Admiral)\b")


def _dfat_parties(title: str) -> tuple[list[Party], list[Party]]:
    rest = DFAT_TITLE_KIND.sub("", title, count=1)
    rest = re.sub(r"^from\s+", "", rest, flags=re.I)
    lowered = rest.lower()
    if ", to " in lowered:
        cut = lowered.index(", to ")
        sender, recipient = rest[:cut], rest[cut + 5 :]
    elif lowered.startswith("to "):
        sender, recipient = "", rest[3:]
    elif " to " in lowered:
        cut = lowered.index(" to ")
        sender, recipient = rest[:cut], rest[cut + 4 :]
    else:
        by = _DFAT_BY.search(rest)
        return ([_dfat_party(rest[by.end() :])] if by else []), []
    by = _DFAT_BY.search(sender)
    if by:
        sender = sender[by.end() :]
    return _dfat_list(sender), _dfat_list(recipient)


def _dfat_list(text: str) -> list[Party]:
    text = text.strip().strip(",")
    if not text:
        return []
    parts = re.split(r",?\s+and\s+to\s+", text, flags=re.I)
    if len(parts) == 1 and _SURNAME_LIST.match(text):
        parts = re.split(r",\s+|\s+and\s+", text, flags=re.I)
    return [_dfat_party(p) for p in parts if p.strip()]


def _dfat_party(text: str) -> Party:
    text = text.strip().strip(",").strip()
    office = _office_name(text)
    if office:
        return office
    name, sep, role = text.partition(", ")
    if sep and _HONORIFIC.match(name):
        return Party(name=name.strip(), role=role.strip().rstrip(",") or None)
    return Party(name=text)


# ------------------------------------------------------------------- FRUS editors' titles

_FRUS_TO = re.compile(r"^(?P<from>.+?\)|.+?)\s+to\s+(?P<to>.+)$")
_FRUS_BY = re.compile(r"^(?:Memorandum|Minutes|Notes?|Paper|Report)(?: of Conversation)?,? by\s+(?P<by>.+)$")
_TITLED_NAME = re.compile(
    r"^(?P<role>President|Generalissimo|Marshal|Prime Minister|Premier|General|Admiral|Chancellor|King|"
    r"Queen|Emperor|Pope|Ambassador|Foreign Minister|Chairman|Senator|Governor)\s+(?P<name>[A-Z][\w.’'-]*"
    r"(?:\s+[A-Z][\w.’'-]*)*)$"
)
_FRUS_OFFICE = re.compile(
    r"\b(Secretary|Ambassador|Minister|Chargé|Charge|Consul|Embassy|Department|Government|Commissioner|"
    r"Representative|Chief|Director|Counselor|Adviser|Delegation|Mission|Legation|Office|Staff)\b"
)


def _frus_parties(title: str) -> tuple[list[Party], list[Party]]:
    memo = _FRUS_BY.match(title)
    if memo:
        by = memo["by"]
        if " to " in by:
            sender, _, recipient = by.partition(" to ")
            return [_frus_party(sender)], _frus_list(recipient)
        return [_frus_party(by)], []
    match = _FRUS_TO.match(title)
    if not match:
        return [], []
    return _frus_list(match["from"]), _frus_list(match["to"])


def _frus_list(text: str) -> list[Party]:
    parts = re.split(r",?\s+and\s+(?=the\s|The\s|President\s)|;\s+", text)
    return [_frus_party(p) for p in parts if p.strip()]


def _frus_party(text: str) -> Party:
    text = re.sub(r"^(?:the|The)\s+", "", text.strip().rstrip(".,"))
    office = _office_name(text)
    if office:
        return office
    titled = _TITLED_NAME.match(text)
    if titled:
        return Party(name=titled["name"], role=titled["role"])
    if _FRUS_OFFICE.search(text):
        return Party(name=text, role=text)
    return Party(name=text)


# ------------------------------------------------------------------- cable headers

_FROM_FOR = re.compile(r"\bFROM\s+(?P<from>[A-Z][A-Z.' -]+?)\s+(?:FOR|TO)\s+(?P<to>[A-Z][A-Z.,' -]+?)\s*:")
_CABLE_LIST = re.compile(r"\s+AND\s+|,\s*")
_CABLE_OFFICE = re.compile(r"\b(PRESIDENT|SECRETARY|MINISTER|AMBASSADOR|CHAIRMAN|PREMIER|COMMISSAR|CHIEF)\b")
_SMALL_WORDS = {"of", "and", "the", "for", "in", "on", "to"}


def _cable_parties(line: str) -> tuple[list[Party], list[Party]]:
    match = _FROM_FOR.search(line)
    if not match:
        return [], []
    senders = [_cable_party(p) for p in _CABLE_LIST.split(match["from"]) if p.strip()]
    return senders, [_cable_party(p) for p in _CABLE_LIST.split(match["to"]) if p.strip()]


def _cable_party(text: str) -> Party:
    words = re.sub(r"^THE\s+", "", text.strip()).strip()
    name = title_case(words)
    return Party(name=name, role=name) if _CABLE_OFFICE.search(words) else Party(name=name)


def title_case(text: str) -> str:
    """ "SECRETARY OF STATE" → "Secretary of State": capitalised words, small words kept low after the first."""
    words = text.lower().split()
    return " ".join(w if i and w in _SMALL_WORDS else w.capitalize() for i, w in enumerate(words))
