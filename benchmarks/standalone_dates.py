"""Dates for documents that stand alone, measured through the product.

FRUS documents of the `tune` (or `heldout`) volumes of `benchmarks/splits.py` are rendered as loose
text files the way a reader copies them from history.state.gov, but with every date taken out: the
numbered heading line (any date in it removed) and the body, without the dateline and without the
archive-file line. They are ingested into a fresh archive (`chancery ingest`, shipped authority,
no `authority load`) and exported (`chancery export`); each export is scored against the
document's dateline date (`@when`): the share with an inferred interval, the share whose interval
contains the true day, and the median width of the intervals (days).

    python benchmarks/standalone_dates.py --side tune [--docs 400] [--seed 0] [--show 20]
    python benchmarks/standalone_dates.py --side heldout
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from splits import CORPUS, frus_volumes, split  # noqa: E402

from chancery.dates import MONTH_NAMES  # noqa: E402
from chancery.sources.files import SourceItem  # noqa: E402
from chancery.sources.frus_tei import read  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MONTH = "|".join(MONTH_NAMES)
YEAR = r"1[789]\d\d"
# "Moscow, June 16, 1945—9 a.m.", "[Washington, September 3, 1948.]", "June 16, 1945."
DATELINE = re.compile(
    rf"^\W*(?:[A-Z][\w .’'-]{{0,40}},\s*)?(?:(?:{MONTH})\s+\d{{1,2}},?\s+{YEAR}|\d{{1,2}}\s+(?:{MONTH}),?\s+{YEAR}|(?:{MONTH}),?\s+{YEAR})\b.{{0,40}}$"
)
HEAD_DATE = re.compile(rf",?\s*(?:(?:{MONTH})\s+\d{{1,2}},?\s+{YEAR}|(?:{MONTH})\s+{YEAR}|{YEAR})")


def render(doc_n: str | None, title: str, text: str) -> str:
    """The heading line ("12. Title", dates removed) and the body without dateline lines."""
    head = HEAD_DATE.sub("", title).strip().rstrip(",")
    lines = text.split("\n")
    keep = [
        line
        for i, line in enumerate(lines)
        if not ((i < 8 or i >= len(lines) - 8) and len(line) < 100 and DATELINE.match(line.strip()))
    ]
    body = "\n".join(keep).strip()
    number = f"{doc_n}. " if doc_n and not head.startswith(f"{doc_n}.") else ""
    return f"{number}{head}\n\n{body}\n"


def sample(side: str, docs: int, seed: int) -> list[tuple[str, str, date]]:
    """(file stem, rendered text, true day) for `docs` documents with a day dateline, spread over the side's volumes."""
    rng = random.Random(seed)
    volumes = split(frus_volumes(), side)
    rng.shuffle(volumes)
    per_volume = max(1, docs // min(len(volumes), 20))
    out: list[tuple[str, str, date]] = []
    for vol in volumes:
        if len(out) >= docs:
            break
        path = CORPUS / "frus" / "volumes" / f"{vol}.xml.gz"
        parsed = read(SourceItem(str(path), gzip.open(path).read(), f"{vol}.xml"))
        dated = [
            d
            for d in parsed
            if d.date
            and d.date.basis == "dateline"
            and d.date.precision in ("day", "minute")
            and d.text
            and d.title
        ]
        for d in rng.sample(dated, min(per_volume, len(dated), docs - len(out))):
            assert d.date and d.date.when and d.title and d.text
            stem = d.id.replace("/", "_")
            out.append((stem, render(d.n, d.title, d.text), date.fromisoformat(d.date.when[:10])))
    return out


def run(side: str, docs: int, seed: int, show: int, keep: str | None = None) -> dict[str, object]:
    items = sample(side, docs, seed)
    truth = {stem: day for stem, _, day in items}
    with tempfile.TemporaryDirectory(prefix="standalone-") as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        for stem, body, _ in items:
            (folder / f"{stem}.txt").write_text(body, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        env.pop("CHANCERY_SHIPPED_AUTHORITY", None)
        db = str(Path(tmp) / "archive.db")
        chancery = [sys.executable, "-m", "chancery"]
        subprocess.run(
            [*chancery, "ingest", str(folder), "--db", db], env=env, check=False, capture_output=True
        )
        out = subprocess.run(
            [*chancery, "export", "--db", db], env=env, check=True, capture_output=True
        ).stdout
        if keep:
            subprocess.run(["cp", "-r", str(folder), keep], check=True)
            Path(keep, "export.jsonl").write_bytes(out)
    exported = {d["id"].split("/", 1)[1]: d for d in map(json.loads, out.decode().splitlines())}
    with_interval = contained = 0
    widths: list[int] = []
    misses: list[str] = []
    by_basis: dict[str, list[int]] = {}  # kind of date -> [documents, containing the true day]
    for stem, day in truth.items():
        got = (exported.get(stem) or {}).get("date") or {}
        low, high = got.get("not_before"), got.get("not_after")
        if not (low and high):
            continue
        lo, hi = date.fromisoformat(low[:10]), date.fromisoformat(high[:10])
        with_interval += 1
        kind = "inferred" if (got.get("basis") or "").startswith("inferred") else "found in the text"
        by_basis.setdefault(kind, [0, 0])[0] += 1
        widths.append((hi - lo).days + 1)
        if lo <= day <= hi:
            contained += 1
            by_basis[kind][1] += 1
        elif len(misses) < show:
            misses.append(f"{stem}: true {day}, got {low}..{high} ({got.get('basis')})")
    for line in misses:
        print(line, file=sys.stderr)
    n = len(truth)
    return {
        "side": side,
        "documents": n,
        "exported": len(exported),
        "with_interval": with_interval,
        "share_with_interval": round(with_interval / n, 3) if n else None,
        "contains_true_date": contained,
        "share_contained_of_all": round(contained / n, 3) if n else None,
        "share_contained_of_dated": round(contained / with_interval, 3) if with_interval else None,
        "median_width_days": statistics.median(widths) if widths else None,
        "by_basis": by_basis,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--side", choices=("tune", "heldout"), default="tune")
    ap.add_argument("--docs", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--show", type=int, default=0, help="print this many misses (tune side only)")
    ap.add_argument(
        "--keep", help="copy the rendered files and the export to this new folder (tune side only)"
    )
    args = ap.parse_args()
    show = args.show if args.side == "tune" else 0
    keep = args.keep if args.side == "tune" else None
    print(json.dumps(run(args.side, args.docs, args.seed, show, keep), indent=2))


if __name__ == "__main__":
    main()
