"""Person search against the editors: FRUS back-of-book indexes as the gold standard.

For each FRUS volume: a fresh archive in a temporary directory, `chancery ingest VOLUME`, then for
every `persName` entry of the volume's index (`<div xml:id="index">`, "Surname, Given M."), the
query `person:"Given Surname" collection:VOLUME` through `Archive.search`. Each hit document is
mapped to the printed pages where it names the person: where the surname (or a spelling the
result says it searched) is written, or a person mention resolved to a name with it (roles such
as "the Secretary" included); the first and last page when it matched only through a sender or
recipient. Page boundaries come from the exported `pages` markers, in volume order. These pages
are compared with the pages the editors list for that person (sub-entries included, ranges expanded,
only pages some document spans). Precision, recall and F1 are micro-averaged over (person, page)
pairs. The same with the surname only (`person:Surname collection:VOLUME`) and bare (`Surname
collection:VOLUME`).

    python benchmarks/person_search.py                       # the tune volumes (default 3)
    python benchmarks/person_search.py --side heldout         # held-out volumes: score once, at the end
    python benchmarks/person_search.py --volumes frus1955-57v25 --keep /tmp/x   # reuse archives in /tmp/x
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from splits import CORPUS, frus_volumes, split  # noqa: E402

from chancery.archive import Archive  # noqa: E402
from chancery.authority.names import TITLES as NAME_TITLES  # noqa: E402

TEI = "{http://www.tei-c.org/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
TUNE_VOLUMES = ("frus1955-57v25", "frus1958-60v12", "frus1964-68v16")  # tune side, with persName indexes
TITLES = NAME_TITLES | {"gen", "col", "cdr", "amb", "ambassador", "rep", "sen", "gov", "iii", "ii"}
HELDOUT_LIMIT = 3  # held-out volumes scored (the first with an index, in split order)
RUNS = {
    "person": 'person:"{given} {surname}" collection:{volume}',
    "surname": "person:{quoted} collection:{volume}",
    "bare surname": "{quoted} collection:{volume}",
}


@dataclass
class Person:
    surname: str
    given: str
    pages: set[str] = field(default_factory=set)


def volume_path(volume: str) -> Path:
    return CORPUS / "frus" / "volumes" / f"{volume}.xml.gz"


def index_persons(volume: str) -> list[Person]:
    """The persName entries of the volume's back-of-book index with their references: printed
    pages, or document numbers ("d12") where the index says its numbers refer to documents."""
    parser = etree.XMLParser(recover=True, huge_tree=True)
    root = etree.parse(gzip.open(volume_path(volume)), parser).getroot()
    index = next((d for d in root.iter(f"{TEI}div") if d.get(XML_ID) == "index"), None)
    if index is None:
        return []
    by_document = "refer to document numbers" in " ".join("".join(index.itertext())[:2000].split())
    people = []
    for item in index.iter(f"{TEI}item"):
        if not len(item) or item[0].tag != f"{TEI}persName" or (item.text or "").strip():
            continue
        text = _heading(item)
        surname, _, rest = text.partition(",")
        forenames = [w for w in rest.replace(",", " ").split() if w.lower().strip(".") not in TITLES]
        given = next((w for w in forenames if len(w.strip(".")) > 1), forenames[0] if forenames else "")
        if not given or not surname.strip() or any(c in text for c in '()"'):
            continue
        refs = _pages(item)
        people.append(
            Person(surname.strip(), given.strip(), {f"d{r}" for r in refs} if by_document else refs)
        )
    return [p for p in people if p.pages]


def _heading(item: etree._Element) -> str:
    """An index item's name: its text up to the first reference, sub-list or italic "see"."""
    parts = [item.text or ""]
    for child in item:
        if child.tag in (f"{TEI}ref", f"{TEI}list", f"{TEI}hi"):
            break
        parts += ["".join(child.itertext()), child.tail or ""]
    text = " ".join("".join(parts).split())
    return re.split(r"[:(]| [-–] ", text)[0].strip(" ,.;")


