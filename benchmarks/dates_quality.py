"""How well does `parse_date` read FRUS datelines? Compare with the editors' `date/@when`.

For every `div[@type="document"]` in the FRUS volumes whose first `dateline` carries a
`date/@when`, parse the dateline text (all markup removed, footnote `note` elements dropped)
with `parse_date(text, default_year=<first year of the volume id>)` and compare:

- the date part at the precision of `@when` ("1956-09" → year-month, "1956-09-13" → day):
  our `when` must start with the same date part, and our precision must not be coarser;
- when `@when` has a time ("1965-10-14T10:20:00Z"), our `when` must carry the same HH:MM
  (the zone suffix is not compared: FRUS marks Zulu times inconsistently);
- a range (`@when` + `@to`) is compared at its start.

Usage:
    python benchmarks/dates_quality.py [--corpus ../shared/corpus] [--volumes GLOB] [--json]
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chancery.enrich.dates import parse_date_report  # noqa: E402

TEI = "{http://www.tei-c.org/ns/1.0}"
_MONTHS = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b"
)


def volume_year(volume_id: str) -> int | None:
    """frus1949v07p1 → 1949; frus1952-54v12p2 → 1952 (the first year)."""
    m = re.match(r"frus(\d{4})", volume_id)
    return int(m.group(1)) if m else None


def text_without_notes(el: etree._Element) -> str:
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text and node.tag != TEI + "note":
            parts.append(node.text)
        for child in node:
            if child.tag != TEI + "note":
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return " ".join("".join(parts).split())


def iter_datelines(path: str):
    """(volume id, dateline text, @when) for each document whose first dateline has date/@when."""
    vid = os.path.basename(path).removesuffix(".xml.gz")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=True)
    with gzip.open(path) as fh:
        tree = etree.parse(fh, parser)
    for div in tree.iter(TEI + "div"):
        if div.get("type") != "document":
            continue
        dl = next(div.iter(TEI + "dateline"), None)
        if dl is None:
            continue
        d = next(dl.iter(TEI + "date"), None)
        if d is None or not d.get("when"):
            continue
        yield vid, text_without_notes(dl), d.get("when").strip()


def compare(expected: str, got: str | None) -> str | None:
    """None when `got` matches `expected` (see module docstring), else a failure kind."""
    if not got:
        return "no date"
    date_part, _, time_part = expected.partition("T")
    if not got.startswith(date_part):
        return "wrong date"
    got_date = got.split("T")[0]
    if len(got_date) < len(date_part):
        return "coarser precision"
    if time_part:
        if "T" not in got:
            return "missing time"
        if got.split("T")[1][:5] != time_part[:5]:
            return "wrong time"
    return None


def shape(text: str) -> str:
    s = _MONTHS.sub("Mon", text)
    s = re.sub(r"\d", "9", s)
    s = re.sub(r"^[^,9]*?(?=,|\s9|\sMon)", "Place", s, count=1)
    return s[:70]


def run(volumes: list[str]) -> dict:
    total = ok = 0
    failures: Counter[str] = Counter()
    examples: dict[str, list[dict]] = defaultdict(list)
    per_volume: dict[str, list[int]] = {}
    t0 = time.perf_counter()
    parse_time = 0.0
    for path in volumes:
        for vid, text, when in iter_datelines(path):
            total += 1
            t = time.perf_counter()
            got, notes = parse_date_report(text, default_year=volume_year(vid))
            parse_time += time.perf_counter() - t
            kind = compare(when, got.when if got else None)
            pv = per_volume.setdefault(vid, [0, 0])
            pv[1] += 1
            if kind is None:
                ok += 1
                pv[0] += 1
                continue
            cat = f"{kind}: {shape(text)}"
            failures[cat] += 1
            if len(examples[cat]) < 3:
                examples[cat].append(
                    {
                        "volume": vid,
                        "dateline": text,
                        "when": when,
                        "got": got.when if got else None,
                        "notes": notes,
                    }
                )
    return {
        "documents": total,
        "matching": ok,
        "share": ok / total if total else 0.0,
        "seconds_total": round(time.perf_counter() - t0, 2),
        "seconds_parsing": round(parse_time, 3),
        "failure_kinds": dict(Counter(k.split(":")[0] for k in failures.elements())),
        "top_failures": [
            {"category": cat, "count": n, "examples": examples[cat]} for cat, n in failures.most_common(20)
        ],
        "per_volume": {v: {"matching": a, "documents": b} for v, (a, b) in sorted(per_volume.items())},
    }


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--corpus", default=os.environ.get("CHANCERY_CORPUS", str(root.parent / "shared" / "corpus"))
    )
    ap.add_argument("--volumes", default="*.xml.gz", help="glob inside frus/volumes")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args()
    volumes = sorted(glob.glob(os.path.join(args.corpus, "frus", "volumes", args.volumes)))
    if not volumes:
        sys.exit(f"no FRUS volumes under {args.corpus}/frus/volumes")
    report = run(volumes)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    print(f"volumes: {len(volumes)}  documents with date/@when: {report['documents']}")
    print(f"matching: {report['matching']}  share: {report['share']:.2%}")
    print(f"time: {report['seconds_total']} s total, {report['seconds_parsing']} s in parse_date")
    print("failure kinds:", report["failure_kinds"])
    print("\nTop failure categories:")
    for row in report["top_failures"]:
        print(f"{row['count']:5d}  {row['category']}")
        for ex in row["examples"][:2]:
            print(
                f"         {ex['volume']}: {ex['dateline']!r} when={ex['when']} got={ex['got']} {ex['notes']}"
            )


if __name__ == "__main__":
    main()
