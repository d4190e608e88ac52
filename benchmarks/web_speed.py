"""Server-side time to serve the search page and the document reader over a real archive.

Starts `chancery serve` on a free loopback port, requests each page N times over one keep-alive
connection (searches rotate over realistic queries, documents are a seeded random sample), and
reports median and p95 of the server's own `Server-Timing` duration and of the client-seen time.

    python benchmarks/web_speed.py --db /tmp/chancery-full/full.db [--requests 200]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from chancery.archive import Archive

QUERIES = [
    "soong stalin",
    "from:harriman",
    '"eyes only"',
    "indonesia date:1947-07..1947-12",
    "type:telegram korea",
    "chiang date:1949",
    "nuclear non-proliferation",
    "collection:frus1949v07p1 bao dai",
    "evatt OR chifley",
    "trade agreement -japan",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db: str, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "chancery", "serve", "--db", db, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("chancery serve did not start")


def measure(port: int, paths: list[str]) -> dict[str, float]:
    """Request each path once; median and p95 of server and client time in milliseconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    server, client = [], []
    for path in paths:
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        client.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise SystemExit(f"{path}: HTTP {response.status}")
        timing = re.search(r"dur=([\d.]+)", response.getheader("Server-Timing") or "")
        server.append(float(timing.group(1)) if timing else float("nan"))
    conn.close()

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "requests": len(paths),
        "server_median_ms": round(statistics.median(server), 2),
        "server_p95_ms": round(pct(server, 0.95), 2),
        "client_median_ms": round(statistics.median(client), 2),
        "client_p95_ms": round(pct(client, 0.95), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with Archive.open(args.db) as archive:
        ids = archive.store.document_ids()
        stats = archive.stats()
    sample = random.Random(args.seed).sample(ids, min(args.requests, len(ids)))
    searches = ["/?" + urlencode({"q": QUERIES[i % len(QUERIES)]}) for i in range(args.requests)]
    documents = ["/documents/" + quote(doc_id, safe="/:") for doc_id in sample]

    port = free_port()
    server = start_server(args.db, port)
    try:
        measure(port, searches[:20] + documents[:20])  # warm caches
        report = {
            "documents_in_archive": stats["documents"],
            "search_page": measure(port, searches),
            "document_page": measure(port, documents),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)
    out = Path("benchmarks/out")
    out.mkdir(parents=True, exist_ok=True)
    (out / "web_speed.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
