"""When two person records of the authority are the same person (conservative rules).

The Office of the Historian's people file keeps some people twice: a record made from a FRUS
persons list and one made from the foreign-leader visits ("Zenko Suzuki" twice), or two persons
lists that spelled the name differently. Father and son, namesakes and spouses share names
too ("Franklin D. Roosevelt" and "Franklin D. Roosevelt Jr.", "Henry Morgenthau" Sr. and Jr.),
so two records are one person only when all of this holds:

- the same surname and the same generational suffix (Jr., Sr., II ...);
- given names that agree word by word, each equal or an initial of the other ("Franklin D." and
  "Franklin Delano"), so "Anna Eleanor" and "Eleanor" stay apart; one record may lack a trailing
  middle name ("Helen Meyner", "Helen S. Meyner") only when both spell the first given name out
  and the remarks share two words (below); given names that open with a patronymic particle
  ("ibn Abd al-Aziz al Saud", shared by brothers) are never enough;
- not two different POCOM people (POCOM's own people list is curated);
- birth and death years equal where both records have them. Otherwise the years the records
  are active in (their FRUS volumes, offices, years in their remarks) fit the known life, or,
  with no dates at all, lie within `GAP` years of each other; and their remarks share a word
  that is not a generic office word ("Peruvian Prime Minister" and "President, Peru");
- and the remarks do not name different kinships ("nephew of the King" and "brother of the King"
  are two Carl Bernadottes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chancery.authority.names import name_suffix, normalize, split_inverted

GAP = 5  # years between the activity of two undated records that may still be one person
_VOLUME_YEARS = re.compile(r"/historicaldocuments/frus(\d{4})(?:-(\d{2,4}))?")
_YEAR = re.compile(r"\b(1[6-9]\d\d|20[0-4]\d)\b")
_WORD = re.compile(r"[a-z]{4,}")
_KIN = re.compile(
    r"\b(son|daughter|wife|husband|widow|brother|sister|father|mother|nephew|niece|uncle|aunt|"
    r"grandson|granddaughter|cousin)(?: in law)? of\b"
)
GENERIC = frozenset(
    """president presidential minister ministry prime secretary united states state visited visit
    visits times once twice department office embassy general member director ambassador chief
    assistant deputy special affairs foreign national bureau staff council from until after with
    before since also their this that under vice acting representative delegation delegate
    commission committee chairman officer service career appointee extraordinary plenipotentiary
    envoy senior head adviser advisor government international relations executive division
    section first second third former during later when where were been into affair mission
    minister thereafter until republic january february march april june july august
    september october november december which other there then""".split()
)
PARTICLES = frozenset({"ibn", "bin", "bint", "ben", "al", "el", "abd", "abu"})  # patronymic names


@dataclass(frozen=True)
class PersonKey:
    """What the same-person test reads from an entity dict."""

    surname: str
    given: tuple[str, ...]
    suffixes: frozenset[str]
    pocom: frozenset[str]
    birth: int | None
    death: int | None
    years: tuple[int, ...]  # sorted years the record is active in
    stems: frozenset[str]  # distinctive words of its remarks, cut to 4 letters
    kin: frozenset[str]  # kinships its remarks state ("son", "wife")


def _year(value: str | None) -> int | None:
    return int(value[:4]) if value and value[:4].isdigit() else None


def name_key(entity: dict[str, Any]) -> tuple[str, tuple[str, ...], frozenset[str]] | None:
    """(surname, given names, suffixes) of a person entity, normalised; None without both names.

    Only records with the same surname and suffixes can be one person: `merge_duplicates`
    groups by these and computes the full `person_key` only inside groups of two or more.
    """
    names = [entity["name"], *entity.get("variants", [])]
    surname, given = "", ""
    for name in names:  # the first inverted form ("Roosevelt, Franklin D., Jr.") is the record's own
        if "," in name:
            surname, given = split_inverted(name)
            if surname and given:
                break
    if not (surname and given):
        words = normalize(entity["name"]).split()
        surname, given = (words[-1], " ".join(words[:-1])) if len(words) > 1 else ("", "")
    given_words = tuple(normalize(given).split())
    if not surname or not given_words:
        return None
    return normalize(surname), given_words, frozenset(normalize(s) for s in map(name_suffix, names) if s)


def person_key(entity: dict[str, Any]) -> PersonKey | None:
    """The comparison key of a person entity; None when its name has no surname and given name."""
    names = name_key(entity)
    if names is None:
        return None
    years: set[int] = set()
    for src in entity.get("sources", []):
        m = _VOLUME_YEARS.search(src)
        if m:
            start = int(m.group(1))
            end = m.group(2)
            stop = int(end) if end and len(end) == 4 else start // 100 * 100 + int(end) if end else start
            years.update(range(start, max(start, stop) + 1))
    for office in entity.get("offices", []):
        years.update(y for y in (_year(office.get("start")), _year(office.get("end"))) if y)
    texts = [entity.get("description") or "", *(r[0] for r in entity.get("remarks", []))]
    stems: set[str] = set()
    kin: set[str] = set()
    for text in texts:
        years.update(int(y) for y in _YEAR.findall(text))
        stems.update(w[:4] for w in _WORD.findall(normalize(text)) if w not in GENERIC)
        kin.update(_KIN.findall(normalize(text)))
    return PersonKey(
        surname=names[0],
        given=names[1],
        suffixes=names[2],
        pocom=frozenset(s for s in entity.get("sources", []) if s.startswith("pocom:")),
        birth=_year(entity.get("birth")),
        death=_year(entity.get("death")),
        years=tuple(sorted(years)),
        stems=frozenset(stems),
        kin=frozenset(kin),
    )


def given_compatible(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Word by word equal or initial; the shorter may stop early, but never before the first word."""
    if not a or not b or a[0] in PARTICLES or b[0] in PARTICLES:
        return False
    if len(a) != len(b) and (a[0] != b[0] or len(a[0]) == 1):
        return False
    for x, y in zip(a, b, strict=False):
        if x != y and not (len(x) == 1 and y.startswith(x)) and not (len(y) == 1 and x.startswith(y)):
            return False
    return True


def _fits_life(years: tuple[int, ...], birth: int | None, death: int | None) -> bool:
    if not years:
        return False
    low = birth + 15 if birth else (death - 85 if death else None)
    high = death if death else (birth + 95 if birth else None)
    return (low is None or years[0] >= low) and (high is None or years[-1] <= high)


def same_person(a: PersonKey, b: PersonKey) -> bool:
    """True when the two records are one person under the rules of this module."""
    if a.surname != b.surname or a.suffixes != b.suffixes or not given_compatible(a.given, b.given):
        return False
    if a.pocom and b.pocom and a.pocom != b.pocom:
        return False
    if a.kin and b.kin and not (a.kin & b.kin):
        return False
    for x, y in ((a.birth, b.birth), (a.death, b.death)):
        if x and y and x != y:
            return False
    if a.birth and b.birth:
        return True  # same name, same birth year (and no conflicting death year)
    if len(a.stems & b.stems) < (1 if len(a.given) == len(b.given) else 2):
        return False
    if a.birth or a.death or b.birth or b.death:
        dated, other = (a, b) if (a.birth or a.death) else (b, a)
        return _fits_life(other.years, dated.birth, dated.death)
    if not a.years or not b.years:
        return False
    gap = max(a.years[0], b.years[0]) - min(a.years[-1], b.years[-1])
    return gap <= GAP
