"""The full-text search index: an embedded tantivy index kept beside the store, and its one writer.

The store is the source of truth; the index is rebuilt from it at will. The fields are declared
in schema.py; `index_fields` fills them from a document dict (the export contract): title and
text (en_stem), names, keywords for filters and facets, dates as YYYYMMDD integers, a `sample`
bucket (0-999, a stable hash of the id) that lets the engine estimate and facet large result
sets on a uniform slice, word pairs (see `word_pairs`: a phrase becomes a term query), and a
stored `meta` blob with what a hit shows. Every change goes through an `IndexWriter`.
"""

from __future__ import annotations

import ctypes
import hashlib
import itertools
import operator
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, cast

import orjson
import tantivy

from chancery.authority.names import COMMON_WORDS
from chancery.authority.names import SUFFIXES as NAME_SUFFIXES
from chancery.authority.names import TITLES as NAME_TITLES
from chancery.dates import day_number
from chancery.errors import ChanceryError
from chancery.search.schema import (
    ARCHIVE,
    CLASSIFICATION,
    COLLECTION,
    CUSTOM_TOKENIZERS,
    ENTITY,
    FROM,
    ID,
    MENTION_FIELDS,
    META,
    NOT_AFTER,
    NOT_BEFORE,
    ORG,
    PARAPHRASE,
    PERSON,
    PERSON_KW,
    PLACE,
    PLACE_KW,
    RECIPIENT_KW,
    SAMPLE,
    SENDER_KW,
    TEXT,
    TEXT_ANALYZER,
    TEXT_PAIRS,
    TITLE,
    TITLE_PAIRS,
    TO,
    TYPE,
    YEAR,
    build_schema,
)

SCHEMA_VERSION = "6"  # 6: person forms "Given Surname" and names in footnotes
SAMPLE_BUCKETS = 1000  # `sample` values are 0..999: `sample < k` selects about k/1000 of the documents
PAIR_JOINER = "_"  # never inside a token: the simple tokenizer splits on it
MAX_TOKEN_BYTES = 40  # en_stem's remove_long(40) drops tokens of 40 bytes or more
CACHE_LIMIT = 300_000  # entries in each of the word-pair caches (the 39k-document corpus has 404k
# distinct whitespace-separated chunks; the most frequent 200k are 99.3% of its text)
SIMPLE_ANALYZER = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).build()
ARCHIVE_BY_FORMAT = {"frus-tei": "frus", "frus-text": "frus", "dfat": "dfat", "wilson": "wilson"}
NOTE_SKIP = COMMON_WORDS | NAME_TITLES | {"source", "drafted", "printed", "see", "document", "ibid"}
IndexFields = dict[str, Any]  # field name -> value(s), as tantivy.Document takes them


