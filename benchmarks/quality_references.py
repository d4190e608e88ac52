"""How well are references resolved, and how good are inferred dates? Temp SQLite archive.

Ingests a fixed subset (10 FRUS volumes, 5 DFAT volumes) through `chancery.Archive`, then:

- FRUS: TEI `ref` targets naming a document (``#dNN``, ``#dNNfnN``, ``frusVOL#dNN``) of an
  ingested volume whose id exists: right when `target_id` is exactly that id;
- DFAT: "Document N" references (same volume, or "vol. VI, Document N" of an ingested volume):
  right when the target document's collection is that volume and its `n` (doc_num) is N;
- dates: hide each stated day of the FRUS documents, infer it from chapter neighbours and
  coverage, report the share inside the interval and the median width;
- time: reference extraction and one full linking run, per 1,000 documents.

Usage: python benchmarks/quality_references.py [--corpus ../shared/corpus] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chancery.archive import Archive  # noqa: E402
from chancery.enrich.references import extract  # noqa: E402
from chancery.linking import evaluate_inference  # noqa: E402

FRUS = [
    "frus1948v01p1", "frus1948v01p2", "frus1952-54Guat", "frus1955-57v01", "frus1955-57v02",
    "frus1955-57v03", "frus1955-57v04", "frus1964-68v10", "frus1964-68v11", "frus1969-76v01",
]  # fmt: skip
DFAT = [
    "volume-5-1941-july-1942-june", "volume-6-1942-july-1943-december", "volume-7-1944",
    "volume-9-1946-january-june", "volume-10-1946-july-december",
]  # fmt: skip
DOC_TARGET = re.compile(r"^(?P<vol>[^#\s]*)#d(?P<n>\d+)(?:fn\d+)?$")


def score(archive: Archive) -> dict[str, dict[str, int]]:
    """Right / wrong / unresolved counts for FRUS ref targets and DFAT document references."""
    ids = set(archive.store.document_ids())
    ingested = {c.id for c in archive.collections()}
    out = {k: {"total": 0, "right": 0, "wrong": 0, "unresolved": 0, "dangling": 0} for k in ("frus", "dfat")}
    for doc in archive.documents():
        coll = doc.collection.id
        family = "dfat" if coll.startswith("dfat-") else "frus"
        for ref in doc.references:
            if ref.kind not in ("tei-ref", "document"):
                continue
            m = DOC_TARGET.match(ref.target or "")
            if not m:
                continue
            vol = m["vol"] or coll
            if vol not in ingested:
                continue  # another volume, not ingested
            expected = f"{vol}/d{m['n']}"
            counts = out[family]
            if expected not in ids:
                counts["dangling"] += 1  # the source names a document that does not exist
                continue
            counts["total"] += 1
            got = ref.target_id
            if got is None:
                counts["unresolved"] += 1
            elif got == expected and (family == "frus" or _dfat_fits(archive, got, vol, m["n"])):
                counts["right"] += 1
            else:
                counts["wrong"] += 1
    return out


def _dfat_fits(archive: Archive, doc_id: str, vol: str, n: str) -> bool:
    target = archive.document(doc_id)
    return target.collection.id == vol and str(target.n) == n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=os.environ.get("CHANCERY_CORPUS", "../shared/corpus"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    paths = [corpus / "frus" / "volumes" / f"{v}.xml.gz" for v in FRUS]
    paths += [corpus / "dfat" / f"{v}.tar.gz" for v in DFAT]
    with tempfile.TemporaryDirectory() as tmp, Archive.open(Path(tmp) / "refs.db") as archive:
        started = time.perf_counter()
        ingest = archive.ingest(paths)
        ingest_seconds = time.perf_counter() - started
        n_docs = archive.store.count_documents()
        started = time.perf_counter()
        for doc in archive.documents():
            extract(doc.text)
            for note in doc.footnotes:
                extract(note.text, True)
        extract_seconds = time.perf_counter() - started
        link = archive.link()
        frus_ids = [c.id for c in archive.collections() if c.archive == "frus"]
        result = {
            "documents": n_docs,
            "ingest_failures": len(ingest.failures),
            "resolution": score(archive),
            "inference": evaluate_inference(archive.store, frus_ids),
            "inferred_dates": link.inferred_dates,
            "by_kind": link.by_kind,
            "seconds_per_1000": {
                "ingest": round(ingest_seconds / n_docs * 1000, 3),
                "extraction": round(extract_seconds / n_docs * 1000, 3),
                "full_link_run": round(link.seconds / n_docs * 1000, 3),
            },
        }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for family, counts in result["resolution"].items():
        share = counts["right"] / counts["total"] if counts["total"] else 0
        print(f"{family}: {counts['right']}/{counts['total']} right ({share:.2%}), {counts}")
    print("inference:", result["inference"], "inferred undated:", result["inferred_dates"])
    print("by kind [found, resolved]:", result["by_kind"])
    print("seconds per 1,000 documents:", result["seconds_per_1000"], "documents:", n_docs)


if __name__ == "__main__":
    main()
