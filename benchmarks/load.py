"""Many readers at once: open-loop load on a real `chancery serve`, idle and during an ingest.

Builds (or reuses) an archive, starts `chancery serve --workers N` on a free loopback port and runs:

1. single client, closed loop: the latency of each kind of request with nobody else about;
2. open loop, idle: `--readers` simulated readers, each sending a request every 1–3 s (uniform;
   50 readers ≈ 25 requests/s) without waiting for the previous one: a search page, an API search
   or a reader page, picked at random;
3. open loop during an ingest: the same, while `chancery ingest --ingest PATHS` adds files to the
   served archive (the phase lasts as long as the ingest, bounded by --max-ingest-seconds);
4. saturation, closed loop: `--clients` clients each sending the next request as soon as the last
   one is answered (API searches, then search pages): throughput at its p95.

Latency is measured from the request's scheduled time (open loop: a server that falls behind
shows it, no coordinated omission) to the last byte. Everything is bounded: fixed phase lengths,
loopback only, the server and the ingest are stopped at the end, a built archive is deleted.

    python benchmarks/load.py --build frus1949v07p1.xml.gz ... volume-7-1944 --ingest volume-8-1945
    python benchmarks/load.py --db /tmp/chancery-full/full.db --ingest ../shared/corpus/dfat/...
    python benchmarks/load.py --db postgresql://127.0.0.1/d7load --workers 1 \
        --node-index /tmp/node1.index /tmp/node2.index --ingest-index /tmp/writer.index --ingest ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx

HOST = "127.0.0.1"  # loopback only, never configurable
QUERIES = [
    "soong stalin",
    "from:harriman",
    '"eyes only"',
    "indonesia date:1947-07..1947-12",
    "type:telegram korea",
    "chiang date:1949",
    "nuclear non-proliferation",
    "evatt OR chifley",
    "trade agreement -japan",
    "government",
    "soviet union",
    "curtin date:1944",
]
KINDS = ("search_page", "api_search", "reader")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def chancery(*args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "chancery", *args], **kwargs)


def with_index(index: str | None) -> dict[str, str]:
    """The environment of a process using the search index directory `index` (None: the default)."""
    return {**os.environ, "CHANCERY_INDEX": index} if index else dict(os.environ)


def start_server(
    db: str, port: int, workers: int, log: Path, index: str | None = None
) -> subprocess.Popen[bytes]:
    """`chancery serve` (a node: with `index`, its own search index directory)."""
    out = log.open("w")
    process = chancery(
        "serve", "--db", db, "--host", HOST, "--port", str(port), "--workers", str(workers),
        stdout=out, stderr=subprocess.STDOUT, env=with_index(index),
    )  # fmt: skip
    deadline = time.monotonic() + 600  # a node without an index builds it from the store first
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://{HOST}:{port}/robots.txt", timeout=2).raise_for_status()
            return process
        except httpx.HTTPError:
            if process.poll() is not None:
                break
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"chancery serve did not start: {log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def pick_path(kind: str, rng: random.Random, doc_ids: list[str]) -> str:
    if kind == "reader":
        return "/documents/" + quote(rng.choice(doc_ids), safe="/:")
    query = urlencode({"q": rng.choice(QUERIES)})
    return f"/?{query}" if kind == "search_page" else f"/api/search?{query}"


class Recorder:
    """Latencies (ms) and errors per kind of request."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = {k: [] for k in KINDS}
        self.server: dict[str, list[float]] = {k: [] for k in KINDS}  # the Server-Timing header
        self.errors: dict[str, list[str]] = {k: [] for k in KINDS}
        self.started = time.perf_counter()
        self.stopped = self.started

    async def fetch(self, client: httpx.AsyncClient | int, kind: str, path: str, since: float) -> None:
        """GET `path` from a closed loop's client, or (a port) on a connection of its own."""
        try:
            if isinstance(client, int):
                status, headers = await get_alone(client, path)
            else:
                response = await client.get(path)
                status, headers = response.status_code, response.headers.get("server-timing", "")
            if status != 200:
                self.errors[kind].append(f"HTTP {status} {path}")
                return
        except (httpx.HTTPError, OSError, TimeoutError, ValueError) as exc:
            self.errors[kind].append(f"{type(exc).__name__} {path}")
            return
        self.latency[kind].append((time.perf_counter() - since) * 1000)
        timing = re.search(r"dur=([\d.]+)", headers)
        if timing:
            self.server[kind].append(float(timing.group(1)))

    def summary(self) -> dict[str, Any]:
        seconds = max(self.stopped - self.started, 1e-9)
        kinds = {}
        for kind in KINDS:
            values = sorted(self.latency[kind])
            if not values and not self.errors[kind]:
                continue
            kinds[kind] = {
                "requests": len(values) + len(self.errors[kind]),
                "errors": len(self.errors[kind]),
                "error_examples": self.errors[kind][:3],
                "p50_ms": round(pct(values, 0.50), 1),
                "p95_ms": round(pct(values, 0.95), 1),
                "max_ms": round(values[-1], 1) if values else None,
                "server_p50_ms": round(pct(sorted(self.server[kind]), 0.50), 1),
                "server_p95_ms": round(pct(sorted(self.server[kind]), 0.95), 1),
                "per_second": round(len(values) / seconds, 1),
            }
        return {"seconds": round(seconds, 1), "kinds": kinds}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


