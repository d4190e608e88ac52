"""Resolution: which entity a match names, scored at the document's date, and the mentions of a text."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any, Protocol

from chancery.authority.names import COMMON_WORDS, TITLES, normalize, split_inverted
from chancery.enrich.entities.cables import (
    CABLE_TITLES,
    SPEECH,
    cable_mentions,
    follows,
    not_country,
)
from chancery.enrich.entities.dictionary import (
    GENERALISSIMO,
    REGNAL,
    ROLES,
    Match,
    Resolver,
    Token,
    _volume_years,
)
from chancery.enrich.entities.offices import (
    candidates,
    fitting_roles,
    holders_terms,
    office_terms,
    signing_office,
)
from chancery.enrich.entities.words import CABLE_WORDS, ENGLISH, GOVERNMENTS, PERSON_TITLES, english

AMBASSADOR = (
    "ambassador",
    "american ambassador",
    "us ambassador",
    "u s ambassador",
    "united states ambassador",
)
NATIONALITIES = set("soviet chinese british french german japanese russian italian polish".split())
COUNTRY_ALIASES = {
    "soviet union": "russia",
    "ussr": "russia",
    "u s s r": "russia",
    "great britain": "united kingdom",
    "britain": "united kingdom",
    "england": "united kingdom",
    "persia": "iran",
    "siam": "thailand",
}
# Places that tell what country a document is about ("the Generalissimo" in a telegram on Chungking).
CUES = {
    "china": ("chungking", "nanking", "peiping", "peking", "shanghai", "kuomintang", "formosa", "taipei"),
    "spain": ("madrid",),
}
TYPES = {
    "person": "person",
    "surname": "person",
    "role": "person",
    "place": "place",
    "organization": "organization",
}


class Detector(Protocol):
    """A statistical tagger (`chancery.enrich.statistical.SpacyDetector`): [{type, text, start, end}]."""

    def mentions(self, text: str) -> list[dict[str, Any]]: ...


def _year(iso: str | None) -> int | None:
    return int(iso[:4]) if iso and iso[:4].isdigit() else None


class DocumentResolver:
    """Resolves the matches of one document, given its date (or interval, `date`..`until`) and
    collection."""

    def __init__(
        self, resolver: Resolver, date: str | None, collection: str | None, until: str | None = None
    ) -> None:
        self.r = resolver
        self.date = (date or "")[:10] or None
        self.until = max((until or "")[:10] or self.date or "", self.date or "") or None
        self.year = _year(date)
        self.last_year = _year(self.until)
        self.collection = collection
        self.in_doc: set[str] = set()
        self.places: set[str] = set()

    def prime(self, matches: list[Match], extra: Iterable[str] = ()) -> None:
        """Remember people named unambiguously in full, and places, for context."""
        self.in_doc.update(extra)
        for m in matches:
            if m.kind == "person" and len(m.candidates) == 1:
                self.in_doc.add(m.candidates[0])
            elif m.kind == "place":
                self.places.update(m.candidates)

    def holder(self, role: str, country: str | None = None) -> str | None:
        if not self.date:
            return None
        if self.until and self.until != self.date:
            return self.r.holder_between(role, self.date, self.until, country)
        return self.r.holder(role, self.date, country)

    def in_office(self, ent_id: str) -> bool:
        """In some office during the document's date (interval)."""
        low, high = self.date or "", self.until or self.date or ""
        return any(s <= high and low <= e for s, e in self.r.terms.get(ent_id, []))

    def alive(self, ent_id: str) -> bool:
        """Not unborn (an adult) nor dead at the document's date; True when the dates are unknown."""
        ent = self.r.entities[ent_id]
        birth, death = _year(ent.get("birth")), _year(ent.get("death"))
        return not (
            (birth and self.last_year and self.last_year < birth + 18)
            or (death and self.year and self.year > death)
        )

    def fits(self, ent_id: str) -> bool:
        """Alive and active at the document's date: in office then, or identified in a FRUS volume
        covering those years; in a volume with a persons list, listed there."""
        if not self.year or not self.last_year or self.last_year - self.year > 6 or not self.alive(ent_id):
            return False
        vols = self.r.volumes.get(ent_id, ())
        if self.collection in self.r.listed_volumes:
            return self.collection in vols  # the editors list everyone the volume names
        return self.in_office(ent_id) or any(
            (y := _volume_years(v)) and y[0] <= self.last_year and self.year <= y[1] for v in vols
        )

    def one_fitting(self, candidates: Iterable[str]) -> str | None:
        """The only candidate that fits the date, if exactly one does."""
        found = [c for c in candidates if self.fits(c)]
        return found[0] if len(found) == 1 else None

    def monarch(self, title: str, candidates: list[str]) -> str | None:
        """ "King Hassan": the one candidate recorded as a monarch (a regnal name, "Hassan II", or a
        description opening with the title) and alive at the document's date."""
        word = normalize(title)
        found = [
            c
            for c in candidates
            if (
                REGNAL.match(self.r.entities[c]["name"])
                or normalize(self.r.entities[c].get("description") or "").startswith(word)
            )
            and self.alive(c)
        ]
        return found[0] if len(found) == 1 else None

    def prominent(self, candidates: Iterable[str]) -> str | None:
        """The candidate by far the most identified in FRUS volumes of the document's years: named in
        at least PROMINENT volumes overlapping them (a year either side), RATIO times more than any
        other living candidate, and no other in office then."""
        if not self.year or not self.last_year or self.last_year - self.year > 6:
            return None
        low, high = self.year - 1, self.last_year + 1
        counts = []
        for c in candidates:
            if not self.alive(c):
                continue
            vols = self.r.volumes.get(c, ())
            n = sum(1 for v in vols if (y := _volume_years(v)) and y[0] <= high and low <= y[1])
            counts.append((n, self.in_office(c), c))
        counts.sort(reverse=True)
        if not counts or counts[0][0] < PROMINENT:
            return None
        rest = counts[1:]
        if any(n * RATIO > counts[0][0] or office for n, office, _ in rest):
            return None
        return counts[0][2]

    def described(self, style: str, candidates: list[str]) -> str | None:
        """ "Vice President Tho": the one candidate alive at the date whose description names that
        post (or, of several, the one who fits the date)."""
        if not self.year:
            return None
        found = [
            c
            for c in candidates
            if f" {style} " in f" {normalize(self.r.entities[c].get('description') or '')} " and self.alive(c)
        ]
        return found[0] if len(found) == 1 else self.one_fitting(found)

    def titled(self, title: str, candidates: list[str]) -> str | None:
        """ "President Roosevelt": the one candidate who held that office by the document's date
        and was alive then (in office or not: "President Roosevelt" in June 1945)."""
        office = fitting_roles(title)
        if office is None or not self.date:
            return None
        held = holders_terms(self.r, tuple(candidates), office)
        high = self.until or self.date
        found = [e for e, terms in held.items() if min(s for s, _ in terms) <= high and self.alive(e)]
        if len(found) > 1:  # "Ambassador Porter" in 1967: the one holding such an office then
            low = self.date
            found = [e for e in found if any(s <= high and low <= end for s, end in held[e])]
        if len(found) > 1:  # ... or the one whose post is a country the document names
            named = {normalize(self.r.entities[p]["name"]) for p in self.places}
            found = [
                e
                for e in found
                if any(
                    office.fits(role, where) and normalize(where or "") in named
                    for role, _, _, where in self.r.person_offices.get(e, ())
                )
            ]
        return found[0] if len(found) == 1 else None

    def score(self, ent_id: str) -> float:
        ent = self.r.entities[ent_id]
        score = 0.0
        if ent_id in self.in_doc:
            score += 5
        vols = self.r.volumes.get(ent_id, set())
        if self.collection and self.collection in vols:
            score += 3
        if self.year and self.date:
            birth, death = _year(ent.get("birth")), _year(ent.get("death"))
            if birth and self.year < birth + 18:
                return -10
            if death and self.year > death:
                score -= 2
            score += self.r.nearness(ent_id, self.year)
            if self.in_office(ent_id):
                score += 1.5  # in office at the document's date
        return score

    def choose(self, candidates: list[str], need: float) -> str | None:
        if len(candidates) == 1 and need <= 0:
            return candidates[0]
        named = [c for c in candidates if c in self.in_doc]
        if len(named) == 1 and self.alive(named[0]):
            return named[0]  # "Johnson" after "U. Alexis Johnson" (or from him) in the same document
        scored = sorted(((self.score(c), c) for c in candidates), reverse=True)
        best = scored[0]
        if best[0] < need or (len(scored) > 1 and best[0] - scored[1][0] < 1):
            return None
        return best[1]

    def resolve(self, m: Match, toks: list[Token]) -> str | None:
        if m.kind == "role":
            return self.resolve_role(m, toks)
        if m.kind == "person":
            if len(toks[m.start].text) == 1 and self.year:  # "C. Conrad": someone living then
                living = [c for c in m.candidates if self.alive(c)]
                return self.choose(living, 0) if living else None
            return self.choose(m.candidates, 0)
        if m.kind == "surname":
            titled = m.start > 0 and toks[m.start - 1].norm in PERSON_TITLES
            if m.end - m.start == 1 and english(toks[m.start].norm) and not titled:
                # "House", "Home Affairs": a word, unless its person is named in the document
                named = [c for c in m.candidates if c in self.in_doc and self.alive(c)]
                return named[0] if len(named) == 1 else None
            chosen = self.choose(m.candidates, 2 if len(m.candidates) > 1 else 1.5)
            return chosen or self.one_fitting(m.candidates) or self.prominent(m.candidates)
        return m.candidates[0] if len(m.candidates) == 1 else self.choose(m.candidates, 0)

    def resolve_role(self, m: Match, toks: list[Token]) -> str | None:
        how, what = ROLES[m.role or ""]
        if how == "named":
            country = next((c for c in GENERALISSIMO if self._about(c)), None)
            return self.r.named_roles.get(country) if country else None
        after = [t.norm for t in toks[m.end : m.end + 2]]
        if after[:1] == ["of"] and m.role in ("president", "the president", "the secretary"):
            return None  # "the President of Finland", "the Secretary of the Navy"
        return self.holder(what or "")

    def _about(self, country: str) -> bool:
        ids = self.r.keys.get(tuple(country.split()), {}).get("place", ())
        cues = {i for cue in CUES.get(country, ()) for i in self.r.keys.get((cue,), {}).get("place", ())}
        return (
            not self.places.isdisjoint(ids)
            or not self.places.isdisjoint(cues)
            or any(normalize(self.r.entities[e]["name"]).startswith(country) for e in self.in_doc)
        )

    def ambassador(self, toks: list[Token], i: int) -> tuple[int, str | None] | None:
        """ "(the) [American] Ambassador in|to|at <country>" at token i: (end index, entity).

        POCOM lists only American chiefs of mission: "the Soviet Ambassador to China" stays unresolved.
        """
        prev = toks[i - 1].norm if i > 0 else ""
        foreign = prev not in ("american", "us") and (
            prev in NATIONALITIES or bool(self.r.keys.get((prev,), {}).get("place"))
        )
        for phrase in AMBASSADOR:
            words = phrase.split()
            if [t.norm for t in toks[i : i + len(words)]] != words:
                continue
            j = i + len(words)
            if j < len(toks) and toks[j].norm in ("in", "to", "at"):
                if j + 1 < len(toks) and toks[j + 1].norm == "the":
                    j += 1
                for n in (4, 3, 2, 1):
                    name = " ".join(t.norm for t in toks[j + 1 : j + 1 + n])
                    ids = self.r.keys.get(tuple(name.split()), {}).get("place", ())
                    if len(name.split()) == n and ids:
                        country = COUNTRY_ALIASES.get(name, name)
                        if foreign and toks[i].norm == "ambassador":
                            return j + 1 + n, None
                        return j + 1 + n, self.holder("ambassador-e-p", country) or self.holder_any(country)
        return None

    def holder_any(self, country: str) -> str | None:
        roles = ("envoy-extraordinary-minister-plenipotentiary", "charge-daffaires-ad-interim")
        found = {h for role in roles if (h := self.holder(role, country))}
        return next(iter(found)) if len(found) == 1 else None