def _pages(item: etree._Element) -> set[str]:
    """Page numbers an index item refers to (ranges "12–14" expanded), its sub-entries included."""
    pages: set[str] = set()
    refs = [r for r in item.iter(f"{TEI}ref") if (r.get("target") or "").startswith("#pg_")]
    previous: int | None = None
    for ref in refs:
        page = ref.get("target", "")[4:]
        pages.add(page)
        before = ref.getprevious()
        tail = (before.tail if before is not None else "") or ""
        if previous is not None and page.isdigit() and tail.strip().startswith(("–", "-")):
            pages.update(str(n) for n in range(previous, int(page)))
        previous = int(page) if page.isdigit() else None
    return pages


def ingest(volume: str, db: Path) -> None:
    if db.exists():
        return
    env = dict(os.environ, PYTHONPATH=str(ROOT), CHANCERY_DB=str(db))
    subprocess.run(
        [sys.executable, "-m", "chancery", "ingest", str(volume_path(volume))],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


@dataclass
class Doc:
    """A document's text cut into its printed pages, its person mentions and footnotes by page."""

    segments: list[tuple[str, int, int]]  # (page, start, end) over the text
    text: str
    # (page, start, end, text, entity name)
    mentions: list[tuple[str, int, int, str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (page of its anchor, footnote text)

    number: str = ""  # "d12": the unit of indexes that refer to document numbers

    @property
    def pages(self) -> set[str]:
        return {page for page, _, _ in self.segments}

    def page_at(self, offset: int) -> str:
        return next((p for p, start, end in self.segments if start <= offset < end), self.segments[-1][0])

    def located(self, words: set[str], given: str | None) -> set[str]:
        """Pages naming the person: a person mention with the surname (resolved to an entity that
        has the given name, when one is asked for; roles such as "the Secretary" resolved to him
        included), the surname written where no mention was found, the surname in a footnote
        (by its anchor's page); else the first and last page (a sender's or recipient's match)."""
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(words))) + r")\b", re.IGNORECASE)
        first = re.compile(rf"\b{re.escape(given)}\b", re.IGNORECASE) if given else None
        pages, spans = set(), []
        for page, start, end, text, entity in self.mentions:
            if not pattern.search(f"{text} {entity}"):
                continue
            spans.append((start, end))
            if first is None or (first.search(entity) if entity else True):
                pages.add(page)
        for m in pattern.finditer(self.text):
            if not any(s <= m.start() < e for s, e in spans):
                pages.add(self.page_at(m.start()))
        pages |= {page for page, note in self.notes if pattern.search(note)}
        if not pages and self.segments:
            pages = {self.segments[0][0], self.segments[-1][0]}
        return pages


def start_pages(volume: str) -> dict[str, str]:
    """Document xml:id -> the printed page it starts on: the last page break before its div
    (a page break between two documents belongs to neither document's text)."""
    starts: dict[str, str] = {}
    page = "?"
    for _event, element in etree.iterparse(gzip.open(volume_path(volume)), events=("start",)):
        if element.tag == f"{TEI}pb":
            page = element.get("n") or page
        elif element.tag == f"{TEI}div" and element.get("type") == "document":
            starts[element.get(XML_ID) or ""] = page
    return starts


def documents(archive: Archive, volume: str) -> dict[str, Doc]:
    """Document id -> Doc: it starts on the page of the last page break before it in the volume,
    then every page marker inside it starts a page."""
    starts = start_pages(volume)
    docs: dict[str, Doc] = {}
    for doc in archive.export(f"collection:{volume}"):
        text = doc.get("text") or ""
        markers = [(str(m["n"]), int(m["offset"])) for m in doc.get("pages") or []]
        first = starts.get(doc["id"].rsplit("/", 1)[-1], "?")
        bounds = ([(first, 0)] if not markers or markers[0][1] > 0 else []) + markers
        ends = [start for _, start in bounds[1:]] + [len(text) + 1]
        segments = [(n, start, end) for (n, start), end in zip(bounds, ends, strict=True)]
        parsed = Doc(segments, text, number=doc["id"].rsplit("/", 1)[-1])
        parsed.mentions = [
            (parsed.page_at(m["start"]), m["start"], m["end"], m["text"], m.get("entity_name") or "")
            for m in doc.get("mentions") or []
            if m["type"] == "person"
        ]
        parsed.notes = [
            (parsed.page_at(f["offset"] or 0), f["text"] or "") for f in doc.get("footnotes") or []
        ]
        docs[doc["id"]] = parsed
    return docs