def sample_bucket(doc_id: str) -> int:
    """A stable, uniform bucket in 0..SAMPLE_BUCKETS-1 for a document id (same in every process)."""
    digest = hashlib.blake2b(doc_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % SAMPLE_BUCKETS


def archive_of(collection: Mapping[str, Any], source_format: str | None) -> str:
    """frus | dfat | wilson | text: from the collection, the reader format or the collection id."""
    if collection.get("archive"):
        return str(collection["archive"])
    if source_format in ARCHIVE_BY_FORMAT:
        return ARCHIVE_BY_FORMAT[source_format]
    cid = (collection.get("id") or "").lower()
    for prefix in ("frus", "dfat", "wilson"):
        if cid.startswith(prefix):
            return prefix
    return "text"


# The 1,000 en_stem terms held by the most documents of the FRUS, DFAT and Wilson corpus (39,356
# documents; each term is in 6.4% of them or more). Word pairs are indexed only where both words
# are among them: a phrase with a rarer word is cheap for the positional phrase query (its rarest
# word bounds the documents whose positions are read), and the pair fields stay small. Changing
# the list changes the index: bump SCHEMA_VERSION.
COMMON_TERMS = frozenset(
    """
of to the and in that for on be with a from it this as by not state is s at would have which
will we if but are should was or been has an no ani other our 2 there govern he depart time
possibl could they had all i such 1 washington their discuss his also 3 some may make view
follow us unit these were present made out general posit secretari more might meet m onli point
now do take one so 4 nation under than question problem subject new can howev matter countri
action about presid use continu import propos between agre up inform what interest consid 5
concern two relat support situat you p suggest develop most report effect into them secur forc
polici over further when telegram believ regard said assist memorandum minist veri polit give
militari agreement both consider after clear see befor hope part well indic first like against
ask need foreign 6 u includ him affair prepar way accept sinc plan must particular without your
year who work while desir mr cours note direct whether result embassi reason effort fact through
public certain provid area refer much even repres ambassador respons go decis express far issu
statement econom then come own last becaus requir 7 did seem request taken line necessari given
dure think immedi great my talk recent same b increas here convers feel good long basi toward
offic soviet order american wish futur term object appear case call oper peopl those involv get
place say help person strong probabl understand receiv press world secret therefor end power
major 8 negoti c me mean 10 chang serious respect establish addit expect want comment thought
although high arrang defens within member know internat alreadi still particip act move three
control author next war until recommend upon special base mani put how repli day hand purpos
remain activ council east complet reach limit offici british program accord doe 9 number
maintain approach where initi abl specif best d rather difficult assur set exist becom right e
prime attitud step rais communist close deal abov aid open tri difficulti opinion larg determin
level visit cannot commit full committe event group confer 11 return bring letter approv avail
consult month find period avoid parti carri current success progress seek too keep attempt peac
final date arm differ least again mind week side done less doubt opportun told either sever
pressur decid mention form re earli 12 back obtain australia felt cablegram add appreci just
measur achiev appropri detail anoth am yet march offer along perhap june few favor better down
essenti lead staff 30 south condit look practic second short past decemb cooper natur care free
face octob januari connect review fulli danger intent london 15 australian itself littl influenc
conclus whole each impress juli administr improv joint instruct basic novemb attack principl
exchang circumst advis among western idea later draft today thus messag reaction assum leav
attach begin septemb leader non caus trade studi permit mission held air april recogn soon hold
forward thing similar text union friend west signific depend turn 20 solut creat various august
paragraph paper februari show chief except off advantag g proceed sourc substanti deleg field
previous unless appar french contribut exampl encourag kingdom element prevent real advanc firm
observ quit suppli stand intend light attent extern greater extent send resolut though affect
sent main evid themselv independ togeth canberra settlement critic territori organiz reduc
confid everi 13 emphas ground china latter stage privat conclud aspect urg near communic four
balanc obvious system adopt entir sure 14 european threat prefer million role small explain
withdraw un announc contain cover prospect alli t left troop factor especi awar repeat oppos 25
stress found central constitut hous relationship altern word 16 separ europ internal record hard
noth north pass equip product vietnam account treati kind readi onc total 18 sign actual fear
someth franc third implement 17 design armi convinc elect capabl republ japan allow materi f
consequ item answer procedur brought strength himself status arriv cost director brief opposit
cabinet serv suffici play prior read servic common almost mutual delay amount provis 000 remark
extrem agenc let head took share protect chines assembl submit morn produc pari start 24
intellig estim definit outsid 19 project anyth strengthen germani nor r deputi consist gain
formal build type diplomat subsequ command insist run undertak 21 technic middl fund local
princip met alway outlin whi commiss longer invit aris handl document associ understood earlier
tell demand five known reserv adequ risk resourc rusk claim weapon financi confidenti industri
contact german 22 oblig york gave congress eastern speak interpret 23 realli individu process
copi aggress extend sens never appli restrict demonstr anti beyond declar chanc asia sincer
movement indonesia 28 examin shall chairman arab lack imposs name moment urgent construct
exercis list train went despit somewhat conduct enough etc mere commonwealth 26 valu origin
execut refus due fail domest realiz japanes degre describ pleas region ussr reflect experi 27
nevertheless tactic promis six top confirm personnel live hour remov file ii export session
presenc strateg moreov man self 1955 prove welcom charg potenti regim eventu nato satisfactori
whatev rang johnson occur seen divis dull failur normal articl uk hostil argument ago nuclear
leadership geneva vote ahead enter occas 29 speech reduct came india implic grant benefit
economi cut fight equal stabil engag respond inde ourselv post vital law prioriti 1958 summari
israel manner task throughout market busi true enabl wide white concept bear prompt men key
conflict counter extens away quick rapid coordin fall frank moscow fair recal join k saw asian
assess proper appoint necess schedul anticip aim 1962 unlik resist rate simpli america de happen
pursu capit popul facil yesterday 1956 financ dear aircraft convey her crisi method settl grow
around contempl troubl willing otherwis 1963 applic h 1960 alon releas whom minut stop home
bilater forthcom neither accomplish pacif abil rule broad absenc indonesian dr social function
1957 civil figur
""".split()
)


class _Stems(dict):
    """Simple-tokenizer token -> its en_stem term, or None where remove_long drops it (a cache)."""

    def __missing__(self, token: str) -> str | None:
        if len(token) >= MAX_TOKEN_BYTES // 4 and len(token.encode()) >= MAX_TOKEN_BYTES:
            stem = None
        else:
            analyzed = TEXT_ANALYZER.analyze(token)
            stem = analyzed[0] if len(analyzed) == 1 else None
        if len(self) < CACHE_LIMIT:  # full: the frequent tokens came first; the rest is computed
            self[token] = stem
        return stem


class _Chunks(dict):
    """Whitespace-separated chunk of text -> (right half of its first term, left half of its last
    term, the pairs inside it); a half is `stem` / `stem_` for a common term, else "". None for a
    chunk without a token (punctuation only), which does not separate its neighbours. A cache."""

    def __missing__(self, chunk: str) -> tuple[str, str, tuple[str, ...]] | None:
        terms = [
            t if t in COMMON_TERMS else None for t in map(_STEMS.__getitem__, SIMPLE_ANALYZER.analyze(chunk))
        ]
        value = None
        if terms:
            inner = tuple(a + PAIR_JOINER + b for a, b in zip(terms, terms[1:], strict=False) if a and b)
            value = (terms[0] or "", terms[-1] + PAIR_JOINER if terms[-1] else "", inner)
        if len(self) < CACHE_LIMIT:
            self[chunk] = value
        return value


_STEMS = _Stems()
_CHUNKS = _Chunks()
_RIGHT, _LEFT, _INNER = operator.itemgetter(0), operator.itemgetter(1), operator.itemgetter(2)
_CONCAT = cast(Callable[[str, str], str], operator.concat)  # on str: C-level, twice as fast as str.__add__


def stems(text: str) -> list[str | None]:
    """The en_stem terms of `text` by position; None where en_stem drops a too-long token.

    en_stem is the simple tokenizer, remove_long(40), lowercase and the English stemmer, token by
    token; so the simple tokenizer's tokens are analysed once each (cached), and a dropped token
    leaves a gap, as it does in tantivy's positions.
    """
    return list(map(_STEMS.__getitem__, SIMPLE_ANALYZER.analyze(text)))


def pair_terms(terms: list[str]) -> list[str]:
    """The indexed pairs among a phrase's consecutive en_stem terms (both in COMMON_TERMS)."""
    pairs = [a + PAIR_JOINER + b for a, b in zip(terms, terms[1:], strict=False)]
    return [
        p for a, b, p in zip(terms, terms[1:], pairs, strict=False) if a in COMMON_TERMS and b in COMMON_TERMS
    ]


def word_pairs(text: str) -> str:
    """The distinct pairs of adjacent en_stem terms of `text` that are both COMMON_TERMS
    ("of_the state_depart ..."), for a whitespace-tokenized field: a phrase of two such words is
    then one term (exact: the words are adjacent in tantivy's positions exactly when the pair is
    there), and a longer phrase needs all its pairs.

    This is most of the cost of a document's index fields, so the per-token work is C-level:
    str.split, a cached lookup per chunk (a whitespace-separated chunk holds whole tokens, so its
    terms are always the same), a concatenation; pairs with an uncommon or too-long word come out
    as "stem", "stem_" or "" and are dropped once deduplicated.
    """
    chunks = list(map(_CHUNKS.__getitem__, text.split()))
    if None in chunks:
        chunks = [c for c in chunks if c is not None]
    pairs: dict[str, None] = dict.fromkeys(map(_CONCAT, map(_LEFT, chunks[:-1]), map(_RIGHT, chunks[1:])))
    inner = list(filter(None, map(_INNER, chunks)))
    if inner:
        pairs.update(dict.fromkeys(itertools.chain.from_iterable(inner)))
    return " ".join([p for p in pairs if PAIR_JOINER in p and p[-1] != PAIR_JOINER])


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


# A run of capitalised words and initials in a footnote: "Phyllis D. Bernau", "S.M. King", "Beam".
_NOTE_NAME = re.compile(r"\b(?:[A-Z]\.\s?)*[A-Z][a-zà-ÿ'’]+(?:[- ](?:[A-Z]\.\s?)*[A-Z][a-zà-ÿ'’]+)*")


def person_forms(name: str) -> list[str]:
    """A person's name and its "Given Surname" short form: 'Andrey Yanuaryevich Vyshinsky' also
    as 'Andrey Vyshinsky', 'Phyllis D. Bernau' as 'Phyllis Bernau', 'Herbert Hoover, Jr.' as
    'Herbert Hoover' (what `person:"Given Surname"` is typed as)."""
    words = [w for w in name.replace(",", " ").split() if w.lower().strip(".") not in NAME_TITLES]
    while words and words[-1].lower().strip(".") in NAME_SUFFIXES:
        words.pop()
    full = [w for w in words if len(w.strip(".")) > 1]
    short = f"{full[0]} {words[-1]}" if len(full) >= 2 and full[0] != words[-1] else ""
    return [name, short] if short and short != name else [name]


def footnote_names(footnotes: list[Mapping[str, Any]]) -> list[str]:
    """Names written in a document's footnotes and source notes (drafters, participants, people
    the editors cite), which its mentions do not cover: runs of capitalised words and initials,
    leading common words dropped."""
    names: list[str] = []
    for note in footnotes:
        for match in _NOTE_NAME.finditer(note.get("text") or ""):
            words = match.group().split()
            while words and words[0].lower().strip(".") in NOTE_SKIP:
                words = words[1:]
            if words:
                names.extend(person_forms(" ".join(words)))
    return names


def index_fields(doc: Mapping[str, Any]) -> IndexFields:
    """The fields one document (an export dict) contributes to the index (see schema.FIELDS)."""
    date = doc.get("date") or {}
    markings = doc.get("markings") or {}
    senders = doc.get("senders") or []
    recipients = doc.get("recipients") or []
    named: dict[str, list[str]] = {f: [] for f in MENTION_FIELDS.values()}  # resolved name, else the text
    written: dict[str, list[str]] = {f: [] for f in MENTION_FIELDS.values()}  # the text as written
    entity_ids = []
    for m in doc.get("mentions") or []:
        entity_ids.append(m.get("entity_id") or "")
        kind = MENTION_FIELDS.get(m.get("type") or "")
        if kind:
            named[kind].append(_clean(m.get("entity_name") or m.get("text")))
            written[kind].append(_clean(m.get("text")))
    sender_names = _unique([_clean(p.get("name")) for p in senders])
    recipient_names = _unique([_clean(p.get("name")) for p in recipients])
    person_names = _unique(named[PERSON] + sender_names + recipient_names)
    person_search = [f for n in person_names + written[PERSON] for f in person_forms(n)]
    person_search += footnote_names(doc.get("footnotes") or [])
    place_names = _unique([_clean(doc.get("place")), *named[PLACE]])
    entity_ids = _unique(entity_ids + [p.get("entity_id") or "" for p in senders + recipients])
    coll = doc.get("collection") or {}
    title, text = doc.get("title") or "", doc.get("text") or ""
    fields: IndexFields = {
        ID: doc["id"],
        SAMPLE: sample_bucket(doc["id"]),
        TITLE: title,
        TEXT: text,
        TITLE_PAIRS: word_pairs(title),
        TEXT_PAIRS: word_pairs(text),
        FROM: sender_names + _unique([_clean(p.get("role")) for p in senders]),
        TO: recipient_names + _unique([_clean(p.get("role")) for p in recipients]),
        PERSON: _unique(person_search),
        PLACE: _unique(place_names + written[PLACE]),
        ORG: _unique(named[ORG] + written[ORG]),
        TYPE: (doc.get("doc_type") or "").lower(),
        CLASSIFICATION: _clean(markings.get("classification")).lower(),
        COLLECTION: coll.get("id") or "",
        ARCHIVE: archive_of(coll, (doc.get("source") or {}).get("format")),
        PARAPHRASE: "true" if markings.get("paraphrase") else "false",
        ENTITY: entity_ids,
        SENDER_KW: sender_names,
        RECIPIENT_KW: recipient_names,
        PERSON_KW: person_names,
        PLACE_KW: place_names,
        META: orjson.dumps(
            {
                "date": date or None,
                "doc_type": doc.get("doc_type"),
                "collection": {"id": coll.get("id"), "title": coll.get("title")},
                "senders": senders,
                "recipients": recipients,
            }
        ),
    }
    not_before = day_number(date.get("not_before") or date.get("when"))
    not_after = day_number(date.get("not_after") or date.get("not_before") or date.get("when"), end=True)
    if not_before is not None:
        fields[NOT_BEFORE] = not_before
        fields[YEAR] = not_before // 10000
        fields[NOT_AFTER] = not_after if not_after is not None and not_after >= not_before else not_before
    return {k: v for k, v in fields.items() if v not in ("", [])}


def _plain(value: Any) -> Any:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else repr(value)


def fields_digest(fields: IndexFields) -> bytes:
    """A digest of a document's index fields (equal fields, equal digest)."""
    return hashlib.blake2b(orjson.dumps(fields, default=_plain), digest_size=16).digest()


POSITION_FILE = "chancery-position"  # the last store change (feed number) the index holds
UNBUILT = -1  # the position of an index being built from scratch (not usable until built)


class IndexBusy(ChanceryError):
    """Another writer (an ingest, a reindex, a catching-up server) holds the index writer lock."""


def _is_lock_busy(exc: BaseException) -> bool:
    return isinstance(exc, ValueError) and "LockBusy" in str(exc)


class SearchIndex:
    """A tantivy index in a directory; open creates it when missing or outdated.

    The directory also holds the position of the store's change feed the index has applied
    (`POSITION_FILE`, replaced atomically after each commit, under the writer lock). A new
    index starts UNBUILT: it must be built from the whole store. An older index without the
    file holds everything before the feed began (position 0).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._finish_swap()
        version_file = self.path / "chancery-schema-version"
        if self.path.exists() and (
            not version_file.exists() or version_file.read_text().strip() != SCHEMA_VERSION
        ):
            shutil.rmtree(self.path)
        self.created = not self.path.exists()
        self.path.mkdir(parents=True, exist_ok=True)
        if self.created:
            _write_atomically(self.path / POSITION_FILE, str(UNBUILT))
        if not version_file.exists():  # written once, atomically: other processes read it at open
            _write_atomically(version_file, SCHEMA_VERSION)
        self.schema = build_schema()
        self.generation = 0  # bumped on every change here: caches keyed on it go stale
        self._open_tantivy()

    def _open_tantivy(self) -> None:
        self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        for name, analyzer in CUSTOM_TOKENIZERS.items():
            self.index.register_tokenizer(name, analyzer)
        self.inode = self.path.stat().st_ino

    def writer(self, threads: int = 1, heap_mb: int = 256) -> IndexWriter:
        """The index's writer (one at a time: tantivy locks the index while it is open)."""
        return IndexWriter(self, threads, heap_mb)

    # -- position in the store's change feed, and whole-index swaps ----------------------------
    def position(self) -> int:
        """The last store change this index holds (UNBUILT: not built yet; read afresh each time)."""
        try:
            return int((self.path / POSITION_FILE).read_text().strip())
        except FileNotFoundError:
            return 0  # written before the change feed: it holds everything older
        except ValueError:
            return UNBUILT

    def set_position(self, seq: int) -> None:
        _write_atomically(self.path / POSITION_FILE, str(seq))

    def reopen_if_replaced(self) -> bool:
        """Follow a swap made by `replace_with` (here or in another process): reopen the directory."""
        try:
            inode = self.path.stat().st_ino
        except FileNotFoundError:
            return False
        if inode == self.inode:
            return False
        self._open_tantivy()
        self.generation += 1
        return True

    def replace_with(self, built: SearchIndex) -> None:
        """Put the index built in `built.path` in place of this one, atomically, then reopen.

        Searchers already open keep reading the old files until they are done (Linux keeps
        unlinked files readable); the old directory is removed afterwards.
        """
        old = self.path.with_name(self.path.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if _exchange(built.path, self.path):
            os.rename(built.path, old)
        else:  # no renameat2: two renames; an open finishes a swap cut short between them
            os.rename(self.path, old)
            os.rename(built.path, self.path)
        shutil.rmtree(old, ignore_errors=True)
        self.reopen_if_replaced()

    def _finish_swap(self) -> None:
        """Finish a swap cut short between its two renames (no live directory, a built one beside)."""
        built = self.path.with_name(self.path.name + ".new")
        if not self.path.exists() and built.exists():
            try:
                ready = int((built / POSITION_FILE).read_text()) != UNBUILT
            except (OSError, ValueError):
                ready = False
            if ready:
                os.rename(built, self.path)

    def apply(self, upserts: list[dict[str, Any]], deletes: list[str], threads: int = 1) -> None:
        """Delete and (re)add documents by id, then commit once."""
        if upserts or deletes:
            self.apply_batches([(upserts, deletes)], threads)

    def apply_batches(
        self, batches: Iterable[tuple[list[dict[str, Any]], list[str]]], threads: int = 2
    ) -> int:
        """Apply (upserts, deletes) batches through one writer and one commit; returns documents added.

        One commit for a whole ingest is far cheaper than one per batch (each commit flushes
        and merges segments); batches keep memory bounded while the writer runs.
        """
        writer = self.writer(threads, heap_mb=128 * threads)
        added = 0
        try:
            for upserts, deletes in batches:
                for doc_id in deletes:
                    writer.delete(doc_id)
                for doc in upserts:
                    writer.add(doc["id"], index_fields(doc))
                added += len(upserts)
            writer.commit()
        finally:
            writer.abandon()
        return added

    def clear(self) -> None:
        writer = self.writer(heap_mb=50)
        writer.delete_all()
        writer.commit()

    def reload_after_commit(self) -> None:
        """See a commit made by this index or by an outside writer (bumps the cache generation)."""
        self.index.reload()
        self.generation += 1

    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()

    def cache_key(self, searcher: tantivy.Searcher) -> tuple[int, int, int]:
        """Identifies the index state a searcher sees (changes here or by another process)."""
        return (self.generation, searcher.num_docs, searcher.num_segments)

    def count(self) -> int:
        return self.searcher().num_docs


class IndexWriter:
    """The one way documents get into a SearchIndex: adds and deletes by id, then one commit.

    Ingest adds each document's ready-made fields as its file is stored; `digests` maps every
    id added with a digest to the digest of the fields it was added with, so that `refresh`
    re-adds only documents whose fields a later rewrite (linking) changed. Nothing is visible
    until `commit`; `abandon` drops what was not committed.
    """

    def __init__(self, index: SearchIndex, threads: int = 1, heap_mb: int = 256) -> None:
        self.index, self.threads, self.heap = index, threads, heap_mb * 1_000_000
        self.writer: tantivy.IndexWriter | None = None
        self.digests: dict[str, bytes] = {}
        self.keys_read: set[str] | None = None

    def _open(self) -> tantivy.IndexWriter:
        if self.writer is None:
            try:
                self.writer = self.index.index.writer(heap_size=self.heap, num_threads=self.threads)
            except ValueError as exc:
                if _is_lock_busy(exc):
                    raise IndexBusy(
                        f"another process (an ingest or a reindex) is writing the search index "
                        f"{self.index.path}: its writer lock {self.index.path / '.tantivy-writer.lock'} "
                        "is held; try again when it has finished"
                    ) from exc
                raise
        return self.writer

    def lock(self, wait: float = 0.0) -> None:
        """Take the index writer lock now, retrying for up to `wait` seconds (else IndexBusy)."""
        deadline = time.monotonic() + wait
        while True:
            try:
                self._open()
                return
            except IndexBusy:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)

    def add(self, doc_id: str, fields: IndexFields, digest: bytes | None = None) -> None:
        """(Re)add one document from its `index_fields`; `digest` (of the fields) is remembered."""
        writer = self._open()
        writer.delete_documents_by_term(ID, doc_id)
        writer.add_document(tantivy.Document(**fields))
        if digest is not None:
            self.digests[doc_id] = digest

    def delete(self, doc_id: str) -> None:
        self._open().delete_documents_by_term(ID, doc_id)

    def delete_all(self) -> None:
        self._open().delete_all_documents()

    def refresh(self, documents: list[dict[str, Any]], changed_keys: Iterable[str] | None = None) -> None:
        """Re-add rewritten documents whose index fields changed.

        `changed_keys`: the only top-level keys the rewrite touched (linking that only fills in
        reference targets passes ["references"]); when `index_fields` reads none of them, the
        fields cannot have changed and are not recomputed.
        """
        if changed_keys is not None and documents and not self._reads(documents[0], changed_keys):
            return
        for doc in documents:
            fields = index_fields(doc)
            digest = fields_digest(fields)
            if self.digests.get(doc["id"]) != digest:
                self.add(doc["id"], fields, digest)

    def _reads(self, doc: dict[str, Any], keys: Iterable[str]) -> bool:
        """Does `index_fields` read any of these keys of a document (probed once, on `doc`)?"""
        if self.keys_read is None:
            probe = _KeysRead(doc)
            index_fields(probe)
            self.keys_read = probe.read
        return ALL_KEYS in self.keys_read or not self.keys_read.isdisjoint(keys)

    def commit(self, position: int | None = None) -> None:
        """Commit what was added and deleted, and let the index's searchers see it.

        `position`: the last store change the index now holds, recorded after the commit and
        before the writer lock is released (so positions only ever follow commits).
        """
        if self.writer is not None:
            writer, self.writer = self.writer, None
            writer.commit()
            writer.wait_merging_threads()
            if position is not None:
                self.index.set_position(position)
            del writer  # releases the writer lock
            self.index.reload_after_commit()
        elif position is not None:
            self.index.set_position(position)

    def abandon(self) -> None:
        """Drop uncommitted additions (and the index lock); nothing is marked done."""
        if self.writer is not None:
            writer, self.writer = self.writer, None
            self.digests.clear()
            writer.rollback()
            writer.wait_merging_threads()


ALL_KEYS = "*"


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # one per process: several may open at once
    with open(temporary, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: this filesystem or kernel cannot
        return False
    raise OSError(errno, os.strerror(errno), str(a))


class _KeysRead(dict[str, Any]):
    """A document dict that notes which top-level keys are read (ALL_KEYS: the whole of it)."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)

    def _everything(self, method: str) -> Any:
        self.read.add(ALL_KEYS)
        return getattr(super(), method)()

    def keys(self) -> Any:
        return self._everything("keys")

    def values(self) -> Any:
        return self._everything("values")

    def items(self) -> Any:
        return self._everything("items")

    def __iter__(self) -> Any:
        return self._everything("__iter__")

    def copy(self) -> dict[str, Any]:
        return self._everything("copy")