PROMINENT, RATIO = 8, 10  # see DocumentResolver.prominent
# Military ranks before a surname ("General Burns": among those of the name, the officers).
RANKS = frozenset(
    "general gen admiral adm colonel col major captain capt commander commodore brigadier lieutenant"
    " lt marshal sergeant".split()
)
MONARCHS = ("king", "queen", "shah", "emperor", "sultan", "emir")
OFFICE_TITLES = (
    ("acting", "secretary"),
    ("under", "secretary"),
    ("assistant", "secretary"),
    ("secretary",),
    ("president",),
    ("ambassador",),
)


def _title_before(text: str, toks: list[Token], i: int) -> str | None:
    """ "Secretary Byrnes", "Under Secretary Acheson": the office title just before token i."""
    for title in OFFICE_TITLES:
        n = len(title)
        if i >= n and tuple(t.norm for t in toks[i - n : i]) == title:
            if i > n and toks[i - n - 1].norm in ("vice", "former"):
                return None
            return text[toks[i - n].start : toks[i - 1].end]
    return None


def _names_next(text: str, toks: list[Token], j: int) -> bool:
    """A capitalised word right after token j-1 on the same line ("President Arbenz")."""
    if j >= len(toks) or not toks[j].text[:1].isupper() or toks[j].text.isupper():
        return False
    return text[toks[j - 1].end : toks[j].start] == " " and not english(toks[j].norm)


