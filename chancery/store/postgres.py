"""The PostgreSQL store: the SQLite store's schema and semantics, with JSONB document bodies.

`PostgresStore("postgresql://user@host/db")` creates its tables if missing. To keep several
archives (or test runs) in one database, name a schema with the `schema` query parameter:
`postgresql://host/db?schema=chancery_test` — it is removed from the libpq URL, created if
missing and made the connection's `search_path`. A libpq `options=-csearch_path%3Dname` URL
works too, but then the schema must already exist. `url` is the given URL, password masked.

Differences from SQLite that callers may notice: JSONB keeps key order normalised (dicts compare
equal, but export key order differs), it cannot hold NUL characters (U+0000; such a document
makes `replace_file` raise and roll back), and floats written in exponent form (1e+16) may come
back as ints. Text columns use the "C" collation so ordering matches SQLite's byte order.
`replace_file` commits with synchronous_commit off (a crash may lose the last files, never
half a file; their file records go too, so the next ingest redoes them). Each store keeps a
small pool of connections (`pgpool`: $CHANCERY_PG_CONNECTIONS, default 4; a thread waits at most
$CHANCERY_PG_WAIT seconds, default 30, for one), so a server's concurrent requests do not queue
behind one connection; a dropped connection is replaced.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import psycopg
from psycopg import sql
from psycopg.types.json import set_json_loads

from chancery.errors import ChanceryError
from chancery.store import schema as ddl
from chancery.store.accounts import AccountsStore, Statement
from chancery.store.base import (
    CollectionData,
    DocumentData,
    EntityData,
    FileRecord,
    Link,
    LinkTriple,
    ReplaceResult,
    Serialized,
    as_serialized,
    document_row,
    link_of,
)
from chancery.store.pgpool import Pool
from chancery.store.workspace import WorkspaceStore

# Bodies are fetched this many at a time when iterating, so the connection stays free between
# chunks (callers may write while they iterate, as they can with SQLite).
FETCH_CHUNK = 1000
CONNECTIONS = 4  # per store (process), unless $CHANCERY_PG_CONNECTIONS says otherwise
WAIT = 30.0  # seconds a thread waits for a connection, unless $CHANCERY_PG_WAIT says otherwise

_DOC_COLUMNS = "id, collection_id, file_path, title, doc_type, date_when, not_before, not_after, ord, body"
_UPSERT_DOCS = f"""
INSERT INTO documents ({_DOC_COLUMNS})
SELECT id, collection_id, file_path, title, doc_type, date_when, not_before, not_after, ord, body::jsonb
FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[],
            %b::text[], %b::bigint[], %b::text[])
    AS t(id, collection_id, file_path, title, doc_type, date_when, not_before, not_after, ord, body)
ON CONFLICT (id) DO UPDATE SET
    collection_id = excluded.collection_id, file_path = excluded.file_path, title = excluded.title,
    doc_type = excluded.doc_type, date_when = excluded.date_when, not_before = excluded.not_before,
    not_after = excluded.not_after, ord = excluded.ord, body = excluded.body
WHERE documents.body IS DISTINCT FROM excluded.body OR documents.file_path IS DISTINCT FROM excluded.file_path
    OR documents.ord IS DISTINCT FROM excluded.ord
"""
_UPDATE_DOCS = """
UPDATE documents d SET title = t.title, doc_type = t.doc_type, date_when = t.date_when,
    not_before = t.not_before, not_after = t.not_after, body = t.body::jsonb
FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[])
    AS t(id, title, doc_type, date_when, not_before, not_after, body)
WHERE d.id = t.id
"""
# Change numbers are drawn under a transaction-level lock held until commit, so they are
# committed in order: a reader that sees change N has seen every change before it.
_FEED_LOCK = "SELECT pg_advisory_xact_lock(hashtext('chancery.changes'))"
_FEED = """
INSERT INTO changes (doc_id, op) SELECT doc_id, op FROM unnest(%b::text[], %b::text[])
    WITH ORDINALITY AS t(doc_id, op, n) ORDER BY n
