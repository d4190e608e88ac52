"""Search latency over the real corpus and a 300,000-document scale-up, next to the tantivy floor.

    python benchmarks/search_speed.py                      # real corpus, then 300k scale-up
    python benchmarks/search_speed.py --db chancery.db     # documents from this ingested archive
    python benchmarks/search_speed.py --extract            # corpus read by the extractor here
    python benchmarks/search_speed.py --scale 0            # real corpus only

By default the documents come from an archive built with `chancery ingest` over the shared corpus
(FRUS TEI volumes, DFAT, Wilson) at DEFAULT_DB; when that file is missing it is ingested first
(about 15 minutes, once), so hits carry real senders, places and mentions. `--extract` reads
the corpus with the minimal extractor below instead (FRUS `div[@type=document]`, DFAT Markdown).
For each of 200 mixed queries (words, phrases, fields, date ranges) it times `engine.search`
(facets and snippets on, limit 20), the same without facets, and the compiled tantivy Query run
straight through tantivy (the floors: see `measure`).
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from chancery.search.engine import DEFAULT_FACETS, compile_query, execute, search
from chancery.search.facets import aggregations
from chancery.search.index import SearchIndex
from chancery.search.variants import Variants

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_DB = Path(tempfile.gettempdir()) / "chancery-bench" / "corpus.db"
TEI = "{http://www.tei-c.org/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


# -- documents --------------------------------------------------------------------------------
def frus_documents(path: Path) -> Iterator[dict[str, Any]]:
    volume = path.name.split(".")[0]
    parser_args = {"events": ("end",), "tag": f"{TEI}div", "recover": True, "huge_tree": True}
    for _, elem in etree.iterparse(gzip.open(path), **parser_args):
        if elem.get("type") != "document":
            continue
        head = elem.find(f"{TEI}head")
        when = next((d.get("when") for d in elem.iter(f"{TEI}date") if d.get("when")), None)
        senders = [
            {"name": " ".join(p.itertext()).strip(), "role": None}
            for p in elem.iter(f"{TEI}persName")
            if p.get("type") == "from"
        ]
        recipients = [
            {"name": " ".join(p.itertext()).strip(), "role": None}
            for p in elem.iter(f"{TEI}persName")
            if p.get("type") == "to"
        ]
        persons = [" ".join(p.itertext()).strip() for p in elem.iter(f"{TEI}persName")][:20]
        yield {
            "id": f"{volume}-{elem.get(XML_ID) or elem.get('n')}",
            "collection": {"id": volume, "title": None},
            "source": {"format": "frus-tei", "path": str(path)},
            "title": " ".join(head.itertext()).strip() if head is not None else None,
            "doc_type": "telegram" if "telegram" in " ".join(elem.itertext())[:400].lower() else "document",
            "date": {"when": when, "not_before": when, "not_after": when} if when else {},
            "senders": senders,
            "recipients": recipients,
            "mentions": [{"type": "person", "text": p, "start": 0, "end": 0} for p in persons if p],
            "text": " ".join(" ".join(elem.itertext()).split()),
        }
        elem.clear()


def dfat_documents(path: Path) -> Iterator[dict[str, Any]]:
    with tarfile.open(path) as tar:
        for member in tar:
            if not member.name.endswith(".md"):
                continue
            raw = tar.extractfile(member).read().decode("utf-8", "replace")
            _, front, body = (raw.split("---", 2) + ["", ""])[:3] if raw.startswith("---") else ("", "", raw)
            date = re.search(r"doc_date: '?(\d{4}-\d{2}-\d{2})", front)
            title = re.search(r"^title: (.*(?:\n  .*)*)", front, re.M)
            classification = re.search(r"^\s*(TOP SECRET|SECRET|CONFIDENTIAL|RESTRICTED)", body, re.M)
            title_text = " ".join(title.group(1).split()) if title else None
            sender, _, recipient = (title_text or "").partition(" to ")
            when = date.group(1) if date else None
            yield {
                "id": f"dfat-{Path(member.name).parent.name}-{Path(member.name).stem}",
                "collection": {"id": f"dfat-{Path(member.name).parent.name}", "title": None},
                "source": {"format": "dfat", "path": f"{path}!{member.name}"},
                "title": title_text,
                "doc_type": body.split()[0].lower() if body.split() else None,
                "date": {"when": when, "not_before": when, "not_after": when} if when else {},
                "senders": [{"name": sender}] if recipient else [],
                "recipients": [{"name": recipient}] if recipient else [],
                "markings": {"classification": classification.group(1) if classification else None},
                "text": body.strip(),
            }


def corpus_documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((CORPUS / "frus" / "volumes").glob("*.xml.gz")):
        docs.extend(frus_documents(path))
    for path in sorted((CORPUS / "dfat").glob("volume-*.tar.gz")):
        docs.extend(dfat_documents(path))
    return docs


def archive_documents(db: str | Path) -> list[dict[str, Any]]:
    from chancery.store import open_store, resolve_db

    store = open_store(resolve_db(str(db)))
    return list(store.iter_documents())


def ingested_archive(db: Path) -> Path:
    """`db`, after ingesting the shared corpus into it with `chancery ingest` if it does not exist."""
    if db.exists():
        return db
    db.parent.mkdir(parents=True, exist_ok=True)
    paths = [CORPUS / "frus" / "volumes", CORPUS / "dfat", CORPUS / "wilson"]
    print(f"ingesting the corpus into {db} (once) ...", file=sys.stderr, flush=True)
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "chancery", "ingest", "--db", str(db), "--json", *map(str, paths)],
        stdout=subprocess.DEVNULL,
    )
    # exit 1 means some file failed (the corpus has a few non-document files); the rest is in
    if done.returncode not in (0, 1) or not db.exists():
        sys.exit(f"chancery ingest failed (exit {done.returncode})")
    print(f"ingested in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return db


def scaled(docs: list[dict[str, Any]], n: int) -> Iterator[dict[str, Any]]:
    """`n` documents: the real ones, then copies with new ids and dates shifted by whole days."""
    rng = random.Random(7)
    for i in range(n):
        doc = docs[i % len(docs)]
        if i < len(docs):
            yield doc
            continue
        copy = dict(doc, id=f"{doc['id']}~{i // len(docs)}")
        date = doc.get("date") or {}
        if date.get("not_before"):
            shift = rng.randint(-400, 400)
            copy["date"] = {
                k: _shift(v, shift) for k, v in date.items() if k in ("when", "not_before", "not_after")
            }
        yield copy


def _shift(iso: str | None, days: int) -> str | None:
    from datetime import date, timedelta

    try:
        return (date.fromisoformat(iso[:10]) + timedelta(days=days)).isoformat() if iso else None
    except ValueError:
        return iso


def build(docs: Iterator[dict[str, Any]], path: Path) -> tuple[SearchIndex, float]:
    index = SearchIndex(path)
    start = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= 50_000:
            index.apply(batch, [], threads=2)
            batch = []
    index.apply(batch, [], threads=2)
    return index, time.perf_counter() - start


# -- queries ----------------------------------------------------------------------------------
def make_queries(docs: list[dict[str, Any]], n: int = 200) -> list[str]:
    rng = random.Random(42)
    words = Counter()
    for doc in docs[:: max(1, len(docs) // 3000)]:
        words.update(w.lower() for w in re.findall(r"[A-Za-z]{4,}", doc.get("text") or ""))
    common = [w for w, _ in words.most_common(3000)[100:]]
    senders = [p["name"].split()[-1] for d in docs for p in d.get("senders") or [] if p.get("name")]
    senders = [s for s in senders if s.isalpha()] or ["harriman"]
    queries = []
    for i in range(n):
        kind = i % 8
        w1, w2 = rng.choice(common), rng.choice(common)
        year = rng.randint(1938, 1975)
        if kind == 0:
            q = w1
        elif kind == 1:
            q = f"{w1} {w2}"
        elif kind == 2:
            text = rng.choice(docs)["text"].split()
            start = rng.randrange(max(1, len(text) - 3))
            q = '"' + " ".join(re.sub(r"\W", "", t) for t in text[start : start + 2]) + '"'
        elif kind == 3:
            q = f"from:{rng.choice(senders)}"
        elif kind == 4:
            q = f"{w1} date:{year}-0{rng.randint(1, 9)}..{year + 1}"
        elif kind == 5:
            q = f"{w1} OR {w2} -{rng.choice(common)}"
        elif kind == 6:
            q = f"type:telegram {w1} after:{year}"
        else:
            q = f"{w1[:5]}* before:{year}"
        queries.append(q if q.strip('"') else w1)
    return queries


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(index: SearchIndex, queries: list[str]) -> dict[str, float]:
    """Per query, in this order: the engine with facets, without, then the same compiled query
    straight through tantivy: top 20 with count (floor), top 20 with count plus the engine's
    aggregation dict over every match (floor with aggregations), and the tantivy calls the
    engine itself makes (probe, top 20, sampled or exact aggregation: its tantivy share)."""
    variants = Variants()
    for q in queries[:20]:  # warm caches and the OS page cache
        search(index, q, limit=20, facets=True, variants=variants)
    times: dict[str, list[float]] = {k: [] for k in ("full", "plain", "floor", "floor_aggs", "share")}
    approximate = 0
    errors: list[tuple[float, float, float]] = []
    for q in queries:
        t = time.perf_counter()
        result = search(index, q, limit=20, facets=True, variants=variants).to_dict()
        times["full"].append((time.perf_counter() - t) * 1000)
        approximate += bool(result["facets_approximate"])
        if result["facets_approximate"]:
            exact = search(index, q, limit=20, exact_limit=10**9, variants=variants).to_dict()
            errors.append(approximation_error(result, exact))
        t = time.perf_counter()
        search(index, q, limit=20, facets=False, variants=variants)
        times["plain"].append((time.perf_counter() - t) * 1000)
        searcher, compiler, compiled = compile_query(index, q, variants)
        t = time.perf_counter()
        searcher.search(compiled, limit=20, count=True)
        times["floor"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        searcher.search(compiled, limit=20, count=True)
        searcher.aggregate(compiled, aggregations(names=DEFAULT_FACETS))
        times["floor_aggs"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        execute(searcher, index.schema, compiled, compiler.has_phrase, "relevance", 20, 0, facets=True)
        times["share"].append((time.perf_counter() - t) * 1000)
    kinds = ["word", "two words", "phrase", "from:", "word+date", "OR/-", "type+word+after", "prefix+before"]
    by_kind = {
        k: [t for i, t in enumerate(times["full"]) if i % len(kinds) == j] for j, k in enumerate(kinds)
    }
    print(
        "search p50 / p95 by kind: "
        + ", ".join(
            f"{k} {statistics.median(v):.1f} / {percentile(v, 95):.1f}" for k, v in by_kind.items() if v
        ),
        file=sys.stderr,
        flush=True,
    )
    if errors:
        total_err, facet_err, recall = zip(*errors, strict=True)
        print(
            f"approximate results: {len(errors)}; total error p50 {statistics.median(total_err):.1%} "
            f"max {max(total_err):.1%}; top-5 facet values: count error p50 {statistics.median(facet_err):.1%} "
            f"max {max(facet_err):.1%}, found in the approximate top 10: {statistics.mean(recall):.1%}",
            file=sys.stderr,
            flush=True,
        )
    out = {"approximate": approximate / len(queries), "load": os.getloadavg()[0]}
    for name, values in times.items():
        out[f"{name}_p50"], out[f"{name}_p95"] = statistics.median(values), percentile(values, 95)
    return out


def approximation_error(approx: dict[str, Any], exact: dict[str, Any]) -> tuple[float, float, float]:
    """(relative error of total, median relative error of the exact top-5 facet values' counts,
    share of those values present in the approximate facets)."""
    total_err = abs(approx["total"] - exact["total"]) / max(exact["total"], 1)
    errs, found, wanted = [], 0, 0
    for name, values in exact["facets"].items():
        approx_counts = {v["value"]: v["count"] for v in approx["facets"].get(name, [])}
        for v in values[:5]:
            wanted += 1
            if v["value"] in approx_counts:
                found += 1
                errs.append(abs(approx_counts[v["value"]] - v["count"]) / v["count"])
    return total_err, statistics.median(errs) if errs else 0.0, found / max(wanted, 1)


HEADER = (
    "| corpus | documents | search p50 / p95 ms (facets+snippets) | no facets | floor: top 20 + count "
    "| floor + same aggregations (exact) | engine's tantivy calls | approximate | load | index size | build | peak RSS |"
)


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def report(label: str, n: int, build_s: float, path: Path, m: dict[str, float]) -> str:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pair = " | ".join(
        f"{m[k + '_p50']:.1f} / {m[k + '_p95']:.1f}"
        for k in ("full", "plain", "floor", "floor_aggs", "share")
    )
    return (
        f"| {label} | {n:,} | {pair} | {m['approximate']:.0%} | {m['load']:.1f} "
        f"| {size_mb(path):,.0f} MB | {build_s:.0f} s | {peak:,.0f} MB |"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help=f"read documents from this ingested archive (default {DEFAULT_DB})")
    ap.add_argument("--extract", action="store_true", help="read the corpus with the extractor here")
    ap.add_argument("--scale", type=int, default=300_000, help="scale-up size (0: skip)")
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    t = time.perf_counter()
    if args.extract:
        docs = corpus_documents()
    else:
        docs = archive_documents(args.db if args.db else ingested_archive(DEFAULT_DB))
    print(f"loaded {len(docs):,} documents in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    queries = make_queries(docs, args.queries)
    print(HEADER)
    print("|---" * (HEADER.count("|") - 1) + "|")
    with tempfile.TemporaryDirectory() as tmp:
        index, build_s = build(iter(docs), Path(tmp) / "real")
        print(report("real", index.count(), build_s, Path(tmp) / "real", measure(index, queries)), flush=True)
        if args.scale:
            index, build_s = build(scaled(docs, args.scale), Path(tmp) / "scaled")
            print(report("scale-up", index.count(), build_s, Path(tmp) / "scaled", measure(index, queries)))


if __name__ == "__main__":
    main()