def _before_name(text: str, toks: list[Token], j: int, nxt: Match | None) -> bool:
    """The next name match starts at token j, after a space and any initials ("Mohammed
    Masmoudi", "Richard C. Pedersen"): the word before it is a given name."""
    if nxt is None or TYPES[nxt.kind] != "person" or nxt.kind == "role" or j >= len(toks):
        return False
    k = j
    while k < nxt.start and len(toks[k].text) == 1 and toks[k].text.isupper():
        k += 1  # initials
    if k != nxt.start:
        return False
    gaps = [text[toks[x - 1].end : toks[x].start] for x in range(j, nxt.start + 1)]
    return gaps[0] == " " and all(g in (". ", ".") for g in gaps[1:])


def _unknown_next(resolver: Resolver, text: str, toks: list[Token], j: int) -> bool:
    """Token j, right after a name on the same line, is a capitalised word that could be a name
    nobody listed ("Quang Ngai", "Kim Hyong-uk"): the two are one unknown name."""
    if j >= len(toks) or not toks[j].text[:1].isupper() or toks[j].text.isupper():
        return False
    gap = text[toks[j - 1].end : toks[j].start]
    return gap in (" ", "-") and toks[j].norm not in TITLES and resolver.unlisted(toks[j].norm)


# Titles that say nothing of a post ("Mr. Smith"): no description is searched for them.
COURTESY = frozenset(
    "mr mrs miss ms dr sir lord lady madame madam mme mlle monsieur senor senora herr frau his her"
    " excellency highness majesty hon honorable jr sr father".split()
)


