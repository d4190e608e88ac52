"""Understanding measured through the product: fresh archives, `chancery ingest`, `chancery export`.

Every figure comes from what a user runs. For each side of the fixed splits (benchmarks/splits.py:
`tune`, the side rules were written against, and `heldout`, scored only), in a temporary folder:

1. **Archive A**: `chancery ingest` of FRUS TEI volumes and DFAT volumes, `chancery export`.
   *References*: each TEI `ref` whose target names a document (`#dNN`, `#dNNfnN`, `VOL#dNN`) of an
   ingested volume (gold read from the raw TEI) must come out of the export as a `tei-ref` link
   to that document; each DFAT "Document N" link must point at the document numbered N of the
   volume it names.
2. **Archive B**: every FRUS document of A written as a text file the way history.state.gov shows
   it (numbered heading, dateline, body with `[Page N]` markers and footnote numbers, footnotes at
   the end), ingested and exported again. *Dates*: the export's `date.when` against the editors'
   first `dateline/date/@when` (same day, no coarser; same HH:MM when `@when` has a time).
   *People*: per document, the set of person entity ids in the export (mentions, senders,
   recipients) against the editors' `persName/@corresp` anywhere in the document, each mapped to
   the shipped authority through the volume's persons list (`by_source`, as
   `build_authority(shipped, persons lists)` merges them); a gold person the shipped authority
   lacks stays gold and counts as missed. "Names" sets aside mentions found through a role phrase
   ("the President"), which the editors never tag.
3. **Archive C**: the cfpf-ner cables of the side, annotations stripped, as `.txt` files.
   *Cables*: PER and GPE mention spans of the export against History Lab's annotations (a
   prediction counts when it overlaps a gold span of its class; PER = PER.IND*, GPE = GPE.*;
   pronouns left out), pooled over PER and GPE and per class.

No `authority load` is run: the archives start with the shipped authority (the variable
CHANCERY_SHIPPED_AUTHORITY, which the test suite sets to 0, is removed from the environment).

    nice -n 10 python benchmarks/quality_product.py                 # both sides, every measure
    nice -n 10 python benchmarks/quality_product.py --side tune --only cables --errors
    python benchmarks/quality_product.py --frus 6 --dfat 4 --seed 1 --json

FRUS and DFAT volumes are a seeded sample of each side (`--frus`, `--dfat`; 0 = all); cables
are all of each side.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from lxml import etree

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import splits  # noqa: E402
from splits import CORPUS  # noqa: E402

TEI = "{http://www.tei-c.org/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
DOC_TARGET = re.compile(r"^(?P<vol>[^#\s]*)#d(?P<n>\d+)(?:fn\d+)?$")
SIDES = ("tune", "heldout")
MEASURES = ("references", "dates", "people", "cables")

Export = list[dict[str, Any]]


# ---------------------------------------------------------------- the product, as a user runs it


def chancery(db: Path, *args: str) -> str:
    """Run `python -m chancery ARGS --db DB` from this checkout; stdout. Raises on a failed run."""
    env = {k: v for k, v in os.environ.items() if k != "CHANCERY_SHIPPED_AUTHORITY"}
    env["PYTHONPATH"] = str(ROOT)
    run = subprocess.run(
        [sys.executable, "-m", "chancery", *args, "--db", str(db)],
        env=env,
        cwd=db.parent,
        capture_output=True,
        text=True,
    )
    if run.returncode not in (0, 1):  # 1: some file failed, reported by the caller
        raise RuntimeError(f"chancery {args[0]} exited {run.returncode}: {run.stderr[-2000:]}")
    return run.stdout


REUSE = False  # --reuse: export the archives a --keep run left instead of ingesting again


def ingest_export(db: Path, paths: list[Path]) -> tuple[Export, dict[str, Any]]:
    """`chancery ingest --json PATHS` into a new archive, then `chancery export`: documents, summary."""
    if REUSE and db.exists():
        summary: dict[str, Any] = {"reused": str(db)}
    else:
        summary = json.loads(chancery(db, "ingest", "--json", *map(str, paths)))
    if summary.get("failures"):
        raise RuntimeError(f"ingest failures: {summary['failures'][:5]}")
    docs = [json.loads(line) for line in chancery(db, "export").splitlines() if line.strip()]
    return docs, summary


def local_id(doc_id: str) -> str:
    """`text/NAME`, `frus-text/NAME` → NAME (the file stem the benchmark chose)."""
    return doc_id.split("/", 1)[1]


def by_local_id(docs: Export) -> dict[str, dict[str, Any]]:
    return {local_id(d["id"]): d for d in docs}


def _require(found: dict[str, Any], wanted: list[str], what: str) -> None:
    missing = [w for w in wanted if w not in found]
    if missing:
        raise ValueError(f"{len(missing)} {what} missing from the export, e.g. {missing[:3]}")


# ---------------------------------------------------------------- gold from the raw TEI


def tei_documents(path: Path) -> list[tuple[str, etree._Element]]:
    """(document id, div) of every `div[@type="document"]` of a FRUS volume."""
    vol = path.name.removesuffix(".xml.gz")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=True)
    with gzip.open(path) as fh:
        tree = etree.parse(fh, parser)
    return [
        (f"{vol}/{div.get(XML_ID)}", div)
        for div in tree.iter(TEI + "div")
        if div.get("type") == "document" and div.get(XML_ID)
    ]


def gold_when(div: etree._Element) -> str | None:
    dateline = next(div.iter(TEI + "dateline"), None)
    date = next(dateline.iter(TEI + "date"), None) if dateline is not None else None
    when = date.get("when") if date is not None else None
    return when.strip() if when else None


def gold_corresp(vol: str, div: etree._Element, body_only: bool = False) -> list[str]:
    """`VOL#p_ID` keys of the persName/@corresp links in the document (`body_only`: not in its
    heading or footnotes)."""
    keys = []
    for pers in div.iter(TEI + "persName"):
        corresp = (pers.get("corresp") or "").split()
        if body_only and any(a.tag in (TEI + "head", TEI + "note") for a in pers.iterancestors()):
            continue
        if corresp:
            keys.append(f"{vol}#{corresp[0].rsplit('#', 1)[-1]}")
    return keys


def gold_refs(vol: str, div: etree._Element) -> list[str]:
    """Targets of the TEI `ref`s in the document that name a document."""
    return [t for ref in div.iter(TEI + "ref") if DOC_TARGET.match(t := (ref.get("target") or "").strip())]


# ---------------------------------------------------------------- references (archive A)


def score_references(docs: Export, gold: dict[str, list[str]], dfat_volumes: set[str]) -> dict[str, Any]:
    """FRUS: gold TEI targets vs the export's tei-ref links. DFAT: "Document N" links vs numbering."""
    by_id = {d["id"]: d for d in docs}
    _require(by_id, list(gold), "FRUS documents")
    ids, volumes = set(by_id), {d["collection"]["id"] for d in docs}
    frus = Counter[str]()
    for doc_id, targets in gold.items():
        vol = doc_id.split("/")[0]
        links = Counter(
            (r["target"], r["target_id"]) for r in by_id[doc_id]["references"] if r["kind"] == "tei-ref"
        )
        for target in targets:
            m = DOC_TARGET.match(target)
            assert m
            expected = f"{m['vol'] or vol}/d{m['n']}"
            if (m["vol"] or vol) not in volumes:
                continue  # another volume, not ingested
            if expected not in ids:
                frus["dangling"] += 1
                continue
            frus["total"] += 1
            got = [tid for (t, tid), n in links.items() if t == target and n > 0]
            if not got:
                frus["not found"] += 1
                continue
            links[(target, got[0])] -= 1
            frus["right" if got[0] == expected else ("unresolved" if got[0] is None else "wrong")] += 1
    for doc_id in gold:  # "Document N" found in the text, resolved against the editors' own ref
        refs = by_id[doc_id]["references"]
        tei = [r for r in refs if r["kind"] == "tei-ref" and DOC_TARGET.match(r["target"] or "")]
        for ref in refs:
            inside = [r for r in tei if re.search(rf"\b{re.escape(ref['text'])}\b", r["text"] or "")]
            if ref["kind"] != "document" or not ref["target_id"] or not inside:
                continue
            expected = set()
            for r in inside:
                m = DOC_TARGET.match(r["target"])
                assert m
                expected.add(f"{m['vol'] or doc_id.split('/')[0]}/d{m['n']}")
            frus["text links checked"] += 1
            frus["text links contradicting the editors"] += ref["target_id"] not in expected
    numbered = {(d["collection"]["id"], str(d.get("n"))): d["id"] for d in docs}
    dfat = Counter[str]()
    for doc in docs:
        coll = doc["collection"]["id"]
        if coll not in dfat_volumes:
            continue
        for ref in doc["references"]:
            m = DOC_TARGET.match(ref.get("target") or "")
            if ref["kind"] != "document" or not m:
                continue
            vol = m["vol"] or coll
            if vol not in dfat_volumes:
                continue
            expected = numbered.get((vol, m["n"]))
            if expected is None:
                dfat["dangling"] += 1
                continue
            dfat["total"] += 1
            got = ref["target_id"]
            dfat["right" if got == expected else ("unresolved" if got is None else "wrong")] += 1
    return {"frus": dict(frus), "dfat": dict(dfat)}


