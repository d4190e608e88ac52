"""The torch-free ONNX embedder: built offline from the installed weights package, sane vectors."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from chancery.search.embedder import DIM, OnnxEmbedder, build_model, model_dir

PARAPHRASE = (
    "The ambassador cabled that the Soviet government had accepted the proposed conference.",
    "According to the envoy's telegram, Moscow agreed to the suggested meeting.",
)
UNRELATED = "Wheat exports from the southern provinces fell sharply after the drought of that year."


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> OnnxEmbedder:
    # A fresh cache directory: the graph is built and quantized from the package's safetensors here.
    return OnnxEmbedder(threads=2, cache_dir=tmp_path_factory.mktemp("models"))


def test_weights_come_from_the_installed_package(embedder: OnnxEmbedder):
    assert embedder.source == model_dir()
    assert (embedder.source / "model.safetensors").is_file()
    assert embedder.model_path.parent == embedder.cache_dir
    assert embedder.model_path.name.endswith("-int8.onnx")
    # built once: asking again returns the same cached file without rebuilding it
    mtime = embedder.model_path.stat().st_mtime_ns
    assert build_model(embedder.source, embedder.cache_dir) == embedder.model_path
    assert embedder.model_path.stat().st_mtime_ns == mtime


def test_shape_dtype_and_normalisation(embedder: OnnxEmbedder):
    texts = [PARAPHRASE[0], UNRELATED, "", "word " * 600]  # empty and over-long (truncated to 256) texts
    vectors = embedder.encode(texts)
    assert vectors.shape == (len(texts), DIM)
    assert vectors.dtype == np.float32
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.encode([]).shape == (0, DIM)


def test_paraphrase_scores_above_unrelated(embedder: OnnxEmbedder):
    a, b, c = embedder.encode([*PARAPHRASE, UNRELATED])
    assert float(a @ b) > float(a @ c) + 0.2
    assert float(a @ b) > float(b @ c) + 0.2


def test_identical_text_scores_one(embedder: OnnxEmbedder):
    a, b = embedder.encode([UNRELATED, UNRELATED])
    assert float(a @ b) == pytest.approx(1.0, abs=1e-5)


def test_batch_and_single_encodes_agree(embedder: OnnxEmbedder):
    # Mixed lengths, encoded together: each row must match the text encoded alone (in order, unaltered).
    texts = [UNRELATED, PARAPHRASE[0] * 8, "Soong", PARAPHRASE[1], "Stalin agreed. " * 30]
    batch = embedder.encode(texts, batch_size=3)  # several texts per run of the pool
    for text, row in zip(texts, batch, strict=True):
        single = embedder.encode([text])[0]
        assert float(single @ row) > 0.9999, text[:40]


def test_passage_tokenizer_keeps_offsets(embedder: OnnxEmbedder):
    text = "Chiang Kai-shek met Soong in Chungking."
    out = embedder.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    assert len(out["input_ids"]) == len(out["offset_mapping"]) > 5
    start, end = out["offset_mapping"][0]
    assert text[start:end].lower() == "chiang"
    assert embedder.tokenizer.decode(out["input_ids"][:2]) == "chiang kai"


def test_runs_without_torch_or_network(tmp_path):
    # A fresh interpreter that cannot import torch, sentence-transformers or a hub client, and cannot
    # open a socket, still builds and uses the model: everything comes from the installed packages.
    code = (
        "import socket, sys\n"
        "def no_network(*args, **kwargs):\n"
        "    raise OSError('network blocked')\n"
        "socket.socket.connect = no_network\n"
        "socket.create_connection = no_network\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'torch', 'sentence_transformers', 'transformers', 'huggingface_hub'}:\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from chancery.search.embedder import OnnxEmbedder\n"
        f"e = OnnxEmbedder(threads=1, cache_dir={str(tmp_path)!r})\n"
        "v = e.encode(['a cable from Canberra'])\n"
        "print(v.shape, round(float((v * v).sum()), 4))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "(1, 384) 1.0"
