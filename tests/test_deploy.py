"""The deployment recipe (docs/deploy.md), tested: change-feed compaction (a node behind the horizon
rebuilds), backup and restore (SQLite `chancery backup`; PostgreSQL pg_dump / pg_restore into a
new database) with a node whose index is ahead of the restored store, and two serving nodes on
one live PostgreSQL archive agreeing within 5 s of an ingest or a removal. Real SQLite, real
PostgreSQL, real processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import orjson
import psycopg
import pytest
from conftest import corpus_path, free_port
from test_change_feed import D2, REAL_VOLUME, SMALL_VOLUME, indexed_ids, pg_url, without_d2
from test_ingest_index import index_snapshot
from test_store_contract import PG_URL, with_schema

from chancery.archive import Archive

__all__ = ["pg_url"]  # the fixture, imported from test_change_feed
QUERIES = ["harriman", "agreed", "stalin", "moscow OR washington", "date:1961..1963"]


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "shared.db")
    return str(request.getfixturevalue("pg_url"))


def feed(archive: Archive) -> list[tuple[str, str]]:
    return [(doc_id, op) for _, doc_id, op in archive.store.changes_since(0)]


def test_compaction_keeps_each_documents_latest_change(db: str, tmp_path: Path) -> None:
    volume = tmp_path / "small.xml"
    shutil.copy(SMALL_VOLUME, volume)
    with Archive.open(db, tmp_path / "w.index") as writer:
        writer.ingest([volume, corpus_path("frus", "volumes", REAL_VOLUME)], workers=1)
        without_d2(volume)
        writer.ingest([volume], workers=1)
        before = feed(writer)
        last = writer.store.last_change()
        assert ("frus9999v01/d2", "delete") in before and len(before) > len(set(before))
        kept = writer.compact(keep=3)  # the last 3 changes stay whole
        assert writer.store.feed_horizon() == kept["horizon"] == last - 3
        assert writer.store.last_change() == last  # the latest change is never removed
        after = writer.store.changes_since(0)
        assert kept["removed"] == len(before) - len(after) > 0
        older = [(doc_id, op) for seq, doc_id, op in after if seq < kept["horizon"]]
        assert len(older) == len({doc_id for doc_id, _ in older})  # one change per document
        assert all(op == "upsert" for _, op in older)
        assert after[-3:] == writer.store.changes_since(last - 3)  # the last three, untouched
        assert {doc_id for _, doc_id, _ in after} >= set(writer.store.document_ids())
        assert writer.compact(keep=3)["removed"] == 0  # the horizon only moves forward
        assert writer.compact(keep=0)["horizon"] == last
        assert [op for _, _, op in writer.store.changes_since(0)] == ["upsert"] * len(
            writer.store.document_ids()
        )


def test_a_node_behind_the_horizon_rebuilds_instead_of_replaying(db: str, tmp_path: Path) -> None:
    volume = tmp_path / "small.xml"
    shutil.copy(SMALL_VOLUME, volume)
    writer = Archive.open(db, tmp_path / "w.index")
    writer.ingest([volume], workers=1)
    behind = Archive.open(db, tmp_path / "behind.index")  # holds d2, then stops
    assert D2 in indexed_ids(behind)
    behind.close()
    without_d2(volume)
    writer.ingest([volume], workers=1)  # removes d2: a deletion only the feed records
    writer.compact(keep=0)  # ... and compaction drops it
    assert all(op == "upsert" for _, op in feed(writer))
    behind = Archive.open(db, tmp_path / "behind.index")  # replaying would keep d2
    assert D2 not in indexed_ids(behind)
    assert index_snapshot(behind) == index_snapshot(writer)
    assert behind.index.position() == writer.store.last_change()
    behind.close()
    writer.close()


def test_ingest_compacts_the_feed_now_and_then(tmp_path: Path) -> None:
    volume = tmp_path / "small.xml"
    shutil.copy(SMALL_VOLUME, volume)
    env = {**os.environ, "CHANCERY_FEED_KEEP": "1", "CHANCERY_WORKERS": "1"}
    db = tmp_path / "a.db"
    for _ in range(2):
        subprocess.run([sys.executable, "-m", "chancery", "ingest", str(volume), "--db", str(db)],
                       env=env, check=True, capture_output=True)  # fmt: skip
        without_d2(volume)
    with Archive.open(db) as archive:
        assert archive.store.feed_horizon() > 0
        assert len(archive.store.changes_since(0)) <= archive.store.count_documents() + 2


def chancery(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    run = subprocess.run([sys.executable, "-m", "chancery", *args], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run


def results(archive: Archive) -> dict[str, list[str]]:
    return {q: sorted(h.id for h in archive.search(q, limit=1000).hits) for q in QUERIES}


def test_sqlite_backup_and_restore(tmp_path: Path) -> None:
    volume = tmp_path / "small.xml"
    shutil.copy(SMALL_VOLUME, volume)
    db = tmp_path / "live.db"
    chancery("ingest", str(volume), str(corpus_path("frus", "volumes", REAL_VOLUME)), "--db", str(db))
    with Archive.open(db) as archive:
        at_backup = results(archive)
    chancery("backup", str(tmp_path / "copy.db"), "--db", str(db))
    again = subprocess.run([sys.executable, "-m", "chancery", "backup", str(tmp_path / "copy.db"), "--db",
                            str(db)], capture_output=True, text=True)  # fmt: skip
    assert again.returncode == 2 and "already exists" in again.stderr
    without_d2(volume)
    chancery("ingest", str(volume), "--db", str(db))  # the live index moves past the backup
    shutil.copy(tmp_path / "copy.db", db)  # restore: the file back, the index left as it is
    with Archive.open(db) as archive:  # the index is ahead of the store: rebuilt, not trusted
        assert D2 in indexed_ids(archive)
        assert archive.index.position() == archive.store.last_change()
        assert results(archive) == at_backup


@pytest.fixture
def restored_db() -> Iterator[str]:
    """The name of a new PostgreSQL database to restore into, dropped afterwards."""
    name = f"chancery_restore_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@contextmanager
def node(db: str, index: Path, log: Path) -> Iterator[str]:
    """`chancery serve` over `db` with its own index directory (a real process); its base URL."""
    port = free_port()
    env = {**os.environ, "CHANCERY_DB": db, "CHANCERY_INDEX": str(index)}
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "chancery", "serve", "--port", str(port)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while ask(base, "harriman") is None:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chancery serve did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def ask(base: str, query: str) -> tuple[int, list[str]] | None:
    """`/api/search` for `query`: the total and the ids found (sorted: equal scores may rank either
    way in two indexes built differently); None when it does not answer."""
    try:
        with urllib.request.urlopen(f"{base}/api/search?q={quote(query)}&limit=200", timeout=10) as r:
            found = orjson.loads(r.read())
    except OSError:
        return None
    assert found["total"] <= 200, f"{query!r}: more hits than one page"
    return found["total"], sorted(hit["id"] for hit in found["hits"])


def answers(base: str) -> dict[str, tuple[int, list[str]] | None]:
    return {q: ask(base, q) for q in QUERIES}


def test_postgres_dump_restore_and_a_node_ahead_of_it(pg_url: str, restored_db: str, tmp_path: Path) -> None:
    """pg_dump the live archive; change it; pg_restore the dump into a new database; a node whose
    index is ahead of the restored feed (it followed the live archive) rebuilds and serves what
    the archive held at the dump."""
    volume = tmp_path / "small.xml"
    shutil.copy(SMALL_VOLUME, volume)
    env = {**os.environ, "CHANCERY_DB": pg_url, "CHANCERY_WORKERS": "1"}
    index = tmp_path / "node.index"
    chancery("ingest", str(volume), str(corpus_path("frus", "volumes", REAL_VOLUME)),
             env={**env, "CHANCERY_INDEX": str(index)})  # fmt: skip
    with node(pg_url, index, tmp_path / "live.log") as base:
        at_dump = answers(base)
    assert D2 in (at_dump["agreed"] or (0, []))[1]
    schema = pg_url.rsplit("schema=", 1)[1]
    dump = tmp_path / "archive.dump"
    subprocess.run(["pg_dump", "-Fc", "-n", schema, "-f", str(dump), PG_URL.split("?")[0]], check=True)
    without_d2(volume)
    chancery("ingest", str(volume), env={**env, "CHANCERY_INDEX": str(index)})  # the node moves on
    subprocess.run(["pg_restore", "--no-owner", "-d", PG_URL.rsplit("/", 1)[0] + "/" + restored_db,
                    str(dump)], check=True)  # fmt: skip
    restored = with_schema(PG_URL.rsplit("/", 1)[0] + "/" + restored_db, schema)
    with node(restored, index, tmp_path / "restored.log") as base:
        assert answers(base) == at_dump
    fresh = tmp_path / "fresh.index"  # a node joining the restored archive: built from the store
    with node(restored, fresh, tmp_path / "fresh.log") as base:
        assert answers(base) == at_dump


def test_two_serving_nodes_agree_within_5_seconds(pg_url: str, tmp_path: Path) -> None:
    """Node A serves a live PostgreSQL archive; node B joins it later; a third process ingests
    and removes. After each change both nodes answer every query alike within 5 s."""
    volume = tmp_path / "small.xml"
    shutil.copy(SMALL_VOLUME, volume)
    env = {**os.environ, "CHANCERY_DB": pg_url, "CHANCERY_WORKERS": "1",
           "CHANCERY_INDEX": str(tmp_path / "writer.index")}  # fmt: skip
    chancery("ingest", str(corpus_path("frus", "volumes", REAL_VOLUME)), env=env)
    with node(pg_url, tmp_path / "a.index", tmp_path / "a.log") as a:
        with node(pg_url, tmp_path / "b.index", tmp_path / "b.log") as b:
            assert answers(a) == answers(b)

            def agree(d2: bool) -> None:
                started = time.monotonic()
                while time.monotonic() - started < 5:
                    seen_a, seen_b = answers(a), answers(b)
                    if seen_a == seen_b and (D2 in (seen_a["agreed"] or (0, []))[1]) == d2:
                        return
                    time.sleep(0.1)
                pytest.fail(f"after 5 s: node A {answers(a)} / node B {answers(b)}")

            chancery("ingest", str(volume), env=env)
            agree(True)
            without_d2(volume)
            chancery("ingest", str(volume), env=env)
            agree(False)
