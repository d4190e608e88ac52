"""The search fields, declared once: tantivy schema, query-language names and facets derive from here.

Each `SearchField` is one tantivy field: its kind (which sets the tokenizer and index options),
whether it is stored, the query-language names that reach it (the first is canonical, the rest
are aliases) and the facet it feeds, if any. `build_schema` (the index), `QUERY_FIELDS` (the
parser and compiler) and `FACETS` (facets.py, the web's facet links) are all derived from
`FIELDS`. The fields are filled from a document in `index.index_fields`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import tantivy


class Kind(Enum):
    """How a field is tokenized, indexed and queried."""

    TEXT = "text"  # en_stem words with positions (title, text)
    PAIRS = "pairs"  # whitespace-separated word pairs, presence only (see index.word_pairs)
    NAME = "name"  # names: lowercased, ASCII-folded words with positions
    KEYWORD = "keyword"  # one raw term per value, fast (filters, facets)
    FLAG = "flag"  # a keyword holding "true" or "false"
    INTEGER = "integer"  # an indexed, fast integer (dates as YYYYMMDD, years, sample buckets)
    BYTES = "bytes"  # stored only


TOKENIZERS = {Kind.TEXT: "en_stem", Kind.PAIRS: "whitespace", Kind.NAME: "names"}
TOKENIZERS |= {Kind.KEYWORD: "raw", Kind.FLAG: "raw"}


@dataclass(frozen=True)
class SearchField:
    """One tantivy field and how the query language and the facets reach it."""

    name: str
    kind: Kind
    stored: bool = False
    query: tuple[str, ...] = ()  # query-language names: canonical first, then aliases
    facet: str | None = None  # the facet counting this field's values
    filter: str | None = None  # the query-language name a facet value filters by (default: `query[0]`)
    lowercase: bool = False  # keyword values are lowercased when indexed and when queried
    entities: bool = False  # `field:TYPE:ID` (an id with a colon) finds documents naming that entity
    default_facet: bool = True  # counted unless the caller names the facets it wants
    mentions: str | None = None  # a name field filled from the document's mentions of this type

    @property
    def tokenizer(self) -> str | None:
        return TOKENIZERS.get(self.kind)


# The index fields by name: everything outside this module refers to them through these constants.
ID, TITLE, TEXT, TITLE_PAIRS, TEXT_PAIRS = "id", "title", "text", "title_pairs", "text_pairs"
FROM, TO, PERSON, PLACE, ORG = "from", "to", "person", "place", "org"
COLLECTION, TYPE, CLASSIFICATION, ARCHIVE, PARAPHRASE, ENTITY = (
    "collection",
    "type",
    "classification",
    "archive",
    "paraphrase",
    "entity",
)
SENDER_KW, RECIPIENT_KW, PERSON_KW, PLACE_KW = "sender_kw", "recipient_kw", "person_kw", "place_kw"
NOT_BEFORE, NOT_AFTER, YEAR, SAMPLE, META = "not_before", "not_after", "year", "sample", "meta"

# Declaration order is the order facets are listed in (collection, type, year, classification, ...).
FIELDS: tuple[SearchField, ...] = (
    SearchField(ID, Kind.KEYWORD, stored=True, query=("id",)),
    SearchField(TITLE, Kind.TEXT, stored=True, query=("title",)),
    SearchField(TEXT, Kind.TEXT, stored=True),  # bare words search title and text
    SearchField(TITLE_PAIRS, Kind.PAIRS),
    SearchField(TEXT_PAIRS, Kind.PAIRS),
    SearchField(FROM, Kind.NAME, query=("from", "sender")),
    SearchField(TO, Kind.NAME, query=("to", "recipient")),
    SearchField(PERSON, Kind.NAME, query=("person", "persons"), entities=True, mentions="person"),
    SearchField(PLACE, Kind.NAME, query=("place", "places"), entities=True, mentions="place"),
    SearchField(
        ORG, Kind.NAME, query=("org", "organization", "organisation"), entities=True, mentions="organization"
    ),
    SearchField(COLLECTION, Kind.KEYWORD, query=("collection",), facet="collection"),
    SearchField(TYPE, Kind.KEYWORD, query=("type", "doc_type"), facet="type", lowercase=True),
    SearchField(YEAR, Kind.INTEGER, facet="year", filter="date"),  # the facet is the histogram's top
    SearchField(
        CLASSIFICATION, Kind.KEYWORD, query=("classification",), facet="classification", lowercase=True
    ),
    SearchField(SENDER_KW, Kind.KEYWORD, facet="sender", filter="from"),
    SearchField(RECIPIENT_KW, Kind.KEYWORD, facet="recipient", filter="to"),
    # every person a document names: costs more than all the other facets together
    SearchField(PERSON_KW, Kind.KEYWORD, facet="person", filter="person", default_facet=False),
    SearchField(PLACE_KW, Kind.KEYWORD, facet="place", filter="place"),
    SearchField(ARCHIVE, Kind.KEYWORD, query=("archive",), lowercase=True),
    SearchField(PARAPHRASE, Kind.FLAG, query=("paraphrase",)),
    SearchField(ENTITY, Kind.KEYWORD),  # entity ids of mentions and parties; reached by `entities` fields
    SearchField(NOT_BEFORE, Kind.INTEGER),
    SearchField(NOT_AFTER, Kind.INTEGER),
    SearchField(SAMPLE, Kind.INTEGER),  # 0..999, a stable hash of the id (see index.sample_bucket)
    SearchField(META, Kind.BYTES, stored=True),  # what a hit shows, as JSON
)
BY_NAME: dict[str, SearchField] = {f.name: f for f in FIELDS}

# Annotation fields (`tag:NAME`, `note:WORDS`, `starred:true`): per viewer, so not in the shared
# index. `Archive.search` takes them out of the query (search/annotated.py), resolves them to
# document ids from the store (workspace/annotations.py), and the engine keeps only those ids.
TAG, NOTE, STARRED = "tag", "note", "starred"
ANNOTATION_QUERIES: tuple[str, ...] = (TAG, NOTE, STARRED)

# mention type -> the name field its mentions fill
MENTION_FIELDS: dict[str, str] = {f.mentions: f.name for f in FIELDS if f.mentions}
# `date:`, `before:` and `after:` are ranges over the interval [NOT_BEFORE, NOT_AFTER].
DATE_QUERIES = ("date", "before", "after")
# query-language name (canonical or alias) -> its field
QUERY_FIELDS: dict[str, SearchField] = {name: f for f in FIELDS for name in f.query}
# every canonical query-language field name, for messages and documentation
QUERY_NAMES: tuple[str, ...] = tuple(f.query[0] for f in FIELDS if f.query) + DATE_QUERIES
# facet name -> its field, in display order
FACETS: dict[str, SearchField] = {f.facet: f for f in FIELDS if f.facet}
# the facet counted from the year histogram
YEAR_FACET = next(name for name, f in FACETS.items() if f.kind is Kind.INTEGER)
MAX_OFFSET = 10_000  # deepest page of hits (tantivy allocates offset + limit slots up front)
# word fields -> their word-pair field (see index.word_pairs)
PAIR_FIELDS = {TITLE: TITLE_PAIRS, TEXT: TEXT_PAIRS}


def canonical(name: str) -> str | None:
    """The canonical query-language name for `name` (an alias or a date query), or None."""
    if name in DATE_QUERIES:
        return name
    field = QUERY_FIELDS.get(name)
    return field.query[0] if field else None


def facet_filter(facet: str) -> str:
    """The query-language field a value of `facet` narrows a query by (`sender` -> `from`)."""
    field = FACETS[facet]
    return field.filter or field.query[0]


def build_schema() -> tantivy.Schema:
    """The tantivy schema of FIELDS."""
    sb = tantivy.SchemaBuilder()
    for f in FIELDS:
        if f.kind is Kind.INTEGER:
            sb.add_integer_field(f.name, stored=f.stored, indexed=True, fast=True)
        elif f.kind is Kind.BYTES:
            sb.add_bytes_field(f.name, stored=f.stored, indexed=False)
        elif f.kind in (Kind.KEYWORD, Kind.FLAG, Kind.PAIRS):
            fast = f.kind is not Kind.PAIRS
            sb.add_text_field(
                f.name, stored=f.stored, fast=fast, tokenizer_name=TOKENIZERS[f.kind], index_option="basic"
            )
        else:
            sb.add_text_field(f.name, stored=f.stored, tokenizer_name=TOKENIZERS[f.kind])
    return sb.build()


# Query-side twin of tantivy's built-in en_stem (simple tokenizer, remove_long 40, lowercase, stemmer).
TEXT_ANALYZER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)
# The `names` tokenizer (registered on the index) and its query side.
NAME_ANALYZER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.ascii_fold())
    .build()
)
CUSTOM_TOKENIZERS = {"names": NAME_ANALYZER}  # registered on every opened index


def analyzer(field: SearchField) -> tantivy.TextAnalyzer:
    """The analyzer that turns query text into this field's terms."""
    return NAME_ANALYZER if field.kind is Kind.NAME else TEXT_ANALYZER