async def get_alone(port: int, path: str) -> tuple[int, str]:
    """GET `path` on a new connection (closed after the response): its status and Server-Timing.

    The open loops send each request this way. Through one httpx client, hundreds of requests
    waiting for its pooled connections cost the load generator CPU quadratic in their number
    (httpcore's `_assign_requests_to_connections`, encode/httpcore#1035): once a server fell behind,
    the generator itself stalled and reported its own delay (py-spy: the nodes idle meanwhile).
    """

    async def exchange() -> tuple[int, str]:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            await reader.read()  # the body, to the last byte
        finally:
            writer.close()
        status = int(head.split(" ", 2)[1])
        timing = re.search(r"(?im)^server-timing:(.*)$", head)
        return status, timing.group(1) if timing else ""

    return await asyncio.wait_for(exchange(), 60)


def client_for(port: int, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=f"http://{HOST}:{port}", limits=limits, timeout=60)


async def open_loop(
    ports: list[int],
    readers: int,
    seconds: float,
    doc_ids: list[str],
    seed: int,
    until: asyncio.Event | None = None,
) -> dict[str, Any]:
    """`readers` readers, each sending a request every uniform(1, 3) s whether or not the last
    one was answered; runs `seconds` (or until `until` is set, if sooner). With several nodes
    (`ports`), each request goes to one of them at random."""
    recorder = Recorder()
    rng = random.Random(seed)
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    end = start + seconds

    async def reader(n: int) -> None:
        own = random.Random(rng.random())
        at = start + own.uniform(0, 3)  # readers arrive spread over the first seconds
        while at < end and not (until and until.is_set()):
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            kind, client = own.choice(KINDS), own.choice(ports)
            tasks.append(asyncio.create_task(recorder.fetch(client, kind, pick_path(kind, own, doc_ids), at)))
            at += own.uniform(1, 3)

    await asyncio.gather(*(reader(n) for n in range(readers)))
    recorder.stopped = time.perf_counter()
    await asyncio.gather(*tasks)
    return recorder.summary()


async def closed_loop(
    ports: list[int], clients: int, seconds: float, kind: str, doc_ids: list[str], seed: int
) -> dict[str, Any]:
    """`clients` clients each sending its next `kind` request as soon as the last is answered
    (client n to node n mod nodes)."""
    recorder = Recorder()
    async with AsyncExitStack() as stack:
        nodes = [await stack.enter_async_context(client_for(p, clients)) for p in ports]
        end = time.perf_counter() + seconds

        async def one(n: int) -> None:
            client = nodes[n % len(nodes)]
            rng = random.Random(seed * 1000 + n)
            while time.perf_counter() < end:
                await recorder.fetch(client, kind, pick_path(kind, rng, doc_ids), time.perf_counter())

        await asyncio.gather(*(one(n) for n in range(clients)))
        recorder.stopped = time.perf_counter()
    return recorder.summary()["kinds"][kind]


def sample_doc_ids(port: int, count: int, seed: int) -> list[str]:
    ids: set[str] = set()
    with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=60) as client:
        for query in QUERIES:
            response = client.get("/api/search", params={"q": query, "limit": 50, "facets": "false"})
            if response.status_code != 200:
                raise SystemExit(f"/api/search?q={query}: HTTP {response.status_code} {response.text[:500]}")
            ids.update(hit["id"] for hit in response.json()["hits"])
    if not ids:
        raise SystemExit("the archive answers no query: nothing to read")
    return random.Random(seed).sample(sorted(ids), min(count, len(ids)))


async def during_ingest(
    args: argparse.Namespace, db: str, ports: list[int], doc_ids: list[str], log: Path
) -> dict[str, Any]:
    """The open loop while `chancery ingest` runs on the served archive (with `--ingest-index`,
    its own index: a third node's, on PostgreSQL)."""
    out = log.open("w")
    env = with_index(args.ingest_index)
    if args.ingest_workers:
        env["CHANCERY_WORKERS"] = str(args.ingest_workers)
    nice = (lambda: os.nice(args.ingest_nice)) if args.ingest_nice else None  # noqa: E731
    ingest = chancery(
        "ingest", *args.ingest, "--db", db, stdout=out, stderr=subprocess.STDOUT, env=env, preexec_fn=nice
    )
    finished = asyncio.Event()
    started = time.perf_counter()

    async def watch() -> None:
        while ingest.poll() is None and time.perf_counter() - started < args.max_ingest_seconds:
            await asyncio.sleep(0.2)
        finished.set()

    watcher = asyncio.create_task(watch())
    result = await open_loop(ports, args.readers, args.max_ingest_seconds, doc_ids, args.seed + 1, finished)
    await watcher
    ingest_seconds = time.perf_counter() - started
    stop(ingest)
    result["ingest"] = {
        "paths": [Path(p).name for p in args.ingest],
        "nice": args.ingest_nice,
        "reader_workers": args.ingest_workers or "default",
        "exit_code": ingest.returncode,
        "seconds": round(ingest_seconds, 1),
        "finished": ingest.returncode == 0,
    }
    return result