def _style_before(toks: list[Token], i: int) -> str | None:
    """The title words just before token i that name a post ("vice president", "foreign minister")."""
    j = i
    while j > 0 and i - j < 3 and toks[j - 1].norm in TITLES:
        j -= 1
    words = [t.norm for t in toks[j:i]]
    if (
        not words
        or words[-1] not in PERSON_TITLES
        or COURTESY.intersection(words)
        or set(words) <= RANKS | {"secretary", "ambassador"}
    ):
        return None  # ranks and American offices have their own rules (officers, `titled`)
    return " ".join(words)


def _adjacent(text: str, toks: list[Token], i: int) -> bool:
    """Token i follows the word before it as a name follows its title: a space, or the full stop
    of an abbreviation ("Gen. Burns", not "the Secretary. The")."""
    gap = text[toks[i - 1].end : toks[i].start]
    return gap == " " or (gap.strip() == "." and "\n" not in gap and len(toks[i - 1].text) <= 4)


def _given_before(text: str, toks: list[Token], i: int) -> tuple[str, int] | None:
    """The first given name (or initial) written just before token i, and the index where the
    name begins: "Mac Bundy" -> ("mac", i - 1), "Donald M. MacArthur" -> ("donald", i - 2), "C. D.
    Jackson" -> ("c", i - 2). A lone initial says nothing ("M. Pinay" is Monsieur Pinay)."""
    j = i  # toks[j:i] are initials ("M.", "C. D.")
    while j > 0 and i - j < 3:
        prev = toks[j - 1]
        if (
            len(prev.text) != 1
            or not prev.text.isupper()
            or text[prev.end : toks[j].start] not in (". ", ".")
        ):
            break
        j -= 1
    initials = i - j
    if j > 0 and text[toks[j - 1].end : toks[j].start] == " ":
        word = toks[j - 1]
        if (
            len(word.text) >= 2
            and word.text[0].isupper()
            and not word.text.isupper()
            and not english(word.norm)
            and word.norm not in TITLES
            and word.norm not in MONARCHS
        ):
            return word.norm, j - 1
    if initials >= 2:
        return toks[j].norm, j
    return None


