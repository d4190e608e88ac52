"""The store's change feed: any number of search indexes (nodes) over one store follow every
change, deletions included, on open, on demand and while serving; a new node builds its index
from the store; older archives' `pending_index` queue joins the feed. Real SQLite, real
PostgreSQL (a fresh schema per test), real processes."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import psycopg
import pytest
from conftest import corpus_path, free_port
from test_ingest_index import index_snapshot
from test_store_contract import PG_URL, with_schema

from chancery.archive import Archive
from chancery.search.index import POSITION_FILE, UNBUILT

SMALL_VOLUME = Path(__file__).parent / "fixtures" / "ingest" / "small-volume.xml"
REAL_VOLUME = "frus1961-63v07-09mSupp.xml.gz"
D2 = "frus9999v01/d2"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL on a fresh schema, dropped afterwards (fails, never skips, without a server)."""
    schema = f"chancery_feed_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is unreachable at {PG_URL} ({exc})", pytrace=False)
    yield with_schema(PG_URL, schema)
    admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "shared.db")
    return str(request.getfixturevalue("pg_url"))


def without_d2(volume: Path) -> None:
    """Rewrite the small volume without its second document (lines 13-17: its div)."""
    lines = SMALL_VOLUME.read_text().splitlines(keepends=True)
    assert 'xml:id="d2"' in lines[12] and lines[16].strip() == "</div>"
    volume.write_text("".join(lines[:12] + lines[17:]))


def indexed_ids(archive: Archive) -> set[str]:
    return set(index_snapshot(archive)["stored"])


def test_nodes_follow_ingests_and_removals_made_elsewhere(db: str, tmp_path: Path) -> None:
    volume = tmp_path / "small.xml"
    shutil.copy(SMALL_VOLUME, volume)
    a = Archive.open(db, tmp_path / "a.index")
    b = Archive.open(db, tmp_path / "b.index")
    report = a.ingest([volume, corpus_path("frus", "volumes", REAL_VOLUME)], workers=1)
    assert report.ok and report.added > 50
    stored = set(a.store.document_ids())
    assert indexed_ids(a) == stored
    assert indexed_ids(b) == set()  # b has not caught up yet
    assert b.stats()["pending_index"] == len(stored)
    assert b.catch_up() == len(stored)
    assert indexed_ids(b) == stored
    assert index_snapshot(b) == index_snapshot(a)

    without_d2(volume)
    assert a.ingest([volume], workers=1).removed == 1
    assert D2 not in indexed_ids(a)
    assert D2 in indexed_ids(b)  # until it catches up
    assert b.catch_up() >= 1
    assert D2 not in indexed_ids(b) and indexed_ids(b) == stored - {D2}
    assert b.stats()["pending_index"] == 0 and b.catch_up() == 0

    c = Archive.open(db, tmp_path / "c.index")  # a new node: built from the store on open
    assert index_snapshot(c) == index_snapshot(b) == index_snapshot(a)
    assert c.index.position() == a.store.last_change() == b.index.position()

    shutil.copy(SMALL_VOLUME, volume)  # d2 comes back; b only reopens (a restarted node)
    a.ingest([volume], workers=1)
    b.close()
    b = Archive.open(db, tmp_path / "b.index")
    assert D2 in indexed_ids(b) and index_snapshot(b) == index_snapshot(a)
    for archive in (a, b, c):
        archive.close()


def test_a_following_archive_sees_changes_within_seconds(db: str, tmp_path: Path) -> None:
    volume = tmp_path / "small.xml"
    shutil.copy(SMALL_VOLUME, volume)
    writer = Archive.open(db, tmp_path / "w.index")
    reader = Archive.open(db, tmp_path / "r.index")
    reader.follow(interval=0.2)

    def seen(present: bool) -> float:
        started = time.monotonic()
        while time.monotonic() - started < 5:
            if (D2 in indexed_ids(reader)) == present:
                return time.monotonic() - started
            time.sleep(0.05)
        pytest.fail(f"the following archive did not see {D2} {'added' if present else 'removed'} in 5 s")

    writer.ingest([volume], workers=1)
    assert seen(True) < 5
    without_d2(volume)
    writer.ingest([volume], workers=1)
    assert seen(False) < 5
    reader.close()
    writer.close()


def test_reindex_swaps_a_complete_index_and_keeps_the_position(db: str, tmp_path: Path) -> None:
    volume = tmp_path / "small.xml"
    shutil.copy(SMALL_VOLUME, volume)
    with Archive.open(db, tmp_path / "x.index") as archive:
        archive.ingest([volume, corpus_path("frus", "volumes", REAL_VOLUME)], workers=1)
        before = index_snapshot(archive)
        old_inode = archive.index.path.stat().st_ino
        assert archive.reindex() == archive.store.count_documents()
        assert archive.index.path.stat().st_ino != old_inode  # a new directory took its place
        assert not archive.index.path.with_name("x.index.new").exists()
        assert not archive.index.path.with_name("x.index.old").exists()
        assert index_snapshot(archive) == before
        assert archive.index.position() == archive.store.last_change()