def _order(doc_id: str) -> tuple[int, str]:
    match = re.search(r"/d(\d+)$", doc_id)
    return (int(match.group(1)), "") if match else (10**9, doc_id)


def score(counts: tuple[int, int, int]) -> dict[str, float]:
    tp, fp, fn = counts
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(2 * p * r / (p + r) if p + r else 0, 3),
    }


def evaluate(volume: str, workdir: Path) -> dict[str, tuple[int, int, int]]:
    people = index_persons(volume)
    db = workdir / f"{volume}.db"
    ingest(volume, db)
    totals: dict[str, tuple[int, int, int]] = {}
    with Archive.open(str(db)) as archive:
        docs = documents(archive, volume)
        by_document = any(page.startswith("d") for person in people for page in person.pages)
        if by_document:  # the index refers to documents: a hit counts as its document number
            covered = {d.number for d in docs.values()}
        else:
            covered = set().union(*(d.pages for d in docs.values())) - {"?"}
        for run, template in RUNS.items():
            tp = fp = fn = 0
            misses = []
            for person in people:
                gold = person.pages & covered
                query = template.format(
                    given=person.given, surname=person.surname, quoted=_quoted(person.surname), volume=volume
                )
                result = archive.search(query, limit=1000, facets=False)
                words = {w.lower() for w in [person.surname, *_spellings(result.variants)]}
                found: set[str] = set()
                for hit in result.hits:
                    if hit.id in docs and by_document:
                        found.add(docs[hit.id].number)
                    elif hit.id in docs:
                        found |= docs[hit.id].located(words, person.given if "{given}" in template else None)
                tp += len(found & gold)
                fp += len(found - gold)
                fn += len(gold - found)
                misses.append((person.surname, sorted(found - gold), sorted(gold - found)))
            if os.environ.get("PERSON_SEARCH_MISSES") == run:
                for miss in misses:
                    print(*miss, file=sys.stderr)
            totals[run] = (tp, fp, fn)
    return totals


def _spellings(variants: dict[str, list[str]]) -> list[str]:
    """The one-word spellings a result reports it searched (full-name variants are phrases)."""
    return [s for spellings in variants.values() for s in spellings if " " not in s.strip()]


def _quoted(surname: str) -> str:
    return f'"{surname}"' if " " in surname or "-" in surname else surname


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--side", choices=("tune", "heldout"), default="tune")
    ap.add_argument("--volumes", nargs="*", help="volume ids (default: see TUNE_VOLUMES / HELDOUT_LIMIT)")
    ap.add_argument(
        "--keep", help="directory for the archives (reused when present); default: a temporary one"
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.volumes:
        volumes = args.volumes
    elif args.side == "tune":
        volumes = list(TUNE_VOLUMES)
    else:
        volumes = [v for v in split(frus_volumes(), "heldout") if index_persons(v)][:HELDOUT_LIMIT]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.keep or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        overall: dict[str, list[int]] = {run: [0, 0, 0] for run in RUNS}
        report: dict[str, dict] = {}
        for volume in volumes:
            started = time.monotonic()
            totals = evaluate(volume, workdir)
            report[volume] = {run: score(c) for run, c in totals.items()}
            for run, counts in totals.items():
                overall[run] = [a + b for a, b in zip(overall[run], counts, strict=True)]
            if not args.json:
                print(volume, f"{time.monotonic() - started:.0f}s", json.dumps(report[volume]), flush=True)
        report["micro"] = {run: score((c[0], c[1], c[2])) for run, c in overall.items()}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print("micro", json.dumps(report["micro"]))


if __name__ == "__main__":
    main()
