"""Search quality on the real corpus: bm25 vs semantic vs hybrid, and recall of `related`.

Nobody tunes the evaluation set by hand; it comes from the editors' own structure:
- queries: FRUS compilation/chapter headings (the stored collections' `toc`, leaves holding at
  least 3 documents), relevant = the documents under that heading;
- related pairs: DFAT footnotes that say "Document 135" (a cross-reference inside the volume),
  pair = (the document with the footnote, document 135 of the same volume).

Metrics: nDCG@10 (binary), recall@100 (of min(|relevant|, 100)), recall@10 of `related`, with
store links (which already resolve these footnotes) and without them (content only).

    python benchmarks/search_quality.py --db /tmp/chancery-quality.db            # ingest + embed + measure
    python benchmarks/search_quality.py --db /tmp/chancery-quality.db --no-embed # bm25 and related only

Headings typed as people type them (issue #11), through the product, on fixed splits:

    python benchmarks/search_quality.py --typed tune --work /tmp/typed      # develop: tune volumes only
    python benchmarks/search_quality.py --typed tune2 --work /tmp/typed     # three more tune volumes
    python benchmarks/search_quality.py --typed heldout --work /tmp/typed   # the final figure, once
    python benchmarks/search_quality.py --typed heldout2 --work /tmp/typed  # three more held-out volumes

Three FRUS volumes of each side of `benchmarks/splits.py` (300-700 kB compressed, seed 11) are
ingested with `chancery ingest` into a fresh archive and embedded with `chancery embed`; each
chapter heading holding at least 3 documents (leading numbers dropped, as a reader would type
it) is a query, relevant = the chapter's documents; queries go through `Archive.search` in each
mode. In the same run, two floors on the same documents: a bare tantivy BM25 index (en_stem) of
title + text with the heading's words OR'd, and bare MiniLM cosine (the archive's own passage
vectors, best passage per document, no filter or fusion).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.splits import CORPUS  # noqa: E402  # $CHANCERY_CORPUS or ../shared/corpus
from chancery.archive import Archive  # noqa: E402

FRUS = ["frus1958-60v05", "frus1958-60v12", "frus1955-57v25"]
DFAT = ["volume-9-1946-january-june"]
SUBSET_VOLUME = "frus1958-60v05"  # American Republics: 46 headings, one per country or topic
SUBSET_SIZE = 200  # its first 200 documents in reading order are embedded and ranked
MIN_RELEVANT = 3
_DOC_REF = re.compile(r"\bDocument (\d+)\b")


def sources() -> list[Path]:
    return [CORPUS / "frus" / "volumes" / f"{v}.xml.gz" for v in FRUS] + [
        CORPUS / "dfat" / f"{v}.tar.gz" for v in DFAT
    ]


def subset_ids(archive: Archive) -> list[str]:
    docs = sorted(archive.documents(SUBSET_VOLUME), key=lambda d: (d.order or 0, d.id))
    return [d.id for d in docs[:SUBSET_SIZE]]


def heading_queries(archive: Archive, within: set[str] | None = None) -> list[tuple[str, set[str]]]:
    queries = []
    for coll in archive.collections():
        if coll.id not in FRUS:
            continue
        for entry in coll.toc:
            ids = set(entry.get("document_ids") or [])
            if within is not None:
                ids &= within
            if len(ids) >= MIN_RELEVANT and entry.get("title"):
                queries.append((" ".join(entry["title"].split()), ids))
    return queries


def related_pairs(archive: Archive) -> list[tuple[str, str]]:
    pairs = []
    for coll in archive.collections():
        if coll.archive != "dfat" and not coll.id.startswith("dfat"):
            continue
        by_n = {d.n: d.id for d in archive.documents(coll.id)}
        for doc in archive.documents(coll.id):
            for note in doc.footnotes:
                for n in _DOC_REF.findall(note.text):
                    if n in by_n and by_n[n] != doc.id:
                        pairs.append((doc.id, by_n[n]))
    return sorted(set(pairs))


def as_or(text: str) -> str:
    words = [w for w in re.findall(r"[A-Za-z0-9]+", text) if w not in ("AND", "OR", "NOT")]
    return " OR ".join(words)


def as_typed(text: str) -> str:
    return " ".join(w for w in re.findall(r"[A-Za-z0-9]+", text) if w not in ("AND", "OR", "NOT"))


def ndcg10(ranked: list[str], relevant: set[str]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return dcg / ideal


def recall100(ranked: list[str], relevant: set[str]) -> float:
    return len(set(ranked[:100]) & relevant) / min(len(relevant), 100)


def evaluate(archive: Archive, runs: dict, queries, within: set[str] | None = None, scope: str = "") -> dict:
    """Each run over each query; with `within`, rankings are cut to those documents (all modes alike)."""
    results = {}
    for name, (mode, shape) in runs.items():
        nd, rc, t0 = [], [], time.perf_counter()
        for text, relevant in queries:
            query = f"({shape(text)}) {scope}".strip() if scope else shape(text)
            hits = archive.search(query, limit=1000 if within else 100, facets=False, mode=mode).hits
            ranked = [h.id for h in hits if within is None or h.id in within][:100]
            nd.append(ndcg10(ranked, relevant))
            rc.append(recall100(ranked, relevant))
        ms = 1000 * (time.perf_counter() - t0) / max(len(queries), 1)
        results[name] = (sum(nd) / len(nd), sum(rc) / len(rc), ms)
    return results


def _table(results: dict) -> None:
    print("| run | nDCG@10 | recall@100 | ms/query |\n|---|---|---|---|")
    for name, (nd, rc, ms) in results.items():
        print(f"| {name} | {nd:.3f} | {rc:.3f} | {ms:.0f} |")


def embed_everything(archive: Archive) -> bool:
    """Vectors for every document (passages for long ones); prints the rate."""
    t0 = time.perf_counter()
    done = archive.embed(progress=lambda n, total: print(f"\rembed {n}/{total}", end="", file=sys.stderr))
    took = time.perf_counter() - t0
    rate = done["passages"] / took if done["passages"] else 0
    print(
        f"\nembed: {done} in {took:.0f} s ({rate:.1f} passages/s); {len(archive.vectors())} docs have vectors"
    )
    return True


# -- headings as typed, tune and held-out (issue #11) ------------------------------------------
TYPED_SEED = 11
TYPED_SIZE = (300_000, 700_000)  # compressed bytes: volumes of a few hundred documents


def typed_volumes(side: str, n: int = 3) -> list[str]:
    """`n` volumes of one side of the FRUS split, seeded, of manageable size, none tuned before;
    `tune2` and `heldout2` are three more volumes of each side (seed 12)."""
    import random

    from benchmarks.splits import ALREADY_TUNED, frus_volumes, split

    folder = CORPUS / "frus" / "volumes"
    base = side.rstrip("2")
    taken = typed_volumes(base) if side != base else []
    fits = [
        v
        for v in split(frus_volumes(), base)
        if v not in ALREADY_TUNED
        and v not in taken
        and TYPED_SIZE[0] <= (folder / f"{v}.xml.gz").stat().st_size <= TYPED_SIZE[1]
    ]
    return sorted(random.Random(TYPED_SEED + (side != base)).sample(fits, n))


def as_heading(title: str) -> str:
    """A heading as a reader types it: its words, without the leading number ("3. Poland", "Ch. 2. Algeria")."""
    return re.sub(r"^(?:ch(?:apter)?\.?\s*)?\d+\.\s+", "", " ".join(title.split()), flags=re.IGNORECASE)


def typed_queries(archive: Archive, volumes: list[str]) -> list[tuple[str, set[str]]]:
    queries = []
    for coll in archive.collections():
        if coll.id in volumes:
            for entry in coll.toc:
                ids = set(entry.get("document_ids") or [])
                if len(ids) >= MIN_RELEVANT and entry.get("title"):
                    queries.append((as_heading(entry["title"]), ids))
    return queries


def cli(*args: str) -> float:
    """Run `chancery ARGS` in a fresh process (this checkout); the seconds it took."""
    import os
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "chancery", *args], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


class BareBM25:
    """The lexical floor: tantivy with title and text (en_stem), the query's words OR'd."""

    def __init__(self, archive: Archive, volumes: list[str]) -> None:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", tokenizer_name="en_stem")
        builder.add_text_field("text", tokenizer_name="en_stem")
        self.index = tantivy.Index(builder.build())
        writer = self.index.writer()
        for volume in volumes:
            for doc in archive.documents(volume):
                writer.add_document(tantivy.Document(id=doc.id, title=doc.title or "", text=doc.text or ""))
        writer.commit()
        self.index.reload()

    def rank(self, text: str) -> list[str]:
        words = [w for w in re.findall(r"[A-Za-z0-9]+", text) if w not in ("AND", "OR", "NOT")]
        query = self.index.parse_query(" OR ".join(words), ["title", "text"])
        searcher = self.index.searcher()
        return [searcher.doc(a)["id"][0] for _, a in searcher.search(query, 100).hits]


def bare_cosine(archive: Archive, text: str) -> list[str]:
    """The semantic floor: the archive's passage vectors, best passage per document, nothing else."""
    from chancery.search.semantic import Embedder

    vectors = archive.vectors()
    vectors.reload()
    return [h.doc_id for h in vectors.search(Embedder.get().encode([text])[0], 100)]


