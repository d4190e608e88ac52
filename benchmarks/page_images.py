"""Page images at ingest: what rendering and storing them costs, through the product.

A born-digital PDF of N typed pages and a scanned PDF of M degraded pages (tests/pagemaker.py) are
ingested by `chancery ingest` into fresh archives (OCR of the scan answered from a warm cache, so
the figure is the reading, not tesseract); then the same pages are rendered and stored alone.
Usage: PYTHONPATH=. python benchmarks/page_images.py [--born-pages 100] [--scan-pages 4]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import pagemaker as pm  # noqa: E402

from chancery.sources.files import SourceItem  # noqa: E402
from chancery.sources.pdf import render_pages  # noqa: E402
from chancery.store.pages import PageStore  # noqa: E402

CORPUS = Path(os.environ.get("CHANCERY_CORPUS") or ROOT.parent / "shared" / "corpus")
SEEDS = ROOT / "examples" / "seeds"


def ingest_seconds(pdf: Path, db: Path) -> float:
    env = {**os.environ, "CHANCERY_SHIPPED_AUTHORITY": "0"}
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "chancery", "ingest", str(pdf), "--db", str(db), "--json"],
        capture_output=True,
        env=env,
        check=True,
    )
    seconds = time.perf_counter() - start
    assert not orjson.loads(run.stdout)["failures"]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--born-pages", type=int, default=100)
    parser.add_argument("--scan-pages", type=int, default=4)
    args = parser.parse_args()
    samples = pm.samples(CORPUS, SEEDS)
    typed = [p for s in samples for p in s.pages]
    born = pm.text_pdf((typed * (args.born_pages // len(typed) + 1))[: args.born_pages])
    scans = [pm.degrade(pm.render_page(p), "mild", seed=i) for i, p in enumerate(typed[: args.scan_pages])]
    scan = pm.scanned_pdf(scans, dpi=300)
    out: dict[str, object] = {"load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="chancery-pages-bench-") as tmp:
        for name, data, n in (("born", born, args.born_pages), ("scan", scan, len(scans))):
            pdf = Path(tmp) / f"{name}.pdf"
            pdf.write_bytes(data)
            db = Path(tmp) / name / "a.db"
            db.parent.mkdir()
            if name == "scan":  # warm the OCR cache: the figure below is reading + page images
                warm = Path(tmp) / "warm" / "a.db"
                warm.parent.mkdir()
                ingest_seconds(pdf, warm)
                shutil.copytree(str(warm) + ".index.ocr", str(db) + ".index.ocr")
            wall = ingest_seconds(pdf, db)
            start = time.perf_counter()
            PageStore(Path(tmp) / f"{name}-alone").save(
                "0" * 64, render_pages(SourceItem(str(pdf), data, pdf.name)), data, ".pdf"
            )
            alone = time.perf_counter() - start
            folder = Path(str(db) + ".pages")
            size = sum(f.stat().st_size for f in folder.rglob("*.webp"))
            out[name] = {
                "pages": n,
                "ingest_s": round(wall, 2),
                "ingest_pages_per_s": round(n / wall, 1),
                "page_images_s": round(alone, 2),
                "page_images_pages_per_s": round(n / alone, 1),
                "webp_kb_per_page": round(size / n / 1024, 1),
            }
    out["load_after"] = os.getloadavg()
    sys.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
