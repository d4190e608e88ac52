"""Name variants: other spellings of the same person's name, from the authority records.

A variant is only ever another name of the *same* entity, never a relative's, a spouse's or a
namesake's. For one word ("Vyshinski", "soong") the variants are the words of that person's
recorded names spelled like the query (within edit distance 1 for 5-7 letters, 2 for 8+):
Vyshinski finds Vyshinsky and Vishinski, but Soong never finds Chiang (Madame Chiang's married
name) nor Song. A word no record holds is matched to a record only when that record itself shows
several near spellings of one name (the authority attests that the name is spelled variously):
`vishinsky` finds the Vyshinsky record (Vyshinsky, Vishinski, Vyshinski), while `smyth` is never
turned into `smith`. For a full name ("Chiang Kai-shek") the variants are the other recorded
names of the one record of that name (Jiang Jieshi); a name several records share keeps only
spellings close to the query. So loading more authority adds spellings only where a record shows
them, and a surname shared by several people never pulls in any one person's other names.

`-~spelling` in a query turns that variant off (`vyshinsky -~vishinski`, see `split_switches`);
a quoted single word (`"soong"`) is searched exactly.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

import tantivy
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extract

from chancery.authority.names import COMMON_WORDS, TITLES, direct_order, strip_titles
from chancery.store.base import Store

MAX_VARIANTS = 8
MEMO_SIZE = 4096  # looked-up words and names kept per process (see Variants._memo)
MIN_WORD_LENGTH = 5  # shorter words (Song, Chou, Lee) are too often other words or other names
FULL_NAME_SIMILARITY = 0.8  # a name several records share: keep variants this close to the query
_NON_WORD = re.compile(r"[^0-9a-z]+")
_SWITCH = re.compile(r'(?:^|(?<=\s))-~("[^"]*"|[^\s()"]+)')

VariantQueries = dict[str, list[tuple[str, tantivy.Query]]]  # word -> (spelling, its query), exact first


def norm_name(text: str) -> str:
    """Lowercase, accents and punctuation removed, single spaces: 'Chiang Kai-shek' -> 'chiang kai shek'."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(_NON_WORD.sub(" ", folded).split())


def display_name(name: str) -> str:
    """'Vyshinsky, Andrey Y.' -> 'Andrey Y. Vyshinsky' (the order documents use), titles dropped."""
    return strip_titles(direct_order(name) or name.strip())


def max_distance(word: str) -> int:
    """Edit distance a spelling of `word` may be from it: 0 under 5 letters, 1 up to 7, else 2."""
    if len(word) < MIN_WORD_LENGTH:
        return 0
    return 1 if len(word) < 8 else 2


def split_switches(query: str) -> tuple[str, frozenset[str]]:
    """The query without its `-~spelling` switches, and the spellings they turn off (normalised).

    `vyshinsky -~vishinski` searches Vyshinsky and its variants except Vishinski; a switch is a
    word or a quoted name after `-~`, outside quotes.
    """
    off: set[str] = set()
    parts, last = [], 0
    for match in _SWITCH.finditer(query):
        if query.count('"', 0, match.start()) % 2:  # inside a phrase: not a switch
            continue
        off.add(norm_name(match.group(1).strip('"')))
        parts.append(query[last : match.start()])
        last = match.end()
    if not off:
        return query, frozenset()
    parts.append(query[last:])
    return " ".join("".join(parts).split()), frozenset(off - {""})


@dataclass
class _Table:
    """Every person record's names as word sets: word -> records holding it; record -> its names."""

    key: int  # the store's entities_version it was built at
    words: dict[str, set[int]] = field(default_factory=dict)
    records: list[list[frozenset[str]]] = field(default_factory=list)
    names: list[list[str]] = field(default_factory=list)  # record -> its recorded names
    vocabulary: list[str] = field(default_factory=list)
    by_length: dict[int, list[str]] = field(default_factory=dict)  # the vocabulary by word length
    spans: dict[tuple[int, int], list[str]] = field(default_factory=dict)  # (length, limit) -> candidates

    def near(self, word: str, limit: int) -> list[str]:
        """The words of the vocabulary within edit distance `limit` of `word`: only those of a
        length within `limit` of its can be (a third of the vocabulary for 7 letters: 4x faster)."""
        span = (len(word), limit)
        candidates = self.spans.get(span)
        if candidates is None:
            lengths = range(len(word) - limit, len(word) + limit + 1)
            candidates = self.spans[span] = [w for n in lengths for w in self.by_length.get(n, ())]
        found = extract(word, candidates, scorer=Levenshtein.distance, score_cutoff=limit, limit=None)
        return [w for w, _, _ in found]


