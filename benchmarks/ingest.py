"""Ingest speed: Chancery vs. a floor measured in the same run.

The floor is lxml parsing the same FRUS volumes plus inserting each document's text into a
bare SQLite FTS5 table. The figure is the ratio chancery_time / floor_time (aim: <= 2).

    python benchmarks/ingest.py [--corpus ../shared/corpus] [--volumes N] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chancery.archive import Archive  # noqa: E402

TEI = "{http://www.tei-c.org/ns/1.0}"


def floor(files: list[Path], db_path: Path) -> dict:
    """lxml parse + one FTS5 insert per document div: the least any ingest must do."""
    start = time.perf_counter()
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE VIRTUAL TABLE docs USING fts5(id, text)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, recover=True)
    n_docs = n_bytes = 0
    for path in files:
        data = gzip.decompress(path.read_bytes())
        n_bytes += len(data)
        root = etree.fromstring(data, parser)
        rows = []
        for div in root.iter(f"{TEI}div"):
            if div.get("type") == "document":
                rows.append((div.get("{http://www.w3.org/XML/1998/namespace}id"), "".join(div.itertext())))
        conn.executemany("INSERT INTO docs (id, text) VALUES (?, ?)", rows)
        conn.commit()
        n_docs += len(rows)
    conn.close()
    return {"seconds": time.perf_counter() - start, "documents": n_docs, "bytes": n_bytes}


def chancery(files: list[Path], db_path: Path) -> dict:
    start = time.perf_counter()
    with Archive.open(db_path) as archive:
        report = archive.ingest(files)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "documents": report.documents,
        "bytes": report.bytes,
        "failures": len(report.failures),
    }


def commit() -> str:
    """The checkout's commit, with "+changes" when tracked chancery files differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "chancery"], cwd=ROOT).returncode
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def rates(result: dict) -> dict:
    s = result["seconds"]
    return {**result, "docs_per_s": result["documents"] / s, "mb_per_s": result["bytes"] / s / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--corpus", default=os.environ.get("CHANCERY_CORPUS", ROOT.parent / "shared" / "corpus")
    )
    parser.add_argument("--volumes", type=int, default=0, help="only the first N volumes (0 = all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    files = sorted(Path(args.corpus, "frus", "volumes").glob("*.xml.gz"))
    if args.volumes:
        files = files[: args.volumes]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        base = rates(floor(files, Path(tmp) / "floor.db"))
        ours = rates(chancery(files, Path(tmp) / "chancery.db"))
        again_start = time.perf_counter()
        with Archive.open(Path(tmp) / "chancery.db") as archive:
            archive.ingest(files)
        reingest = time.perf_counter() - again_start
    result = {
        "volumes": len(files),
        "floor": base,
        "chancery": ours,
        "ratio": ours["seconds"] / base["seconds"],
        "reingest_unchanged_seconds": reingest,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],  # before, after
        "commit": commit(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{len(files)} FRUS volumes, {base['bytes'] / 1e6:.0f} MB of XML, {ours['documents']} documents")
    for name, r in (("floor (lxml + FTS5)", base), ("chancery ingest", ours)):
        print(f"  {name:22s} {r['seconds']:7.1f} s  {r['docs_per_s']:7.0f} docs/s  {r['mb_per_s']:6.1f} MB/s")
    print(f"  ratio chancery/floor: {result['ratio']:.2f}x   re-ingest unchanged: {reingest:.1f} s")
    print(f"  peak RSS {result['peak_rss_mb']:.0f} MB")
    print(
        f"  load average {result['load_average'][0]} before, {result['load_average'][1]} after; commit {result['commit']}"
    )


if __name__ == "__main__":
    main()
