"""The fast k-NN scan: an int8 copy of the passage matrix, scored by onnxruntime's MatMulInteger.

Each passage row is quantised with its own scale (max |x| -> 127); the query is quantised to uint8
around a zero point of 128, which is the operand pair MLAS has a fast kernel for. One thread reads
64 MB instead of 255 MB per query at 166k passages (measured in benchmarks/semantic-latency.md).
The scores are approximate: `VectorStore.search` rescores the best candidates exactly in float32,
so the hits and their scores are those of the exact scan whenever the true top k are among them.

The quantised copy is cached beside the vectors (`int8.npy`, `int8-scales.npy`, `int8.json` with
the key of the vectors it came from), so another process (a second `serve` worker) only pays for
building the onnxruntime session (~0.5 s: it repacks the matrix for its kernel).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import orjson

ZERO_POINT = 128
CHUNK = 8192  # rows quantised at a time (keeps the float temporaries small)
FILES = ("int8.npy", "int8-scales.npy", "int8.json")


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 matrix transposed to DIM x passages, per-passage float32 scale)."""
    n, dim = vectors.shape
    q8t = np.empty((dim, n), dtype=np.int8)
    scales = np.empty(n, dtype=np.float32)
    for first in range(0, n, CHUNK):
        block = np.asarray(vectors[first : first + CHUNK], dtype=np.float32)
        scale = np.abs(block).max(axis=1) / 127
        scale[scale == 0] = 1.0
        scales[first : first + CHUNK] = scale
        q8t[:, first : first + CHUNK] = np.rint(block / scale[:, None]).T
    return q8t, scales


def cached(folder: Path, key: str | None, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The quantised copy from `folder` if it was made from the vectors `key` names, else made now
    (and saved when there is a key: the vectors are the saved base, not an in-memory change)."""
    if key is not None:
        try:
            if orjson.loads((folder / FILES[2]).read_bytes()).get("key") == key:
                q8t = np.load(folder / FILES[0], mmap_mode="r")
                scales = np.load(folder / FILES[1])
                if q8t.shape == (vectors.shape[1], len(vectors)) and len(scales) == len(vectors):
                    return q8t, scales
        except (OSError, ValueError):
            pass
    q8t, scales = quantise(vectors)
    if key is not None:
        tmp = f".{os.getpid()}-{threading.get_ident()}.tmp"  # several server workers may write at once
        try:
            for name, array in ((FILES[0], q8t), (FILES[1], scales)):
                with open(folder / f"{name}{tmp}", "wb") as fh:
                    np.save(fh, array)
                os.replace(folder / f"{name}{tmp}", folder / name)
            (folder / f"{FILES[2]}{tmp}").write_bytes(orjson.dumps({"key": key}))
            os.replace(folder / f"{FILES[2]}{tmp}", folder / FILES[2])
        except OSError:  # a read-only archive: keep the copy in memory only
            pass
    return q8t, scales


def drop_cache(folder: Path) -> None:
    """Remove the quantised copy (the vectors it came from are being replaced)."""
    for name in FILES:
        (folder / name).unlink(missing_ok=True)


class Int8Scan:
    """Approximate passage scores for a normalised float32 query: one MatMulInteger per query."""

    def __init__(self, q8t: np.ndarray, scales: np.ndarray) -> None:
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper

        dim, n = q8t.shape
        # the matrix is handed to onnxruntime from memory as an "external" initializer: no 64 MB
        # protobuf copy, and the session still prepacks it (the kernel is slow without that)
        matrix = TensorProto(name="B", data_type=TensorProto.INT8, dims=[dim, n])
        matrix.data_location = TensorProto.EXTERNAL
        for key, value in (("location", "int8.bin"), ("offset", "0"), ("length", str(dim * n))):
            entry = matrix.external_data.add()
            entry.key, entry.value = key, value
        graph = helper.make_graph(
            [helper.make_node("MatMulInteger", ["q", "B", "zp"], ["y"])],
            "knn",
            [helper.make_tensor_value_info("q", TensorProto.UINT8, [1, dim])],
            [helper.make_tensor_value_info("y", TensorProto.INT32, [1, n])],
            initializer=[numpy_helper.from_array(np.array(ZERO_POINT, dtype=np.uint8), "zp"), matrix],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # memory-bound: a second thread only contends
        options.inter_op_num_threads = 1
        contiguous = np.ascontiguousarray(q8t)  # a memory map of the cached copy stays one
        matrix_value = ort.OrtValue.ortvalue_from_numpy(contiguous)
        options.add_external_initializers(["B"], [matrix_value])
        self._session: Any = ort.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        self._keep = (contiguous, matrix_value)  # the session may still point into this memory
        self.scales = scales
        self.rows = n

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Approximate cosine of every passage with `query` (float32, one per passage)."""
        step = float(np.abs(query).max()) / 127 or 1.0
        q8 = (np.rint(query / step) + ZERO_POINT).astype(np.uint8)[None, :]
        raw = self._session.run(None, {"q": q8})[0][0]
        return raw.astype(np.float32) * (self.scales * np.float32(step))
