"""Offices named in words ("the Ambassador in the Soviet Union", "Acting Secretary") and the
authority's terms of the people who held them.

`fitting_roles(role_text)` reads an office phrase into the POCOM role ids it can stand for and
the country it names; `office_terms(resolver, name, role_text)` gives the terms (ISO start, end)
in which someone of that name held such an office. Only American offices are listed (POCOM and
the Presidents), so a foreign office ("the Soviet Ambassador", "the President of Finland") fits
nothing. Pure lookups over a `Resolver`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chancery.authority.names import normalize

if TYPE_CHECKING:
    from chancery.enrich.entities.dictionary import Resolver

Term = tuple[str, str]  # ISO start, ISO end ("9999" when open)

COUNTRIES = {
    "soviet union": "russia",
    "ussr": "russia",
    "union of soviet socialist republics": "russia",
    "great britain": "united kingdom",
    "britain": "united kingdom",
    "england": "united kingdom",
    "persia": "iran",
    "siam": "thailand",
    "republic of china": "china",
}
FOREIGN = set(
    "soviet chinese british french german japanese russian italian polish foreign indian israeli"
    " egyptian iranian turkish greek spanish canadian australian korean vietnamese".split()
)
MINISTERS = frozenset(
    {
        "envoy-extraordinary-minister-plenipotentiary",
        "minister-resident",
        "minister-resident-consul-general",
        "minister-plenipotentiary",
    }
)
CHARGES = frozenset({"charge-daffaires-ad-interim", "charge-daffaires"})
# Who signs as "Acting Secretary of State": the Secretary ad interim, or (usually) the deputy.
ACTING = frozenset({"secretary-ad-interim", "under-secretary", "deputy-secretary"})
PREFIXED = ("under secretary", "assistant secretary", "deputy secretary")


@dataclass(frozen=True)
class Office:
    """What an office phrase can stand for: POCOM role ids (or a role-id prefix) and a country."""

    roles: frozenset[str] = frozenset()
    prefix: str | None = None  # "assistant-secretary": every role id starting so
    words: tuple[str, ...] = ()  # non-empty: the plain prefix office only ("Under Secretary of State")
    country: str | None = None  # normalised, aliases applied; None: an office without a country

    def fits(self, role: str, country: str | None) -> bool:
        if self.country is not None and normalize(country or "") != self.country:
            return False
        if role in self.roles:
            return True
        if self.prefix and role.startswith(self.prefix):
            return role == self.prefix if self.words else True
        return False


def _country(words: list[str]) -> str | None:
    for prep in ("in", "to", "at"):
        if prep in words:
            rest = words[words.index(prep) + 1 :]
            if rest[:1] == ["the"]:
                rest = rest[1:]
            name = " ".join(rest)
            return COUNTRIES.get(name, name) or None
    return None


def fitting_roles(role_text: str) -> Office | None:
    """The office a phrase names, or None when it names no listed American office."""
    words = normalize(role_text).split()
    while words and (words[0] in ("the", "united", "states", "us") or words[0].isdigit()):
        words = words[1:]
    if not words or "vice" in words or "former" in words or "elect" in words or FOREIGN & set(words[:2]):
        return None
    text = " ".join(words)
    if words[0] == "president":
        rest = words[1:]
        return (
            Office(frozenset({"president"})) if not rest or text == "president of the united states" else None
        )
    if text.startswith("acting secretary"):
        return Office(ACTING) if text in ("acting secretary", "acting secretary of state") else None
    for phrase in PREFIXED:
        if text.startswith(phrase):
            rest = text[len(phrase) :].removeprefix(" of state").split()
            if rest and rest[0] != "for":
                return None  # "Under Secretary of the Navy"
            # Bureaus were renamed over the years: any office of the kind ("Assistant Secretary
            # for Far Eastern Affairs" is POCOM's assistant-secretary-for-east-asian-pacific-affairs).
            return Office(prefix=phrase.replace(" ", "-"), words=() if rest else ("",))
    if text in ("secretary", "secretary of state"):
        return Office(frozenset({"secretary"}))
    country = _country(words)
    if words[0] == "representative" and country == "united nations":
        return Office(frozenset({"representative-to-un"}))
    if words[0] == "ambassador" or words[:2] == ["american", "ambassador"]:
        if country in ("united nations", "the united nations"):
            return Office(frozenset({"representative-to-un"}))
        if country is None:  # "Ambassador Austin": at the United Nations or at large, too
            return Office(frozenset({"ambassador-e-p", "representative-to-un", "ambassador-at-large"}))
        return Office(frozenset({"ambassador-e-p"}), country=country)
    if words[0] == "minister" and len(words) > 1:
        return Office(MINISTERS, country=country) if country else None
    if words[0] == "charge":
        return Office(CHARGES, country=country) if country else None
    return None


# A message from the Department (or from "the Secretary of State") is signed by the Secretary or,
# in his absence, by the Acting Secretary.
BARE_OFFICES = ("department of state", "secretary of state", "acting secretary of state")


def signing_office(role: str) -> Office | None:
    """Who signs a message from this office: "Department of State" -> the Secretary or the Acting
    Secretary; "Embassy in France" -> the Ambassador in France. None for any other sender."""
    norm = " ".join(role.lower().split())
    norm = norm[4:] if norm.startswith("the ") else norm
    if norm in BARE_OFFICES:
        return Office(frozenset({"secretary"}) | ACTING)
    if norm.startswith("embassy ") or norm.startswith("american embassy "):
        return fitting_roles("ambassador " + norm.split("embassy ", 1)[1])
    return None


def candidates(resolver: Resolver, name: str) -> tuple[str, ...]:
    """Person ids a name may stand for: its full spellings and surnames ("Douglas" is both), or
    those of its last word ("Foster Dulles")."""
    words = tuple(normalize(name).split())
    kinds = resolver.keys.get(words, {})
    found = tuple(sorted({*kinds.get("person", ()), *kinds.get("surname", ())}))
    if not found and len(words) > 1:
        found = resolver.keys.get(words[-1:], {}).get("surname", ())
    return found


def holders_terms(resolver: Resolver, ids: tuple[str, ...], office: Office) -> dict[str, list[Term]]:
    """For each of `ids` that held `office`, the terms in which they held it."""
    found: dict[str, list[Term]] = {}
    for ent in ids:
        for role, start, end, country in resolver.person_offices.get(ent, ()):
            if start and office.fits(role, country):
                found.setdefault(ent, []).append((start, end))
    return found


def office_terms(resolver: Resolver, name: str, role_text: str) -> dict[str, list[Term]]:
    """The people of that name who held that office, with their terms in it (empty: none did)."""
    office = fitting_roles(role_text)
    if office is None or not name:
        return {}
    return holders_terms(resolver, candidates(resolver, name), office)
