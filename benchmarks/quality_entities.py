"""Entity tools: speed, the spaCy comparison and the vocabulary. The quality figures come from the
product path (`benchmarks/quality_product.py`: fresh archives, `chancery ingest`, `chancery export`):
`cables` and `frus` here run it for the cables or the FRUS people of both split sides.

    python benchmarks/quality_entities.py cables                       # = quality_product.py --only cables
    python benchmarks/quality_entities.py frus                         # = quality_product.py --only people
    python benchmarks/quality_entities.py speed                        # enrichment time per 1,000 docs
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
import sys
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
sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality_product import CLASSES, parse_gold  # noqa: E402  (one gold parser for every measure)


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


def product(measure: str) -> None:
    """The product-path driver for one measure, both split sides."""
    import runpy

    sys.argv[1:] = ["--only", measure]
    runpy.run_path(str(Path(__file__).with_name("quality_product.py")), run_name="__main__")


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
    parser.add_argument("--split", default="dev", help="cfpf-ner split for spacy (dev|train)")
    parser.add_argument("--output", type=Path, default=VOCABULARY_FILE, help="vocabulary: file to write")
    args = parser.parse_args()
    if args.command == "speed":
        speed()
    elif args.command == "frus":
        product("people")
    elif args.command == "vocabulary":
        vocabulary(args.output)
    elif args.command == "spacy":
        spacy_compare(args.split)
    else:
        product("cables")


if __name__ == "__main__":
    main()
