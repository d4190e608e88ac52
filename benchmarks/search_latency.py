"""Warm bm25, semantic and hybrid query latency through the product, against floors of the same run.

    python benchmarks/search_latency.py --db /tmp/h2/lat.db
    CHANCERY_CODE=/tmp/h2/base python benchmarks/search_latency.py --db /tmp/h2/lat.db  # other code

Needs an archive with vectors: `--fill N` (once, on a copy of the archive) embeds N documents for
real and gives every other one SYNTHETIC passage vectors (`semantic_latency.fill`: latency depends
on the number of passages, not on their values). `CHANCERY_CODE` runs another checkout's `chancery` package (e.g. `git archive`
of the commit before a change) with this same script, so before and after are one procedure.

In one process, after warming up (model, index, variant table, int8 scan built), every query of
QUERIES (30 topics) and NAMES (15 name queries, where name variants apply) runs once per round in
each of these, interleaved query by query (so the load's drift hits all alike; `--blocks`: each
runner over every query in turn, so the CPU caches stay warm for it), limit 20, facets on:

- `floor: bare tantivy`: the words OR'd over title and text by tantivy's own parser, top 20, the 20
  stored documents read (no query language, variants, relaxing, facets or snippets);
- `floor: bm25, no variants`: `engine.search` without name variants (the product's bm25 otherwise);
- `floor: embed + k-NN`: the query embedded and the vector store's scan for the top 20;
- `bm25`, `semantic`, `hybrid`: `Archive.search` in that mode (what the API and the page run).

Round 1 forgets the remembered variant lookups before every query (if the code has them): the cost
of words the process has not seen. Then every query runs once untimed in bm25, and rounds 2+
repeat the texts, so variant lookups are remembered, as in a server that has seen the words before. Before every query the per-process query-vector
and last-scores caches are cleared, so every semantic and hybrid query embeds and scans again.
p50/p95 of wall and CPU time per row, and p50 and p95 as multiples of the floor's (bm25 against
bare tantivy; semantic against embed + k-NN; hybrid against the sum of the two floors).
With `--api`, the same queries once each through the JSON API of a `chancery serve` process
(client-seen): pass 1 as typed, pass 2 the words in reverse order (a new text, the same words).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
CODE = Path(os.environ.get("CHANCERY_CODE") or ROOT)
sys.path.insert(0, str(CODE))

from chancery.archive import Archive  # noqa: E402
from chancery.search.engine import search as engine_search  # noqa: E402
from chancery.search.semantic import Embedder  # noqa: E402

sys.path.insert(1, str(ROOT / "benchmarks"))  # after CODE: the package imported above stays CODE's
from semantic_latency import QUERIES, fill, free_port, load, pct, sample_ids  # noqa: E402

NAMES = [
    "Molotov Harriman",
    "Vyshinsky on Korea",
    "Soong Stalin",
    "Chiang Kai-shek and Marshall",
    "Dulles Eden meeting",
    "Evatt Chifley cabinet",
    "Spender Menzies",
    "Sukarno Hatta",
    "Nehru Krishna Menon",
    "Khrushchev Eisenhower",
    "Gromyko Acheson",
    "Bevin Attlee",
    "Kennan Bohlen",
    "Ngo Dinh Diem",
    "MacArthur Yoshida",
]
LIMIT = 20


def forget(archive: Archive, lookups: bool) -> None:
    """Clear the caches a new query text would miss (and, with `lookups`, the variant lookups)."""
    Embedder.get()._queries.clear()  # noqa: SLF001 (measure the embedding, not the cache)
    archive.vectors()._last = None  # noqa: SLF001 (measure the scan, not the last query's scores)
    memos = getattr(archive.variants(), "_memos", None)  # absent before the lookups were remembered
    if lookups and memos is not None:
        memos.clear()


def runners(archive: Archive) -> dict[str, Callable[[str], Any]]:
    index, store = archive.index, archive.vectors()
    tantivy_index = index.index

    def bare(text: str) -> None:
        searcher = index.searcher()
        query = tantivy_index.parse_query(" ".join(re.findall(r"\w+", text)), ["title", "text"])
        for _, address in searcher.search(query, limit=LIMIT).hits:
            searcher.doc(address)

    def knn(text: str) -> None:
        store.search(Embedder.get().encode([text])[0], LIMIT)

    return {
        "floor: bare tantivy": bare,
        "floor: bm25, no variants": lambda q: engine_search(index, q, limit=LIMIT, variants=None),
        "floor: embed + k-NN": knn,
        "bm25": lambda q: archive.search(q, limit=LIMIT, mode="bm25"),
        "semantic": lambda q: archive.search(q, limit=LIMIT, mode="semantic"),
        "hybrid": lambda q: archive.search(q, limit=LIMIT, mode="hybrid"),
    }


def in_process(archive: Archive, queries: list[str], rounds: int, blocks: bool = False) -> list[str]:
    run = runners(archive)
    wall: dict[tuple[str, bool], list[float]] = {}
    cpu: dict[tuple[str, bool], list[float]] = {}
    for round_ in range(rounds):
        first = round_ == 0
        if round_ == 1:  # round 1 forgot every lookup: now the process sees the words once
            for q in queries:
                archive.search(q, limit=LIMIT, mode="bm25")
        # interleaved: each query in every runner in turn; blocks: each runner over every query
        order = (
            [(q, name) for name in run for q in queries]
            if blocks
            else [(q, name) for q in queries for name in run]
        )
        for q, name in order:
            forget(archive, lookups=first)
            t, c = time.perf_counter(), time.process_time()
            run[name](q)
            wall.setdefault((name, first), []).append(1000 * (time.perf_counter() - t))
            cpu.setdefault((name, first), []).append(1000 * (time.process_time() - c))
    rows = []
    for first in (True, False):
        if (next(iter(run)), first) not in wall:
            continue
        floors = {
            "bm25": ["floor: bare tantivy"],
            "semantic": ["floor: embed + k-NN"],
            "hybrid": ["floor: bare tantivy", "floor: embed + k-NN"],
        }
        for name in run:
            w, c = wall[(name, first)], cpu[(name, first)]
            ratio = ""
            if name in floors:
                f50 = sum(pct(wall[(f, first)], 50) for f in floors[name])
                f95 = sum(pct(wall[(f, first)], 95) for f in floors[name])
                ratio = f"{pct(w, 50) / f50:.1f}x | {pct(w, 95) / f95:.1f}x"
            else:
                ratio = "floor | floor"
            rows.append(
                f"| {'1 (words new)' if first else '2+ (words seen)'} | {name} | {len(w)} | "
                f"{pct(w, 50):.1f} | {pct(w, 95):.1f} | {pct(c, 50):.1f} | {pct(c, 95):.1f} | {ratio} |"
            )
    return rows


def over_api(db: str, queries: list[str]) -> list[str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(CODE)}
    server = subprocess.Popen(
        [sys.executable, "-m", "chancery", "serve", "--db", db, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

        def get(params: dict[str, object]) -> float:
            t = time.perf_counter()
            conn.request("GET", "/api/search?" + urlencode(params))
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200, body[:300]
            json.loads(body)
            return 1000 * (time.perf_counter() - t)

        get({"q": "warm up Molotov", "mode": "hybrid"})  # the model, the vectors, the variant table
        get({"q": "warm up again", "mode": "semantic"})  # the second scan starts the int8 build
        time.sleep(10)  # the build runs in the background
        rows = []
        for label, texts in (
            ("1 (as typed)", queries),
            ("2 (words reversed)", [" ".join(reversed(q.split())) for q in queries]),
        ):
            for mode in ("bm25", "semantic", "hybrid"):
                conn.close()  # a new connection per block: the server keeps one alive 5 s only
                times = [get({"q": q, "mode": mode, "limit": LIMIT}) for q in texts]
                rows.append(f"| {label} | {mode} | {pct(times, 50):.0f} | {pct(times, 95):.0f} |")
        return rows
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--api", action="store_true", help="also through a chancery serve process")
    parser.add_argument(
        "--blocks",
        action="store_true",
        help="each runner over every query in turn (CPU caches stay warm for it, as in a server "
        "running one kind of query), not each query through every runner",
    )
    parser.add_argument(
        "--fill",
        type=int,
        metavar="N",
        help="first embed N documents for real and give every other one synthetic vectors "
        "(semantic_latency.fill; writes into the archive: use a copy)",
    )
    args = parser.parse_args()
    queries = QUERIES + NAMES
    print(f"code: {CODE}")
    if args.fill:
        with Archive.open(args.db) as archive:
            print("embedded", archive.embed(doc_ids=sample_ids(archive, args.fill)))
            print("SYNTHETIC vectors:", fill(archive))
    with Archive.open(args.db) as archive:
        store = archive.vectors()
        store.reload()
        synthetic = sum(1 for s in store.shas if s == "synthetic")
        print(
            f"{archive.store.count_documents()} documents, {archive.store.count_entities()} authority "
            f"records, {len(store)} with vectors ({synthetic} synthetic), {len(store.vectors)} passages"
        )
        archive.search("warm up the model, the index and Molotov's variants", mode="hybrid", limit=5)
        t = time.perf_counter()
        print(f"int8 scan built: {store.prepare_fast()} in {time.perf_counter() - t:.2f} s ({load()})")
        for q in queries[:5]:  # warm tantivy's caches for every path
            for fn in runners(archive).values():
                fn(q + " warm")
        order = "in blocks, one runner at a time" if args.blocks else "interleaved query by query"
        print(f"\n### In one warm process (limit 20, facets on, {order}), {load()} at start\n")
        print(
            "| round | what | queries | wall p50 ms | wall p95 ms | CPU p50 ms | CPU p95 ms | p50 / floor | p95 / floor |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for row in in_process(archive, queries, args.rounds, args.blocks):
            print(row)
        print(f"\n({load()} at end)")
    if args.api:
        print(f"\n### Through `chancery serve` (`/api/search`, client-seen, facets on), {load()}\n")
        print("| pass | mode | p50 ms | p95 ms |\n|---|---|---|---|")
        for row in over_api(args.db, queries):
            print(row)
        print(f"\n({load()} at end)")


if __name__ == "__main__":
    main()
