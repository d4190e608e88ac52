"""The name dictionary: a token trie over every authority spelling and role phrase, and its matcher."""

from __future__ import annotations

import gc
import math
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from chancery.authority.frus_persons import key_from_url
from chancery.authority.names import COMMON_WORDS, TITLES, normalize, person_variants, split_inverted
from chancery.enrich.entities.demonyms import DEMONYMS
from chancery.enrich.entities.words import (
    CABLE_WORDS,
    GOVERNMENTS,
    MONTHS,
    VOWELS,
    english,
    garbled,
)

WORD = re.compile(r"[^\W_]+")
GLUED = re.compile(r"([^\W\d_]{3,})\d{1,2}$")  # a word and a footnote number ("Hornig4")
JOIN = re.compile(r"[ \t.\-'’\[\]]*\n?[ \t.\-'’\[\]]*")  # what may stand between tokens of one name
MAX_TOKENS = 8
END = ""  # trie key of a complete name (no token is empty)

# Role phrases (normalised) -> how to resolve them. The leading "the" is optional in text.
ROLES: dict[str, tuple[str, str | None]] = {
    "acting secretary of state": ("office", "secretary-ad-interim"),
    "acting secretary": ("office", "secretary-ad-interim"),
    "secretary of state": ("office", "secretary"),
    "under secretary of state": ("office", "under-secretary"),
    "under secretary": ("office", "under-secretary"),
    "president": ("office", "president"),
    "the president": ("office", "president"),
    "president of the united states": ("office", "president"),
    "the secretary": ("office", "secretary"),
    "generalissimo": ("named", "generalissimo"),
    "the generalissimo": ("named", "generalissimo"),
}
ROLE_KEYS = {tuple(r.split()) for r in ROLES}
PARTICLES = {"de", "da", "di", "du", "van", "von", "der", "den", "la", "le", "bin", "ibn", "al", "el"}
# Spanish-speaking countries: their people go by the first (paternal) of two surnames ("Arbenz"
# for Árbenz Guzmán), so that surname alone is a key too when the record's description names one.
HISPANIC = re.compile(
    r"\b(Argentin|Bolivi|Chile|Colombi|Costa Ric|Cuba|Dominican|Ecuador|El Salvador|Salvador|"
    r"Guatemal|Hondur|Mexic|Nicaragu|Panam|Paragu|Peru|Spain|Spanish|Urugu|Venezuel)"
)
# What a military officer's description says, and the ranks his recorded names carry.
MILITARY = re.compile(
    r"\b(?:General|Gen\.|Admiral|Adm\.|Colonel|Col\.|Major|Captain|Commander|Commanding|Lieutenant|"
    r"Brigadier|Marshal|military|Army|Navy|Naval|Air Force|Marines?|Marine Corps|Armed Forces|"
    r"Chief of Staff|Chiefs of Staff|USA|USAF|USN|USMC|U\.\s?S\.\s?A\.|U\.\s?S\.\s?N\.)(?!\w)"
)
RANKED = re.compile(
    r"\b(?:General|Gen\.|Admiral|Adm\.|Colonel|Col\.|Brigadier|Commander|Marshal|Captain|"
    r"USA|USAF|USN|USMC)(?!\w)"
)
WIFE = re.compile(
    r"^(?P<husband>[^,(]+),\s*(?:Madame|Mme\.?|Mrs\.?)\s*(?:\(|$)|\((?:Madame|Mme\.?|Mrs\.?)\s+(?P<h2>[^)]+)\)"
)
REGNAL = re.compile(r"^(\w+) (?:[IVX]+)$")  # "Hassan II": a monarch named by his regnal name
# Who "the Generalissimo" is, by the country the document is about.
GENERALISSIMO = {"china": "chiang kai shek", "spain": "francisco franco"}

Kinds = dict[str, tuple[str, ...]]  # kind (person | surname | place | organization | role) -> sorted ids
Office = tuple[str, str, str | None, str]  # start, end ("9999" when open), country, entity id


