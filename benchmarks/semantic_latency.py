"""Warm semantic and hybrid query latency at full-corpus scale, and the first query of a fresh CLI.

    python benchmarks/semantic_latency.py --db /tmp/d5/lat.db --real 400 --fill

Works on an ingested archive (run it on a copy: `--fill` writes into its vector store). `--real N`
embeds N documents for real (an even sample by id, through `Archive.embed`). `--fill` gives every
other document SYNTHETIC passage vectors, so the k-NN scans as many passages as the full corpus
would give without hours of embedding: as many passages as the real embedder cuts from the
document's length (characters per passage measured on the real sample, 1 to 32), each a real
passage vector of the sample plus Gaussian noise, normalised. Their text hash is "synthetic", so a
later `chancery embed` replaces them. Latency does not depend on the values, only on the counts;
rankings over synthetic vectors mean nothing and are not reported.

Then, in one warm process (after its int8 scan is built, `VectorStore.prepare_fast`): the k-NN
scan alone (the floor: a bare numpy float32 matrix-vector product; the exact float32 scan; the int8
scan with exact rescoring) and the int8 scan's top 10 against the exact scan's for 200 real query
texts (titles of documents spread over the archive, embedded by the model); each query once through `Archive.search` (semantic and hybrid, with and
without facets), each a new text (the query-vector cache does not help), p50/p95 wall and CPU
time; the same queries through the JSON API of a `chancery serve` process (client-seen time); and
`chancery search --mode semantic` in fresh processes (median of 3). The load average is printed
with every block: on a shared machine the wall figures follow the other jobs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chancery.archive import Archive  # noqa: E402
from chancery.search.semantic import MAX_PASSAGES, VectorStore  # noqa: E402

QUERIES = [
    "Soviet pressure on Berlin access routes",
    "the Chinese foreign minister's talks with Stalin",
    "economic aid to Indonesia after independence",
    "nuclear test ban negotiations with the Russians",
    "Australian wheat exports to Japan",
    "the crisis over the offshore islands in the Taiwan Strait",
    "military assistance to South Vietnam",
    "recognition of the People's Republic of China",
    "Dutch police actions against the Indonesian republic",
    "oil concessions in Iran and the Shah",
    "the United Nations and the Korean armistice",
    "sterling balances and the dollar shortage",
    "defence of Malaya and Singapore",
    "refugees from Hungary after the uprising",
    "the Suez canal and Nasser",
    "land reform in Guatemala",
    "Japanese peace treaty and reparations",
    "a loan to the British government",
    "Colombo Plan technical assistance",
    "the ANZUS treaty council meeting",
    "disarmament proposals at Geneva",
    "coffee prices in Latin America",
    "Portuguese Timor and Indonesian incorporation",
    "trade negotiations with New Zealand",
    "Soviet satellite launch and missile gap",
    "the coup in Iraq",
    "a summit conference of heads of government",
    "Laos neutralization and the Pathet Lao",
    "cotton surplus disposal abroad",
    "the Congo and Lumumba",
]
FILTERED = "date:1950..1960"  # a filter every query can carry: vector hits post-filtered by the index


def load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def sample_ids(archive: Archive, n: int) -> list[str]:
    ids = sorted(d["id"] for d in archive.store.iter_documents())
    step = max(1, len(ids) // max(n, 1))
    return ids[::step][:n]


def fill(archive: Archive, seed: int = 11) -> dict[str, float]:
    """Synthetic passage vectors for every document without real ones (see the module docstring)."""
    store: VectorStore = archive.vectors()
    store.reload()
    real = [i for i, sha in zip(store.ids, store.shas, strict=True) if sha != "synthetic"]
    docs = {d["id"]: d for d in archive.store.documents(real)}
    chars = sum(len(docs[i].get("text") or "") for i in real)
    cpp = chars / max(1, len(store.vectors))  # characters of text per real passage
    rng = np.random.default_rng(seed)
    pool = store.vectors.copy()
    added = []
    for doc in archive.store.iter_documents():
        if store.has(doc["id"]):
            continue
        n = int(min(MAX_PASSAGES, max(1, round(len(doc.get("text") or "") / cpp))))
        base = pool[rng.integers(0, len(pool), n)]
        vecs = base + rng.normal(0, 0.03, size=base.shape).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        added.append((doc["id"], "synthetic", vecs.astype(np.float32), [(0, 0)] * n))
    store.replace(set(store.ids), added)
    store.save()
    return {"real_docs": len(real), "synthetic_docs": len(added), "chars_per_passage": cpp}


def in_process(archive: Archive, queries: list[str]) -> list[str]:
    rows = []
    for mode in ("semantic", "hybrid"):
        for facets in (False, True):
            for filtered in (False, True):
                wall, cpu = [], []
                for q in queries:
                    text = f"{q} {FILTERED}" if filtered else q
                    text += (
                        f" {mode[0]}{int(facets)}{int(filtered)}"  # a new text per block: no cached vector
                    )
                    t, c = time.perf_counter(), time.process_time()
                    archive.search(text, mode=mode, limit=20, facets=facets)
                    wall.append(1000 * (time.perf_counter() - t))
                    cpu.append(1000 * (time.process_time() - c))
                rows.append(
                    f"| {mode} | {'yes' if facets else 'no'} | {'yes' if filtered else 'no'} | "
                    f"{pct(wall, 50):.0f} | {pct(wall, 95):.0f} | {pct(cpu, 50):.0f} | {pct(cpu, 95):.0f} |"
                )
    return rows


def parts(archive: Archive, queries: list[str]) -> list[str]:
    """Where a warm semantic query's time goes: embedding the query, the k-NN scan (three ways)."""
    from chancery.search.semantic import Embedder

    store = archive.vectors()
    matrix = np.asarray(store.vectors)
    times: dict[str, list[float]] = {"embed": [], "floor": [], "exact": [], "int8": []}
    for q in queries:
        t = time.perf_counter()
        vec = Embedder.get().encode([q + " parts"])[0]
        times["embed"].append(1000 * (time.perf_counter() - t))
        for name, run in (
            ("floor", lambda v=vec: matrix @ v),
            ("exact", lambda v=vec: store.search(v, 20, exact=True)),
            ("int8", lambda v=vec: store.search(v, 20)),
        ):
            store._last = None  # noqa: SLF001 (measure the scan, not the per-query score cache)
            t = time.perf_counter()
            run()
            times[name].append(1000 * (time.perf_counter() - t))
    names = {
        "embed": "embed the query",
        "floor": "floor: bare numpy float32 matrix @ query",
        "exact": "exact float32 scan, top 20 documents",
        "int8": "int8 scan + exact rescoring, top 20 documents",
    }
    return [f"| {names[k]} | {pct(v, 50):.1f} | {pct(v, 95):.1f} |" for k, v in times.items()]