def build(paths: list[str], db: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "chancery", "ingest", *paths, "--db", db], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "| phase | kind | requests | errors | p50 ms | p95 ms | max ms | req/s | server p50 | server p95 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for phase in ("single_client", "idle", "ingest"):
        for kind, row in report[phase]["kinds"].items():
            lines.append(
                f"| {phase} | {kind} | {row['requests']} | {row['errors']} | {row['p50_ms']} | "
                f"{row['p95_ms']} | {row['max_ms']} | {row['per_second']} | {row['server_p50_ms']} | "
                f"{row['server_p95_ms']} |"
            )
    for kind, row in report["saturation"].items():
        lines.append(
            f"| saturation ({report['clients']} clients) | {kind} | {row['requests']} | {row['errors']} | "
            f"{row['p50_ms']} | {row['p95_ms']} | {row['max_ms']} | {row['per_second']} | "
            f"{row['server_p50_ms']} | {row['server_p95_ms']} |"
        )
    return "\n".join(lines)


async def run(args: argparse.Namespace, db: str, workdir: Path) -> dict[str, Any]:
    indexes: list[str | None] = list(args.node_index or [None])
    ports = [free_port() for _ in indexes]
    servers = []
    report: dict[str, Any] = {
        "nodes": len(ports),
        "workers": args.workers,
        "readers": args.readers,
        "clients": args.clients,
        "store": "postgresql" if db.startswith(("postgresql://", "postgres://")) else "sqlite",
    }
    try:
        for n, (port, index) in enumerate(zip(ports, indexes, strict=True)):
            started = time.perf_counter()
            servers.append(start_server(db, port, args.workers, workdir / f"serve{n}.log", index))
            report[f"node{n}_start_seconds"] = round(time.perf_counter() - started, 1)
        try:
            doc_ids = sample_doc_ids(ports[0], 300, args.seed)
        except SystemExit as exc:
            raise SystemExit(f"{exc}\nserver log: {(workdir / 'serve0.log').read_text()[-3000:]}") from None
        report["load_average_start"] = [round(x, 2) for x in os.getloadavg()]
        singles = {}
        for kind in KINDS:
            singles[kind] = await closed_loop(ports, 1, args.single_seconds, kind, doc_ids, args.seed)
        report["single_client"] = {"kinds": singles}
        report["idle"] = await open_loop(ports, args.readers, args.seconds, doc_ids, args.seed)
        report["load_average_idle"] = [round(x, 2) for x in os.getloadavg()]
        if args.ingest:
            report["ingest"] = await during_ingest(args, db, ports, doc_ids, workdir / "ingest.log")
            report["load_average_ingest"] = [round(x, 2) for x in os.getloadavg()]
        else:
            report["ingest"] = {"kinds": {}}
        report["saturation"] = {
            kind: await closed_loop(ports, args.clients, args.saturation_seconds, kind, doc_ids, args.seed)
            for kind in ("api_search", "search_page")
        }
        report["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        for server in servers:
            stop(server)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--db", help="an existing archive (path or postgresql:// URL) to serve (unchanged unless --ingest)"
    )
    source.add_argument("--build", nargs="+", help="files to ingest into a temporary archive first")
    parser.add_argument("--ingest", nargs="*", default=[], help="files ingested during the second open loop")
    parser.add_argument("--ingest-nice", type=int, default=0, help="run the ingest at this niceness")
    parser.add_argument("--ingest-workers", type=int, default=0, help="$CHANCERY_WORKERS for the ingest")
    parser.add_argument("--workers", type=int, default=2, help="server processes per node")
    parser.add_argument(
        "--node-index", nargs="+", help="serve one node per index directory (on a postgresql:// --db)"
    )
    parser.add_argument("--ingest-index", help="the ingest's own index directory (a third node's)")
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60, help="idle open-loop phase")
    parser.add_argument("--max-ingest-seconds", type=float, default=120)
    parser.add_argument("--single-seconds", type=float, default=10, help="per kind")
    parser.add_argument("--saturation-seconds", type=float, default=20, help="per kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="chancery-load-"))
    try:
        db = args.db
        report_build: dict[str, Any] = {}
        if args.build:
            db = str(workdir / "load.db")
            report_build = {
                "paths": [Path(p).name for p in args.build],
                "seconds": round(build(args.build, db), 1),
            }
        report = asyncio.run(run(args, db, workdir))
        report["build"] = report_build
        report["cpus"] = os.cpu_count()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k.startswith(("load_", "build", "cpus"))}, indent=2))
    print(markdown(report))


if __name__ == "__main__":
    main()