@dataclass
class _Memo:
    """Lookups made while the authority had `key` (Variants._memo): normalised text -> variants."""

    key: int
    found: OrderedDict[str, tuple[str, ...]] = field(default_factory=OrderedDict)


_PARENTHESIS = re.compile(r"\(([^)]*)\)")


def _name_word_sets(names: Iterable[str]) -> list[frozenset[str]]:
    """The words of each name, titles left out; "Song Chuyu (James Soong)" is two names."""
    parts = [p for n in names for p in [_PARENTHESIS.sub(" ", n), *_PARENTHESIS.findall(n)]]
    sets = [frozenset(w for w in norm_name(p).split() if len(w) > 1 and w not in TITLES) for p in parts]
    return [s for s in sets if s]


def _spellings_in(names: list[frozenset[str]], word: str, limit: int) -> set[str]:
    """The words of one record's names spelled like `word`, other than `word`, that stand in its
    place: a word found in one name beside `word` or beside another of them is another part of
    the name (Ching beside Chiang in "Chiang Ching-kuo"), not a spelling of it."""
    close = {w for n in names for w in n if len(w) >= MIN_WORD_LENGTH and _close(w, word, limit)}
    close.discard(word)
    return {w for w in close if not any(w in n and len(n & (close | {word})) > 1 for n in names)}