# ---------------------------------------------------------------- FRUS as text (archive B)


def render(doc: dict[str, Any]) -> str:
    """A FRUS document as history.state.gov shows it: numbered heading, body with `[Page N]`
    markers and footnote numbers after the words they annotate, the numbered footnotes at the end."""
    text = doc["text"] or ""
    marks: list[tuple[int, int, str]] = []
    for page in doc["pages"]:
        marks.append(
            (page["offset"], 0, f"[Page {page['n']}]\n" if page["offset"] == 0 else f" [Page {page['n']}] ")
        )
    heading = doc["title"] or ""
    notes = []
    for note in doc["footnotes"]:
        if note["offset"] <= 0:
            heading += note["n"]
        else:
            marks.append((note["offset"], 1, note["n"]))
        notes.append(f"  {note['n']}. {' '.join(note['text'].split())}")
    out, last = [], 0
    for offset, _, mark in sorted(marks):
        out += [text[last:offset], mark]
        last = offset
    out.append(text[last:])
    return heading + "\n\n" + "".join(out).strip() + ("\n\n" + "\n".join(notes) if notes else "") + "\n"


def compare_date(expected: str, got: str | None) -> str | None:
    """None when `got` matches the editors' `@when`, else the kind of miss."""
    if not got:
        return "no date"
    date_part, _, time_part = expected.partition("T")
    if not got.startswith(date_part):
        return "wrong date"
    if len(got.split("T")[0]) < len(date_part):
        return "coarser precision"
    if time_part:
        if "T" not in got:
            return "missing time"
        if got.split("T")[1][:5] != time_part[:5]:
            return "wrong time"
    return None


