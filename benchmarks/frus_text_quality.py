"""FRUS documents copied as text, without the archive-file line: read through the product?

Each sampled FRUS TEI document (read with the project's TEI reader) is rendered the way
history.state.gov shows it, written to a temp folder as a .txt file, ingested into a fresh
temp archive with `chancery ingest` (a subprocess) and read back with `chancery export`:

    163. Telegram From the Ambassador in the Soviet Union (Harriman) to President Truman1
                                                    (the head; "N. " added when it has none)
    Moscow, June 16, 1945—9 a.m.                    (the text: dateline, body paragraphs)
    ... satisfied with your message and [Page 906] that he ...   (page breaks inline)
    ... my wire of last night2 ...                  (footnote marks: the note's printed number)
      1. Source: Department of State, ...           (the notes, numbered 1..n as on the web page)

Unnumbered source notes (the archive-file line above the title) are left out. Scores, per
document:

- title: the export title equals the TEI head (whitespace normalised, a leading "N. " ignored
  on both sides: older volumes print the number apart from the head);
- date, for documents whose dateline has `date/@when`: the export `date.when` starts with the
  date part of `@when` (day, or month/year at a coarser `@when`);
- pages: the set of page numbers in the export equals the TEI's `pb/@n` within the document;
- footnotes: the same number of footnotes as the TEI, with the same texts, in order;
- frus-typed: the file was read as a FRUS document (format `frus-text`), not as generic text.

Tune on `--side tune` only; `--side heldout` is scored once, at the end.

Usage:
    python benchmarks/frus_text_quality.py [--side tune|heldout] [--docs 300] [--seed 7]
        [--code PATH]   # the chancery checkout to run (default: this one; e.g. a copy of main)
        [--json] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from splits import CORPUS, frus_volumes, split  # noqa: E402

from chancery.model import Document  # noqa: E402
from chancery.sources import frus_tei  # noqa: E402
from chancery.sources.files import SourceItem  # noqa: E402

_NUMBER = re.compile(r"^\s*\d+[A-Za-z]?\.\s+")
FIELDS = ("frus-typed", "title", "date", "pages", "footnotes")


def norm(text: str | None) -> str:
    return " ".join((text or "").split())


def bare_title(text: str | None) -> str:
    return _NUMBER.sub("", norm(text), count=1)


def volume_documents(volume: str) -> list[Document]:
    path = CORPUS / "frus" / "volumes" / f"{volume}.xml.gz"
    data = gzip.decompress(path.read_bytes())
    return frus_tei.read(SourceItem(path=str(path), data=data, name=f"{volume}.xml"))


def sample(side: str, count: int, seed: int) -> list[Document]:
    """`count` documents with text, spread over the side's volumes, chosen with `seed`."""
    rng = random.Random(seed)
    volumes = split(frus_volumes(), side)
    per_volume = -(-count // len(volumes))
    chosen: list[Document] = []
    for volume in volumes:
        docs = [d for d in volume_documents(volume) if d.text.strip() and d.title]
        chosen += rng.sample(docs, min(per_volume, len(docs)))
    rng.shuffle(chosen)
    return sorted(chosen[:count], key=lambda d: d.id)


def render(doc: Document) -> str:
    """The document as history.state.gov shows it, copied as text (see the module note)."""
    head_notes = [f for f in doc.footnotes if f.offset <= 0]
    body_notes = [f for f in doc.footnotes if f.offset > 0]
    title = norm(doc.title)
    if not _NUMBER.match(title) and doc.n:
        title = f"{doc.n}. {title}"
    heading = title + "".join(f.n for f in head_notes)
    inserts: list[tuple[int, int, str]] = []
    for page in doc.pages:
        inserts.append((page.offset, 1, f"[Page {page.n}]"))
    for note in body_notes:
        inserts.append((note.offset, 0, note.n))
    inserts.sort(key=lambda t: (t[0], t[1]))
    text, out, pos = doc.text, [], 0
    for offset, kind, mark in inserts:
        offset = min(offset, len(text))
        out.append(text[pos:offset])
        if kind == 1:
            before = "".join(out)[-1:]
            after = text[offset : offset + 1]
            out.append(
                ("" if before in ("", " ", "\n") else " ") + mark + ("" if after in ("", "\n") else " ")
            )
        else:
            out.append(mark)
        pos = offset
    out.append(text[pos:])
    body = "".join(out).strip()
    notes = "\n".join(f"  {i}. {norm(f.text)}" for i, f in enumerate(doc.footnotes, 1))
    return f"{heading}\n\n{body}\n\n{notes}\n" if notes else f"{heading}\n\n{body}\n"


def file_stem(doc: Document) -> str:
    return doc.id.replace("/", "_")


def run(code: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(
        [sys.executable, "-m", "chancery", *args], env=env, capture_output=True, text=True, cwd=code
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"chancery {args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def through_product(docs: list[Document], code: Path, keep: str | None) -> dict[str, dict[str, Any]]:
    """Render, ingest into a fresh archive and export: export records by document stem."""
    with tempfile.TemporaryDirectory(prefix="frus-text-") as tmp:
        folder = Path(keep) if keep else Path(tmp) / "docs"
        folder.mkdir(parents=True, exist_ok=True)
        for doc in docs:
            (folder / f"{file_stem(doc)}.txt").write_text(render(doc), encoding="utf-8")
        db = str(Path(tmp) / "archive.db")
        run(code, "ingest", str(folder), "--db", db)
        exported = run(code, "export", "--db", db)
    records = [json.loads(line) for line in exported.splitlines() if line.strip()]
    return {Path(r["source"]["path"]).stem: r for r in records}


def scores(doc: Document, got: dict[str, Any] | None) -> dict[str, bool | None]:
    """Right (True), wrong (False) or not scored (None) per field."""
    when = doc.date.when if doc.date.basis == "dateline" else None
    if got is None:
        return {f: False for f in FIELDS} | {"date": False if when else None}
    day = when[:10] if when else None
    got_when = (got.get("date") or {}).get("when") or ""
    tei_notes = [norm(f.text) for f in doc.footnotes]
    got_notes = [norm(f["text"]) for f in got.get("footnotes") or []]
    return {
        "frus-typed": got["source"]["format"] == "frus-text",
        "title": bare_title(got.get("title")) == bare_title(doc.title),
        "date": (got_when.startswith(day)) if day else None,
        "pages": {p["n"] for p in got.get("pages") or []} == {p.n for p in doc.pages},
        "footnotes": got_notes == tei_notes,
    }


def evaluate(side: str, count: int, seed: int, code: Path, keep: str | None) -> dict[str, Any]:
    docs = sample(side, count, seed)
    exported = through_product(docs, code, keep)
    totals = {f: [0, 0] for f in FIELDS}
    formats: dict[str, int] = {}
    misses: dict[str, list[str]] = {f: [] for f in FIELDS}
    for doc in docs:
        got = exported.get(file_stem(doc))
        fmt = got["source"]["format"] if got else "missing"
        formats[fmt] = formats.get(fmt, 0) + 1
        for field, ok in scores(doc, got).items():
            if ok is None:
                continue
            totals[field][1] += 1
            totals[field][0] += int(ok)
            if not ok:
                misses[field].append(doc.id)
    return {
        "side": side,
        "documents": len(docs),
        "volumes": len({d.collection.id for d in docs}),
        "formats": formats,
        "scores": {f: {"right": r, "of": n} for f, (r, n) in totals.items()},
        "misses": misses,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--side", choices=("tune", "heldout"), default="tune")
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--code", default=str(ROOT), help="checkout whose chancery runs ingest/export")
    ap.add_argument("--keep", help="write the rendered .txt files here (kept)")
    ap.add_argument("--misses", action="store_true", help="list the documents each field got wrong")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = evaluate(args.side, args.docs, args.seed, Path(args.code).resolve(), args.keep)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['side']}: {result['documents']} documents from {result['volumes']} volumes")
    print(f"read as: {result['formats']}")
    print("| field | right | of | share |\n|---|---|---|---|")
    for field, s in result["scores"].items():
        share = 100 * s["right"] / s["of"] if s["of"] else 0.0
        print(f"| {field} | {s['right']} | {s['of']} | {share:.1f}% |")
    if args.misses:
        for field, ids in result["misses"].items():
            print(f"{field} wrong: {' '.join(ids)}")


if __name__ == "__main__":
    main()
