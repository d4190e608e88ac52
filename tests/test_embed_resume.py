"""`chancery embed` killed mid-way resumes where it stopped, and says how far it got."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS, corpus_path

from chancery.archive import Archive
from chancery.search.semantic import PART_GLOB, VectorStore, vectors_path_for

ROOT = Path(__file__).resolve().parents[1]


def _chancery(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "chancery", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "a.db"
    with Archive.open(path) as archive:
        report = archive.ingest([SEEDS, corpus_path("wilson", "wilson_archive.sample.csv")])
        assert report.ok, report.failures
    return path


def test_a_killed_embed_resumes_where_it_stopped(db: Path) -> None:
    with Archive.open(db) as archive:
        total = archive.store.count_documents()
        vectors_dir = vectors_path_for(archive.index.path)
    first = _chancery("embed", "--db", str(db), "--save-every", "8")
    while not list(vectors_dir.glob(PART_GLOB)):  # the first batch is saved: kill it there
        assert first.poll() is None, first.communicate()[0]
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    output = first.communicate()[0]
    assert first.returncode == -signal.SIGKILL
    assert f"embed: {total} documents to do" in output  # progress, even when piped
    kept = len(VectorStore(vectors_dir))  # what a reader sees meanwhile: the saved parts
    assert 0 < kept < total

    second = _chancery("embed", "--db", str(db))
    output = second.communicate()[0]
    assert second.returncode == 0, output
    assert f"embed: {total - kept} documents to do" in output
    assert f"embedded {total - kept} documents" in output
    assert f"kept {kept} from an interrupted run" in output
    assert not list(vectors_dir.glob(PART_GLOB))  # folded into the base

    with Archive.open(db) as archive:
        store = archive.vectors()
        assert sorted(store.ids) == sorted(d.id for d in archive.documents())
        assert archive.embed()["embedded"] == 0  # nothing left to do
        # the resumed vectors are the ones a fresh run computes (one text per run: reproducible)
        doc_id = store.ids[0]
        fresh = VectorStore(vectors_dir.with_name("fresh.vectors"))
        from chancery.search.semantic import update_vectors

        update_vectors(archive.store, fresh, [doc_id])
        saved, again = store.passages_of(doc_id), fresh.passages_of(doc_id)
        assert saved is not None and again is not None
        assert np.allclose(saved, again, atol=1e-6)


def test_parts_are_read_by_a_second_process_and_the_last_wins(tmp_path: Path) -> None:
    store = VectorStore(tmp_path / "v")
    one, two = np.eye(384, dtype=np.float32)[:2]
    store.save_part([("a", "s1", one[None, :], [(0, 5)]), ("b", "s1", two[None, :], [(0, 7)])])
    store.save_part([("a", "s2", two[None, :], [(0, 9)])])
    reader = VectorStore(tmp_path / "v")
    assert sorted(reader.ids) == ["a", "b"] and reader.in_parts == 2
    hit = reader.search(two, 1)[0]
    assert reader.shas[reader.ids.index("a")] == "s2" and hit.score == pytest.approx(1.0)
    reader.save()
    assert not list((tmp_path / "v").glob(PART_GLOB))
    assert sorted(VectorStore(tmp_path / "v").ids) == ["a", "b"]
