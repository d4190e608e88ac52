"""Find person, place and organisation mentions in plain text and resolve them to entities.

`Resolver(entity_dicts)` compiles once a token dictionary of every name spelling (full names,
surnames, place and organisation names) and of role phrases ("the Acting Secretary of State",
"the President", "the Ambassador in the Soviet Union"). Matching is a greedy longest match over
the document's tokens. A surname or a role is resolved at the document's date: offices held
then (POCOM), people named in full elsewhere in the document, the collection's persons list and
the years of the FRUS volumes that identify each person. Anything still ambiguous keeps
`entity_id=None`. `entity_step` is the DEEP pipeline step.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import pickle
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from chancery.authority.frus_persons import key_from_url
from chancery.authority.names import COMMON_WORDS, TITLES, normalize, person_variants, split_inverted
from chancery.enrich.english_words import ENGLISH

WORD = re.compile(r"[^\W_]+")
JOIN = re.compile(r"[ \t.\-'’\[\]]*\n?[ \t.\-'’\[\]]*")  # what may stand between tokens of one name
MAX_TOKENS = 8
END = ""  # trie key of a complete name (no token is empty)
PERSON_TITLES = TITLES - {"his", "her", "foreign", "under", "assistant", "deputy", "acting", "chief"}

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
AMBASSADOR = (
    "ambassador",
    "american ambassador",
    "us ambassador",
    "u s ambassador",
    "united states ambassador",
)
# Nationality words that are also common words or missing from the ontology -> place name.
DEMONYMS = {"soviet": "ussr", "american": "usa", "british": "uk", "russian": "russia"}
ROLE_KEYS = {tuple(r.split()) for r in ROLES}
PARTICLES = {"de", "da", "di", "du", "van", "von", "der", "den", "la", "le", "bin", "ibn", "al", "el"}
# Who "the Generalissimo" is, by the country the document is about.
GENERALISSIMO = {"china": "chiang kai shek", "spain": "francisco franco"}
NATIONALITIES = {
    "soviet",
    "chinese",
    "british",
    "french",
    "german",
    "japanese",
    "russian",
    "italian",
    "polish",
}
COUNTRY_ALIASES = {
    "soviet union": "russia",
    "ussr": "russia",
    "u s s r": "russia",
    "great britain": "united kingdom",
}
COUNTRY_ALIASES |= {
    "britain": "united kingdom",
    "england": "united kingdom",
    "persia": "iran",
    "siam": "thailand",
}


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
        norm = normalize(word)
        if " " not in norm:
            out.append(Token(word, norm, m.start(), m.end()))
            continue
        for i, part in enumerate(norm.split()):  # accents folded; one text word rarely splits
            out.append(Token(word, part, m.start(), m.end()) if i == 0 else Token("", part, m.end(), m.end()))
    return out


def _year(iso: str | None) -> int | None:
    return int(iso[:4]) if iso and iso[:4].isdigit() else None


@cache
def _volume_years(key: str) -> tuple[int, int] | None:
    m = re.match(r"frus(\d{4})(?:-(\d{2,4}))?", key)
    if not m:
        return None
    start = int(m.group(1))
    end = m.group(2)
    return start, (int(end) if end and len(end) == 4 else start // 100 * 100 + int(end) if end else start)


class Resolver:
    """A compiled name dictionary over authority entities; build once, use for many documents."""

    def __init__(self, entities: Iterable[dict[str, Any]]) -> None:
        with _no_gc():
            self._build(entities)

    def _build(self, entities: Iterable[dict[str, Any]]) -> None:
        self.entities: dict[str, dict[str, Any]] = {}
        self.keys: dict[tuple[str, ...], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.by_source: dict[str, str] = {}
        self.volumes: dict[str, set[str]] = defaultdict(set)  # entity -> FRUS volume ids
        self.offices: dict[str, list[tuple[str, str, str | None, str]]] = defaultdict(list)
        self.acronyms: set[tuple[str, ...]] = set()
        self.terms: dict[str, list[tuple[str, str]]] = defaultdict(list)  # entity -> office intervals
        self.demonyms: dict[str, set[str]] = {}  # "soviet" -> place ids: nationality words
        self.given: set[str] = set()  # first given names of listed people ("lucien", "moshe")
        for ent in entities:
            self._add(ent)
        for role in ROLES:
            self.keys[tuple(role.split())]["role"].add(role)
        # Plain dicts (picklable, no accidental inserts on lookup) and a token trie over the keys.
        self.keys = {key: dict(kinds) for key, kinds in self.keys.items()}
        self.volumes = dict(self.volumes)
        self.offices = dict(self.offices)
        self.terms = dict(self.terms)
        self.trie: dict[str, Any] = {}
        for key, kinds in self.keys.items():
            node = self.trie
            for tok in key:
                node = node.setdefault(tok, {})
            node[END] = (key, kinds)
        self._holders: dict[tuple[str, str, str | None], str | None] = {}
        self._near: dict[tuple[str, int], float] = {}
        self._unknown: dict[str, bool] = {}
        self._nationals: dict[str, set[str]] = {}  # _demonym's answers, per word
        self.given = {
            g
            for g in self.given
            if not english(g) and g not in TITLES and set(self.keys.get((g,), ())) <= {"surname"}
        }
        for word, place in DEMONYMS.items():
            self.demonyms.setdefault(word, set()).update(self.keys.get((place,), {}).get("place", ()))
        self.named_roles = {
            country: self._unique_full(name)
            for country, name in GENERALISSIMO.items()
            if self._unique_full(name)
        }

    # -- compiling -------------------------------------------------------------------------
    def _add(self, ent: dict[str, Any]) -> None:
        ent_id, kind = ent["id"], ent["type"]
        self.entities[ent_id] = ent
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
                self.offices[office.get("role") or ""].append(
                    (office.get("start") or "", office.get("end") or "9999", office.get("country"), ent_id)
                )
            for name in names:
                full, surname = person_variants(name)
                forenames = split_inverted(name)[1].split()
                if surname and forenames and len(first := normalize(forenames[0])) > 2 and first.isalpha():
                    self.given.add(first)
                for variant in full:
                    toks = tuple(normalize(variant).split())
                    if len(toks) > 1 or (len(toks) == 1 and len(toks[0]) > 3 and toks[0] not in COMMON_WORDS):
                        self.keys[toks]["person"].add(ent_id)
                if surname:
                    toks = tuple(normalize(surname).split())
                    if toks and len(toks[-1]) > 2 and " ".join(toks) not in COMMON_WORDS:
                        self.keys[toks]["surname"].add(ent_id)
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
            self.keys[toks][kind].add(ent_id)

    def nearness(self, ent_id: str, year: int) -> float:
        """Evidence from FRUS volumes covering `year` (within five years) that identify the person."""
        key = (ent_id, year)
        if key not in self._near:
            vols = self.volumes.get(ent_id, ())
            near = sum(1 for v in vols if (y := _volume_years(v)) and y[0] - 5 <= year <= y[1] + 5)
            self._near[key] = min(1.5, math.log1p(near) / 2)
        return self._near[key]

    def _unique_full(self, name: str) -> str | None:
        found = self.keys.get(tuple(name.split()), {}).get("person", set())
        return next(iter(found)) if len(found) == 1 else None

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
            ends = []  # (length, key, kinds) of every name starting here, shortest first
            j = i
            while True:
                if END in node:
                    ends.append((j - i + 1, *node[END]))
                j += 1
                if j >= size or j - i >= MAX_TOKENS:
                    break
                node = node.get(toks[j].norm)
                if node is None:
                    break
            found = None
            for n, key, kinds in reversed(ends):
                if self._joined(text, toks, i, n) and self._cased(text, toks, i, n, key, all_caps):
                    found = self._match(i, n, kinds, key)
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

    def _match(self, i: int, n: int, kinds: dict[str, set[str]], key: tuple[str, ...]) -> Match | None:
        # A one-word name that is also a place is the place: "Sweden" (not "Gustaf V, Sweden").
        order = ("place", "person") if n == 1 and "place" in kinds else ("person", "place")
        for kind in (*order, "organization", "surname", "role"):
            if kinds.get(kind):
                cands = sorted(kinds[kind])
                if kind == "role":
                    return Match(i, i + n, "role", [], role=cands[0])
                return Match(i, i + n, kind, cands)
        return None


@contextmanager
def _no_gc() -> Iterator[None]:
    """No cyclic GC while the resolver's millions of small objects are made, then freeze them all:
    otherwise the next full collections walk the whole resolver again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def load_resolver(entities: Iterable[dict[str, Any]], cache_dir: str | Path | None = None) -> Resolver:
    """A Resolver over `entities`, from a pickle in `cache_dir` when one was built for the same data.

    The cache key hashes the entity dicts and this module's source, so a changed entity table or a
    changed matcher builds afresh (a few seconds) and leaves a new pickle; loading one is ~1 s.
    """
    entities = list(entities)
    if cache_dir is None:
        with _no_gc():
            return Resolver(entities)
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for ent in entities:
        digest.update(json.dumps(ent, sort_keys=True, default=str).encode())
    path = Path(cache_dir) / f"resolver-{digest.hexdigest()[:20]}.pickle"
    try:
        with path.open("rb") as f, _no_gc():
            resolver = pickle.load(f)  # millions of small objects: the cyclic GC only slows this
        if isinstance(resolver, Resolver):
            return resolver
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    with _no_gc():
        resolver = Resolver(entities)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("resolver-*.pickle"):
            old.unlink(missing_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(resolver, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError:
        pass  # a read-only place: build each time
    return resolver


def _iso(document: Any) -> str | None:
    date = document.date
    return date.when or date.not_before if date else None


class DocumentResolver:
    """Resolves the matches of one document, given its date and collection."""

    def __init__(self, resolver: Resolver, date: str | None, collection: str | None) -> None:
        self.r = resolver
        self.date = (date or "")[:10] or None
        self.year = _year(date)
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
        key = (role, self.date, country)
        if key not in self.r._holders:
            self.r._holders[key] = self._holder(role, country)
        return self.r._holders[key]

    def _holder(self, role: str, country: str | None = None) -> str | None:
        found = {
            ent
            for start, end, where, ent in self.r.offices.get(role, [])
            if start and start <= self.date <= end and (country is None or normalize(where or "") == country)
        }
        return next(iter(found)) if len(found) == 1 else None

    def score(self, ent_id: str) -> float:
        ent = self.r.entities[ent_id]
        score = 0.0
        if ent_id in self.in_doc:
            score += 5
        vols = self.r.volumes.get(ent_id, set())
        if self.collection and self.collection in vols:
            score += 3
        if self.year:
            birth, death = _year(ent.get("birth")), _year(ent.get("death"))
            if birth and self.year < birth + 18:
                return -10
            if death and self.year > death:
                score -= 2
            score += self.r.nearness(ent_id, self.year)
            if any(s <= self.date <= e for s, e in self.r.terms.get(ent_id, [])):
                score += 1.5  # in office at the document's date
        return score

    def choose(self, candidates: list[str], need: float) -> str | None:
        if len(candidates) == 1 and need <= 0:
            return candidates[0]
        scored = sorted(((self.score(c), c) for c in candidates), reverse=True)
        best = scored[0]
        if best[0] < need or (len(scored) > 1 and best[0] - scored[1][0] < 1):
            return None
        return best[1]

    def resolve(self, m: Match, toks: list[Token]) -> str | None:
        if m.kind == "role":
            return self.resolve_role(m, toks)
        if m.kind == "person":
            return self.choose(m.candidates, 0)
        if m.kind == "surname":
            return self.choose(m.candidates, 2 if len(m.candidates) > 1 else 1.5)
        return m.candidates[0] if len(m.candidates) == 1 else self.choose(m.candidates, 0)

    def resolve_role(self, m: Match, toks: list[Token]) -> str | None:
        how, what = ROLES[m.role or ""]
        if how == "named":
            country = next((c for c in GENERALISSIMO if self._about(c)), None)
            return self.r.named_roles.get(country) if country else None
        after = [t.norm for t in toks[m.end : m.end + 2]]
        if after[:1] == ["of"] and m.role in ("president", "the president", "the secretary"):
            return None  # "the President of Finland", "the Secretary of the Navy"
        return self.holder(what)

    def _about(self, country: str) -> bool:
        ids = self.r.keys.get(tuple(country.split()), {}).get("place", set())
        return bool(ids & self.places) or any(
            normalize(self.r.entities[e]["name"]).startswith(country) for e in self.in_doc
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
                    ids = self.r.keys.get(tuple(name.split()), {}).get("place", set())
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


# Cable conventions (all-caps State Department telegrams, 1970s). The History Lab annotations mark
# reporting officers and officials named by title alone as persons, and a government's acronym
# ("USG", "GOI": Government of Israel/India) as the country.
CABLE_ROLES = {
    tuple(r.split())
    for r in (
        "emboff",
        "conoff",
        "consoff",
        "polad",
        "poloff",
        "econoff",
        "deptoff",
        "dcm",
        "secstate",
        "ambassador",
        "amb",
        "prime minister",
        "deputy secretary",
        "foreign minister",
        "formin",
        "fonmin",
        "mininterior",
        "mindef",
        "defmin",
        "shah",
        "primin",
        "finmin",
        "permrep",
        "chairman",
        "secretary general",
        "minister",
    )
}
ROLE_FIRST = {r[0] for r in CABLE_ROLES}
CABLE_TITLES = PERSON_TITLES | {
    "chief",
    "secgen",
    "syg",
    "charge",
    "promin",
    "primin",
    "leader",
    "consul",
    "director",
    "counselor",
    "spokesman",
    "ambassadors",
    "ministers",
    "messrs",
    "senators",
    "amb",
    "fonmin",
    "formin",
    "mininterior",
    "defmin",
    "mindef",
    "amcit",
    "vp",
    "pm",
    "dr",
    "mr",
    "mrs",
    "minister",
    "president",
    "secretary",
    "chairman",
    "ambassador",
    "emboff",
    "conoff",
}
HONORIFICS = {"mr", "mrs", "ms", "dr"}
SPEECH = {
    "said",
    "told",
    "stated",
    "added",
    "noted",
    "asked",
    "replied",
    "indicated",
    "explained",
    "agreed",
    "commented",
    "remarked",
    "stressed",
    "emphasized",
    "observed",
    "confirmed",
    "denied",
    "urged",
    "argued",
    "insisted",
    "asserted",
    "warned",
    "mentioned",
    "suggested",
    "responded",
    "promised",
    "complained",
    "thinks",
    "feels",
    "felt",
}
GOVERNMENTS = re.compile(r"(?:USG|ROKG|SRV|WASHDC|USSR|GPNG|GO[A-Z])")
CABLE_WORDS = set(
    """reftel reftels septel septels nodis limdis exdis amembassy amconsul usun usdel secto tosec
    deptel embtel para paras subj ref refs tags eo fyi msg addee addees info action noforn sitrep
    god got goes gone gop ok gov govt usmission usnato usec oecd nato un gatt iaea unga unsc eec
    memcon telcon per pls ltr dte nr quote unquote unqte""".split()
)
VOWELS = set("aeiouy")
MONTHS = {"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
# English inflections the lower-case vocabulary may lack: "LEVELS", "PERSONS", "DAILIES".
SUFFIXES = (("ies", "y"), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"))
# Words that a government or a country stands behind in the History Lab annotations: "THE
# GOVERNMENT", "HIS COUNTRY" are the state (GPE); "A GOVERNMENT", "EACH COUNTRY" are not.
STATE_NOUNS = {"government", "govt", "regime"}
DEFINITE = {"the", "his", "her", "its", "their", "our", "my", "your", "this", "that"}
INDEFINITE = {"a", "an", "any", "another", "each", "every", "no", "such", "unity", "one", "party", "form"}
CONSONANT_RUN = re.compile(r"[^aeiouy]{4}")


def _garbled(word: str) -> bool:
    """Four consonants in a row ("NMAFVVZCZ"); "SCH" counts as one ("SCHMIDT" is fine)."""
    return bool(CONSONANT_RUN.search(word.replace("sch", "s")))


@cache
def english(word: str) -> bool:
    """An ordinary English word (normalised), counting plain inflections of the vocabulary's words."""
    if word in ENGLISH or word in COMMON_WORDS:
        return True
    if word.endswith(("ses", "xes", "zes", "ches", "shes")) and word[:-2] in ENGLISH:
        return True  # "TAXES", "CHURCHES"
    return any(
        word.endswith(suffix) and len(word) - len(suffix) > 2 and word[: -len(suffix)] + stem in ENGLISH
        for suffix, stem in SUFFIXES
    )


def _unknown(resolver: Resolver, tok: Token) -> bool:
    """A word that could be a name nobody listed: not English, not jargon, not in a gazetteer."""
    w = tok.norm
    known = resolver._unknown.get(w)
    if known is None:
        known = resolver._unknown[w] = (
            len(w) > 2
            and w.isalpha()
            and not english(w)
            and w not in CABLE_WORDS
            and w not in MONTHS
            and not _demonym(resolver, w)
            and not VOWELS.isdisjoint(w)
            and not _garbled(w)
            and not GOVERNMENTS.fullmatch(w.upper())
            and not any(k != "surname" for k in resolver.keys.get((w,), {}))
        )
    return known


def _sentence_start(text: str, toks: list[Token], i: int) -> bool:
    before = text[toks[i - 1].end : toks[i].start] if i else ""
    return i == 0 or any(c in before for c in ".:;!?\n")


def _after(text: str, toks: list[Token], i: int, words: set[str] | frozenset[str]) -> bool:
    """Token i directly follows one of `words` (a space or a dot between, no comma or line break)."""
    if i == 0 or toks[i - 1].norm not in words:
        return False
    gap = text[toks[i - 1].end : toks[i].start]
    return gap.strip(" .") == ""


def _demonym(resolver: Resolver, word: str) -> set[str]:
    """Place ids of a nationality word or its plural ("SOVIETS", "ISRAELIS", "SWEDES" are not)."""
    found = resolver._nationals.get(word)
    if found is None:
        found = resolver._nationals[word] = _demonym_ids(resolver, word)
    return found


def _demonym_ids(resolver: Resolver, word: str) -> set[str]:
    if word in resolver.demonyms:
        return resolver.demonyms[word]
    if word.endswith("s") and len(word) > 4:
        single = word[:-1]
        if single in resolver.demonyms:
            return resolver.demonyms[single]
        if single.endswith(("an", "i", "ot")):
            return resolver.keys.get((single,), {}).get("place", set())
    return set()


GEO_FEATURES = {"ocean", "sea", "gulf", "peninsula", "subcontinent", "basin"}
REGION_QUALIFIERS = {"latin", "central", "pan"}


def _not_country(resolver: Resolver, toks: list[Token], i: int) -> bool:
    """A nationality word that does not stand for its country: "INDIAN OCEAN", "LATIN AMERICAN",
    "TURKISH CYPRIOTS" (a community: both words)."""
    prev = toks[i - 1].norm if i else ""
    nxt = toks[i + 1].norm if i + 1 < len(toks) else ""
    if nxt in GEO_FEATURES or prev in REGION_QUALIFIERS:
        return True
    word = toks[i].norm
    if _plural_demonym(resolver, nxt) and _nationality(resolver, word):
        return True
    return _plural_demonym(resolver, word) and _nationality(resolver, prev)


def _nationality(resolver: Resolver, word: str) -> bool:
    return bool(_demonym(resolver, word) or resolver.keys.get((word,), {}).get("place"))


def _plural_demonym(resolver: Resolver, word: str) -> bool:
    return len(word) > 4 and word.endswith("s") and bool(_demonym(resolver, word))


def _acronym(resolver: Resolver, word: str) -> bool:
    """Short, listed as nobody's surname or given name: "APRA", "OPEC", "USLO" rather than "CHAO"."""
    return len(word) <= 5 and word not in resolver.given and not resolver.keys.get((word,), {}).get("surname")


def _signature(text: str, toks: list[Token]) -> list[int]:
    """Token indices of the signer: a cable ends with the sender's surname on a line of its own
    ("KISSINGER", "BRUCE UNQUOTE KISSINGER")."""
    end = len(text.rstrip())
    line_start = text.rfind("\n", 0, end) + 1
    idx = [i for i in range(len(toks) - 1, -1, -1) if toks[i].start >= line_start][::-1]
    words = [i for i in idx if toks[i].norm not in ("unquote", "unqte", "quote", "end")]
    if not words or len(idx) > 4 or len(words) > 2:
        return []
    if not all(
        toks[i].text.isalpha()
        and len(toks[i].norm) > 2
        and toks[i].norm not in CABLE_WORDS
        and toks[i].norm not in CLASSIFICATION
        and not VOWELS.isdisjoint(toks[i].norm)
        and not _garbled(toks[i].norm)
        for i in words
    ):
        return []
    return words


CLASSIFICATION = {
    "confidential",
    "secret",
    "unclassified",
    "classification",
    "current",
    "limited",
    "official",
    "use",
    "nnn",
    "nnnn",
}


def cable_mentions(
    resolver: Resolver, text: str, toks: list[Token], taken: set[int], persons: set[int] = frozenset()
) -> list[tuple[int, int, str]]:
    """Extra (start token, end token, type) mentions in an all-caps cable, outside `taken` tokens.

    `persons`: token indices of the person mentions already found (for "PERES AND GUR").
    """
    out: list[tuple[int, int, str]] = []
    names: set[str] = set()
    weak: set[str] = set()  # names seen only with a possessive: "JAUERGUI'S", but also "OPEC'S"
    n = len(toks)
    for i, tok in enumerate(toks):  # names after a title: "PRESIDENT BANZER", "FONMIN GALINDO POHL"
        if i in taken:
            continue
        if len(tok.norm) == 2 and tok.text.isalpha() and _after(text, toks, i, HONORIFICS):
            names.add(tok.norm)  # "DR. LI", "MR. WU"
        if not _unknown(resolver, tok):
            continue
        after = toks[i + 1].norm if i + 1 < n else ""
        if after in SPEECH or (after == "who" and not _acronym(resolver, tok.norm)):
            names.add(tok.norm)  # "ECEVIT SAID", "BARDER, WHO"
        elif after == "s" and toks[i + 1].start - tok.end == 1:
            weak.add(tok.norm)
        if _after(text, toks, i, CABLE_TITLES) or _after(text, toks, i, resolver.given):
            names.add(tok.norm)  # "PRESIDENT BANZER", "LUCIEN DAHDAH"
            if i + 1 < n and _unknown(resolver, toks[i + 1]) and toks[i + 1].start - tok.end <= 1:
                names.add(toks[i + 1].norm)
    names |= {w for w in weak if not _acronym(resolver, w)}
    known = set(persons) | {i for i, t in enumerate(toks) if t.norm in names}
    for i, tok in enumerate(toks):  # "PERES AND GUR", "NKOMO AND MUGABE", "LEDESMA, NAPURI, SCORZA"
        if i in taken or tok.norm in names or not _unknown(resolver, tok):
            continue
        for j, k in ((i - 2, i - 1), (i + 2, i + 1)):
            if 0 <= j < n and j in known and toks[k].norm == "and":
                if _acronym(resolver, tok.norm):
                    continue
                names.add(tok.norm)
    for i in _signature(text, toks):
        if i not in taken:
            names.add(toks[i].norm)
    i = 0
    while i < n:
        tok = toks[i]
        if i in taken:
            i += 1
            continue
        if tok.norm in names:
            j = i + 1
            while j < n and j not in taken and toks[j].norm in names and toks[j].start - toks[j - 1].end <= 1:
                j += 1
            if (
                i
                and i - 1 not in taken
                and toks[i - 1].norm in resolver.given
                and _after(text, toks, i, resolver.given)
            ):
                i -= 1  # "LUCIEN DAHDAH": the given name is part of the mention
            out.append((i, j, "person"))
            i = j
            continue
        for size in (2, 1) if tok.norm in ROLE_FIRST else ():
            key = tuple(t.norm for t in toks[i : i + size])
            if len(key) == size and key in CABLE_ROLES and not taken.intersection(range(i, i + size)):
                out.append((i, i + size, "person"))
                i += size - 1
                break
        else:
            if GOVERNMENTS.fullmatch(tok.text) and tok.norm not in ENGLISH:
                out.append((i, i + 1, "place"))
            elif _demonym(resolver, tok.norm) and not _not_country(resolver, toks, i):
                out.append((i, i + 1, "place"))
            elif tok.text == "US" and _after(text, toks, i, {"the"}):
                out.append((i, i + 1, "place"))  # "RETURN TO THE US": the country, not "us"
            elif tok.norm in STATE_NOUNS or (tok.norm == "country" and _after(text, toks, i, DEFINITE)):
                prev = toks[i - 1].norm if i else ""
                nxt = toks[i + 1].norm if i + 1 < n else ""
                if prev not in INDEFINITE and nxt not in ("official", "officials"):
                    out.append((i, i + 1, "place"))
        i += 1
    return out


TYPES = {
    "person": "person",
    "surname": "person",
    "role": "person",
    "place": "place",
    "organization": "organization",
}


def find_mentions(
    resolver: Resolver,
    text: str,
    date: str | None,
    collection: str | None = None,
    known: Iterable[str] = (),
    context: DocumentResolver | None = None,
    detector: Any = None,
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
        {toks[i].norm for i in range(1, len(toks)) if _after(text, toks, i, CABLE_TITLES)} if caps else set()
    )
    for k, m in enumerate(matches):
        if covered.intersection(range(m.start, m.end)):
            continue
        nxt = matches[k + 1] if k + 1 < len(matches) else None
        if m.kind == "role" and nxt and nxt.start == m.end and TYPES[nxt.kind] == "person":
            continue  # "President Truman": the name decides
        kind = m.kind
        if kind == "surname" and m.end - m.start == 1 and lowered and toks[m.start].norm in lowered:
            continue  # "Cable", "Bridges": an ordinary word in this document
        if kind in ("place", "organization") and (
            (m.start > 0 and toks[m.start - 1].norm in PERSON_TITLES)
            or (m.end - m.start == 1 and toks[m.start].norm in titled_words)
        ):  # "PRESIDENT JORDAN"; "CHIEF CHEN" makes every CHEN of the cable a person
            alt = resolver.keys.get(tuple(t.norm for t in toks[m.start : m.end]), {})
            if alt.get("surname") or alt.get("person"):
                m = Match(m.start, m.end, "surname", sorted(alt.get("person") or alt["surname"]))
        ent = doc.resolve(m, toks)
        titled = (
            _after(text, toks, m.start, PERSON_TITLES)
            if caps
            else m.start > 0 and toks[m.start - 1].norm in PERSON_TITLES
        )
        single = m.end - m.start == 1 and toks[m.start].norm
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
        if caps and single and m.kind == "place" and _not_country(resolver, toks, m.start):
            continue
        if m.kind == "role" and m.start and toks[m.start - 1].norm in ("a", "an"):
            continue  # "electing a President": nobody in particular
        start = m.start + 1 if m.kind == "role" and toks[m.start].norm == "the" else m.start
        kind = TYPES[m.kind]
        if caps and kind == "organization" and single and GOVERNMENTS.fullmatch(toks[m.start].text):
            kind, ent = "place", None  # History Lab takes "GOI" (Government of India/Israel) as the country
        out.append(_mention(resolver, text, toks, start, m.end, kind, ent))
        covered.update(range(m.start, m.end))
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
                ids = _demonym(resolver, "american" if toks[i].text == "US" else toks[i].norm)
                ent = next(iter(ids)) if len(ids) == 1 else None
            out.append(_mention(resolver, text, toks, i, j, kind, ent))
    if detector is not None:
        for m in detector.mentions(text):
            if m["type"] == "person" and not any(
                o["start"] < m["end"] and m["start"] < o["end"] for o in out
            ):
                out.append({**m, "entity_id": None, "entity_name": None})
    out.sort(key=lambda x: x["start"])
    return out


def _mention(
    resolver: Resolver, text: str, toks: list[Token], i: int, j: int, kind: str, ent: str | None
) -> dict:
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


def resolve_party(resolver: Resolver, name: str, doc: DocumentResolver) -> str | None:
    """The person entity a sender/recipient string names, when it names exactly one."""
    found = {
        m["entity_id"]
        for m in find_mentions(resolver, name, doc.date, doc.collection, context=doc)
        if m["type"] == "person" and m["entity_id"]
    }
    return next(iter(found)) if len(found) == 1 else None


def entity_step(document: Any, context: Any) -> Any:
    """DEEP step: link mentions, TEI-marked mentions and parties to authority entities."""
    from chancery.model import Mention

    resolver = getattr(context, "resolver", None)
    if resolver is None:
        return document
    coll = document.collection.id if document.collection else None
    doc = DocumentResolver(resolver, _iso(document), coll)
    marked: list[Mention] = []
    for m in document.mentions:
        if m.entity_id and m.entity_id in resolver.by_source:
            m.entity_id = resolver.by_source[m.entity_id]
        if m.entity_id in resolver.entities:
            m.entity_name = resolver.entities[m.entity_id]["name"]
        marked.append(m)
    known = [m.entity_id for m in marked if m.entity_id in resolver.entities]
    from chancery.enrich.statistical import default_detector

    detector = context.extra.get("detector", default_detector()) if hasattr(context, "extra") else None
    found = find_mentions(
        resolver, document.text or "", doc.date, coll, known, context=doc, detector=detector
    )
    spans = [(m.start, m.end) for m in marked]
    for m in found:
        if not any(s < m["end"] and m["start"] < e for s, e in spans):
            marked.append(Mention(**m))
    document.mentions = sorted(marked, key=lambda m: m.start)
    for party in [*document.senders, *document.recipients]:
        if not party.entity_id and party.name:
            party.entity_id = resolve_party(resolver, party.name, doc)
    return document