def score_dates(docs: Export, gold: dict[str, str]) -> dict[str, Any]:
    """`gold`: file stem → `@when`."""
    found = by_local_id(docs)
    _require(found, list(gold), "rendered FRUS documents")
    kinds = Counter(compare_date(when, (found[k]["date"] or {}).get("when")) for k, when in gold.items())
    right = kinds.pop(None, 0)
    return {"total": len(gold), "right": right, "misses": dict(kinds)}


def _role(text: str) -> bool:
    from chancery.authority.names import normalize
    from chancery.enrich.entities import ROLES

    norm = normalize(text)
    return norm in ROLES or f"the {norm}" in ROLES or norm.startswith(("ambassador", "american ambassador"))


def predicted_people(doc: dict[str, Any], names_only: bool, notes: str | None = None) -> set[str]:
    """Person entity ids of the export: mentions, senders, recipients. With `notes` (the first
    rendered footnote line), only mentions in the body: before the footnotes, not in the title."""
    end = len(doc["text"] or "")
    if notes is not None:
        end = found if (found := (doc["text"] or "").find(notes)) >= 0 else end
    ids = {
        m["entity_id"]
        for m in doc["mentions"]
        if m["type"] == "person"
        and m["entity_id"]
        and not (names_only and _role(m["text"]))
        and (notes is None or 0 <= m["start"] < end)
    }
    if notes is None:
        parties = doc["senders"] + doc["recipients"]
        ids |= {p["entity_id"] for p in parties if (p.get("entity_id") or "").startswith("person:")}
    return ids


def prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> dict[str, float]:
    p, r = tp_pred / max(n_pred, 1), tp_gold / max(n_gold, 1)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(p + r, 1e-9), 4)}


def score_people(
    docs: Export, gold: dict[str, set[str]], names_only: bool, notes: dict[str, str] | None = None
) -> dict[str, Any]:
    """Per document, gold entity-id sets vs predicted ones, pooled (micro) P/R/F1. With `notes`
    (file stem → first footnote line), the body only (see `predicted_people`)."""
    found = by_local_id(docs)
    _require(found, list(gold), "rendered FRUS documents")
    tp = n_pred = n_gold = 0
    for key, want in gold.items():
        got = predicted_people(found[key], names_only, None if notes is None else notes.get(key, "\0"))
        tp, n_pred, n_gold = tp + len(want & got), n_pred + len(got), n_gold + len(want)
    return {"documents": len(gold), "pairs": n_gold, **prf(tp, n_pred, tp, n_gold)}


def people_map(volumes: list[Path]) -> tuple[dict[str, str], set[str]]:
    """`VOL#p_ID` → entity id through the shipped authority merged with the volumes' persons lists,
    and the ids the shipped authority has by itself (the product's possible answers)."""
    from chancery.authority import build_authority
    from chancery.authority.shipped import shipped_authority_paths
    from chancery.enrich.entities import Resolver
    from chancery.settings import Settings
    from chancery.sources.files import SourceItem
    from chancery.sources.frus_tei import read

    collections = {}
    for path in volumes:
        item = SourceItem(str(path), gzip.decompress(path.read_bytes()), path.name.removesuffix(".gz"))
        for doc in read(item):
            if doc.collection and doc.collection.persons:
                collections[doc.collection.id] = doc.collection.to_dict()
                break
    paths: list[str | Path] = list(shipped_authority_paths())
    cache = Settings.from_env().authority_cache()  # the files parsed once, as the product does
    shipped = {e["id"] for e in build_authority(paths, cache_dir=cache).entities}
    resolver = Resolver(build_authority(paths, list(collections.values()), cache_dir=cache).entities)
    return dict(resolver.by_source), shipped


# ---------------------------------------------------------------- cables (archive C)

CLASSES = {"PER": "person", "GPE": "place"}
PRONOUNS = set("he she him his her it its we they them i me us our you their my your himself who".split())
# "12. INDIRA GANDHI      PER.IND", "12<TAB>INDIRA GANDHI<TAB>PER.INDIVIDUAL", "9. ARGENTINA GPE.NATION"
ENTITY_LINE = re.compile(r"^[ \t]*(\d+)\.?[ \t]+\S.*?[ \t]([A-Z]{3}(?:\.[A-Z]+)*)[ \t]*$", re.M)


def _cls(tag: str) -> str:
    if tag.startswith("PER.IND"):
        return "PER"
    return "GPE" if tag.startswith("GPE") else tag