def _other_given(word: str, name: str, given: set[str]) -> bool:
    """`word`, a known given name, is not the first forename of `name` ("Donald" is not Douglas
    MacArthur; "Don" may be Donald, "Mac" McGeorge: not known given names, or a prefix)."""
    first = _forename(name)
    return (
        word in given
        and len(word) > 3
        and len(first) > 3
        and not (first.startswith(word) or word.startswith(first))
    )


def _initials(name: str) -> set[str]:
    """First letters of the forenames of a name ("McGeorge Bundy", "Bundy, McGeorge" -> {"m"})."""
    surname, forenames = split_inverted(name)
    words = normalize(forenames).split() if surname else normalize(name).split()[:-1]
    return {w[0] for w in words if w}


def _cryptonym(text: str, toks: list[Token], i: int) -> bool:
    """An all-caps word in running mixed-case text, not a line of its own (a signature)."""
    word = toks[i].text
    if len(word) < 3 or not word.isupper():
        return False
    start = text.rfind("\n", 0, toks[i].start) + 1
    end = text.find("\n", toks[i].end)
    line = text[start : end if end >= 0 else len(text)].strip(" .,")
    return line != word and not line.isupper()


def _sentence_start(text: str, toks: list[Token], i: int) -> bool:
    before = text[toks[i - 1].end : toks[i].start] if i else ""
    return i == 0 or any(c in before for c in ".:;!?\n")


