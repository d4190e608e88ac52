"""Name-variant tolerance: other spellings of a name from authority records, or by fuzzy matching.

Authority: the store's entities (`entities_by_name(norm)`, `iter_entities()`), each with `name`
and `variants`. A one-word query is matched against surnames ("Vyshinsky, Andrey Y." has the
surname "vyshinsky"), so `Vyshinski` finds Vyshinsky and Vishinsky. Fuzzy: for capitalised
words no authority knows, terms of the index's dictionary within edit distance 1 (5–7 letters)
or 2 (8+ letters) that share the first letter, most frequent first.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any

import tantivy
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extract

from chancery.store.base import Store

MAX_VARIANTS = 8
FUZZY_MIN_LENGTH = 5
_NON_WORD = re.compile(r"[^0-9a-z]+")


def norm_name(text: str) -> str:
    """Lowercase, accents and punctuation removed, single spaces: 'Chiang Kai-shek' -> 'chiang kai shek'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(_NON_WORD.sub(" ", folded).split())


def surname(name: str) -> str:
    """The family name of an authority form: before the comma of 'Last, First', else the last word."""
    if "," in name:
        return norm_name(name.split(",", 1)[0])
    words = norm_name(name).split()
    return words[-1] if words else ""


def display_name(name: str) -> str:
    """'Vyshinsky, Andrey Y.' -> 'Andrey Y. Vyshinsky' (the order documents use)."""
    if "," in name:
        last, first = (part.strip() for part in name.split(",", 1))
        return f"{first} {last}".strip()
    return name.strip()


class Variants:
    """Finds other spellings of names; caches the surname table and fuzzy vocabularies."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store
        self._surnames: dict[str, list[list[str]]] | None = None
        self._surnames_key: int = -1
        self._vocab: dict[tuple[Any, str, str], tuple[list[str], list[int]]] = {}
        # One build of each table at a time: a server's first concurrent searches would otherwise
        # each build it (on PostgreSQL, all over one connection: minutes of queueing).
        self._building = threading.Lock()

    # -- authority records ------------------------------------------------------------------
    def authority(self, text: str) -> list[str]:
        """Other spellings of `text` in authority records: surnames for one word, else full names."""
        store = self.store
        if store is None:
            return []
        norm = norm_name(text)
        if not norm:
            return []
        single = " " not in norm
        name_lists = [[e["name"], *(e.get("variants") or [])] for e in self._by_name(store, norm)]
        if single:
            name_lists += self._surname_table(store).get(norm, [])
        found: list[str] = []
        for names in name_lists:
            for name in names:
                variant = surname(name) if single else display_name(name)
                if variant and norm_name(variant) != norm and len(variant) > 2:
                    found.append(variant)
        return list(dict.fromkeys(found))[:MAX_VARIANTS]

    @staticmethod
    def _by_name(store: Store, norm: str) -> list[dict[str, Any]]:
        entities = {}
        for key in dict.fromkeys([norm, norm.replace(" ", "")]):
            for entity in store.entities_by_name(key):
                entities[entity["id"]] = entity
        return list(entities.values())

    def _surname_table(self, store: Store) -> dict[str, list[list[str]]]:
        count = store.count_entities()
        if self._surnames is not None and count == self._surnames_key:
            return self._surnames
        with self._building:
            if self._surnames is not None and count == self._surnames_key:
                return self._surnames
            table: dict[str, list[list[str]]] = {}
            for entity in store.iter_entities("person"):
                names = [entity["name"], *(entity.get("variants") or [])]
                for key in {surname(n) for n in names} - {""}:
                    table.setdefault(key, []).append(names)
            self._surnames, self._surnames_key = table, count
        return self._surnames

    # -- fuzzy matching over the index's term dictionary -------------------------------------
    def fuzzy(self, searcher: tantivy.Searcher, key: Any, field: str, term: str) -> list[str]:
        """Indexed terms of `field` within a small edit distance of `term`, most frequent first."""
        if len(term) < FUZZY_MIN_LENGTH or not term.isalpha():
            return []
        terms, counts = self._vocabulary(searcher, key, field, term[0])
        distance = 1 if len(term) < 8 else 2
        matches = extract(term, terms, scorer=Levenshtein.distance, score_cutoff=distance, limit=None)
        found = sorted(
            ((counts[i], t) for t, _, i in matches if t != term and abs(len(t) - len(term)) <= distance),
            reverse=True,
        )
        return [t for _, t in found[:MAX_VARIANTS]]

    def _vocabulary(
        self, searcher: tantivy.Searcher, key: Any, field: str, letter: str
    ) -> tuple[list[str], list[int]]:
        cache_key = (key, field, letter)
        if cache_key not in self._vocab:
            with self._building:
                if cache_key not in self._vocab:
                    if any(k[0] != key for k in self._vocab):
                        self._vocab.clear()
                    pairs = [(t, c) for t, c in searcher.terms_with_prefix(field, letter) if t.isalpha()]
                    self._vocab[cache_key] = ([t for t, _ in pairs], [c for _, c in pairs])
        return self._vocab[cache_key]