"""
_PENDING_LINKS = """
INSERT INTO pending_links (doc_id) SELECT * FROM unnest(%b::text[]) ON CONFLICT DO NOTHING
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _columns(rows: list[tuple[Any, ...]], n: int) -> list[list[Any]]:
    """Transpose rows into `n` column lists (the arrays `unnest` takes)."""
    return [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in range(n)]


def _last_by_id(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One document per id, the last one given winning (as INSERT OR REPLACE does in SQLite)."""
    return list({d["id"]: d for d in documents}.values())


def split_url(url: str) -> tuple[str, str | None, str]:
    """(libpq URL without `schema`, schema or None, URL for display with the password masked)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [v for k, v in query if k == "schema"]
    schema = schemas[-1] if schemas else None
    if schema == "":
        raise ValueError(f"empty schema name in {url!r}")
    conninfo = urlunsplit(parts._replace(query=urlencode([(k, v) for k, v in query if k != "schema"])))
    shown = parts
    if parts.password is not None:
        host = parts.netloc.rpartition("@")[2]
        shown = parts._replace(netloc=f"{parts.username or ''}:***@{host}")
    return conninfo, schema, urlunsplit(shown)


class PostgresStore(WorkspaceStore, AccountsStore):
    """Documents, collections, entities and links in PostgreSQL tables (a pool of connections)."""

    def __init__(self, url: str, connections: int | None = None, wait: float | None = None) -> None:
        self._conninfo, self.schema, self.url = split_url(url)
        size = connections or int(os.environ.get("CHANCERY_PG_CONNECTIONS") or CONNECTIONS)
        wait = wait if wait is not None else float(os.environ.get("CHANCERY_PG_WAIT") or WAIT)
        conn = self._connect(create_schema=True)
        self.pool = Pool(lambda: self._connect(), size, wait, self.url, first=conn)

    def _connect(self, create_schema: bool = False) -> psycopg.Connection:
        """A new connection in autocommit mode, bodies decoded by orjson, on the archive's schema
        (created with the tables, when `create_schema`)."""
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True)
        except psycopg.OperationalError as exc:
            raise psycopg.OperationalError(f"cannot connect to PostgreSQL at {self.url}: {exc}") from exc
        set_json_loads(orjson.loads, conn)
        if not create_schema:
            if self.schema:
                conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            return conn
        with conn.transaction():
            # Serialise schema creation: concurrent CREATE ... IF NOT EXISTS can still collide.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('chancery.schema'))")
            if self.schema:
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
                conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            # lz4 compresses the (TOASTed) document bodies much faster than the default pglz.
            lz4 = conn.execute(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
            ).fetchone()
            dialect = replace(ddl.POSTGRES, compression=" COMPRESSION lz4" if lz4 and lz4[0] else "")
            conn.execute(ddl.drops() + ddl.tables(dialect) + ddl.indexes(dialect))
            for table, column, type_ in ddl.added_columns(dialect):  # on older archives
                conn.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {type_}")
            older = conn.execute("SELECT to_regclass('pending_index') IS NOT NULL").fetchone()
            if older and older[0]:  # an older archive: its index queue joins the change feed
                conn.execute(ddl.MIGRATE_PENDING_INDEX)
        return conn

    @property
    def conn(self) -> _Statements:
        """Run one statement on a pooled connection: `store.conn.execute(query).fetchall()`."""
        return _Statements(self)

    # -- files and documents -------------------------------------------------------------
    def file_record(self, path: str) -> FileRecord | None:
        row = self._one(
            "SELECT path, sha256, format, n_documents, ingested_at FROM files WHERE path = %s", path
        )
        return FileRecord(*row) if row else None

    def files_with_sha(self, sha256: str) -> list[FileRecord]:
        rows = self._all(
            "SELECT path, sha256, format, n_documents, ingested_at FROM files WHERE sha256 = %s", sha256
        )
        return [FileRecord(*row) for row in rows]

    def replace_file(
        self,
        path: str,
        sha256: str,
        format: str,
        collections: list[CollectionData],
        documents: list[DocumentData] | list[Serialized],
    ) -> ReplaceResult:
        rows = as_serialized(documents)
        new_set = {d.id for d in rows}
        try:
            return self._replace_file(path, sha256, format, collections, rows, new_set)
        except psycopg.DataError as exc:
            exc.add_note(f"while storing {path} in PostgreSQL (which cannot hold NUL characters)")
            raise

    def _replace_file(
        self,
        path: str,
        sha256: str,
        format: str,
        collections: list[CollectionData],
        documents: list[Serialized],
        new_set: set[str],
    ) -> ReplaceResult:
        with self._transaction(pipeline=True) as cur:
            # Losing this commit in a server crash is harmless: the file record goes with it, so
            # the next ingest stores the file again. Saves a WAL flush per file (as SQLite's
            # synchronous=NORMAL does); other writes stay fully durable.
            cur.connection.execute("SET LOCAL synchronous_commit = off")
            with cur.connection.cursor() as cur1, cur.connection.cursor() as cur2:
                cur1.execute("SELECT id FROM documents WHERE file_path = %s", (path,))
                cur2.execute("SELECT id FROM documents WHERE id = ANY(%b::text[])", (list(new_set),))
                old = {r[0] for r in cur1.fetchall()}
                existing = {r[0] for r in cur2.fetchall()}
            gone = sorted(old - new_set)
            if gone:
                cur.execute("DELETE FROM documents WHERE id = ANY(%b::text[])", (gone,))
                cur.execute("DELETE FROM links WHERE src = ANY(%b::text[])", (gone,))
            if collections:
                colls = list({c["id"]: c for c in collections}.values())
                cur.execute(
                    "INSERT INTO collections (id, archive, title, body) "
                    "SELECT id, archive, title, body::jsonb "
                    "FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[]) AS t(id, archive, title, body) "
                    "ON CONFLICT (id) DO UPDATE SET archive = excluded.archive, title = excluded.title, "
                    "body = excluded.body WHERE collections.body IS DISTINCT FROM excluded.body",
                    _columns([(c["id"], c.get("archive"), c.get("title"), _dumps(c)) for c in colls], 4),
                )
            last = {d.id: d for d in documents}.values()  # the last one given wins, as in SQLite
            rows = [document_row(d, path, d.body.decode()) for d in last]
            if rows:
                cur.execute(_UPSERT_DOCS, _columns(rows, 10))
            upserts = list({d.id: None for d in documents})
            ops = [(i, "delete") for i in gone] + [(i, "upsert") for i in upserts]
            if upserts:
                cur.execute(_PENDING_LINKS, (upserts,))
            if ops:
                cur.execute(_FEED_LOCK)
                cur.execute(_FEED, _columns(ops, 2))
            cur.execute(
                "INSERT INTO files (path, sha256, format, n_documents, ingested_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, "
                "format = excluded.format, n_documents = excluded.n_documents, "
                "ingested_at = excluded.ingested_at",
                (path, sha256, format, len(documents), _now()),
            )
        return ReplaceResult(added=len(new_set - existing), replaced=len(existing), removed=len(gone))

    def update_documents(self, documents: list[DocumentData]) -> None:
        if not documents:
            return
        docs = _last_by_id(documents)
        rows = [
            (
                d["id"],
                d.get("title"),
                d.get("doc_type"),
                (d.get("date") or {}).get("when"),
                (d.get("date") or {}).get("not_before"),
                (d.get("date") or {}).get("not_after"),
                _dumps(d),
            )
            for d in docs
        ]
        with self._transaction() as cur:
            cur.execute(_UPDATE_DOCS, _columns(rows, 7))
            cur.execute(_FEED_LOCK)
            cur.execute(_FEED, [[d["id"] for d in docs], ["upsert"] * len(docs)])

    def document(self, doc_id: str) -> DocumentData | None:
        row = self._one("SELECT body FROM documents WHERE id = %s", doc_id)
        return row[0] if row else None

    def documents(self, doc_ids: Iterable[str]) -> list[DocumentData]:
        ids = list(doc_ids)
        found = self._bodies("documents", ids)
        return [found[i] for i in ids if i in found]

    def iter_documents(self, collection_id: str | None = None) -> Iterator[DocumentData]:
        if collection_id:
            ids = self._ids(
                "SELECT id FROM documents WHERE collection_id = %s ORDER BY ord NULLS FIRST, id",
                collection_id,
            )
        else:
            ids = self._ids(
                "SELECT id FROM documents ORDER BY collection_id NULLS FIRST, ord NULLS FIRST, id"
            )
        yield from self._iter_bodies("documents", ids)

    def document_ids(self) -> list[str]:
        return self._ids("SELECT id FROM documents ORDER BY id")

    def document_paths(self, doc_ids: Iterable[str]) -> dict[str, str]:
        ids = list(doc_ids)
        found: dict[str, str] = {}
        for i in range(0, len(ids), FETCH_CHUNK):
            found.update(
                self._all(
                    "SELECT id, file_path FROM documents WHERE id = ANY(%b::text[])", ids[i : i + FETCH_CHUNK]
                )
            )
        return found

    def document_order(self) -> list[tuple[str, str | None]]:
        return [
            (r[0], r[1])
            for r in self._all(
                "SELECT id, collection_id FROM documents ORDER BY collection_id NULLS FIRST, ord NULLS FIRST, id"
            )
        ]

    def count_documents(self) -> int:
        return self._count("documents")

    # -- collections ---------------------------------------------------------------------
    def collection(self, collection_id: str) -> CollectionData | None:
        row = self._one("SELECT body FROM collections WHERE id = %s", collection_id)
        return row[0] if row else None

    def collections(self) -> list[CollectionData]:
        rows = self._all(
            "SELECT c.body, count(d.id) FROM collections c LEFT JOIN documents d "
            "ON d.collection_id = c.id GROUP BY c.id ORDER BY c.id"
        )
        out = []
        for body, count in rows:
            body["document_count"] = count
            out.append(body)
        return out

    # -- change feed and pending links -------------------------------------------------------
    def last_change(self) -> int:
        return int(self._row("SELECT coalesce(max(seq), 0) FROM changes")[0])

    def changes_since(self, seq: int, limit: int | None = None) -> list[tuple[int, str, str]]:
        rows = self._all(
            "SELECT seq, doc_id, op FROM changes WHERE seq > %s ORDER BY seq LIMIT %s", seq, limit
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def feed_horizon(self) -> int:
        row = self._one("SELECT value FROM feed_state WHERE name = %s", ddl.HORIZON)
        return int(row[0]) if row else 0

    def compact_changes(self, horizon: int) -> int:
        with self._transaction() as cur:
            cur.execute(_FEED_LOCK)  # no change is numbered meanwhile
            cur.execute("SELECT coalesce(max(seq), 0) FROM changes")
            last = int(cur.fetchone()[0])  # type: ignore[index]
            cur.execute("SELECT value FROM feed_state WHERE name = %s", (ddl.HORIZON,))
            row = cur.fetchone()
            horizon = min(horizon, last)
            if horizon <= (int(row[0]) if row else 0):
                return 0
            cur.execute(ddl.COMPACT_CHANGES.format(h="%s"), (horizon,))
            removed = cur.rowcount
            cur.execute(
                "INSERT INTO feed_state (name, value) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (ddl.HORIZON, horizon),
            )
        return removed

    def pending_links(self) -> list[str]:
        return self._ids("SELECT doc_id FROM pending_links ORDER BY doc_id")

    def clear_pending_links(self, doc_ids: Iterable[str]) -> None:
        with self._transaction() as cur:
            cur.execute("DELETE FROM pending_links WHERE doc_id = ANY(%b::text[])", (list(doc_ids),))

    # -- entities --------------------------------------------------------------------------
    def put_entities(self, entities: list[EntityData], names: list[tuple[str, str]]) -> None:
        rows = [(e["id"], e["type"], e["name"], _dumps(e)) for e in _last_by_id(entities)]
        if not rows and not names:
            return
        with self._transaction() as cur:
            if rows:
                cur.execute(
                    "INSERT INTO entities (id, type, name, body) SELECT id, type, name, body::jsonb "
                    "FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[]) AS t(id, type, name, body) "
                    "ON CONFLICT (id) DO UPDATE SET type = excluded.type, name = excluded.name, "
                    "body = excluded.body",
                    _columns(rows, 4),
                )
            if names:
                cur.execute(
                    "INSERT INTO entity_names (norm, entity_id) SELECT * FROM unnest(%b::text[], %b::text[]) "
                    "ON CONFLICT DO NOTHING",
                    _columns([tuple(n) for n in names], 2),
                )
            cur.execute(ddl.BUMP_ENTITIES_VERSION)

    def entity(self, entity_id: str) -> EntityData | None:
        row = self._one("SELECT body FROM entities WHERE id = %s", entity_id)
        return row[0] if row else None

    def entities_by_name(self, norm_name: str) -> list[EntityData]:
        rows = self._all(
            "SELECT e.body FROM entity_names n JOIN entities e ON e.id = n.entity_id WHERE n.norm = %s",
            norm_name,
        )
        return [r[0] for r in rows]

    def iter_entities(self, type: str | None = None) -> Iterator[EntityData]:
        if type:
            ids = self._ids("SELECT id FROM entities WHERE type = %s ORDER BY id", type)
        else:
            ids = self._ids("SELECT id FROM entities ORDER BY id")
        yield from self._iter_bodies("entities", ids)

    def count_entities(self) -> int:
        """The number of entities (a count(*): what changed is told by `entities_version`)."""
        return self._count("entities")

    # -- links -------------------------------------------------------------------------------
    def put_links(self, src_id: str, links: list[LinkTriple]) -> None:
        with self._transaction() as cur:
            cur.execute("DELETE FROM links WHERE src = %s", (src_id,))
            if links:
                dsts, kinds, texts = _columns([tuple(link) for link in links], 3)
                cur.execute(
                    "INSERT INTO links (src, dst, kind, text) "
                    "SELECT %s, dst, kind, text FROM unnest(%b::text[], %b::text[], %b::text[]) WITH ORDINALITY "
                    "AS t(dst, kind, text, n) ORDER BY n",
                    (src_id, dsts, kinds, texts),
                )

    def put_links_many(self, batch: list[tuple[str, list[LinkTriple]]]) -> None:
        last = dict(batch)  # a source given twice keeps its last links, as with put_links
        if not last:
            return
        rows = [(src, *link) for src, links in last.items() for link in links]
        with self._transaction() as cur:
            cur.execute("DELETE FROM links WHERE src = ANY(%b::text[])", (list(last),))
            if rows:
                cur.execute(
                    "INSERT INTO links (src, dst, kind, text) "
                    "SELECT src, dst, kind, text FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[]) "
                    "WITH ORDINALITY AS t(src, dst, kind, text, n) ORDER BY n",
                    _columns(rows, 4),
                )

    def links_from(self, doc_id: str) -> list[Link]:
        return self._links("SELECT src, dst, kind, text FROM links WHERE src = %s ORDER BY seq", doc_id)

    def links_to(self, doc_id: str) -> list[Link]:
        return self._links("SELECT src, dst, kind, text FROM links WHERE dst = %s ORDER BY seq", doc_id)

    # -- summary -----------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        by_archive = dict(
            self._all(
                "SELECT coalesce(c.archive, 'unknown'), count(*) FROM documents d "
                "LEFT JOIN collections c ON c.id = d.collection_id GROUP BY 1 ORDER BY 1"
            )
        )
        by_type = dict(
            self._all(
                "SELECT coalesce(doc_type, 'unknown'), count(*) FROM documents GROUP BY 1 "
                "ORDER BY 2 DESC, 1 LIMIT 15"
            )
        )
        counts = self._row(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM files), "
            "(SELECT count(*) FROM collections), (SELECT count(*) FROM entities), "
            "(SELECT count(*) FROM links), (SELECT coalesce(max(seq), 0) FROM changes), "
            "(SELECT count(*) FROM pending_links), "
            "(SELECT min(not_before) FROM documents), (SELECT max(not_after) FROM documents)"
        )
        documents, files, collections, entities, links, last_change, pending_links, first, last = counts
        return {
            "documents": documents,
            "files": files,
            "collections": collections,
            "entities": entities,
            "links": links,
            "last_change": last_change,
            "pending_links": pending_links,
            "by_archive": by_archive,
            "by_type": by_type,
            "date_range": [first, last],
        }

    def backup(self, target: str) -> None:
        raise ChanceryError(
            "a PostgreSQL archive is backed up with pg_dump: "
            f"pg_dump -Fc -f {target} DATABASE (docs/deploy.md)"
        )

    def close(self) -> None:
        self.pool.close()

    # -- helpers -------------------------------------------------------------------------------
    def _transaction(self, pipeline: bool = False) -> _Transaction:
        return _Transaction(self, pipeline)

    def _sql_rows(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._all(query.replace("?", "%s"), *params)

    def _sql_write(self, statements: list[Statement]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        with self._transaction() as cur:
            for query, params in statements:
                cur.execute(query.replace("?", "%s"), tuple(params))
                if cur.description is not None:
                    rows += cur.fetchall()
        return rows

    _BODY_PARAM = "CAST(? AS jsonb)"

    def _body_value(self, body: Any) -> Any:
        return _dumps(body)

    def _one(self, query: str, *params: Any) -> tuple[Any, ...] | None:
        with self.pool.connection() as conn:
            return conn.execute(query, params or None).fetchone()

    def _row(self, query: str, *params: Any) -> tuple[Any, ...]:
        row = self._one(query, *params)
        assert row is not None, "an aggregate query returns one row"
        return row

    def _count(self, table: str) -> int:
        return int(self._row(f"SELECT count(*) FROM {table}")[0])

    def _all(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.pool.connection() as conn:
            return conn.execute(query, params or None).fetchall()

    def _ids(self, query: str, *params: Any) -> list[str]:
        return [r[0] for r in self._all(query, *params)]

    def _bodies(self, table: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        query = sql.SQL("SELECT id, body FROM {} WHERE id = ANY(%b::text[])").format(sql.Identifier(table))
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(ids), FETCH_CHUNK):
            with self.pool.connection() as conn:
                found.update(conn.execute(query, (ids[i : i + FETCH_CHUNK],)).fetchall())
        return found

    def _iter_bodies(self, table: str, ids: list[str]) -> Iterator[dict[str, Any]]:
        for i in range(0, len(ids), FETCH_CHUNK):
            chunk = ids[i : i + FETCH_CHUNK]
            found = self._bodies(table, chunk)
            yield from (found[doc_id] for doc_id in chunk if doc_id in found)

    def _links(self, query: str, doc_id: str) -> list[Link]:
        return [link_of(*r) for r in self._all(query, doc_id)]


class _Statements:
    """`store.conn.execute(query, params)`: one statement on a pooled connection, its rows fetched
    (tests and tools that query the database directly)."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store

    def execute(self, query: Any, params: Any = None) -> _Rows:
        with self.store.pool.connection() as conn:
            cur = conn.execute(query, params)
            return _Rows(cur.fetchall() if cur.description else [])


class _Rows(list[tuple[Any, ...]]):
    """Fetched rows with the cursor calls callers use."""

    def fetchone(self) -> tuple[Any, ...] | None:
        return self[0] if self else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self)


# -- workspace: lists --
class _Transaction:
    """`with store._transaction() as cur:` — one transaction on a pooled connection held until it
    ends, optionally in pipeline mode (statements are sent without waiting; fetching a result syncs)."""

    def __init__(self, store: PostgresStore, pipeline: bool = False) -> None:
        self.store = store
        self.stack = ExitStack()
        self.pipeline = pipeline

    def __enter__(self) -> psycopg.Cursor:
        with ExitStack() as stack:
            conn = stack.enter_context(self.store.pool.connection())
            if self.pipeline:
                stack.enter_context(conn.pipeline())
            stack.enter_context(conn.transaction())
            cur = stack.enter_context(conn.cursor())
            self.stack = stack.pop_all()
        return cur

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self.stack.__exit__(exc_type, exc, tb)  # never suppresses: the transaction re-raises