@dataclass(slots=True)
class Token:
    text: str
    norm: str
    start: int
    end: int


@dataclass(slots=True)
class Match:
    start: int  # token index
    end: int  # token index, exclusive
    kind: str  # person | surname | place | organization | role
    candidates: list[str]
    role: str | None = None


def tokenize(text: str) -> list[Token]:
    out = []
    for m in WORD.finditer(text):
        word = m.group()
        glued = GLUED.match(word) if word[-1].isdigit() else None
        if glued and word[0].isupper() and not glued.group(1).isupper():
            word = glued.group(1)  # "Hornig4": a footnote number after a name is not part of it
        norm = normalize(word)
        if " " not in norm:
            out.append(Token(word, norm, m.start(), m.start() + len(word)))
            continue
        for i, part in enumerate(norm.split()):  # accents folded; one text word rarely splits
            end = m.start() + len(word)
            out.append(Token(word, part, m.start(), end) if i == 0 else Token("", part, end, end))
    return out


@cache
def _volume_years(key: str) -> tuple[int, int] | None:
    m = re.match(r"frus(\d{4})(?:-(\d{2,4}))?", key)
    if not m:
        return None
    start = int(m.group(1))
    end = m.group(2)
    return start, (int(end) if end and len(end) == 4 else start // 100 * 100 + int(end) if end else start)


@contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic GC paused (and restored) while the resolver's millions of small objects are made
    or unpickled: none of them is garbage, and collections in between only walk them again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Resolver:
    """A compiled name dictionary over authority entities; build once, use for many documents.

    Besides the dictionary, a Resolver remembers the answers of its lookups that depend only on
    its data (office holders at a date, nationality words, unlisted words), for every document.
    """

    def __init__(self, entities: Iterable[dict[str, Any]]) -> None:
        with no_gc():
            self._build(entities)

    def _build(self, entities: Iterable[dict[str, Any]]) -> None:
        self.entities: dict[str, dict[str, Any]] = {}
        self._draft: dict[tuple[str, ...], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.by_source: dict[str, str] = {}
        self.volumes: dict[str, set[str]] = defaultdict(set)  # entity -> FRUS volume ids
        self.offices: dict[str, list[Office]] = defaultdict(list)  # role -> terms
        self.acronyms: set[tuple[str, ...]] = set()
        self.terms: dict[str, list[tuple[str, str]]] = defaultdict(list)  # entity -> office intervals
        # entity -> (role, start, end, country) of each office held (`offices.py` reads them)
        self.person_offices: dict[str, list[tuple[str, str, str, str | None]]] = defaultdict(list)
        self.demonyms: dict[str, set[str]] = {}  # "soviet" -> place ids: nationality words
        self.given: set[str] = set()  # first given names of listed people ("lucien", "moshe")
        self.officers: set[str] = set()  # people recorded with a military rank or service
        for ent in entities:
            self._add(ent)
        for role in ROLES:
            self._draft[tuple(role.split())]["role"].add(role)
        # Plain dicts of sorted tuples (picklable, no accidental inserts on lookup) and a token trie
        # over the keys (a complete name's node holds its key). Dicts of strings and tuples of
        # strings hold no container: the cyclic GC stops walking them after one pass.
        self.keys: dict[tuple[str, ...], Kinds] = {
            key: {kind: tuple(sorted(ids)) for kind, ids in kinds.items()}
            for key, kinds in self._draft.items()
        }
        del self._draft
        self.volumes = dict(self.volumes)
        self.listed_volumes = {
            v for vols in self.volumes.values() for v in vols
        }  # volumes with a persons list
        self.offices = dict(self.offices)
        self.terms = dict(self.terms)
        self.person_offices = dict(self.person_offices)
        self.trie: dict[str, Any] = {}
        for key in self.keys:
            node = self.trie
            for tok in key:
                node = node.setdefault(tok, {})
            node[END] = key
        self._holders: dict[tuple[str, str, str | None], str | None] = {}
        self._near: dict[tuple[str, int], float] = {}
        self._unlisted: dict[str, bool] = {}
        self._nationals: dict[str, Collection[str]] = {}
        self.given = {
            g
            for g in self.given
            if not english(g) and g not in TITLES and set(self.keys.get((g,), ())) <= {"surname"}
        }
        for word, place in DEMONYMS.items():
            self.demonyms.setdefault(word, set()).update(
                self.keys.get(tuple(place.split()), {}).get("place", ())
            )
        self.named_roles = {
            country: found for country, name in GENERALISSIMO.items() if (found := self._unique_full(name))
        }

    # -- compiling -------------------------------------------------------------------------
    def _add(self, ent: dict[str, Any]) -> None:
        ent_id, kind = ent["id"], ent["type"]
        # Scalar fields only (name, birth, death...): the lists stay with the store, and a dict of
        # plain values is one object the cyclic GC need not walk.
        self.entities[ent_id] = {
            k: v for k, v in ent.items() if v is None or isinstance(v, (str, int, float))
        }
        names = [ent["name"], *ent.get("variants", [])]
        if kind == "person":
            for src in ent.get("sources", []):
                key = key_from_url(src) or (src if "#" in src and src.startswith("frus") else None)
                if key:
                    self.by_source.setdefault(key, ent_id)
                    self.volumes[ent_id].add(key.split("#")[0])
            for office in ent.get("offices", []):
                if office.get("start"):
                    self.terms[ent_id].append((office["start"], office.get("end") or "9999"))
                    self.person_offices[ent_id].append(
                        (
                            office.get("role") or "",
                            office["start"],
                            office.get("end") or "9999",
                            office.get("country"),
                        )
                    )
                self.offices[office.get("role") or ""].append(
                    (office.get("start") or "", office.get("end") or "9999", office.get("country"), ent_id)
                )
            if MILITARY.search(ent.get("description") or "") or any(RANKED.search(n) for n in names):
                self.officers.add(ent_id)  # "Taylor, General Maxwell D.", "USAF, Director of Plans"
            # "Ngo Dinh Nhu, Madame": a wife named by her husband's name ("Madame Nhu", "Mrs. Nhu"),
            # which alone is his, not hers
            husbands = {normalize(w["husband"] or w["h2"]) for n in names if (w := WIFE.search(n))}
            for husband in husbands:
                words = husband.split()
                for last in {tuple(words), *((w,) for w in (words[0], words[-1]) if len(w) > 2)}:
                    for style in ("madame", "mme", "mrs"):
                        self._draft[(style, *last)]["person"].add(ent_id)
            hispanic = bool(HISPANIC.search(ent.get("description") or ""))
            vietnamese = "Viet" in (ent.get("description") or "")
            for name in names:
                full, surname = person_variants(name)
                forenames = split_inverted(name)[1].split()
                if (regnal := REGNAL.match(name)) and len(regnal.group(1)) > 3:
                    self._draft[(normalize(regnal.group(1)),)]["surname"].add(ent_id)
                words = normalize(name).split()
                if (
                    vietnamese
                    and "," not in name
                    and len(words) == 3
                    and len(words[-1]) > 2
                    and words[-1] != "nam"
                    and words[-1] not in DEMONYMS  # "Thai Governments": not Vu Van Thai
                ):
                    # "Diem", "Nhu": a Vietnamese is named by the last given name ("Nam" is Viet-Nam)
                    self._draft[(words[-1],)]["surname"].add(ent_id)
                parts = tuple(normalize(surname).split()) if surname else ()
                if hispanic and len(parts) == 2 and not PARTICLES & set(parts) and len(parts[0]) > 3:
                    self._draft[parts[:1]]["surname"].add(ent_id)  # "Arbenz", "Toriello"
                    if forenames and forenames[0].rstrip(".").isalpha() and len(forenames[0]) > 2:
                        self._draft[(normalize(forenames[0]), parts[0])]["person"].add(ent_id)
                if surname and forenames and len(first := normalize(forenames[0])) > 2 and first.isalpha():
                    self.given.add(first)
                for variant in full:
                    toks = tuple(normalize(variant).split())
                    one = (
                        len(toks) == 1
                        and len(toks[0]) > 3
                        and toks[0] not in COMMON_WORDS
                        and toks[0] not in DEMONYMS  # "Thai" is Vu Van Thai's name and a nationality
                    )
                    if toks[:1] == ("the",) or " ".join(toks) in husbands:
                        continue  # "Japan, The Emperor of" gives "the japan", no one's name
                    if len(toks) > 1 or (one and not english(toks[0])):  # not "Pacific" alone
                        self._draft[toks]["person"].add(ent_id)
                if surname:
                    toks = tuple(normalize(surname).split())
                    # "Brown", "White": a surname that is also a common word is a key too; it names
                    # someone only after a title ("Ambassador Brown", `resolve.find_mentions`)
                    name = " ".join(toks)
                    if (
                        toks
                        and len(toks[-1]) > 2
                        and (name not in COMMON_WORDS or (len(name) > 3 and name not in TITLES))
                    ):
                        self._draft[toks]["surname"].add(ent_id)
            return
        plain = {normalize(n) for n in names if not n.isupper()}
        for name in names:
            toks = tuple(normalize(name).split())
            if kind == "place" and len(toks) == 1 and toks[0] in COMMON_WORDS and len(toks[0]) > 3:
                self.demonyms.setdefault(toks[0], set()).add(ent_id)  # "French", "Japanese"
            if not toks or (len(toks) == 1 and (toks[0] in COMMON_WORDS or len(toks[0]) < 2)):
                continue
            if (
                name.replace(".", "").isupper()
                and len(name.replace(".", "")) <= 5
                and " ".join(toks) not in plain
            ):
                self.acronyms.add(toks)
            elif len(toks) == 1 and len(toks[0]) < 4:
                continue
            self._draft[toks][kind].add(ent_id)

    def _unique_full(self, name: str) -> str | None:
        found = self.keys.get(tuple(name.split()), {}).get("person", ())
        return next(iter(found)) if len(found) == 1 else None

    # -- lookups (remembered per resolver) -------------------------------------------------
    def nearness(self, ent_id: str, year: int) -> float:
        """Evidence from FRUS volumes covering `year` (within five years) that identify the person."""
        key = (ent_id, year)
        if key not in self._near:
            vols = self.volumes.get(ent_id, ())
            near = sum(1 for v in vols if (y := _volume_years(v)) and y[0] - 5 <= year <= y[1] + 5)
            self._near[key] = min(1.5, math.log1p(near) / 2)
        return self._near[key]

    def holder(self, role: str, date: str, country: str | None = None) -> str | None:
        """The one person holding `role` (in `country`, normalised) on the ISO `date`, if exactly one."""
        key = (role, date, country)
        if key not in self._holders:
            found = {
                ent
                for start, end, where, ent in self.offices.get(role, [])
                if start and start <= date <= end and (country is None or normalize(where or "") == country)
            }
            self._holders[key] = next(iter(found)) if len(found) == 1 else None
        return self._holders[key]

    def holder_between(self, role: str, low: str, high: str, country: str | None = None) -> str | None:
        """The one person holding `role` (in `country`) at some time between the ISO dates, if exactly one."""
        key = (role, f"{low}..{high}", country)
        if key not in self._holders:
            found = {
                ent
                for start, end, where, ent in self.offices.get(role, [])
                if start
                and start <= high
                and low <= end
                and (country is None or normalize(where or "") == country)
            }
            self._holders[key] = next(iter(found)) if len(found) == 1 else None
        return self._holders[key]

    def nationals(self, word: str) -> Collection[str]:
        """Place ids of a nationality word or its plural ("SOVIETS", "ISRAELIS"; "SWEDES" are not)."""
        found = self._nationals.get(word)
        if found is None:
            found = self._nationals[word] = self._nationals_of(word)
        return found

    def _nationals_of(self, word: str) -> Collection[str]:
        if word in self.demonyms:
            return self.demonyms[word]
        if word.endswith("s") and len(word) > 4:
            single = word[:-1]
            if single in self.demonyms:
                return self.demonyms[single]
            if single.endswith(("an", "i", "ot")):
                return self.keys.get((single,), {}).get("place", ())
        return ()

    def unlisted(self, word: str) -> bool:
        """A (normalised) word that could be a name nobody listed: not English, not jargon, not in a
        gazetteer except as a surname."""
        known = self._unlisted.get(word)
        if known is None:
            known = self._unlisted[word] = (
                len(word) > 2
                and word.isalpha()
                and not english(word)
                and word not in CABLE_WORDS
                and word not in MONTHS
                and not self.nationals(word)
                and not VOWELS.isdisjoint(word)
                and not garbled(word)
                and not GOVERNMENTS.fullmatch(word.upper())
                and not any(k != "surname" for k in self.keys.get((word,), {}))
            )
        return known

    # -- matching --------------------------------------------------------------------------
    def find(self, text: str, all_caps: bool | None = None) -> tuple[list[Token], list[Match]]:
        """Greedy longest matches of dictionary keys over `text`'s tokens."""
        toks = tokenize(text)
        if all_caps is None:
            letters = sum(map(str.isalpha, text))
            all_caps = letters > 0 and sum(map(str.isupper, text)) > 0.8 * letters
        matches: list[Match] = []
        trie, size = self.trie, len(toks)
        i = 0
        while i < size:
            node = trie.get(toks[i].norm)
            if node is None:
                i += 1
                continue
            ends = []  # (length, key) of every name starting here, shortest first
            j = i
            while True:
                if END in node:
                    ends.append((j - i + 1, node[END]))
                j += 1
                if j >= size or j - i >= MAX_TOKENS:
                    break
                node = node.get(toks[j].norm)
                if node is None:
                    break
            found = None
            for n, key in reversed(ends):
                if self._joined(text, toks, i, n) and self._cased(text, toks, i, n, key, all_caps):
                    found = self._match(i, n, self.keys[key], key)
                    if found:
                        break
            if found:
                matches.append(found)
                i = found.end
            else:
                i += 1
        return toks, matches

    def _joined(self, text: str, toks: list[Token], i: int, n: int) -> bool:
        for j in range(i, i + n - 1):
            a, b = toks[j].end, toks[j + 1].start
            if b - a > 1 or (b > a and text[a] != " "):
                if not JOIN.fullmatch(text, a, b):
                    return False
        return True

    def _cased(
        self, text: str, toks: list[Token], i: int, n: int, key: tuple[str, ...], all_caps: bool
    ) -> bool:
        first = toks[i].text
        if key in self.acronyms:
            return first.isupper()
        if all_caps or not first:
            return True
        if n > 1 and key not in ROLE_KEYS:  # "U.S. grant" is not Ulysses S. Grant; "Kai-shek" is fine
            last = toks[i + n - 1]
            if last.text and last.text[0].islower() and last.norm not in PARTICLES:
                return text[last.start - 1 : last.start] == "-"
        return first[0].isupper() or first[0].isdigit() or key[0] == "the"

    def _match(self, i: int, n: int, kinds: Kinds, key: tuple[str, ...]) -> Match | None:
        # A one-word name that is also a place is the place: "Sweden" (not "Gustaf V, Sweden").
        order = ("place", "person") if n == 1 and "place" in kinds else ("person", "place")
        if (
            n == 1
            and "place" not in kinds
            and kinds.get("person")
            and set(kinds.get("surname", ())) - set(kinds["person"])
        ):
            # "Hassan", "Eisenhower": one person's whole name, others' surname or regnal name: each
            # is a candidate, and the document's date, titles and people decide
            return Match(i, i + n, "surname", sorted({*kinds["person"], *kinds["surname"]}))
        for kind in (*order, "organization", "surname", "role"):
            if kinds.get(kind):
                cands = sorted(kinds[kind])
                if kind == "role":
                    return Match(i, i + n, "role", [], role=cands[0])
                return Match(i, i + n, kind, cands)
        return None