def recall(archive: Archive, n: int = 200, k: int = 10) -> str:
    """The int8 scan's top k against the exact scan's for n real query texts (document titles)."""
    from chancery.search.semantic import Embedder

    store = archive.vectors()
    docs = archive.store.documents(sample_ids(archive, n * 2))
    titles = [d["title"] for d in docs if d.get("title")][:n]
    same_order = same_set = 0
    for vec in Embedder.get().encode(titles):
        fast = [h.doc_id for h in store.search(vec, k)]
        exact = [h.doc_id for h in store.search(vec, k, exact=True)]
        same_order += fast == exact
        same_set += set(fast) == set(exact)
    return (
        f"int8 scan vs exact, top {k} of {len(titles)} real query texts: identical (same order) "
        f"{same_order}, same documents {same_set}"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def over_api(db: str, queries: list[str]) -> list[str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "chancery", "serve", "--db", db, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(os.devnull if os.environ.get("SERVE_LOG") is None else os.environ["SERVE_LOG"], "w"),  # noqa: SIM115
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=120)]

        def get(params: dict[str, object]) -> float:
            conn = conns[-1]
            t = time.perf_counter()
            conn.request("GET", "/api/search?" + urlencode(params))
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200, body[:300]
            json.loads(body)
            return 1000 * (time.perf_counter() - t)

        get({"q": "warm up Molotov", "mode": "hybrid"})  # loads the model, vectors, variant table
        get({"q": "warm up again", "mode": "semantic"})  # the second scan starts the int8 build
        time.sleep(10)  # the build runs in the background (~0.5 s idle, several s at load 10)
        conns.append(http.client.HTTPConnection("127.0.0.1", port, timeout=120))  # kept alive 5 s only
        rows = []
        for mode in ("semantic", "hybrid"):
            times = [get({"q": f"{q} api", "mode": mode, "limit": 20}) for q in queries]
            rows.append(f"| {mode} | {pct(times, 50):.0f} | {pct(times, 95):.0f} |")
        return rows
    finally:
        server.terminate()
        server.wait(timeout=30)


