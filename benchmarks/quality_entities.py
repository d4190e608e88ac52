"""Entity quality and speed: the gazetteer resolver against History Lab's hand-annotated cables.

    python benchmarks/quality_entities.py cables [--split dev|train]   # PER/GPE span P/R/F1
    python benchmarks/quality_entities.py speed                        # enrichment time per 1,000 docs
    python benchmarks/quality_entities.py frus [--names]               # linked people vs persName@corresp
    python benchmarks/quality_entities.py spacy [--split dev|train]    # spaCy alone and with the gazetteer
    python benchmarks/quality_entities.py vocabulary [--output PATH]   # rewrites data/english_words.txt

Gold: cfpf-ner/<split>/*.txt: an entity list ("N. NAME   TYPE"), "@@@", then text with
mentions as [[mention || N]] (nested allowed). A predicted mention matches a gold one of the
same class (PER.IND* = person, GPE.* = place; pronouns and groups excluded) when their character spans overlap; "exact" needs equal spans.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

from chancery.authority import build_authority
from chancery.enrich.entities import Resolver, find_mentions

CORPUS = Path(os.environ.get("CHANCERY_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
AUTHORITY = [
    CORPUS / "authority" / "hsg-people.tar.gz",
    CORPUS / "authority" / "pocom.tar.gz",
    CORPUS / "authority" / "hsg-travels-visits.tar.gz",
    CORPUS / "frus" / "dates-project" / "cities-master.xml",
    CORPUS / "cfpf-ner" / "ontology",
]
CLASSES = {"PER": "person", "GPE": "place"}
PRONOUNS = {
    "he",
    "she",
    "him",
    "his",
    "her",
    "it",
    "its",
    "we",
    "they",
    "them",
    "i",
    "me",
    "us",
    "our",
    "you",
    "their",
    "my",
    "your",
    "himself",
    "who",
}


# "12. INDIRA GANDHI      PER.IND" or "12<TAB>INDIRA GANDHI<TAB>PER.INDIVIDUAL" (some files use tabs
# and no dot) or "9. ARGENTINA GPE.NATION" (one space): the tag is the line's last word.
ENTITY_LINE = re.compile(r"^[ \t]*(\d+)\.?[ \t]+\S.*?[ \t]([A-Z]{3}(?:\.[A-Z]+)*)[ \t]*$", re.M)


def _cls(tag: str) -> str:
    """PER.IND / PER.INDIVIDUAL count as PER (individuals; groups do not); GPE.* as GPE."""
    if tag.startswith("PER.IND"):
        return "PER"
    return "GPE" if tag.startswith("GPE") else tag


def parse_gold(raw: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Plain text and gold (start, end, class) spans of one annotated cable."""
    head, _, body = raw.lstrip("\ufeff").partition("@@@")
    types = {m.group(1): _cls(m.group(2)) for m in ENTITY_LINE.finditer(head)}
    out, spans, stack, i = [], [], [], 0
    while i < len(body):
        if body.startswith("[[", i):
            stack.append(sum(len(x) for x in out))
            i += 2
        elif body.startswith("||", i) and stack:
            j = body.index("]]", i)
            ident = body[i + 2 : j].strip()
            start, end = stack.pop(), sum(len(x) for x in out)
            text = "".join(out)[start:end]
            lead = len(text) - len(text.lstrip())
            spans.append((start + lead, start + len(text.rstrip()), types.get(ident, "?"), text.strip()))
            i = j + 2
        else:
            out.append(body[i])
            i += 1
    text = "".join(out)
    gold = [(s, e, t) for s, e, t, x in spans if t in CLASSES and x.lower() not in PRONOUNS]
    return text, gold


def score(pairs: list[tuple[list, list]], exact: bool) -> dict[str, tuple[float, float, float]]:
    result = {}
    for cls, kind in CLASSES.items():
        tp_p = tp_g = n_p = n_g = 0
        for gold, pred in pairs:
            g = [(s, e) for s, e, t in gold if t == cls]
            p = [(m["start"], m["end"]) for m in pred if m["type"] == kind]
            hit = (lambda a, b: a == b) if exact else (lambda a, b: a[0] < b[1] and b[0] < a[1])
            tp_p += sum(any(hit(x, y) for y in g) for x in p)
            tp_g += sum(any(hit(x, y) for y in p) for x in g)
            n_p, n_g = n_p + len(p), n_g + len(g)
        prec, rec = tp_p / max(n_p, 1), tp_g / max(n_g, 1)
        result[cls] = (prec, rec, 2 * prec * rec / max(prec + rec, 1e-9))
    return result


def cables(split: str) -> None:
    resolver = Resolver(build_authority(AUTHORITY).entities)
    pairs = []
    for path in sorted((CORPUS / "cfpf-ner" / split).glob("*.txt")):
        text, gold = parse_gold(path.read_text(encoding="utf-8", errors="replace"))
        pairs.append((gold, find_mentions(resolver, text, f"{path.name[:4]}-06-30")))
    print(f"cfpf-ner/{split}: {len(pairs)} cables")
    for label, exact in (("overlap", False), ("exact", True)):
        for cls, (p, r, f) in score(pairs, exact).items():
            print(f"  {label:7} {cls}: precision {p:.3f} recall {r:.3f} F1 {f:.3f}")


