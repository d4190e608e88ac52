"""The store schema, written once: tables and indexes with dialect hooks for SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Dialect:
    """How one database spells the few types and options that differ."""

    name: str
    key: str  # text compared and sorted byte-wise (ids, paths, dates)
    bigint: str
    body: str  # a JSON document body
    serial: str  # an auto-numbered primary key
    nulls_first: str  # in an index column, so NULLs sort as SQLite sorts them
    without_rowid: str  # a table with a natural primary key only
    compression: str = ""  # for the document bodies (PostgreSQL: lz4 when the server has it)


SQLITE = Dialect(
    name="sqlite",
    key="TEXT",
    bigint="INTEGER",
    body="BLOB",
    serial="INTEGER PRIMARY KEY",  # an alias of the rowid: numbered in insertion order
    nulls_first="",  # SQLite sorts NULLs first already
    without_rowid=" WITHOUT ROWID",
)
POSTGRES = Dialect(
    name="postgresql",
    key='TEXT COLLATE "C"',
    bigint="BIGINT",
    body="JSONB",
    serial="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    nulls_first=" NULLS FIRST",
    without_rowid="",
)

TABLES = """
CREATE TABLE IF NOT EXISTS files (
    path {key} PRIMARY KEY, sha256 TEXT NOT NULL, format TEXT, n_documents INTEGER, ingested_at TEXT
);
CREATE TABLE IF NOT EXISTS collections (
    id {key} PRIMARY KEY, archive {key}, title TEXT, body {body} NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    id {key} PRIMARY KEY,
    collection_id {key},
    file_path {key},
    title TEXT,
    doc_type {key},
    date_when {key},
    not_before {key},
    not_after {key},
    ord {bigint},
    body {body}{compression} NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (seq {serial}, doc_id {key} NOT NULL, op TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feed_state (name {key} PRIMARY KEY, value {bigint} NOT NULL){without_rowid};
CREATE TABLE IF NOT EXISTS pending_links (doc_id {key} PRIMARY KEY){without_rowid};
CREATE TABLE IF NOT EXISTS entities (id {key} PRIMARY KEY, type {key}, name TEXT, body {body} NOT NULL);
CREATE TABLE IF NOT EXISTS entity_names (
    norm {key} NOT NULL, entity_id {key} NOT NULL, PRIMARY KEY (norm, entity_id)
){without_rowid};
-- workspace: review -- (entity judgments: chancery/workspace/review.py, chancery/enrich/judgments.py)
CREATE TABLE IF NOT EXISTS entity_judgments (
    id {serial}, kind TEXT NOT NULL, subject {key}, target {key},
    doc_id {key}, start_offset INTEGER, end_offset INTEGER, surface TEXT, names TEXT,
    viewer TEXT, at TEXT NOT NULL, note TEXT, undoes {bigint}
);
-- an entity's authority record and name keys before any judgment touched it (kept when a merge or
-- split first touches it, renewed by `authority load`): undoing a merge or split rebuilds from here
CREATE TABLE IF NOT EXISTS entity_bases (id {key} PRIMARY KEY, body TEXT NOT NULL){without_rowid};
"""
# Columns added after their table shipped: (table, column, type hook) added to older archives.
ADDED_COLUMNS = (("entity_judgments", "undoes", "bigint"),)
# -- workspace: annotations --
# Notes, tags and stars (chancery/workspace/annotations.py): the W3C-shaped annotation as a JSON
# body; the columns pulled out are what listing and visibility filter by.
TABLES += """
CREATE TABLE IF NOT EXISTS annotations (
    id {key} PRIMARY KEY, doc_id {key} NOT NULL, creator {key} NOT NULL, shared_with {key},
    body {body} NOT NULL
);
CREATE INDEX IF NOT EXISTS annotations_doc ON annotations (doc_id);
CREATE INDEX IF NOT EXISTS annotations_creator ON annotations (creator, doc_id);
"""

# -- workspace: lists --
# Named lists of documents: owned by a user, optionally shared with a group; items keep the order
# they were added in. Never touched by ingest (an item whose document is gone is shown as missing).
LISTS = """
CREATE TABLE IF NOT EXISTS lists (
    id {serial}, name TEXT NOT NULL, owner {key} NOT NULL, shared_group {key}, created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS lists_owner_name ON lists (owner, name);
CREATE TABLE IF NOT EXISTS list_items (
    list_id {bigint} NOT NULL, doc_id {key} NOT NULL, position {bigint} NOT NULL,
    added_by TEXT, added_at TEXT NOT NULL, PRIMARY KEY (list_id, doc_id)
);
"""
# -- end workspace: lists --

# -- workspace: accounts --
# Users, groups, API tokens and sessions (only hashes of tokens are kept), the audit log (also the
# failed-login counter) and which collections are private to whom (a collection not listed is public).
ACCOUNTS = """
CREATE TABLE IF NOT EXISTS users (
    name {key} PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT, created_at TEXT NOT NULL
){without_rowid};
CREATE TABLE IF NOT EXISTS "groups" (name {key} PRIMARY KEY, created_at TEXT NOT NULL){without_rowid};
CREATE TABLE IF NOT EXISTS group_members (
    group_name {key} NOT NULL, user_name {key} NOT NULL, PRIMARY KEY (group_name, user_name)
){without_rowid};
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash {key} PRIMARY KEY, user_name {key} NOT NULL, created_at TEXT NOT NULL
){without_rowid};
CREATE TABLE IF NOT EXISTS sessions (
    token_hash {key} PRIMARY KEY, user_name {key} NOT NULL, created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
){without_rowid};
CREATE TABLE IF NOT EXISTS audit_log (
    seq {serial}, at {key} NOT NULL, actor TEXT, action {key} NOT NULL, target {key}, ip {key},
    detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_log_login ON audit_log (action, target, ip, at);
CREATE TABLE IF NOT EXISTS collection_access (
    collection_id {key} PRIMARY KEY, visibility TEXT NOT NULL, group_name {key}
){without_rowid};
"""

LINKS = """
CREATE TABLE IF NOT EXISTS {links} (
    seq {serial}, src {key} NOT NULL, dst {key} NOT NULL, kind TEXT NOT NULL, text TEXT
);
"""

INDEXES = """
CREATE INDEX IF NOT EXISTS files_sha ON files (sha256);
CREATE INDEX IF NOT EXISTS documents_file ON documents (file_path);
CREATE INDEX IF NOT EXISTS documents_collection
    ON documents (collection_id{nulls_first}, ord{nulls_first}, id);
CREATE INDEX IF NOT EXISTS documents_date ON documents (not_before);
CREATE INDEX IF NOT EXISTS entities_type ON entities (type, id);
CREATE INDEX IF NOT EXISTS links_src ON links (src, seq);
CREATE INDEX IF NOT EXISTS links_dst ON links (dst, seq);
CREATE INDEX IF NOT EXISTS changes_doc ON changes (doc_id, seq);
"""

# The columns of each index above: older archives whose index differs have it rebuilt.
INDEX_COLUMNS = {
    "files_sha": ("sha256",),
    "documents_file": ("file_path",),
    "documents_collection": ("collection_id", "ord", "id"),
    "documents_date": ("not_before",),
    "entities_type": ("type", "id"),
    "links_src": ("src", "seq"),
    "links_dst": ("dst", "seq"),
    "changes_doc": ("doc_id", "seq"),
}

# Written by older versions, never read: dropped on opening (harmless on any archive).
DROPPED_TABLES = ("meta",)

# The change feed: every change to a document is a row of `changes` (op upsert | delete), numbered
# in commit order, written in the transaction that makes the change. Each search index records the
# last number it applied and catches up from there. Older archives queued ids in `pending_index`
# (changes the index had not applied yet): opening moves them into `changes` and drops the table.
CHANGE_OPS = ("upsert", "delete")
MIGRATE_PENDING_INDEX = """
INSERT INTO changes (doc_id, op) SELECT doc_id, op FROM pending_index ORDER BY doc_id;
DROP TABLE pending_index;
"""

# Compaction keeps the feed from growing forever: below a horizon it keeps only each document's
# latest change, and no deletions (the document is gone from the store). An index positioned
# before the horizon can no longer replay the feed and is rebuilt from the store instead. The
# horizon is kept in `feed_state`; it never passes the latest change, so that row always stays
# (SQLite numbers a new row max(seq) + 1: deleting the latest would reuse its number).
COMPACT_CHANGES = """
DELETE FROM changes WHERE seq < {h} AND (op = 'delete' OR EXISTS (
    SELECT 1 FROM changes later WHERE later.doc_id = changes.doc_id AND later.seq > changes.seq))
"""
HORIZON = "horizon"  # the feed_state row: changes before it may have been compacted away

# The entities' version: a `feed_state` row raised by one in the transaction of every write to
# `entities` or `entity_names` (authority loads, merges, splits, undoes), so a process holding
# something built from the records (the name-variant table) sees any change, also one that keeps
# their number (a record renamed in place). No row yet (an older archive, none written): 0.
ENTITIES_VERSION = "entities_version"
BUMP_ENTITIES_VERSION = (
    f"INSERT INTO feed_state (name, value) VALUES ('{ENTITIES_VERSION}', 1) "
    "ON CONFLICT (name) DO UPDATE SET value = feed_state.value + 1"
)


def tables(dialect: Dialect) -> str:
    """The CREATE TABLE statements in this dialect."""
    hooks = _hooks(dialect)
    return TABLES.format(**hooks) + links_table(dialect) + LISTS.format(**hooks) + ACCOUNTS.format(**hooks)


def added_columns(dialect: Dialect) -> list[tuple[str, str, str]]:
    """(table, column, type) of the columns older archives may lack, in this dialect."""
    hooks = _hooks(dialect)
    return [(table, column, hooks[hook]) for table, column, hook in ADDED_COLUMNS]


def links_table(dialect: Dialect, name: str = "links") -> str:
    """The CREATE TABLE statement of the links (under another name to rebuild it)."""
    return LINKS.format(links=name, **_hooks(dialect))


def indexes(dialect: Dialect) -> str:
    """The CREATE INDEX statements in this dialect."""
    return INDEXES.format(**_hooks(dialect))


def drops() -> str:
    """Statements removing what older versions created and nothing uses."""
    return "".join(f"DROP TABLE IF EXISTS {name};\n" for name in DROPPED_TABLES)


def _hooks(dialect: Dialect) -> dict[str, str]:
    return {name: value for name, value in asdict(dialect).items() if name != "name"}
