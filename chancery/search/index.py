"""The full-text search index: an embedded tantivy index kept beside the store.

The store is the source of truth; the index is rebuilt from it at will. `SearchIndex.apply`
takes document dicts (the export contract) and deletions, and commits once per batch.
Fields: `title`/`text` (en_stem), name fields `from`/`to`/`person`/`place` (lowercased,
ASCII-folded words), keyword fields for filters and facets (raw, fast), dates as YYYYMMDD
integers (`not_before`/`not_after`, fast), a `sample` bucket (0-999, a stable hash of the id,
fast) that lets the engine estimate and facet large result sets on a uniform slice, word pairs
`title_pairs`/`text_pairs` (see `word_pairs`: a phrase becomes a term query), and a stored
`meta` blob with what a hit shows.
"""

from __future__ import annotations

import hashlib
import itertools
import operator
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import tantivy

SCHEMA_VERSION = "4"
NAME_FIELDS = ("from", "to", "person", "place")
KEYWORD_FIELDS = ("type", "classification", "collection", "archive", "paraphrase", "entity")
FACET_FIELDS = ("sender_kw", "recipient_kw", "person_kw", "place_kw")
DATE_FIELDS = ("not_before", "not_after", "year")
SAMPLE_BUCKETS = 1000  # `sample` values are 0..999: `sample < k` selects about k/1000 of the documents
PAIR_FIELDS = {"title": "title_pairs", "text": "text_pairs"}  # en_stem field -> its word-pair field
PAIR_JOINER = "_"  # never inside a token: the simple tokenizer splits on it
MAX_TOKEN_BYTES = 40  # en_stem's remove_long(40) drops tokens of 40 bytes or more
CACHE_LIMIT = 300_000  # entries in each of the word-pair caches (the 39k-document corpus has 404k
# distinct whitespace-separated chunks; the most frequent 200k are 99.3% of its text)

# Query-side twin of tantivy's built-in en_stem (simple tokenizer, remove_long 40, lowercase, stemmer).
TEXT_ANALYZER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)
NAME_ANALYZER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.ascii_fold())
    .build()
)
SIMPLE_ANALYZER = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).build()
ARCHIVE_BY_FORMAT = {"frus-tei": "frus", "frus-text": "frus", "dfat": "dfat", "wilson": "wilson"}


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", fast=True)
    sb.add_text_field("title", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("text", stored=True, tokenizer_name="en_stem")
    for name in PAIR_FIELDS.values():
        sb.add_text_field(name, stored=False, tokenizer_name="whitespace", index_option="basic")
    for name in NAME_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name="names")
    for name in KEYWORD_FIELDS + FACET_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name="raw", fast=True, index_option="basic")
    for name in DATE_FIELDS + ("sample",):
        sb.add_integer_field(name, stored=False, indexed=True, fast=True)
    sb.add_bytes_field("meta", stored=True, indexed=False)
    return sb.build()


def day_number(iso: str | None, end: bool = False) -> int | None:
    """An ISO date (year, month or day precision; time ignored) as YYYYMMDD, or None."""
    if not iso or len(iso) < 4 or not iso[:4].isdigit():
        return None
    parts = iso[:10].split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 and parts[1] else (12 if end else 1)
        day = int(parts[2]) if len(parts) > 2 and parts[2] else (31 if end else 1)
    except ValueError:
        return None
    return year * 10000 + month * 100 + day


