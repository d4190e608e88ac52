"""Entity quality and speed: the gazetteer resolver against History Lab's hand-annotated cables.

    python benchmarks/quality_entities.py cables [--split dev|train]   # PER/GPE span P/R/F1
    python benchmarks/quality_entities.py speed                        # enrichment time per 1,000 docs

Gold: cfpf-ner/<split>/*.txt: an entity list ("N. NAME   TYPE"), "@@@", then text with
mentions as [[mention || N]] (nested allowed). A predicted mention matches a gold one of the
same class (PER.IND* = person, GPE.* = place; pronouns and groups excluded) when their character spans overlap; "exact" needs equal spans.
"""

from __future__ import annotations

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


def _cls(tag: str) -> str:
    """PER.IND / PER.INDIVIDUAL count as PER (individuals; groups do not); GPE.* as GPE."""
    if tag.startswith("PER.IND"):
        return "PER"
    return "GPE" if tag.startswith("GPE") else tag


def parse_gold(raw: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Plain text and gold (start, end, class) spans of one annotated cable."""
    head, _, body = raw.lstrip("\ufeff").partition("@@@")
    types = {
        m.group(1): _cls(m.group(2)) for m in re.finditer(r"^\s*(\d+)\.\s+.*?\s{2,}([A-Z.]+)\s*$", head, re.M)
    }
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
    """Resolver build time and mention finding over the seeds and cables, scaled to 1,000 docs."""
    t0 = time.perf_counter()
    resolver = Resolver(build_authority(AUTHORITY).entities)
    t1 = time.perf_counter()
    texts = [
        parse_gold(p.read_text(encoding="utf-8", errors="replace"))[0]
        for p in (CORPUS / "cfpf-ner").glob("*/*.txt")
    ]
    texts += [
        p.read_text() for p in (Path(__file__).resolve().parents[1] / "examples" / "seeds").glob("0*.txt")
    ]
    t2 = time.perf_counter()
    for text in texts:
        find_mentions(resolver, text, "1945-07-01")
    t3 = time.perf_counter()
    chars = sum(map(len, texts)) / len(texts)
    print(f"authority load + resolver build: {t1 - t0:.1f} s (once per process)")
    print(
        f"{len(texts)} documents, mean {chars:.0f} chars: {(t3 - t2) / len(texts) * 1000:.2f} s per 1,000 documents"
    )


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "cables"
    if command == "speed":
        speed()
    else:
        cables(sys.argv[sys.argv.index("--split") + 1] if "--split" in sys.argv else "dev")
