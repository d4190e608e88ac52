"""Crash safety with real processes on real SQLite: `kill -9` at seeded points of ingest and
reindex, then a re-run, must give exactly a clean run's export, links and index; readers open
the archive while an ingest runs; a second ingest waits or says which lock is held; a live
server keeps answering through a reindex."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import corpus_path, free_port

from chancery.archive import Archive

SEED = 20261202
QUERIES = ("date:1937", "date:1953", "cablegram", "guatemala", "from:dulles", "type:telegram")


def _inputs() -> list[str]:
    return [
        str(corpus_path("dfat", "volume-1-1937-38.tar.gz")),  # 338 files, each its own transaction
        str(corpus_path("frus", "volumes", "frus1952-54Guat.xml.gz")),
    ]


def chancery(*args: str, db: Path, crash_at: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    # one process: a killed parent's forked readers would hold the output pipes open
    environment = {**os.environ, "CHANCERY_WORKERS": "1", "CHANCERY_CRASH_AT": crash_at, **env}
    command = [sys.executable, "-m", "chancery", *args, "--db", str(db)]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600)


def state(db: Path) -> dict[str, Any]:
    """What an archive holds: its export, its links, its index (hits per query), pending work."""
    export = chancery("export", db=db)
    assert export.returncode == 0, export.stderr
    conn = sqlite3.connect(db)
    links = sorted(conn.execute("SELECT src, dst, kind, text FROM links"))
    conn.close()
    with Archive.open(db) as archive:
        stats = archive.stats()
        hits = {q: sorted(h.id for h in archive.search(q, limit=1000, facets=False).hits) for q in QUERIES}
    return {
        "export": export.stdout,
        "links": links,
        "hits": hits,
        "indexed": stats["index_documents"],
        "pending": (stats["pending_index"], stats["pending_links"]),
    }


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db = tmp_path_factory.mktemp("clean") / "clean.db"
    run = chancery("ingest", *_inputs(), db=db)
    assert run.returncode == 0, run.stderr
    result = state(db)
    assert len(result["links"]) > 500 and result["indexed"] == result["export"].count("\n") > 600
    assert all(result["hits"][q] for q in QUERIES[:4])
    assert result["pending"] == (0, 0)
    return result


def _kill_points() -> list[str]:
    """A seeded file to be killed after, and the later stages (bounded: 4 runs)."""
    rng = random.Random(SEED)
    return [
        f"stored:{rng.randint(1, 337)}",
        "stored:339",  # every file stored, nothing linked yet (the worst case)
        "dates:1",  # links and some inferred dates stored
        "index-commit:1",  # linked, before the index commit
    ]


@pytest.mark.parametrize("crash_at", _kill_points())
def test_killed_ingest_then_rerun_equals_a_clean_run(
    crash_at: str, clean: dict[str, Any], tmp_path: Path
) -> None:
    db = tmp_path / "killed.db"
    killed = chancery("ingest", *_inputs(), db=db, crash_at=crash_at)
    assert killed.returncode == -signal.SIGKILL, (crash_at, killed.returncode, killed.stderr[-2000:])
    rerun = chancery("ingest", *_inputs(), db=db)
    assert rerun.returncode == 0, rerun.stderr
    after = state(db)
    assert after["export"] == clean["export"]
    assert after["links"] == clean["links"]
    assert after["hits"] == clean["hits"]
    assert after["indexed"] == clean["indexed"] and after["pending"] == (0, 0)


@pytest.mark.parametrize("crash_at", ["swap:1"])
def test_killed_reindex_leaves_the_live_index_whole(
    crash_at: str, clean: dict[str, Any], tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    assert chancery("ingest", *_inputs(), db=db).returncode == 0
    killed = chancery("reindex", db=db, crash_at=crash_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert Path(f"{db}.index.new").exists()  # the half-done build was beside the live index
    assert state(db) == clean  # the live index untouched
    again = chancery("reindex", db=db)
    assert again.returncode == 0, again.stderr
    assert not Path(f"{db}.index.new").exists() and not Path(f"{db}.index.old").exists()
    assert state(db) == clean


def _wait_until(check: Any, limit: float, what: str) -> None:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within {limit} s")


def _files_stored(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            return int(conn.execute("SELECT count(*) FROM files").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0


def _api_total(port: int, query: str) -> int | None:
    try:
        url = f"http://127.0.0.1:{port}/api/search?q={query}&limit=1"
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(orjson.loads(response.read())["total"])
    except OSError:
        return None


def test_readers_and_a_second_ingest_while_an_ingest_runs(tmp_path: Path) -> None:
    db = tmp_path / "busy.db"
    tars = [
        str(corpus_path("dfat", name))
        for name in (
            "volume-1-1937-38.tar.gz",
            "volume-11-1947-indonesia.tar.gz",  # the first ingest must outlast the readers' checks below
            "volume-12-1947-other-than-indonesia.tar.gz",
            "volume-13-1948-indonesia.tar.gz",
        )
    ]
    env = {**os.environ, "CHANCERY_WORKERS": "1"}
    first = subprocess.Popen(
        [sys.executable, "-m", "chancery", "ingest", *tars, "--db", str(db)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    port = free_port()
    server = None
    try:
        _wait_until(lambda: _files_stored(db) >= 5, 120, "the first ingest storing files")
        assert first.poll() is None  # still running
        stats = subprocess.run(
            [sys.executable, "-m", "chancery", "stats", "--db", str(db)],
            env=env,
            capture_output=True,
            text=True,
        )
        assert stats.returncode == 0, stats.stderr
        assert "documents" in stats.stdout and "Traceback" not in stats.stderr
        search = subprocess.run(
            [sys.executable, "-m", "chancery", "search", "cablegram", "--db", str(db), "--json"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert search.returncode == 0, search.stderr
        assert "total" in search.stdout
        server = subprocess.Popen(
            [sys.executable, "-m", "chancery", "serve", "--db", str(db), "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _wait_until(lambda: _api_total(port, "cablegram") is not None, 60, "the server answering")
        second = subprocess.run(
            [sys.executable, "-m", "chancery", "ingest", tars[0], "--db", str(db)],
            env={**env, "CHANCERY_INGEST_WAIT": "0"},
            capture_output=True,
            text=True,
        )
        assert first.poll() is None, "the first ingest ended before the second one was tried"
        assert second.returncode == 2
        assert "Traceback" not in second.stderr and "LockBusy" not in second.stderr
        flat = "".join(second.stderr.split())  # the console wraps long lines
        assert "anotherprocess(aningestorareindex)iswriting" in flat and ".tantivy-writer.lockisheld" in flat
        waiting = subprocess.run(  # waits for the first, then finds every file unchanged
            [sys.executable, "-m", "chancery", "ingest", tars[0], "--db", str(db), "--json"],
            env={**env, "CHANCERY_INGEST_WAIT": "300"},
            capture_output=True,
            text=True,
        )
        assert waiting.returncode == 0, waiting.stderr
        assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
        report = orjson.loads(waiting.stdout)
        assert report["files"] == report["unchanged"] > 300
        with Archive.open(db) as archive:
            assert archive.index.count() == archive.store.count_documents()
            cables = archive.search("cablegram", limit=1).total
        _wait_until(lambda: _api_total(port, "cablegram") == cables, 5, "the server seeing every document")
    finally:
        for process in (first, server):
            if process and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


def test_a_live_server_answers_throughout_a_reindex(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    assert chancery("ingest", *_inputs(), db=db).returncode == 0
    with Archive.open(db) as archive:
        expected = archive.search("cablegram", limit=1).total
    assert expected > 100
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "chancery", "serve", "--db", str(db), "--port", str(port)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until(lambda: _api_total(port, "cablegram") == expected, 60, "the server answering")
        reindex = subprocess.Popen(
            [sys.executable, "-m", "chancery", "reindex", "--db", str(db)],
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        answers = []
        while reindex.poll() is None:
            answers.append(_api_total(port, "cablegram"))
        assert reindex.wait() == 0
        time.sleep(1.5)  # the server follows the swap on its next catch-up
        answers += [_api_total(port, "cablegram") for _ in range(20)]
        assert len(answers) > 20
        assert set(answers) == {expected}, sorted(set(map(str, answers)))
    finally:
        server.terminate()
        server.wait(timeout=30)
