"""`related ID`: documents about the same event or exchange, across archives, with reasons.

Candidates come from store links (both directions), from the search index (the document's most
distinctive words, once within ±14 days of its date and once undated), and from the vector store
when vectors exist. About 200 candidates are then rescored on: links, date proximity, shared people
(entity ids, senders, recipients, mentions), shared proper names, word-shingle overlap (the same
telegram printed twice), tf-idf cosine (a paraphrase beside its original) and passage-vector
similarity; for an undated source, shared correspondents (sender or recipient) stand in for the
date window. People match by authority id or by surname (one side may be resolved and the other
not). Works without vectors; the score is a weighted sum and each hit lists its reasons.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

import tantivy

from chancery.dates import day_number, day_ordinal, ordinal_day_number
from chancery.search.index import TEXT_ANALYZER, SearchIndex
from chancery.store.base import DocumentData, Store

if TYPE_CHECKING:
    from chancery.search.semantic import VectorStore

WINDOW_DAYS = 14
KEY_TERMS = 14
DATED_CANDIDATES = 150
UNDATED_CANDIDATES = 100
VECTOR_CANDIDATES = 50
SHINGLE = 5

WEIGHTS = {
    "link": 3.0,
    "date": 1.0,
    "people": 0.5,
    "names": 1.5,
    "shingles": 3.0,
    "cosine": 2.5,
    "vector": 2.0,
    "parties": 0.5,
}
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_PROPER = re.compile(r"\b[A-Z][a-z]{2,}(?:-[A-Z][a-z]+)?\b")
STOPWORDS = frozenset(
    """the and that this with from have has had was were which would will been for not are but his her
    they their there them then than what when where who whom into upon also any all our your its may might
    shall should could can did does one two such other these those some more most very said being over
    about after before under only same made make like well much many each both him she you were""".split()
)
TITLES = frozenset(
    """President Secretary State States United Ambassador Minister Marshal Generalissimo Government House
    Department Embassy Prime Acting Mr Mrs Sir General Commissar Vice Chargé Consul Legation Office
    Foreign Affairs External Message Telegram Cablegram Despatch Memorandum Paraphrase Top Secret
    Personal Navy Army Under Assistant Deputy Chief Council Committee Conference January February
    March April May June July August September October November December Monday Tuesday Wednesday
    Thursday Friday Saturday Sunday""".split()
)
LINK_WHY = {"out": "cites it", "in": "references it"}


def related(
    store: Store,
    index: SearchIndex,
    source: DocumentData,
    vectors: VectorStore | None = None,
    limit: int = 10,
    use_links: bool = True,
) -> list[dict[str, Any]]:
    """The `limit` best documents related to `source` (a stored document): [{id, title, date,
    collection, score, why}]. `vectors`: the passage vectors when there are any."""
    doc_id = source["id"]
    searcher = index.searcher()
    terms = key_terms(source, searcher)
    span = day_span(source)
    found: dict[str, float] = {}  # candidate -> normalised index score
    for window in [span, None] if span else [None]:
        limit_n = DATED_CANDIDATES if window else UNDATED_CANDIDATES
        for cid, score in _index_candidates(index, searcher, terms, window, limit_n):
            found[cid] = max(found.get(cid, 0.0), score)
    links = _links(store, doc_id) if use_links else {}
    if vectors is not None and not vectors.has(doc_id):
        vectors = None
    if vectors is not None:
        passages = vectors.passages_of(doc_id)
        assert passages is not None  # has(doc_id)
        for hit in vectors.search(passages.mean(axis=0), VECTOR_CANDIDATES, exclude=[doc_id]):
            found.setdefault(hit.doc_id, 0.0)
    for cid in links:
        found.setdefault(cid, 0.0)
    found.pop(doc_id, None)
    docs = store.documents(list(found))
    scorer = Scorer(source, docs, terms)
    scored = []
    for doc in docs:
        why, score = scorer.score(doc, span)
        score += 0.5 * found[doc["id"]]
        if doc["id"] in links:
            score += WEIGHTS["link"]
            why.insert(0, links[doc["id"]])
        if vectors is not None:
            sim = vectors.similarity(doc_id, doc["id"])
            if sim is not None:
                score += WEIGHTS["vector"] * max(0.0, sim - 0.4) / 0.6
                if sim >= 0.6:
                    why.append(f"close in meaning ({sim:.2f})")
        scored.append((doc, score, why))
    hits = [_hit(doc, score, why) for doc, score, why in scored]
    hits.sort(key=lambda h: (-h["score"], h["id"]))
    return hits[:limit]


# -- candidates ------------------------------------------------------------------------------
def key_terms(doc: dict[str, Any], searcher: tantivy.Searcher) -> list[tuple[str, str, float]]:
    """(word as written, indexed term, weight) for the document's most distinctive words."""
    n_docs = max(searcher.num_docs, 1)
    counts = Counter(w for w in _WORD.findall((doc.get("title") or "") + " " + (doc.get("text") or "")))
    proper = set(_PROPER.findall(doc.get("text") or "")) | set(_PROPER.findall(doc.get("title") or ""))
    proper |= {n for n in people_names(doc)}
    best: dict[str, tuple[str, float]] = {}
    for word, tf in counts.items():
        if word.lower() in STOPWORDS or len(word) < 3:
            continue
        tokens = TEXT_ANALYZER.analyze(word)
        if len(tokens) != 1:
            continue
        df = searcher.doc_freq("text", tokens[0])
        if df == 0:
            continue
        idf = math.log(1 + n_docs / df)
        weight = (1 + math.log(tf)) * idf * (1.5 if word in proper else 1.0)
        if tokens[0] not in best or best[tokens[0]][1] < weight:
            best[tokens[0]] = (word, weight)
    ranked = sorted(best.items(), key=lambda kv: -kv[1][1])[:KEY_TERMS]
    return [(word, token, weight) for token, (word, weight) in ranked]