def test_an_unfinished_build_is_built_again(tmp_path: Path) -> None:
    db = tmp_path / "u.db"
    with Archive.open(db) as archive:
        archive.ingest([SMALL_VOLUME], workers=1)
        path = archive.index.path
    shutil.rmtree(path)  # as a build killed half-way leaves it: the directory, position UNBUILT
    path.mkdir()
    (path / "chancery-schema-version").write_text("5")
    (path / POSITION_FILE).write_text(str(UNBUILT))
    with Archive.open(db) as archive:
        assert archive.index.count() == 2 and archive.index.position() == archive.store.last_change()


def test_an_older_archive_queue_joins_the_feed(db: str, tmp_path: Path) -> None:
    """An archive written before the feed: its queued ids are moved into `changes`; its index,
    without a position file, holds everything before them (position 0)."""
    with Archive.open(db, tmp_path / "old.index") as archive:
        archive.ingest([SMALL_VOLUME], workers=1)
        d1 = archive.document("frus9999v01/d1").to_dict()
        index_path = archive.index.path
    (index_path / POSITION_FILE).unlink()
    d1["text"] = "A sentence about zanzibar."
    body = orjson.dumps(d1)
    statements = [
        "DROP TABLE changes",
        "CREATE TABLE pending_index (doc_id TEXT PRIMARY KEY, op TEXT NOT NULL)",
        "INSERT INTO pending_index VALUES ('frus9999v01/d1', 'upsert')",
        "INSERT INTO pending_index VALUES ('frus9999v01/d2', 'delete')",
    ]
    if db.startswith("postgresql"):
        conn = psycopg.connect(PG_URL, autocommit=True)
        conn.execute(f'SET search_path TO "{db.rsplit("schema=", 1)[1]}"')
        for statement in statements:
            conn.execute(statement)
        conn.execute("UPDATE documents SET body = %s::jsonb WHERE id = 'frus9999v01/d1'", (body.decode(),))
        conn.execute("DELETE FROM documents WHERE id = 'frus9999v01/d2'")
    else:
        conn = sqlite3.connect(db)
        for statement in statements:
            conn.execute(statement)
        conn.execute("UPDATE documents SET body = ? WHERE id = 'frus9999v01/d1'", (body,))
        conn.execute("DELETE FROM documents WHERE id = 'frus9999v01/d2'")
        conn.commit()
    conn.close()
    with Archive.open(db, tmp_path / "old.index") as archive:
        assert [(d, op) for _, d, op in archive.store.changes_since(0)] == [
            ("frus9999v01/d1", "upsert"),
            ("frus9999v01/d2", "delete"),
        ]
        assert archive.search("zanzibar").total == 1
        assert indexed_ids(archive) == {"frus9999v01/d1"}
        assert archive.stats()["pending_index"] == 0
    with Archive.open(db, tmp_path / "old.index") as archive:  # opening again changes nothing
        assert len(archive.store.changes_since(0)) == 2


def test_a_serving_node_sees_another_process_ingest_within_5_seconds(pg_url: str, tmp_path: Path) -> None:
    """Two real processes on PostgreSQL: `chancery serve` on node B, `chancery ingest` on node A."""
    volume = tmp_path / "small.xml"
    shutil.copy(SMALL_VOLUME, volume)
    env = {**os.environ, "CHANCERY_DB": pg_url, "CHANCERY_WORKERS": "1"}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "chancery", "serve", "--port", str(port)],
        env={**env, "CHANCERY_INDEX": str(tmp_path / "b.index")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def total(query: str) -> int | None:
        url = f"http://127.0.0.1:{port}/api/search?q={query}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return int(orjson.loads(response.read())["total"])
        except OSError:
            return None

    def wait_for(query: str, expected: int, limit: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < limit:
            if total(query) == expected:
                return time.monotonic() - started
            time.sleep(0.1)
        pytest.fail(f"{query!r}: {total(query)} hits after {limit} s, expected {expected}")

    try:
        wait_for("agreed", 0, 60)  # the server is up (an empty archive)
        ingest = [sys.executable, "-m", "chancery", "ingest", str(volume)]
        node_a = {**env, "CHANCERY_INDEX": str(tmp_path / "a.index")}
        subprocess.run(ingest, env=node_a, check=True, capture_output=True)
        assert wait_for("agreed", 1, 5) < 5  # only d2 says "Agreed."
        assert total("harriman") == 2
        without_d2(volume)
        subprocess.run(ingest, env=node_a, check=True, capture_output=True)
        assert wait_for("agreed", 0, 5) < 5
        assert total("harriman") == 1
    finally:
        server.terminate()
        server.wait(timeout=20)