def speed() -> None:
    """Resolver build (fresh and from the pickle cache) and mention finding, scaled to 1,000 docs.

    Wall and CPU (process) seconds: on a shared two-core machine the wall figure depends on what
    else runs; the CPU figure is this process's own work.
    """
    import tempfile

    from chancery.enrich.entities import load_resolver

    entities = build_authority(AUTHORITY).entities
    cache = tempfile.mkdtemp()
    for label in ("resolver build + pickle written", "resolver from pickle cache"):
        w, c = time.perf_counter(), time.process_time()
        resolver = load_resolver(entities, cache)  # the first call builds and leaves the pickle
        print(f"{label}: {time.perf_counter() - w:.2f} s wall, {time.process_time() - c:.2f} s CPU")
    del entities  # as in Archive.enrich_context: only the resolver stays (the cyclic GC walks what stays)
    texts = [
        parse_gold(p.read_text(encoding="utf-8", errors="replace"))[0]
        for p in (CORPUS / "cfpf-ner").glob("*/*.txt")
    ]
    texts += [
        p.read_text() for p in (Path(__file__).resolve().parents[1] / "examples" / "seeds").glob("0*.txt")
    ]
    for label in ("first pass", "second pass"):
        w, c = time.perf_counter(), time.process_time()
        for text in texts:
            find_mentions(resolver, text, "1945-07-01")
        wall, cpu = (
            (time.perf_counter() - w) / len(texts) * 1000,
            (time.process_time() - c) / len(texts) * 1000,
        )
        print(
            f"{len(texts)} documents, mean {sum(map(len, texts)) / len(texts):.0f} chars, {label}: "
            f"{wall:.2f} s wall, {cpu:.2f} s CPU per 1,000 documents"
        )


# Volumes with many persName@corresp (VOLUME-STATS.tsv), none of them among the six volumes the
# lower-case vocabulary (chancery/enrich/entities/data/english_words.txt) was taken from.
FRUS_VOLUMES = ["frus1961-63v04", "frus1955-57v17", "frus1964-68v20"]


def _role(text: str) -> bool:
    from chancery.authority.names import normalize
    from chancery.enrich.entities import ROLES

    norm = normalize(text)  # find_mentions drops a role's leading "the"
    return norm in ROLES or f"the {norm}" in ROLES or norm.startswith(("ambassador", "american ambassador"))


def frus(names_only: bool = False) -> None:
    """People linked in plain FRUS text vs the editors' persName@corresp links.

    Each volume is read with the TEI reader (markup removed: `Document.text` is plain text, its
    persName spans kept aside as gold), the authority is built with the volumes' persons lists
    (so every corresp maps to an entity through the persons-list -> hsg-people merge), and
    `find_mentions` runs on the plain text with the document's date and volume id, and nothing else.
    Document level: per document, the set of entity ids the editors marked in the text vs the set
    of person entity ids found. Span level: an editor's mention in the text counts as found when a
    predicted person mention overlaps it and names the same entity.
    """
    from chancery.sources.files import SourceItem
    from chancery.sources.frus_tei import read

    docs, collections = [], {}
    for vol in FRUS_VOLUMES:
        path = CORPUS / "frus" / "volumes" / f"{vol}.xml.gz"
        import gzip

        item = SourceItem(str(path), gzip.decompress(path.read_bytes()), f"{vol}.xml")
        for doc in read(item):
            docs.append(doc)
            if doc.collection:
                collections[doc.collection.id] = doc.collection.to_dict()
    resolver = Resolver(build_authority(AUTHORITY, list(collections.values())).entities)
    tp = n_pred = n_gold = 0
    s_tp = s_gold = s_pred = s_ptp = 0
    for doc in docs:
        gold_spans = [
            (m.start, m.end, resolver.by_source.get(m.entity_id))
            for m in doc.mentions
            if m.type == "person" and m.entity_id and m.start >= 0
        ]
        gold_spans = [g for g in gold_spans if g[2]]
        date = doc.date.when or doc.date.not_before if doc.date else None
        coll = doc.collection.id if doc.collection else None
        found = [m for m in find_mentions(resolver, doc.text or "", date, coll) if m["type"] == "person"]
        if names_only:  # editors tag names, not "the President": set role-resolved mentions aside
            found = [m for m in found if not _role(m["text"])]
        gold = {g[2] for g in gold_spans}
        pred = {m["entity_id"] for m in found if m["entity_id"]}
        tp, n_pred, n_gold = tp + len(gold & pred), n_pred + len(pred), n_gold + len(gold)
        s_gold += len(gold_spans)
        s_tp += sum(
            any(m["start"] < e and s < m["end"] and m["entity_id"] == ent for m in found)
            for s, e, ent in gold_spans
        )
        linked = [m for m in found if m["entity_id"]]
        s_pred += len(linked)
        s_ptp += sum(
            any(m["start"] < e and s < m["end"] and m["entity_id"] == ent for s, e, ent in gold_spans)
            for m in linked
        )

    def prf(tp_p: int, n_p: int, tp_g: int, n_g: int) -> str:
        p, r = tp_p / max(n_p, 1), tp_g / max(n_g, 1)
        return f"precision {p:.3f} recall {r:.3f} F1 {2 * p * r / max(p + r, 1e-9):.3f}"

    what = "name mentions (role phrases set aside)" if names_only else "all person mentions"
    print(f"FRUS {', '.join(FRUS_VOLUMES)}: {len(docs)} documents, {n_gold} (document, person) pairs; {what}")
    print(f"  document-level entity sets: {prf(tp, n_pred, tp, n_gold)}")
    print(
        f"  span level (linked mentions vs persName@corresp in the text): {prf(s_ptp, s_pred, s_tp, s_gold)}"
    )