class Variants:
    """Finds other spellings of names in the store's person records; caches the word table."""

    def __init__(self, store: Store | None = None, off: frozenset[str] = frozenset()) -> None:
        self.store = store
        self.off = off
        self._shared: dict[str, _Table] = {}
        self._memos: dict[str, _Memo] = {}  # "memo": the lookups of the current authority
        self._remember = threading.Lock()
        # One build of the table at a time: a server's first concurrent searches would otherwise
        # each build it (on PostgreSQL, all over one connection: minutes of queueing).
        self._building = threading.Lock()

    def without(self, off: frozenset[str]) -> Variants:
        """This finder with the spellings `off` turned off (shares the cached table)."""
        if not off:
            return self
        view = Variants(self.store, self.off | off)
        view._shared = self._shared
        view._memos, view._remember = self._memos, self._remember
        view._building = self._building
        return view

    def authority(self, text: str) -> list[str]:
        """Other spellings of `text`: of a word for one word, of a full name for several."""
        norm = norm_name(text)
        if self.store is None or not norm:
            return []
        found = self._memo(norm)
        return [v for v in found if norm_name(v) not in self.off and norm_name(v) != norm][:MAX_VARIANTS]

    def _memo(self, norm: str) -> tuple[str, ...]:
        """`word` or `full_name` of `norm`, remembered per process (the MEMO_SIZE latest) for as
        long as the authority is what it was: the same key as the word table's (the store's
        entities version), so any write to the records, here or in another process, forgets
        every lookup (the fuzzy match of one word is ~1-10 ms, and a search
        looks its words up again for the relaxed ranking)."""
        store = self.store
        assert store is not None
        key = store.entities_version()
        with self._remember:
            memo = self._memos.get("memo")
            if memo is None or memo.key != key:
                memo = self._memos["memo"] = _Memo(key)
            found = memo.found.get(norm)
            if found is not None:
                memo.found.move_to_end(norm)
                return found
        found = tuple(self.word(norm) if " " not in norm else self.full_name(norm))
        with self._remember:
            if self._memos.get("memo") is memo:  # not forgotten meanwhile
                memo.found[norm] = found
                if len(memo.found) > MEMO_SIZE:
                    memo.found.popitem(last=False)
        return found

    def word(self, word: str) -> list[str]:
        """Spellings of one name word held by the records that hold it (or attest it, see module)."""
        limit = max_distance(word)
        if not limit or word in COMMON_WORDS:
            return []
        table = self._table()
        found: dict[str, int] = {}
        records = {r for w in table.near(word, limit) for r in table.words[w]}
        for record in records:
            names = table.records[record]
            spelled = _spellings_in(names, word, limit)
            if any(word in n for n in names) or len(spelled) >= 2:
                for w in spelled:
                    found[w] = found.get(w, 0) + 1
        spellings = [w for w in found if w not in COMMON_WORDS]
        return sorted(spellings, key=lambda w: (Levenshtein.distance(w, word), -found[w], w))

    def full_name(self, norm: str) -> list[str]:
        """The other recorded names of the record(s) named `norm` (direct order)."""
        store = self.store
        assert store is not None
        entities: dict[str, list[str]] = {}
        for key in dict.fromkeys([norm, norm.replace(" ", "")]):
            for entity in store.entities_by_name(key):
                if entity.get("type") in (None, "person"):
                    entities[str(entity["id"])] = [entity["name"], *(entity.get("variants") or [])]
        if not entities:
            entities = self._spelled_like(norm)
        names = [display_name(str(n)) for recorded in entities.values() for n in recorded]
        words = sorted(norm.split())
        names = [
            n
            for n in dict.fromkeys(names)  # a surname alone would find every namesake
            if len(norm_name(n).split()) > 1 and sorted(norm_name(n).split()) != words
        ]
        if len(entities) > 1:  # namesakes: only spellings of the name itself
            names = [
                n
                for n in names
                if Levenshtein.normalized_similarity(norm_name(n), norm) >= FULL_NAME_SIMILARITY
            ]
        return names

    def _spelled_like(self, norm: str) -> dict[str, list[str]]:
        """The one record with a name whose words are spelled like every word of `norm` (initials
        by their letter): "Pianyotis Canellopoulos" -> Panayotis Kanellopoulos. None (an empty
        dict) when no record, or more than one, has such a name: namesakes are never guessed."""
        query = norm.split()
        table = self._table()
        surname = query[-1]
        limit = max_distance(surname)
        near = [surname] if not limit else table.near(surname, limit)
        found = {
            r
            for w in near
            for r in table.words.get(w, ())
            if any(all(any(_spelled(q, w) for w in name) for q in query) for name in table.records[r])
        }
        if len(found) != 1:
            return {}
        record = found.pop()
        return {str(record): table.names[record]}

    def warm(self) -> None:
        """Build the word table now (a server, on start), so no search waits for its build."""
        if self.store is not None:
            self._table()

    def _table(self) -> _Table:
        store = self.store
        assert store is not None
        key = store.entities_version()
        table = self._shared.get("table")
        if table is not None and table.key == key:
            return table
        with self._building:
            table = self._shared.get("table")
            if table is not None and table.key == key:
                return table
            table = _Table(key)
            for entity in store.iter_entities("person"):
                recorded = [entity["name"], *(entity.get("variants") or [])]
                names = _name_word_sets(recorded)
                index = len(table.records)
                table.records.append(names)
                table.names.append(recorded)
                for w in set().union(*names):
                    table.words.setdefault(w, set()).add(index)
            table.vocabulary = list(table.words)
            for w in table.vocabulary:
                table.by_length.setdefault(len(w), []).append(w)
            self._shared["table"] = table
            return table


def _spelled(query: str, word: str) -> bool:
    """A query word and a word of a recorded name are the same: equal, an initial of it, or
    spelled alike (see max_distance)."""
    if len(query) == 1 or len(word) == 1:
        return query[0] == word[0]
    return query == word or _close(word, query, max_distance(query))


def _close(a: str, b: str, limit: int) -> bool:
    return abs(len(a) - len(b)) <= limit and Levenshtein.distance(a, b, score_cutoff=limit) <= limit


def variant_counts(
    searcher: tantivy.Searcher, compiled: tantivy.Query, queries: VariantQueries
) -> dict[str, dict[str, int]]:
    """For each word searched with variants: how many matching documents each spelling matched."""
    counts: dict[str, dict[str, int]] = {}
    for word, spellings in queries.items():
        counts[word] = {}
        for spelling, query in spellings:
            both = tantivy.Query.boolean_query([(tantivy.Occur.Must, compiled), (tantivy.Occur.Must, query)])
            result = searcher.search(both, limit=1, count=True)
            counts[word][spelling] = int(result.count)  # type: ignore[attr-defined]
    return counts