def sample_bucket(doc_id: str) -> int:
    """A stable, uniform bucket in 0..SAMPLE_BUCKETS-1 for a document id (same in every process)."""
    digest = hashlib.blake2b(doc_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % SAMPLE_BUCKETS


def archive_of(doc: dict[str, Any]) -> str:
    """frus | dfat | wilson | text: from the collection, the reader format or the id prefix."""
    coll = doc.get("collection") or {}
    if coll.get("archive"):
        return str(coll["archive"])
    fmt = (doc.get("source") or {}).get("format") or ""
    if fmt in ARCHIVE_BY_FORMAT:
        return ARCHIVE_BY_FORMAT[fmt]
    cid = (coll.get("id") or "").lower()
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
    pairs = dict.fromkeys(map(operator.concat, map(_LEFT, chunks[:-1]), map(_RIGHT, chunks[1:])))
    inner = list(filter(None, map(_INNER, chunks)))
    if inner:
        pairs.update(dict.fromkeys(itertools.chain.from_iterable(inner)))
    return " ".join([p for p in pairs if PAIR_JOINER in p and p[-1] != PAIR_JOINER])


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def index_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """The fields one document contributes to the index."""
    date = doc.get("date") or {}
    markings = doc.get("markings") or {}
    senders = doc.get("senders") or []
    recipients = doc.get("recipients") or []
    mentions = doc.get("mentions") or []
    sender_names = _unique([_clean(p.get("name")) for p in senders])
    recipient_names = _unique([_clean(p.get("name")) for p in recipients])
    person_names = _unique(
        [_clean(m.get("entity_name") or m.get("text")) for m in mentions if m.get("type") == "person"]
        + sender_names
        + recipient_names
    )
    person_texts = _unique([_clean(m.get("text")) for m in mentions if m.get("type") == "person"])
    place_names = _unique(
        [_clean(doc.get("place"))]
        + [_clean(m.get("entity_name") or m.get("text")) for m in mentions if m.get("type") == "place"]
    )
    place_texts = _unique([_clean(m.get("text")) for m in mentions if m.get("type") == "place"])
    entity_ids = _unique(
        [m.get("entity_id") or "" for m in mentions]
        + [p.get("entity_id") or "" for p in senders + recipients]
    )
    coll = doc.get("collection") or {}
    fields: dict[str, Any] = {
        "id": doc["id"],
        "sample": sample_bucket(doc["id"]),
        "title": doc.get("title") or "",
        "text": doc.get("text") or "",
        "title_pairs": word_pairs(doc.get("title") or ""),
        "text_pairs": word_pairs(doc.get("text") or ""),
        "from": sender_names + _unique([_clean(p.get("role")) for p in senders]),
        "to": recipient_names + _unique([_clean(p.get("role")) for p in recipients]),
        "person": _unique(person_names + person_texts),
        "place": _unique(place_names + place_texts),
        "type": (doc.get("doc_type") or "").lower(),
        "classification": _clean(markings.get("classification")).lower(),
        "collection": coll.get("id") or "",
        "archive": archive_of(doc),
        "paraphrase": "true" if markings.get("paraphrase") else "false",
        "entity": entity_ids,
        "sender_kw": sender_names,
        "recipient_kw": recipient_names,
        "person_kw": person_names,
        "place_kw": place_names,
        "meta": orjson.dumps(
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
        fields["not_before"] = not_before
        fields["year"] = not_before // 10000
        fields["not_after"] = not_after if not_after is not None and not_after >= not_before else not_before
    return {k: v for k, v in fields.items() if v not in ("", [])}


class SearchIndex:
    """A tantivy index in a directory; open creates it when missing or outdated."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        version_file = self.path / "chancery-schema-version"
        if self.path.exists() and (
            not version_file.exists() or version_file.read_text().strip() != SCHEMA_VERSION
        ):
            shutil.rmtree(self.path)
        self.created = not self.path.exists()
        self.path.mkdir(parents=True, exist_ok=True)
        version_file.write_text(SCHEMA_VERSION)
        self.schema = build_schema()
        self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        self.index.register_tokenizer("names", NAME_ANALYZER)
        self.generation = 0  # bumped on every change here: caches keyed on it go stale

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
        writer = None
        added = 0
        for upserts, deletes in batches:
            if writer is None:
                writer = self.index.writer(heap_size=128_000_000 * threads, num_threads=threads)
            for doc_id in deletes:
                writer.delete_documents_by_term("id", doc_id)
            for doc in upserts:
                writer.delete_documents_by_term("id", doc["id"])
                writer.add_document(tantivy.Document(**index_fields(doc)))
            added += len(upserts)
        if writer is not None:
            writer.commit()
            writer.wait_merging_threads()
            self.reload_after_commit()
        return added

    def clear(self) -> None:
        writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        writer.delete_all_documents()
        writer.commit()
        writer.wait_merging_threads()
        self.reload_after_commit()

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

    def search(self, query: str, limit: int = 20, offset: int = 0, **options: Any) -> dict[str, Any]:
        """Search in the Chancery query language (see chancery/search/README-query.md)."""
        from chancery.search.engine import search

        return search(self, query, limit=limit, offset=offset, **options)