def spacy_compare(split: str) -> None:
    """spaCy en_core_web_sm alone (cable text sentence-cased) and unioned with the gazetteer."""
    from chancery.enrich.statistical import SpacyDetector

    detector = SpacyDetector()
    resolver = Resolver(build_authority(AUTHORITY).entities)
    runs: dict[str, list] = {"gazetteer": [], "spacy": [], "gazetteer+spacy PER": []}
    t_spacy = 0.0
    for path in sorted((CORPUS / "cfpf-ner" / split).glob("*.txt")):
        text, gold = parse_gold(path.read_text(encoding="utf-8", errors="replace"))
        date = f"{path.name[:4]}-06-30"
        t0 = time.perf_counter()
        stat = detector.mentions(text)
        t_spacy += time.perf_counter() - t0
        runs["gazetteer"].append((gold, find_mentions(resolver, text, date)))
        runs["spacy"].append((gold, stat))
        runs["gazetteer+spacy PER"].append((gold, find_mentions(resolver, text, date, detector=detector)))
    print(f"cfpf-ner/{split}: spaCy {t_spacy / len(runs['spacy']) * 1000:.0f} s per 1,000 cables")
    for name, pairs in runs.items():
        for cls, (p, r, f) in score(pairs, False).items():
            print(f"  {name:20} {cls}: precision {p:.3f} recall {r:.3f} F1 {f:.3f}")


VOCABULARY_VOLUMES = [
    "frus1955-57v01",
    "frus1958-60v08",
    "frus1964-68v12",
    "frus1969-76v28",
    "frus1977-80v01",
    "frus1948v05p1",
]


VOCABULARY_FILE = Path(__file__).resolve().parents[1] / "chancery/enrich/entities/data/english_words.txt"
VOCABULARY_HEADER = f"""\
# Words that FRUS editors' running text uses in lower case: ordinary English, not names.
# In an all-caps cable case says nothing; a word outside this list (and outside the gazetteers) is
# a candidate name. Written by `python benchmarks/quality_entities.py vocabulary` from six FRUS volumes
# ({", ".join(VOCABULARY_VOLUMES)}):
# every word seen at least three times in lower case. Regenerate rather than edit.
"""


def vocabulary(output: Path = VOCABULARY_FILE) -> None:
    """Write the words seen at least three times in lower case in the documents of six FRUS volumes
    to `output` (the package's english_words.txt): a comment header, then one word a line, sorted."""
    import gzip
    from collections import Counter

    from lxml import etree

    low: Counter[str] = Counter()
    word = re.compile(r"[A-Za-z]+")
    for vol in VOCABULARY_VOLUMES:
        root = etree.parse(gzip.open(CORPUS / "frus" / "volumes" / f"{vol}.xml.gz")).getroot()
        for div in root.iter("{http://www.tei-c.org/ns/1.0}div"):
            if div.get("type") == "document":
                low.update(w for w in word.findall(" ".join(div.itertext())) if w.islower())
    words = sorted(w for w, n in low.items() if n >= 3 and len(w) > 1)
    output.write_text(VOCABULARY_HEADER + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words written to {output}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "command", nargs="?", default="cables", choices=["cables", "speed", "frus", "spacy", "vocabulary"]
    )
    parser.add_argument("--split", default="dev", help="cfpf-ner split for cables and spacy (dev|train)")
    parser.add_argument("--names", action="store_true", help="frus: set role-resolved mentions aside")
    parser.add_argument("--output", type=Path, default=VOCABULARY_FILE, help="vocabulary: file to write")
    args = parser.parse_args()
    if args.command == "speed":
        speed()
    elif args.command == "frus":
        frus(names_only=args.names)
    elif args.command == "vocabulary":
        vocabulary(args.output)
    elif args.command == "spacy":
        spacy_compare(args.split)
    else:
        cables(args.split)


if __name__ == "__main__":
    main()