def parse_gold(raw: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Plain text and gold (start, end, class) spans of one annotated cable."""
    head, _, body = raw.lstrip("\ufeff").partition("@@@")
    types = {m.group(1): _cls(m.group(2)) for m in ENTITY_LINE.finditer(head)}
    out: list[str] = []
    spans, stack, i, size = [], [], 0, 0
    while i < len(body):
        if body.startswith("[[", i):
            stack.append(size)
            i += 2
        elif body.startswith("||", i) and stack:
            j = body.index("]]", i)
            ident = body[i + 2 : j].strip()
            start, end = stack.pop(), size
            text = "".join(out)[start:end]
            lead = len(text) - len(text.lstrip())
            spans.append((start + lead, start + len(text.rstrip()), types.get(ident, "?"), text.strip()))
            i = j + 2
        else:
            out.append(body[i])
            size += 1
            i += 1
    gold = [(s, e, t) for s, e, t, x in spans if t in CLASSES and x.lower() not in PRONOUNS]
    return "".join(out), gold


def align(written: str, exported: str) -> list[int]:
    """For each offset of `written`, the offset of the same character in `exported` (or the
    nearest one before it) when the reader changed the text."""
    if written == exported:
        return list(range(len(written) + 1))
    pos = [0] * (len(written) + 1)
    for tag, a0, a1, b0, b1 in difflib.SequenceMatcher(None, written, exported, autojunk=False).get_opcodes():
        for k in range(a0, a1 + 1):
            pos[k] = b0 + (k - a0 if tag == "equal" else min(k - a0, b1 - b0))
    return pos


def score_cables(docs: Export, gold: dict[str, tuple[str, list[tuple[int, int, str]]]]) -> dict[str, Any]:
    """Overlap P/R/F1 per class and pooled; `gold`: file stem → (written text, spans)."""
    found = by_local_id(docs)
    _require(found, list(gold), "cables")
    counts = {c: [0, 0, 0, 0] for c in CLASSES}  # tp_pred, n_pred, tp_gold, n_gold
    dropped = 0
    for key, (written, spans) in gold.items():
        doc = found[key]
        pos = align(written, doc["text"] or "")
        dropped += sum(pos[s] == pos[e] for s, e, _ in spans)
        for cls, kind in CLASSES.items():
            g = [(pos[s], pos[e]) for s, e, t in spans if t == cls]
            p = [(m["start"], m["end"]) for m in doc["mentions"] if m["type"] == kind and m["start"] >= 0]
            c = counts[cls]
            c[0] += sum(any(a < d and c0 < b for c0, d in g) for a, b in p)
            c[1] += len(p)
            c[2] += sum(any(a < d and c0 < b for c0, d in p) for a, b in g)
            c[3] += len(g)
    out: dict[str, Any] = {cls: prf(*c) for cls, c in counts.items()}
    pooled = [sum(c[i] for c in counts.values()) for i in range(4)]
    out["PER+GPE"] = prf(*pooled)
    out["cables"] = len(gold)
    out["gold_outside_text"] = dropped  # mentions in what the reader left out of `text` (e.g. the title)
    return out


def cable_errors(docs: Export, gold: dict[str, tuple[str, list[tuple[int, int, str]]]]) -> list[str]:
    """Lines naming each false and missed PER/GPE mention (tune side only: for writing rules)."""
    found, lines = by_local_id(docs), []
    for key, (written, spans) in gold.items():
        doc = found[key]
        text, pos = doc["text"] or "", align(written, doc["text"] or "")
        for cls, kind in CLASSES.items():
            g = [(pos[s], pos[e]) for s, e, t in spans if t == cls]
            p = [(m["start"], m["end"]) for m in doc["mentions"] if m["type"] == kind and m["start"] >= 0]
            lines += [
                f"FP {cls} {key}: {text[a:b]!r}" for a, b in p if not any(a < d and c < b for c, d in g)
            ]
            lines += [
                f"FN {cls} {key}: {text[a:b]!r}" for a, b in g if not any(a < d and c < b for c, d in p)
            ]
    return lines


# ---------------------------------------------------------------- one side


def sample(names: list[str], n: int, seed: int) -> list[str]:
    return sorted(names if n <= 0 or n >= len(names) else random.Random(seed).sample(sorted(names), n))


def run_side(side: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Every measure of `args.only` on one side of the splits (a seeded sample of volumes)."""
    frus = sample(splits.split(splits.frus_volumes(), side), args.frus, args.seed)
    dfat = sample(splits.split(splits.dfat_volumes(), side), args.dfat, args.seed)
    return measure(
        [CORPUS / "frus" / "volumes" / f"{v}.xml.gz" for v in frus],
        [CORPUS / "dfat" / f"{v}.tar.gz" for v in dfat],
        splits.split(splits.cables(), side),
        tmp,
        set(args.only),
        errors=args.errors and side == "tune",
    )


def measure(
    frus_paths: list[Path],
    dfat_paths: list[Path],
    cables: list[str],
    tmp: Path,
    only: set[str],
    errors: bool = False,
    corrupt: Any = None,
) -> dict[str, Any]:
    """Ingest, export and score; `corrupt(export)` (tests only) may damage each export first."""
    result: dict[str, Any] = {}
    timings: dict[str, float] = {}
    damage = corrupt or (lambda docs: docs)
    if not only & {"references", "dates", "people"}:
        frus_paths, dfat_paths = [], []
    if "references" not in only:
        dfat_paths = []
    if frus_paths or dfat_paths:
        frus = [p.name.removesuffix(".xml.gz") for p in frus_paths]
        result["frus_volumes"], result["dfat_volumes"] = (
            frus,
            [p.name.removesuffix(".tar.gz") for p in dfat_paths],
        )
        started = time.perf_counter()
        docs_a, _ = ingest_export(tmp / "a.db", frus_paths + dfat_paths)
        docs_a = damage(docs_a)
        timings["archive A (TEI + DFAT) ingest + export"] = time.perf_counter() - started
        tei = {vol: tei_documents(p) for vol, p in zip(frus, frus_paths, strict=True)}
        if "references" in only:
            dfat_colls = {d["collection"]["id"] for d in docs_a if d["source"]["format"] == "dfat"}
            gold = {
                doc_id: gold_refs(doc_id.split("/")[0], div) for divs in tei.values() for doc_id, div in divs
            }
            result["references"] = score_references(docs_a, gold, dfat_colls)
        if only & {"dates", "people"} and frus_paths:
            folder = tmp / "frus-text"
            folder.mkdir(exist_ok=REUSE)
            wanted = {doc_id for divs in tei.values() for doc_id, _ in divs}
            notes = {}  # file stem -> first footnote line, where the body ends
            for doc in docs_a:
                if doc["id"] in wanted:
                    stem = doc["id"].replace("/", "_")
                    (folder / f"{stem}.txt").write_text(render(doc), encoding="utf-8")
                    if doc["footnotes"]:
                        note = doc["footnotes"][0]
                        notes[stem] = f"{note['n']}. {' '.join(note['text'].split())}"[:60]
            started = time.perf_counter()
            docs_b, _ = ingest_export(tmp / "b.db", [folder])
            docs_b = damage(docs_b)
            timings["archive B (FRUS as text) ingest + export"] = time.perf_counter() - started
            divs = [(doc_id, div) for vol in frus for doc_id, div in tei[vol]]
            if "dates" in only:
                when = {d.replace("/", "_"): w for d, div in divs if (w := gold_when(div))}
                result["dates"] = score_dates(docs_b, when)
            if "people" in only:
                mapping, shipped = people_map(frus_paths)
                # Volumes whose editors linked nobody (no persName/@corresp) have no people gold.
                tagged = [v for v in frus if any(gold_corresp(v, div) for _, div in tei[v])]
                result["people_volumes"] = tagged
                divs = [(doc_id, div) for vol in tagged for doc_id, div in tei[vol]]
                keys = {d.replace("/", "_"): gold_corresp(d.split("/")[0], div) for d, div in divs}
                people = {k: {mapping.get(x, x) for x in v} for k, v in keys.items()}
                body = {
                    d.replace("/", "_"): {mapping.get(x, x) for x in gold_corresp(d.split("/")[0], div, True)}
                    for d, div in divs
                }
                pairs = [x for v in people.values() for x in v]
                result["people"] = {
                    "all": score_people(docs_b, people, names_only=False),
                    "names": score_people(docs_b, people, names_only=True),
                    "body names": score_people(docs_b, body, names_only=True, notes=notes),
                    "body all": score_people(docs_b, body, names_only=False, notes=notes),
                    "gold_in_shipped_authority": round(
                        sum(x in shipped for x in pairs) / max(len(pairs), 1), 4
                    ),
                }
    if "cables" in only and cables:
        folder = tmp / "cables"
        folder.mkdir(exist_ok=REUSE)
        gold = {}
        for name in cables:
            text, spans = parse_gold(
                (CORPUS / "cfpf-ner" / f"{name}.txt").read_text(encoding="utf-8", errors="replace")
            )
            if not text.strip():
                result["cables_without_text"] = result.get("cables_without_text", 0) + 1
                continue  # nothing to read, no gold (an empty file is an ingest failure)
            stem = name.replace("/", "_")
            (folder / f"{stem}.txt").write_text(text, encoding="utf-8")
            gold[stem] = (text, spans)
        started = time.perf_counter()
        docs_c, _ = ingest_export(tmp / "c.db", [folder])
        docs_c = damage(docs_c)
        timings["archive C (cables) ingest + export"] = time.perf_counter() - started
        result["cables"] = score_cables(docs_c, gold)
        if errors:
            print("\n".join(cable_errors(docs_c, gold)))
    result["seconds"] = {k: round(v, 1) for k, v in timings.items()}
    return result


def _share(counts: dict[str, int]) -> str:
    total = counts.get("total", 0)
    return f"{counts.get('right', 0) / total:.2%} ({counts.get('right', 0):,} / {total:,})" if total else "—"


def rows(result: dict[str, Any]) -> dict[str, str]:
    """The table's rows for one side."""
    out = {}
    if "dates" in result:
        out["dates"] = _share(result["dates"])
    if "people" in result:
        for k in ("body names", "body all", "names", "all"):
            s = result["people"][k]
            out[f"FRUS people F1 ({k})"] = f"{s['f1']:.3f} (P {s['precision']:.3f}, R {s['recall']:.3f})"
    if "cables" in result:
        for k in ("PER+GPE", "PER", "GPE"):
            s = result["cables"][k]
            out[f"cables {k} F1"] = f"{s['f1']:.3f} (P {s['precision']:.3f}, R {s['recall']:.3f})"
    if "references" in result:
        out["references FRUS"] = _share(result["references"]["frus"])
        out["references DFAT"] = _share(result["references"]["dfat"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--side", choices=(*SIDES, "both"), default="both")
    ap.add_argument("--only", nargs="+", choices=MEASURES, default=list(MEASURES))
    ap.add_argument("--frus", type=int, default=8, help="FRUS volumes per side (0: all)")
    ap.add_argument("--dfat", type=int, default=5, help="DFAT volumes per side (0: all)")
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--errors", action="store_true", help="print tune-side cable errors")
    ap.add_argument("--keep", type=Path, help="keep the archives in this folder")
    ap.add_argument("--reuse", action="store_true", help="with --keep: score the kept archives again")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sides = SIDES if args.side == "both" else (args.side,)
    global REUSE
    REUSE = bool(args.reuse and args.keep)
    report = {}
    for side in sides:
        if args.keep:
            (tmp := args.keep / side).mkdir(parents=True, exist_ok=REUSE)
            report[side] = run_side(side, args, tmp)
        else:
            with tempfile.TemporaryDirectory(prefix=f"quality-{side}-") as folder:
                report[side] = run_side(side, args, Path(folder))
    if args.json:
        print(json.dumps(report, indent=2))
        return
    table = {side: rows(r) for side, r in report.items()}
    names = list(dict.fromkeys(k for r in table.values() for k in r))
    print("| what | " + " | ".join(sides) + " |")
    print("|---|" + "---|" * len(sides))
    for name in names:
        print(f"| {name} | " + " | ".join(table[s].get(name, "—") for s in sides) + " |")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
