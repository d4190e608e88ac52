"""The int8 k-NN scan against the exact float32 scan, and its copy on disk following the vectors.

The vectors are clustered, as passages of one archive are (many near-duplicates per topic, which
is the hard case for a quantised scan); no model is needed (about 10 s of CPU: three 30k-passage stores).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chancery.search import knn
from chancery.search.semantic import DIM, FAST_MIN_PASSAGES, VectorStore

DOCS = 6000


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _documents(seed: int) -> list[tuple[str, str, np.ndarray, list[tuple[int, int]]]]:
    """DOCS documents of 1 to 9 passages around 300 topics (cosine to its topic about 0.7)."""
    rng = np.random.default_rng(seed)
    topics = _unit(rng.standard_normal((300, DIM)))
    docs = []
    for i in range(DOCS):
        n = int(rng.integers(1, 10))
        topic = topics[rng.integers(0, len(topics), n)]
        vecs = _unit(topic + _unit(rng.standard_normal((n, DIM))))
        docs.append((f"doc/{i}", f"sha{seed}", vecs, [(j, j + 1) for j in range(n)]))
    return docs


def _store(path: Path, seed: int) -> VectorStore:
    store = VectorStore(path)
    store.replace(set(), _documents(seed))
    store.save()
    assert len(store.vectors) >= FAST_MIN_PASSAGES
    return store


def _queries(store: VectorStore, n: int = 200) -> np.ndarray:
    rng = np.random.default_rng(7)
    picked = np.asarray(store.vectors[rng.integers(0, len(store.vectors), n)])
    return _unit(picked + 0.6 * _unit(rng.standard_normal((n, DIM))))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> VectorStore:
    return _store(tmp_path_factory.mktemp("knn") / "v", seed=1)


def test_int8_scan_gives_the_exact_top_10(store: VectorStore) -> None:
    assert store.prepare_fast()
    identical = 0
    for query in _queries(store):
        fast = store.search(query, 10)
        exact = store.search(query, 10, exact=True)
        identical += [h.doc_id for h in fast] == [h.doc_id for h in exact]
        # whatever it returns carries the exact score and best passage
        scores = store.doc_scores(query)
        by_id = {h.doc_id: h for h in exact}
        for hit in fast:
            assert hit.score == pytest.approx(float(scores[int(hit.doc_id[4:])]), abs=1e-6)
            assert hit.doc_id not in by_id or hit.span == by_id[hit.doc_id].span
    assert identical >= 198, f"{identical} of 200 queries gave the exact top 10"


def test_int8_scores_are_close_and_exclusions_hold(store: VectorStore) -> None:
    assert store.prepare_fast()
    query = _queries(store, 1)[0]
    approx = store._fast.scores(query)  # noqa: SLF001
    exact = np.asarray(store.vectors) @ query
    assert np.abs(approx - exact).max() < 0.02
    best = store.search(query, 5, exact=True)[0].doc_id
    assert best not in [h.doc_id for h in store.search(query, 5, exclude=[best])]


def test_a_one_shot_process_scans_float32_and_the_second_scan_builds_int8(tmp_path: Path) -> None:
    _store(tmp_path / "v", seed=2)
    fresh = VectorStore(tmp_path / "v")
    queries = _queries(fresh, 2)
    fresh.search(queries[0], 10)
    assert fresh._fast is None and fresh._builder is None  # noqa: SLF001 (the CLI's one query)
    fresh.search(queries[1], 10)
    assert fresh._builder is not None  # noqa: SLF001
    assert fresh.prepare_fast()


def test_the_cached_int8_copy_follows_the_vectors(tmp_path: Path) -> None:
    path = tmp_path / "v"
    first = _store(path, seed=3)
    assert first.prepare_fast()
    assert all((path / name).exists() for name in knn.FILES)
    cached = np.load(path / knn.FILES[0])

    # new vectors (a re-embed): the copy on disk is dropped, and the next build matches them
    first.replace(set(), _documents(seed=4))
    first.save()
    assert not any((path / name).exists() for name in knn.FILES)
    second = VectorStore(path)
    assert second.prepare_fast()
    rebuilt = np.load(path / knn.FILES[0])
    assert rebuilt.shape == (DIM, len(second.vectors)) and not np.array_equal(
        rebuilt[:, :1000], cached[:, :1000]
    )
    for query in _queries(second, 20):
        assert [h.doc_id for h in second.search(query, 10)] == [
            h.doc_id for h in second.search(query, 10, exact=True)
        ]

    # a copy whose key does not match the vectors is not used
    (path / knn.FILES[2]).write_bytes(b'{"key": "other"}')
    np.save(path / knn.FILES[0], np.zeros_like(rebuilt))
    third = VectorStore(path)
    assert third.prepare_fast()
    assert np.array_equal(np.load(path / knn.FILES[0]), rebuilt)