def cold_cli(db: str, runs: int = 3) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) seconds of `chancery search --mode semantic` in new processes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times, cpu = [], []
    for i in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "chancery", "search", "--db", db, "--mode", "semantic", "--limit", "10"]
            + [f"Soviet position on Berlin {i}"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return times, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True)
    parser.add_argument("--real", type=int, default=0, help="documents to embed for real first")
    parser.add_argument("--fill", action="store_true", help="synthetic vectors for the other documents")
    parser.add_argument("--no-api", action="store_true")
    args = parser.parse_args()

    with Archive.open(args.db) as archive:
        if args.real:
            t = time.perf_counter()
            report = archive.embed(doc_ids=sample_ids(archive, args.real))
            print(f"embedded {report} in {time.perf_counter() - t:.0f} s ({load()})")
        if args.fill:
            print("SYNTHETIC vectors:", fill(archive))
        store = archive.vectors()
        store.reload()
        synthetic = sum(1 for s in store.shas if s == "synthetic")
        print(
            f"\n{archive.store.count_documents()} documents, {len(store)} with vectors "
            f"({synthetic} synthetic), {len(store.vectors)} passages, "
            f"{store.vectors.nbytes / 1e6:.0f} MB float32 in memory"
        )
        archive.search("warm up the model, the index and Molotov's variants", mode="hybrid", limit=5)
        t = time.perf_counter()
        built = store.prepare_fast()
        print(f"int8 scan built: {built} in {time.perf_counter() - t:.2f} s ({load()})")
        print(recall(archive))
        print(f"\n### In one warm process (`Archive.search`, limit 20), {load()}\n")
        print("| mode | facets | filter | wall p50 ms | wall p95 ms | CPU p50 ms | CPU p95 ms |")
        print("|---|---|---|---|---|---|---|")
        for row in in_process(archive, QUERIES):
            print(row)
        print(f"\n### Parts of a semantic query, {load()}\n")
        print("| part | p50 ms | p95 ms |\n|---|---|---|")
        for row in parts(archive, QUERIES):
            print(row)
    if not args.no_api:
        print(f"\n### Through `chancery serve` (`/api/search`, client-seen, facets on), {load()}\n")
        print("| mode | p50 ms | p95 ms |\n|---|---|---|")
        for row in over_api(args.db, QUERIES):
            print(row)
    times, cpu = cold_cli(args.db)
    print(
        f"\n### First semantic query in a fresh CLI process ({load()}): wall "
        + ", ".join(f"{t:.2f}" for t in times)
        + f" s (median {statistics.median(times):.2f}); CPU "
        + ", ".join(f"{t:.2f}" for t in cpu)
        + f" s (median {statistics.median(cpu):.2f})"
    )


if __name__ == "__main__":
    main()