def find_mentions(
    resolver: Resolver,
    text: str,
    date: str | None,
    collection: str | None = None,
    known: Iterable[str] = (),
    context: DocumentResolver | None = None,
    detector: Detector | None = None,
) -> list[dict[str, Any]]:
    """Mentions in `text` as dicts (type, text, start, end, entity_id, entity_name).

    `detector` (a `chancery.enrich.statistical.SpacyDetector`) adds the person names it finds
    where the gazetteer found nothing; they stay unlinked.
    """
    toks, matches = resolver.find(text)
    doc = context or DocumentResolver(resolver, date, collection)
    doc.prime(matches, known)
    lower = [t.norm for t in toks if t.text[:1].islower()]
    lowered = set(lower)
    caps = len(lower) <= 0.02 * len(toks)  # an all-caps cable, perhaps with a stray lower-case word
    out: list[dict[str, Any]] = []
    covered: set[int] = set()
    title_at: dict[int, str] = {}  # token index of a name -> the office title just before it
    common: list[Match] = []  # common-word surnames without a title, for people named otherwise
    for i in range(len(toks)):
        amb = (
            doc.ambassador(toks, i)
            if toks[i].norm in ("ambassador", "american", "us", "u", "united")
            else None
        )
        if amb:
            end, ent = amb
            out.append(_mention(resolver, text, toks, i, end, "person", ent))
            covered.update(range(i, end))
    titled_words = (
        {toks[i].norm for i in range(1, len(toks)) if follows(text, toks, i, CABLE_TITLES)} if caps else set()
    )
    for k, m in enumerate(matches):
        if covered.intersection(range(m.start, m.end)):
            continue
        nxt = matches[k + 1] if k + 1 < len(matches) else None
        if m.kind == "role" and nxt and nxt.start == m.end and TYPES[nxt.kind] == "person":
            title_at[nxt.start] = text[toks[m.start].start : toks[m.end - 1].end]
            continue  # "President Truman": the name decides, among those who held the office
        kind = m.kind
        single = m.end - m.start == 1 and toks[m.start].norm
        titled = (
            follows(text, toks, m.start, PERSON_TITLES)
            if caps
            else m.start > 0 and toks[m.start - 1].norm in PERSON_TITLES
        )
        # "Ambassador Brown", "Gen. Burns"; not "President the substance", "the Secretary. The"
        named = titled and toks[m.start].text[:1].isupper() and _adjacent(text, toks, m.start)
        if kind == "surname" and not named and single in COMMON_WORDS:
            common.append(m)  # "Brown", "White": a common word unless a title says it is a name
            continue
        if kind == "surname" and single and lowered and single in lowered and not named:
            continue  # "Cable", "Bridges": an ordinary word in this document ("Admiral Felt" is not)
        if kind in ("place", "organization") and (
            (m.start > 0 and toks[m.start - 1].norm in PERSON_TITLES)
            or (m.end - m.start == 1 and toks[m.start].norm in titled_words)
        ):  # "PRESIDENT JORDAN"; "CHIEF CHEN" makes every CHEN of the cable a person
            alt = resolver.keys.get(tuple(t.norm for t in toks[m.start : m.end]), {})
            if alt.get("surname") or alt.get("person"):
                m = Match(m.start, m.end, "surname", sorted(alt.get("person") or alt["surname"]))
        if m.kind == "role" and _names_next(text, toks, m.end):
            # "President Arbenz", a name not in the authority: not the President of the United States
            out.append(
                _mention(resolver, text, toks, m.start + (toks[m.start].norm == "the"), m.end, "person", None)
            )
            covered.update(range(m.start, m.end))
            continue
        if (
            m.kind == "surname"
            and single
            and not caps
            and not titled
            and _unknown_next(resolver, text, toks, m.end)
        ):
            continue  # "Quang Ngai", "Kim Hyong-uk": part of a longer name nobody listed
        if m.kind == "surname" and single and not caps and _before_name(text, toks, m.end, nxt):
            continue  # "Mohammed Masmoudi", "Richard C. Pedersen": a given name, not Murtala Mohammed
        if m.kind == "surname" and single and not caps and _cryptonym(text, toks, m.start):
            continue  # "LINCOLN's officers": a CIA cryptonym in mixed-case text, not a name
        if m.kind == "surname" and (given := _given_before(text, toks, m.start)):
            # "Mac Bundy", "Donald M. MacArthur": only those whose forenames include that initial
            first, begin = given
            kept = [
                c
                for c in m.candidates
                if first[0] in _initials(resolver.entities[c]["name"])
                and not _other_given(first, resolver.entities[c]["name"], resolver.given)
            ]
            m = Match(m.start, m.end, m.kind, kept) if kept else m
            if not kept:
                out.append(_mention(resolver, text, toks, begin, m.end, "person", None))
                covered.update(range(begin, m.end))
                continue
        if m.kind == "surname" and m.start > 0 and toks[m.start - 1].norm in RANKS:
            # "General Burns", "Admiral Felt": among several of the name, the officers
            serving = [c for c in m.candidates if c in resolver.officers]
            m = Match(m.start, m.end, m.kind, serving) if serving else m
        title = title_at.get(m.start) or _title_before(text, toks, m.start)
        monarch = m.kind == "surname" and m.start > 0 and toks[m.start - 1].norm in MONARCHS
        ent = (
            doc.monarch(toks[m.start - 1].norm, m.candidates)
            if monarch
            else (doc.titled(title, m.candidates) if title and m.kind == "surname" else None)
            or doc.resolve(m, toks)
        )
        if (
            ent is None
            and m.kind == "surname"
            and not caps
            and not english(toks[m.start].norm)
            and (style := _style_before(toks, m.start))
        ):
            ent = doc.described(style, m.candidates)  # "Vice President Tho"
        if (
            m.kind in ("surname", "person")
            and caps
            and single
            and (single in SPEECH or (not titled and english(single)))
        ):
            continue  # "SAID", "MORE", "LEVELS" in an all-caps cable: an English word needs a title,
            # and "MINISTER SAID" is a verb whatever comes before it
        if (
            m.kind in ("surname", "person")
            and not titled
            and single in ENGLISH
            and _sentence_start(text, toks, m.start)
        ):
            continue  # "More talks follow."
        if caps and single in CABLE_WORDS:
            continue  # "PARA" is a paragraph, not Para in Brazil
        if caps and single and m.kind == "place" and not_country(resolver, toks, m.start):
            continue
        if m.kind == "role" and m.start and toks[m.start - 1].norm in ("a", "an"):
            continue  # "electing a President": nobody in particular
        start = m.start + 1 if m.kind == "role" and toks[m.start].norm == "the" else m.start
        kind = TYPES[m.kind]
        if caps and kind == "organization" and single and GOVERNMENTS.fullmatch(toks[m.start].text):
            kind, ent = "place", None  # History Lab takes "GOI" (Government of India/Israel) as the country
        out.append(_mention(resolver, text, toks, start, m.end, kind, ent))
        covered.update(range(m.start, m.end))
    resolved = {o["entity_id"] for o in out if o["type"] == "person" and o["entity_id"]}
    for m in common:  # "Brown said" after "Ambassador Brown": the person the title named
        named_here = resolved.intersection(m.candidates)
        if len(named_here) == 1 and not covered.intersection(range(m.start, m.end)):
            out.append(_mention(resolver, text, toks, m.start, m.end, "person", named_here.pop()))
    _corefer(resolver, out)
    if caps:
        starts = [t.start for t in toks]
        persons: set[int] = set()
        for o in out:
            if o["type"] == "person":
                k = bisect_left(starts, o["start"])
                while k < len(toks) and toks[k].start < o["end"]:
                    persons.add(k)
                    k += 1
        for i, j, kind in cable_mentions(resolver, text, toks, covered, persons):
            ent = None
            if kind == "place":
                ids = resolver.nationals("american" if toks[i].text == "US" else toks[i].norm)
                ent = next(iter(ids)) if len(ids) == 1 else None
            out.append(_mention(resolver, text, toks, i, j, kind, ent))
    if detector is not None:
        for d in detector.mentions(text):
            if d["type"] == "person" and not any(
                o["start"] < d["end"] and d["start"] < o["end"] for o in out
            ):
                out.append({**d, "entity_id": None, "entity_name": None})
    out.sort(key=lambda x: x["start"])
    return out