def _index_candidates(
    index: SearchIndex,
    searcher: tantivy.Searcher,
    terms: list[tuple[str, str, float]],
    window: tuple[int, int] | None,
    n: int,
) -> list[tuple[str, float]]:
    if not terms:
        return []
    should = [
        (
            tantivy.Occur.Should,
            tantivy.Query.boost_query(tantivy.Query.term_query(index.schema, "text", t), w),
        )
        for _, t, w in terms
    ]
    query = tantivy.Query.boolean_query(should)
    if window:
        low, high = (ordinal_day_number(window[0] - WINDOW_DAYS), ordinal_day_number(window[1] + WINDOW_DAYS))
        rng = tantivy.FieldType.Integer
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, query),
                (tantivy.Occur.Must, tantivy.Query.range_query(index.schema, "not_before", rng, None, high)),
                (tantivy.Occur.Must, tantivy.Query.range_query(index.schema, "not_after", rng, low, None)),
            ]
        )
    result = searcher.search(query, limit=n)
    top = max((score for score, _ in result.hits), default=1.0) or 1.0
    return [(searcher.doc(address)["id"][0], score / top) for score, address in result.hits]


def _links(store: Store, doc_id: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for link in store.links_to(doc_id):
        found[link["src"]] = "replies to it" if link["kind"] == "reply" else LINK_WHY["in"]
    for link in store.links_from(doc_id):
        found.setdefault(link["dst"], "it replies to this" if link["kind"] == "reply" else LINK_WHY["out"])
    found.pop(doc_id, None)
    return found


# -- features --------------------------------------------------------------------------------
def day_span(doc: dict[str, Any]) -> tuple[int, int] | None:
    """The document's date interval as proleptic day ordinals, or None when undated."""
    d = doc.get("date") or {}
    low = day_number(d.get("not_before") or d.get("when"))
    high = day_number(d.get("not_after") or d.get("not_before") or d.get("when"), end=True)
    if low is None:
        return None
    return day_ordinal(low), day_ordinal(max(low, high or low))


def people(doc: dict[str, Any], mentions: bool = True) -> dict[str, str]:
    """Person keys (entity id, and lowercased surname) -> display name: the senders and
    recipients, and with `mentions` the people the text names."""
    found: dict[str, str] = {}
    parties = (doc.get("senders") or []) + (doc.get("recipients") or [])
    named = [(p.get("entity_id"), p.get("name")) for p in parties]
    named += [
        (m.get("entity_id"), m.get("entity_name") or m.get("text"))
        for m in (doc.get("mentions") or [] if mentions else [])
        if m.get("type") == "person"
    ]
    for entity_id, name in named:
        words = [w for w in _PROPER.findall(name or "") if w not in TITLES]
        if not words and not entity_id:
            continue
        display = words[-1] if words else (name or entity_id or "")
        if entity_id:
            found[entity_id] = display
        if words:  # the surname too: one side may be resolved to the authority and the other not
            found.setdefault(words[-1].lower(), display)
    return found


def people_names(doc: dict[str, Any]) -> list[str]:
    return list(people(doc).values())


def _shingles(words: list[str]) -> set[int]:
    return {hash(tuple(words[i : i + SHINGLE])) for i in range(max(0, len(words) - SHINGLE + 1))}


def _content(text: str) -> list[str]:
    return [w for w in (x.lower() for x in _WORD.findall(text)) if w not in STOPWORDS and len(w) > 2]


class Scorer:
    """Rescores candidates against one source document (idf from the candidate set)."""

    def __init__(
        self, source: dict[str, Any], docs: list[dict[str, Any]], terms: list[tuple[str, str, float]]
    ):
        self.source = source
        self.people = people(source)
        self.parties = people(source, mentions=False)
        self.names = {w: wt for w, _, wt in terms if w[:1].isupper() and w not in TITLES}
        self.name_total = sum(self.names.values()) or 1.0
        words = _content(source.get("text") or "")
        self.shingles = _shingles(words)
        bags = [Counter(_content(d.get("text") or "")) for d in docs]
        df = Counter(w for bag in bags for w in bag)
        n = len(docs) + 1
        self.idf = {w: math.log(1 + n / (1 + c)) for w, c in df.items()}
        self.bags = {d["id"]: bag for d, bag in zip(docs, bags, strict=True)}
        self.vector = self._tfidf(Counter(words))

    def _tfidf(self, bag: Counter) -> dict[str, float]:
        vec = {w: (1 + math.log(c)) * self.idf.get(w, math.log(2)) for w, c in bag.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {w: v / norm for w, v in vec.items()}

    def score(self, doc: dict[str, Any], span: tuple[int, int] | None) -> tuple[list[str], float]:
        why: list[str] = []
        score = 0.0
        other_span = day_span(doc)
        if span and other_span:
            gap = max(0, other_span[0] - span[1], span[0] - other_span[1])
            if gap <= WINDOW_DAYS:
                score += WEIGHTS["date"] * (1 - gap / (WINDOW_DAYS + 1))
                why.append("same date window" if gap <= 3 else f"dated {gap} days apart")
        shared_people = list(dict.fromkeys(name for key, name in people(doc).items() if key in self.people))
        text = doc.get("text") or ""
        title = doc.get("title") or ""
        present = set(_PROPER.findall(text)) | set(_PROPER.findall(title))
        shared_names = [w for w in self.names if w in present and w not in shared_people]
        score += WEIGHTS["people"] * min(len(shared_people), 3)
        correspondents = list(
            dict.fromkeys(n for k, n in people(doc, mentions=False).items() if k in self.parties)
        )
        if correspondents and not span:  # undated: the same correspondents stand in for the date window
            score += WEIGHTS["parties"] * min(len(correspondents), 2)
            why.append("same correspondents: " + ", ".join(correspondents[:3]))
        score += WEIGHTS["names"] * sum(self.names[w] for w in shared_names) / self.name_total
        shared = shared_people + shared_names
        if shared:
            why.append("shared: " + ", ".join(shared[:5]))
        words = _content(text)
        other = _shingles(words)
        overlap = len(self.shingles & other) / max(1, min(len(self.shingles), len(other)))
        cosine = sum(v * self.vector.get(w, 0.0) for w, v in self._tfidf(self.bags[doc["id"]]).items())
        if overlap >= 0.3:
            score += WEIGHTS["shingles"] * overlap
            why.append(f"same text ({overlap:.0%} of passages shared)")
        score += WEIGHTS["cosine"] * cosine
        if cosine >= 0.2 and overlap < 0.3:
            why.append(f"text {cosine:.0%} similar")
        return why, score


def _hit(doc: dict[str, Any], score: float, why: list[str]) -> dict[str, Any]:
    coll = doc.get("collection") or {}
    d = doc.get("date") or {}
    return {
        "id": doc["id"],
        "title": doc.get("title"),
        "date": d.get("when") or d.get("not_before"),
        "collection": coll.get("id"),
        "score": round(score, 4),
        "why": why,
    }