def typed(side: str, work: Path, rebuild: bool) -> None:
    """Ingest (CLI), embed (CLI), then every mode and both floors on one side's headings."""
    volumes = typed_volumes(side)
    db = work / side / "archive.db"
    if rebuild or not db.exists():
        import shutil

        shutil.rmtree(db.parent, ignore_errors=True)
        db.parent.mkdir(parents=True)
        files = [str(CORPUS / "frus" / "volumes" / f"{v}.xml.gz") for v in volumes]
        print(f"ingest: {cli('ingest', '--db', str(db), *files):.0f} s")
        print(f"embed: {cli('embed', '--db', str(db)):.0f} s")
    archive = Archive.open(str(db))
    queries = typed_queries(archive, volumes)
    docs = sum(1 for v in volumes for _ in archive.documents(v))
    print(
        f"\n{side}: {', '.join(volumes)}: {docs} documents, {len(queries)} headings (>= {MIN_RELEVANT} documents)"
    )
    floor = BareBM25(archive, volumes)
    rankers = {
        "default (auto)": lambda q: _ids(archive, q, "auto"),
        "bm25": lambda q: _ids(archive, q, "bm25"),
        "semantic": lambda q: _ids(archive, q, "semantic"),
        "hybrid": lambda q: _ids(archive, q, "hybrid"),
        "floor: bare tantivy BM25, words OR'd": floor.rank,
        "floor: bare MiniLM cosine": lambda q: bare_cosine(archive, q),
    }
    results = {}
    for name, rank in rankers.items():
        rank(queries[0][0])  # warm: model load and caches are not a query's time
        nd, rc, t0 = [], [], time.perf_counter()
        for text, relevant in queries:
            ranked = rank(text)
            nd.append(ndcg10(ranked, relevant))
            rc.append(recall100(ranked, relevant))
        ms = 1000 * (time.perf_counter() - t0) / len(queries)
        results[name] = (sum(nd) / len(nd), sum(rc) / len(rc), ms)
    _table(results)


