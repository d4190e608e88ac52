"""The embedded SQLite store (the default): one file, WAL journal, JSON document bodies."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

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
from chancery.store.workspace import WorkspaceStore


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SQLiteStore(WorkspaceStore, AccountsStore):
    """Documents, collections, entities and links in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.url = str(self.path)
        # A reader waits for a writer's transaction (one file's rows) rather than failing.
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=60)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=OFF")
        self._create_schema()

    # -- files and documents -------------------------------------------------------------
    def file_record(self, path: str) -> FileRecord | None:
        row = self.conn.execute(
            "SELECT path, sha256, format, n_documents, ingested_at FROM files WHERE path = ?", (path,)
        ).fetchone()
        return FileRecord(*row) if row else None

    def files_with_sha(self, sha256: str) -> list[FileRecord]:
        rows = self.conn.execute(
            "SELECT path, sha256, format, n_documents, ingested_at FROM files WHERE sha256 = ?", (sha256,)
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
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            old = {r[0] for r in cur.execute("SELECT id FROM documents WHERE file_path = ?", (path,))}
            new_ids = [d.id for d in rows]
            existing: set[str] = set()
            for i in range(0, len(new_ids), 500):
                chunk = new_ids[i : i + 500]
                marks = ",".join("?" * len(chunk))
                existing.update(
                    r[0] for r in cur.execute(f"SELECT id FROM documents WHERE id IN ({marks})", chunk)
                )
            gone = old - set(new_ids)
            cur.executemany("DELETE FROM documents WHERE id = ?", [(i,) for i in gone])
            cur.executemany("DELETE FROM links WHERE src = ?", [(i,) for i in gone])
            for coll in collections:
                cur.execute(
                    "INSERT OR REPLACE INTO collections (id, archive, title, body) VALUES (?, ?, ?, ?)",
                    (coll["id"], coll.get("archive"), coll.get("title"), orjson.dumps(coll)),
                )
            cur.executemany(
                "INSERT OR REPLACE INTO documents (id, collection_id, file_path, title, doc_type, "
                "date_when, not_before, not_after, ord, body) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [document_row(d, path, d.body) for d in rows],
            )
            cur.executemany(
                "INSERT INTO changes (doc_id, op) VALUES (?, ?)",
                [(i, "delete") for i in sorted(gone)] + [(i, "upsert") for i in dict.fromkeys(new_ids)],
            )
            cur.executemany(
                "INSERT OR IGNORE INTO pending_links (doc_id) VALUES (?)", [(i,) for i in new_ids]
            )
            cur.execute(
                "INSERT OR REPLACE INTO files (path, sha256, format, n_documents, ingested_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (path, sha256, format, len(documents), _now()),
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return ReplaceResult(added=len(set(new_ids) - existing), replaced=len(existing), removed=len(gone))

    def update_documents(self, documents: list[DocumentData]) -> None:
        with self._transaction() as cur:
            cur.executemany(
                "UPDATE documents SET title = ?, doc_type = ?, date_when = ?, not_before = ?, "
                "not_after = ?, body = ? WHERE id = ?",
                [
                    (
                        d.get("title"),
                        d.get("doc_type"),
                        (d.get("date") or {}).get("when"),
                        (d.get("date") or {}).get("not_before"),
                        (d.get("date") or {}).get("not_after"),
                        orjson.dumps(d),
                        d["id"],
                    )
                    for d in documents
                ],
            )
            cur.executemany(
                "INSERT INTO changes (doc_id, op) VALUES (?, 'upsert')",
                [(i,) for i in dict.fromkeys(d["id"] for d in documents)],
            )

    def document(self, doc_id: str) -> DocumentData | None:
        row = self.conn.execute("SELECT body FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def documents(self, doc_ids: Iterable[str]) -> list[DocumentData]:
        ids = list(doc_ids)
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for doc_id, body in self.conn.execute(
                f"SELECT id, body FROM documents WHERE id IN ({marks})", chunk
            ):
                found[doc_id] = orjson.loads(body)
        return [found[i] for i in ids if i in found]

    def iter_documents(self, collection_id: str | None = None) -> Iterator[DocumentData]:
        if collection_id:
            cur = self.conn.execute(
                "SELECT body FROM documents WHERE collection_id = ? ORDER BY ord, id", (collection_id,)
            )
        else:
            cur = self.conn.execute("SELECT body FROM documents ORDER BY collection_id, ord, id")
        for (body,) in cur:
            yield orjson.loads(body)

    def document_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM documents ORDER BY id")]

    def document_paths(self, doc_ids: Iterable[str]) -> dict[str, str]:
        ids = list(doc_ids)
        found: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                self.conn.execute(f"SELECT id, file_path FROM documents WHERE id IN ({marks})", chunk)
            )
        return found

    def document_order(self) -> list[tuple[str, str | None]]:
        return list(
            self.conn.execute("SELECT id, collection_id FROM documents ORDER BY collection_id, ord, id")
        )

    def count_documents(self) -> int:
        return self.conn.execute("SELECT count(*) FROM documents").fetchone()[0]

    # -- collections ---------------------------------------------------------------------
    def collection(self, collection_id: str) -> CollectionData | None:
        row = self.conn.execute("SELECT body FROM collections WHERE id = ?", (collection_id,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def collections(self) -> list[CollectionData]:
        rows = self.conn.execute(
            "SELECT c.body, count(d.id) FROM collections c LEFT JOIN documents d "
            "ON d.collection_id = c.id GROUP BY c.id ORDER BY c.id"
        )
        out = []
        for body, count in rows:
            coll = orjson.loads(body)
            coll["document_count"] = count
            out.append(coll)
        return out

    # -- change feed and pending links -------------------------------------------------------
    def last_change(self) -> int:
        return self.conn.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]

    def changes_since(self, seq: int, limit: int | None = None) -> list[tuple[int, str, str]]:
        rows = self.conn.execute(
            "SELECT seq, doc_id, op FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, -1 if limit is None else limit),
        )
        return list(rows)

    def feed_horizon(self) -> int:
        row = self.conn.execute("SELECT value FROM feed_state WHERE name = ?", (ddl.HORIZON,)).fetchone()
        return int(row[0]) if row else 0

    def compact_changes(self, horizon: int) -> int:
        with self._transaction() as cur:
            last = cur.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]
            row = cur.execute("SELECT value FROM feed_state WHERE name = ?", (ddl.HORIZON,)).fetchone()
            horizon = min(horizon, last)
            if horizon <= (row[0] if row else 0):
                return 0
            removed = cur.execute(ddl.COMPACT_CHANGES.format(h="?"), (horizon,)).rowcount
            cur.execute(
                "INSERT OR REPLACE INTO feed_state (name, value) VALUES (?, ?)", (ddl.HORIZON, horizon)
            )
        return removed

    def pending_links(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT doc_id FROM pending_links ORDER BY doc_id")]

    def clear_pending_links(self, doc_ids: Iterable[str]) -> None:
        with self._transaction() as cur:
            cur.executemany("DELETE FROM pending_links WHERE doc_id = ?", [(i,) for i in doc_ids])

    # -- entities --------------------------------------------------------------------------
    def put_entities(self, entities: list[EntityData], names: list[tuple[str, str]]) -> None:
        with self._transaction() as cur:
            cur.executemany(
                "INSERT OR REPLACE INTO entities (id, type, name, body) VALUES (?, ?, ?, ?)",
                [(e["id"], e["type"], e["name"], orjson.dumps(e)) for e in entities],
            )
            cur.executemany("INSERT OR IGNORE INTO entity_names (norm, entity_id) VALUES (?, ?)", names)
            if entities or names:
                cur.execute(ddl.BUMP_ENTITIES_VERSION)

    def entity(self, entity_id: str) -> EntityData | None:
        row = self.conn.execute("SELECT body FROM entities WHERE id = ?", (entity_id,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def entities_by_name(self, norm_name: str) -> list[EntityData]:
        rows = self.conn.execute(
            "SELECT e.body FROM entity_names n JOIN entities e ON e.id = n.entity_id WHERE n.norm = ?",
            (norm_name,),
        )
        return [orjson.loads(r[0]) for r in rows]

    def iter_entities(self, type: str | None = None) -> Iterator[EntityData]:
        if type:
            cur = self.conn.execute("SELECT body FROM entities WHERE type = ? ORDER BY id", (type,))
        else:
            cur = self.conn.execute("SELECT body FROM entities ORDER BY id")
        for (body,) in cur:
            yield orjson.loads(body)

    def count_entities(self) -> int:
        return self.conn.execute("SELECT count(*) FROM entities").fetchone()[0]

    # -- links -------------------------------------------------------------------------------
    def put_links(self, src_id: str, links: list[LinkTriple]) -> None:
        with self._transaction() as cur:
            cur.execute("DELETE FROM links WHERE src = ?", (src_id,))
            cur.executemany(
                "INSERT INTO links (src, dst, kind, text) VALUES (?, ?, ?, ?)",
                [(src_id, dst, kind, text) for dst, kind, text in links],
            )

    def put_links_many(self, batch: list[tuple[str, list[LinkTriple]]]) -> None:
        last = dict(batch)  # a source given twice keeps its last links, as with put_links
        with self._transaction() as cur:
            cur.executemany("DELETE FROM links WHERE src = ?", [(src,) for src in last])
            cur.executemany(
                "INSERT INTO links (src, dst, kind, text) VALUES (?, ?, ?, ?)",
                [(src, dst, kind, text) for src, links in last.items() for dst, kind, text in links],
            )

    def links_from(self, doc_id: str) -> list[Link]:
        rows = self.conn.execute(
            "SELECT src, dst, kind, text FROM links WHERE src = ? ORDER BY seq", (doc_id,)
        )
        return [link_of(*r) for r in rows]

    def links_to(self, doc_id: str) -> list[Link]:
        rows = self.conn.execute(
            "SELECT src, dst, kind, text FROM links WHERE dst = ? ORDER BY seq", (doc_id,)
        )
        return [link_of(*r) for r in rows]

    # -- summary -----------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        q = self.conn.execute
        by_archive = dict(
            q(
                "SELECT coalesce(c.archive, 'unknown'), count(*) FROM documents d "
                "LEFT JOIN collections c ON c.id = d.collection_id GROUP BY 1 ORDER BY 1"
            ).fetchall()
        )
        by_type = dict(
            q(
                "SELECT coalesce(doc_type, 'unknown'), count(*) FROM documents GROUP BY 1 "
                "ORDER BY 2 DESC LIMIT 15"
            ).fetchall()
        )
        first, last = q("SELECT min(not_before), max(not_after) FROM documents").fetchone()
        return {
            "documents": self.count_documents(),
            "files": q("SELECT count(*) FROM files").fetchone()[0],
            "collections": q("SELECT count(*) FROM collections").fetchone()[0],
            "entities": self.count_entities(),
            "links": q("SELECT count(*) FROM links").fetchone()[0],
            "last_change": self.last_change(),
            "pending_links": q("SELECT count(*) FROM pending_links").fetchone()[0],
            "by_archive": by_archive,
            "by_type": by_type,
            "date_range": [first, last],
        }

    def backup(self, target: str) -> None:
        """Copy the archive with SQLite's online backup API: one consistent snapshot, while
        readers and an ingest go on; written beside `target` and renamed into place."""
        path = Path(target)
        if path.exists():
            raise ChanceryError(f"{path} already exists; not overwritten")
        part = path.with_name(path.name + ".part")
        part.unlink(missing_ok=True)
        copy = sqlite3.connect(part)
        try:
            self.conn.backup(copy)
        finally:
            copy.close()
        part.rename(path)

    def close(self) -> None:
        self.conn.close()

    # -- helpers -------------------------------------------------------------------------------
    def _create_schema(self) -> None:
        """Create the tables and indexes, first bringing an older archive's schema up to date."""
        self.conn.executescript(ddl.drops())
        if self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'pending_index'").fetchone():
            self.conn.executescript(ddl.tables(ddl.SQLITE))  # older archive: its queue joins the feed
            with self._transaction() as cur:
                for statement in ddl.MIGRATE_PENDING_INDEX.split(";"):
                    if statement.strip():
                        cur.execute(statement)
        links = [r[1] for r in self.conn.execute("PRAGMA table_info(links)")]
        if links and "seq" not in links:  # older archives: links without their insertion number
            with self._transaction() as cur:
                cur.execute(ddl.links_table(ddl.SQLITE, "links_with_seq"))
                cur.execute(
                    "INSERT INTO links_with_seq (seq, src, dst, kind, text) "
                    "SELECT rowid, src, dst, kind, text FROM links ORDER BY rowid"
                )
                cur.execute("DROP TABLE links")
                cur.execute("ALTER TABLE links_with_seq RENAME TO links")
        for table, column, type_ in ddl.added_columns(ddl.SQLITE):
            known = {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")}
            if known and column not in known:
                self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {type_}")
        for name, columns in ddl.INDEX_COLUMNS.items():
            have = tuple(r[2] for r in self.conn.execute(f"PRAGMA index_info({name})"))
            if have and have != columns:  # an older definition: rebuilt below
                self.conn.execute(f"DROP INDEX {name}")
        self.conn.executescript(ddl.tables(ddl.SQLITE) + ddl.indexes(ddl.SQLITE))

    def _transaction(self) -> _Transaction:
        return _Transaction(self.conn)

    def _sql_rows(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(query, tuple(params)).fetchall()

    def _sql_write(self, statements: list[Statement]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        with self._transaction() as cur:
            for query, params in statements:
                rows += cur.execute(query, tuple(params)).fetchall()
        return rows


# -- workspace: lists --
class _Transaction:
    """`with store._transaction() as cur:` — BEGIN IMMEDIATE … COMMIT, or ROLLBACK on error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Cursor:
        self.cur = self.conn.cursor()
        self.cur.execute("BEGIN IMMEDIATE")
        return self.cur

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self.cur.execute("ROLLBACK" if exc_type else "COMMIT")
