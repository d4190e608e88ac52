"""`related` on the full shared corpus: the seed-000 exchange, and recall of DFAT cross-references.

    python benchmarks/related_quality.py --db /tmp/d5/full.db [--pairs 150] [--side tune heldout]

The archive is the whole shared corpus as a user ingests it (FRUS volumes, DFAT volumes, the Wilson
sample, the seeds). Two measures:

- Seed 000 (Harriman to Truman, June 1945, undated in the seed): the top 10 of `related`, with the
  rank of the Wilson cable of the same exchange (`wilson/123402`, seed 001).
- DFAT "Document N" footnotes (a cross-reference inside a volume; `search_quality.related_pairs`
  builds the same pairs): recall@10 of the referenced document, with the store's links and with
  content only (links ignored). Volumes split by `benchmarks/splits.py`; weights are tuned on the
  tune side only, the held-out side is scored at the end. `--pairs` takes an even sample of each
  side's pairs (a call costs ~0.5-2 s on the loaded machine).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.splits import dfat_volumes, split  # noqa: E402
from chancery.archive import Archive  # noqa: E402

SEED = "frus-text/000_e45dc6676497ee2e"
CABLE = "wilson/123402"
_DOC_REF = re.compile(r"\bDocument (\d+)\b")


def load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def collection_of(volume: str) -> str:
    """DFAT tarball name (volume-7-1944) -> collection id (dfat-v07)."""
    return f"dfat-v{int(volume.split('-')[1]):02d}"


def related_pairs(archive: Archive, collections: set[str]) -> list[tuple[str, str]]:
    pairs = []
    for coll in archive.collections():
        if coll.id not in collections:
            continue
        docs = list(archive.documents(coll.id))
        by_n = {d.n: d.id for d in docs}
        for doc in docs:
            for note in doc.footnotes:
                for n in _DOC_REF.findall(note.text):
                    if n in by_n and by_n[n] != doc.id:
                        pairs.append((doc.id, by_n[n]))
    return sorted(set(pairs))


def seed_report(archive: Archive) -> None:
    t = time.perf_counter()
    hits = archive.related(SEED, limit=10)
    ms = 1000 * (time.perf_counter() - t)
    ids = [h["id"] for h in hits]
    rank = ids.index(CABLE) + 1 if CABLE in ids else None
    print(f"## Seed 000: `chancery related {SEED}` ({ms:.0f} ms, {load()})\n")
    print(f"Wilson cable {CABLE}: rank {rank}\n")
    print("| # | score | id | date | why |\n|---|---|---|---|---|")
    for i, h in enumerate(hits, 1):
        print(f"| {i} | {h['score']:.2f} | {h['id']} | {h.get('date') or ''} | {'; '.join(h['why'])} |")


def recall(archive: Archive, pairs: list[tuple[str, str]], use_links: bool) -> tuple[float, float]:
    t, found = time.perf_counter(), 0
    for src, dst in pairs:
        found += dst in {h["id"] for h in archive.related(src, limit=10, use_links=use_links)}
    return found / max(len(pairs), 1), 1000 * (time.perf_counter() - t) / max(len(pairs), 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True)
    parser.add_argument("--pairs", type=int, default=150, help="pairs per side (even sample); 0: all")
    parser.add_argument("--side", nargs="+", default=["tune", "heldout"], choices=["tune", "heldout"])
    parser.add_argument("--no-seed", action="store_true")
    args = parser.parse_args()
    with Archive.open(args.db) as archive:
        vectors = archive._vectors_if_any()  # noqa: SLF001
        print(f"{archive.store.count_documents()} documents, {len(vectors) if vectors else 0} with vectors\n")
        if not args.no_seed:
            seed_report(archive)
        print("\n## DFAT 'Document N' cross-references: recall@10 of the referenced document\n")
        print("| side | volumes | pairs (sampled of) | with links | content only | ms/call |")
        print("|---|---|---|---|---|---|")
        for side in args.side:
            volumes = split(dfat_volumes(), side)
            pairs = related_pairs(archive, {collection_of(v) for v in volumes})
            total = len(pairs)
            if args.pairs and total > args.pairs:
                step = total / args.pairs
                pairs = [pairs[int(i * step)] for i in range(args.pairs)]
            linked, _ = recall(archive, pairs, True)
            content, ms = recall(archive, pairs, False)
            print(
                f"| {side} | {len(volumes)} | {len(pairs)} ({total}) | {linked:.3f} | {content:.3f} | {ms:.0f} |"
            )
        print(f"\n({load()})")


if __name__ == "__main__":
    main()