def _ids(archive: Archive, text: str, mode: str) -> list[str]:
    return [h.id for h in archive.search(text, limit=100, facets=False, mode=mode).hits]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="/tmp/chancery-quality.db")
    parser.add_argument("--no-embed", action="store_true", help="skip vectors: bm25 and related only")
    parser.add_argument(
        "--embed-all",
        action="store_true",
        help="embed the whole archive and rank every mode over it (all headings), not the fixed subset",
    )
    parser.add_argument(
        "--typed",
        choices=("tune", "tune2", "heldout", "heldout2"),
        help="headings as typed on one side of the split",
    )
    parser.add_argument("--work", default="/tmp/chancery-typed", help="--typed: where the fresh archives go")
    parser.add_argument("--rebuild", action="store_true", help="--typed: ingest and embed again")
    args = parser.parse_args()
    if args.typed:
        typed(args.typed, Path(args.work), args.rebuild)
        return
    archive = Archive.open(args.db)
    t0 = time.perf_counter()
    report = archive.ingest(sources())
    print(
        f"ingest: {report.documents} documents, {len(report.failures)} failures, {time.perf_counter() - t0:.0f} s"
    )
    runs = {"bm25 (heading as typed: AND)": ("bm25", as_typed), "bm25 (words OR'd)": ("bm25", as_or)}
    queries = heading_queries(archive)
    print(f"\nqueries: {len(queries)} FRUS headings of {', '.join(FRUS)} (whole archive)")
    _table(evaluate(archive, runs, queries))
    embedded = False
    if args.embed_all and not args.no_embed:
        embedded = embed_everything(archive)
        runs |= {
            "semantic": ("semantic", as_typed),
            "hybrid (as typed)": ("hybrid", as_typed),
            "hybrid (words OR'd)": ("hybrid", as_or),
        }
        print(f"\nqueries: {len(queries)} headings, every mode over the whole archive")
        _table(evaluate(archive, runs, queries))
    elif not args.no_embed:
        subset = subset_ids(archive)
        t0 = time.perf_counter()
        done = archive.embed(
            progress=lambda n, total: print(f"\rembed {n}/{total}", end="", file=sys.stderr), doc_ids=subset
        )
        took = time.perf_counter() - t0
        rate = done["passages"] / took if done["passages"] else 0
        print(
            f"\nembed: {done} in {took:.0f} s ({rate:.1f} passages/s); {len(archive.vectors())} docs have vectors"
        )
        embedded = True
        within = set(subset)
        queries = heading_queries(archive, within)
        print(
            f"\nsubset: first {len(subset)} documents of {SUBSET_VOLUME}; {len(queries)} headings with >= 3 of them"
        )
        runs |= {
            "semantic": ("semantic", as_typed),
            "hybrid (as typed)": ("hybrid", as_typed),
            "hybrid (words OR'd)": ("hybrid", as_or),
        }
        _table(evaluate(archive, runs, queries, within, scope=f"collection:{SUBSET_VOLUME}"))
    pairs = related_pairs(archive)
    print(f"\nrelated: {len(pairs)} DFAT 'Document N' footnote pairs")
    print("| related | recall@10 | ms/call |\n|---|---|---|")
    for use_links in (True, False):
        t0, found = time.perf_counter(), 0
        for src, dst in pairs:
            found += dst in {h["id"] for h in archive.related(src, limit=10, use_links=use_links)}
        ms = 1000 * (time.perf_counter() - t0) / max(len(pairs), 1)
        label = "with store links" if use_links else "content only (links ignored)"
        with_vectors = embedded and any(archive.vectors().has(src) for src, _ in pairs)
        label += ", with vectors" if with_vectors else ", no vectors for these documents"
        print(f"| {label} | {found / max(len(pairs), 1):.3f} | {ms:.0f} |")


if __name__ == "__main__":
    main()