def _corefer(resolver: Resolver, out: list[dict[str, Any]]) -> None:
    """A name left unresolved that can stand for exactly one person resolved elsewhere in the same
    text ("Porter" after "Ambassador Porter") is that person."""
    resolved = {o["entity_id"] for o in out if o["type"] == "person" and o["entity_id"]}
    for o in out:
        if o["type"] != "person" or o["entity_id"]:
            continue
        kinds = resolver.keys.get(tuple(normalize(o["text"]).split()), {})
        named = resolved.intersection({*kinds.get("surname", ()), *kinds.get("person", ())})
        if len(named) == 1:
            o["entity_id"] = ent = next(iter(named))
            o["entity_name"] = resolver.entities[ent]["name"]


def _mention(
    resolver: Resolver, text: str, toks: list[Token], i: int, j: int, kind: str, ent: str | None
) -> dict[str, Any]:
    start, end = toks[i].start, toks[j - 1].end
    name = resolver.entities[ent]["name"] if ent else None
    return {
        "type": kind,
        "text": text[start:end],
        "start": start,
        "end": end,
        "entity_id": ent,
        "entity_name": name,
    }


def resolve_party(
    resolver: Resolver, name: str, doc: DocumentResolver, role: str | None = None
) -> str | None:
    """The person entity a sender/recipient string names, when it names exactly one: the one
    person of that name who held the `role` at the document's date (or ever, undated), else
    the one person the name alone resolves to."""
    if role and role != name:
        held = office_terms(resolver, name, role)
        if doc.date:
            low, high = doc.date, doc.until or doc.date
            held = {e: t for e, t in held.items() if any(s <= high and low <= end for s, end in t)}
        if len(held) == 1:
            return next(iter(held))
    found = {
        m["entity_id"]
        for m in find_mentions(resolver, name, doc.date, doc.collection, context=doc)
        if m["type"] == "person" and m["entity_id"]
    }
    return next(iter(found)) if len(found) == 1 else None


# The last line of a message: a signature ("Ball", "Dillon Anderson", "[Porter]").
SIGNED = re.compile(r"\[?(?P<name>(?:[A-Z][\w.]*\.?\s+){0,2}[A-Z][a-z’']+(?:-[A-Z][a-z]+)?)\.?\]?")
# "Consulate General at Jerusalem", "Embassy in Korea": the post a message comes from.
POST = re.compile(r"\b(?:in|at|to)\s+(?:the\s+)?(?P<place>[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*){0,2})\s*$")


def signer(
    resolver: Resolver, text: str, doc: DocumentResolver, senders: Iterable[tuple[str, str | None]]
) -> tuple[int, int, str] | None:
    """(start, end, person id) of the signature under a message, when it names one person.

    `senders` are (role or name, entity id) of the document's senders. A signature is the text's
    last line, a name alone ("Ball", under a telegram from the Department). The signer is, in turn:
    the sender himself; the one of the name who held the office that signs for the sender at the
    date (the Secretary or Acting Secretary for the Department, the Ambassador for an Embassy);
    for a message from an office, the one of the name in office at the date, or whose record
    names the sender's post ("Cole" from the Consulate General at Jerusalem), or the one who fits
    the date (`DocumentResolver.one_fitting`, `prominent`).
    """
    body = text.rstrip()
    start = body.rfind("\n") + 1
    line = body[start:]
    m = SIGNED.fullmatch(line.strip())
    if not start or not m:
        return None
    name = m["name"]
    cands = candidates(resolver, name)
    if not cands:
        return None
    begin = start + len(line) - len(line.lstrip()) + m.start("name")
    senders = list(senders)
    sent = [c for c in cands if c in {ent for _, ent in senders}]
    if len(sent) == 1:
        return begin, begin + len(name), sent[0]
    offices = [role for role, ent in senders if not ent]
    if not offices:
        return None  # a person's message: his own signature, or someone's the name cannot tell
    low, high = doc.date or "", doc.until or doc.date or "9999"
    for role in offices:
        office = signing_office(role)
        held = holders_terms(resolver, cands, office) if office else {}
        held = {e: t for e, t in held.items() if any(s <= high and low <= end for s, end in t)}
        if len(held) == 1:
            return begin, begin + len(name), next(iter(held))
    posts = [p["place"] for role in offices if (p := POST.search(role))]
    where = {normalize(p) for p in posts}
    serving = [  # in an office at the date, at home or in the post's country
        c
        for c in cands
        if doc.alive(c)
        and any(
            s <= high and low <= end and (not country or any(w in normalize(country) for w in where))
            for _, s, end, country in resolver.person_offices.get(c, ())
        )
    ]
    if len(serving) == 1:
        return begin, begin + len(name), serving[0]
    posted = [
        c
        for c in cands
        if doc.alive(c) and any(p in (resolver.entities[c].get("description") or "") for p in posts)
    ]
    if len(posted) == 1:
        return begin, begin + len(name), posted[0]
    ent = doc.one_fitting(cands) or doc.prominent(cands)
    return (begin, begin + len(name), ent) if ent else None


def forename_signer(resolver: Resolver, text: str, sender: str) -> tuple[int, int, str] | None:
    """(start, end, person id) of a signature by a forename alone ("Walt" under a memorandum
    from "Rostow"), when exactly one person of the sender's name has that forename: the last
    line that is that forename alone (an attachment may follow)."""
    forenames: dict[str, list[str]] = {}
    for c in candidates(resolver, sender):
        forenames.setdefault(_forename(resolver.entities[c]["name"]), []).append(c)
    # the last line that is such a forename alone (an attachment may follow the signature)
    for m in reversed(list(re.finditer(r"(?m)^[ \t]*([A-Z][a-z]+)[ \t]*$", text))):
        found = forenames.get(normalize(m.group(1)), [])
        if m.start() > 0 and len(found) == 1:
            return m.start(1), m.end(1), found[0]
    return None


def _forename(name: str) -> str:
    """The first forename of a name, normalised ("Walt Whitman Rostow", "Rostow, Walt W." -> "walt")."""
    surname, forenames = split_inverted(name)
    words = normalize(forenames).split() if surname else normalize(name).split()[:-1]
    return words[0] if words else ""
