"""OCR and PDF text benchmark: CER per degradation level, fields right, pages/s, ratio to bare tesseract.

Pages are typed (FreeMono, 12 pt) from real corpus text by tests/pagemaker.py: a DFAT
cablegram, a FRUS telegram laid out as a cable with a NARA declassification stamp, seed 001's
transcript, and (for `rus`) the Russian Wilson Center transcript. Each is rasterised at 300 dpi
(and 200 dpi clean), degraded (skew, blur, noise, JPEG), wrapped in a scanned PDF and read by
Chancery's PDF reader (render/extract, OCR, head reading, enrichment). In the same run the
same page images go through the bare `tesseract` command, alternating with Chancery page by
page, one process at a time, so the ratio compares like with like on a noisy machine.

    python benchmarks/ocr.py [--levels clean,mild,moderate,heavy] [--born-pages 300] [--json]
"""

from __future__ import annotations

import argparse
import html
import io
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import pagemaker as pm  # noqa: E402

from chancery.enrich import enrich  # noqa: E402
from chancery.sources import ocr, pdf  # noqa: E402
from chancery.sources.files import SourceItem  # noqa: E402

CORPUS = Path(os.environ.get("CHANCERY_CORPUS", ROOT.parent / "shared" / "corpus"))
SEEDS = ROOT / "examples" / "seeds"


def russian_sample() -> pm.Sample:
    raw = json.loads((CORPUS / "wilson" / "transcript.json").read_text())["raw"]
    text = re.sub(r"<style.*?</style>|<[^>]+>", "", raw, flags=re.S)
    paras = [p.strip() for p in html.unescape(text).splitlines() if p.strip()][:4]
    lines = [x for p in paras for x in (p, "")]
    sample = pm.Sample("wilson-rus", lines, "", "", "", None)
    sample.pages = sample.pages[:1]
    return sample


def cpu_seconds() -> float:
    """CPU time of this process and its finished children: steadier than wall time on a busy machine."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def bare_tesseract(image_png: Path, langs: str) -> tuple[str, float, float]:
    """The bare command on a PNG page: (text, wall seconds, CPU seconds)."""
    start, cpu = time.perf_counter(), cpu_seconds()
    out = subprocess.run(
        ["tesseract", str(image_png), "stdout", "-l", langs],
        capture_output=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        check=True,
    ).stdout.decode()
    return out, time.perf_counter() - start, cpu_seconds() - cpu


def fields_right(sample: pm.Sample, doc) -> dict[str, bool]:
    def has(parties, word: str) -> bool:
        return any(word.lower() in (p.name + " " + (p.role or "")).lower() for p in parties)

    cls = (doc.markings.classification or "").lower()
    return {
        "date": bool(doc.date.when and doc.date.when.startswith(sample.date)),
        "sender": has(doc.senders, sample.sender),
        "recipient": has(doc.recipients, sample.recipient),
        "classification": cls == (sample.classification or ""),
    }


def ocr_levels(samples: list[pm.Sample], levels: list[str], tmp: Path) -> list[dict]:
    rows = []
    for level in levels:
        dpi = 200 if level == "clean-200" else 300
        degrade_level = "clean" if level == "clean-200" else level
        for sample in samples:
            langs = "rus" if sample.name.endswith("rus") else "eng"
            images = [
                pm.degrade(pm.render_page(p, dpi=dpi), degrade_level, seed=i)
                for i, p in enumerate(sample.pages)
            ]
            # Chancery: the scanned PDF through the reader and enrichment (fresh cache: no hits).
            data = pm.scanned_pdf(images, dpi=dpi)
            opts = ocr.OcrOptions(
                mode="auto", langs=langs, cache_dir=tmp / f"cache-{level}-{sample.name}", jobs=1
            )
            bare_text, bare_s, bare_cpu, ours_s, ours_cpu = [], 0.0, 0.0, 0.0, 0.0
            for i, img in enumerate(images):  # alternate bare and ours, page by page
                png = tmp / f"{sample.name}-{level}-{i}.png"
                img.save(png, dpi=(dpi, dpi))
                text, seconds, cpu = bare_tesseract(png, langs)
                bare_text.append(text)
                bare_s, bare_cpu = bare_s + seconds, bare_cpu + cpu
                one = pm.scanned_pdf([img], dpi=dpi)
                start, cpu = time.perf_counter(), cpu_seconds()
                pdf.page_texts(one, "bench.pdf", opts)
                ours_s, ours_cpu = ours_s + time.perf_counter() - start, ours_cpu + cpu_seconds() - cpu
            ocr.configure(langs=langs, cache_dir=opts.cache_dir, mode="auto")
            start = time.perf_counter()
            (doc,) = pdf.read(SourceItem(path=f"{sample.name}.pdf", data=data, name=f"{sample.name}.pdf"))
            doc = enrich(doc)
            cached_s = time.perf_counter() - start  # all pages from the cache now: reader overhead alone
            row = {
                "level": level,
                "document": sample.name,
                "pages": len(images),
                "cer": round(pm.cer(sample.text, doc.text), 4),
                "cer_bare": round(pm.cer(sample.text, "\n".join(bare_text)), 4),
                "ours_s_per_page": round(ours_s / len(images), 3),
                "bare_s_per_page": round(bare_s / len(images), 3),
                "ratio": round(ours_s / bare_s, 3),
                "ours_cpu_per_page": round(ours_cpu / len(images), 3),
                "bare_cpu_per_page": round(bare_cpu / len(images), 3),
                "cpu_ratio": round(ours_cpu / bare_cpu, 3),
                "cached_read_s": round(cached_s, 3),
            }
            if sample.date:
                row["fields"] = fields_right(sample, doc)
                born = pm.text_pdf(sample.pages)
                (text_doc,) = pdf.read(SourceItem(path="born.pdf", data=born, name="born.pdf"))
                row["fields_born_digital"] = fields_right(sample, enrich(text_doc))
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    return rows


def parallel_pages_per_s(samples: list[pm.Sample], tmp: Path) -> dict:
    images = [pm.degrade(pm.render_page(p), "mild", seed=i) for s in samples for i, p in enumerate(s.pages)]
    images = (images * 2)[:8]
    opts = ocr.OcrOptions(mode="auto", langs="eng", cache_dir=tmp / "cache-parallel")
    start = time.perf_counter()
    ocr.ocr_images(images, opts)
    seconds = time.perf_counter() - start
    return {"pages": len(images), "jobs": os.cpu_count(), "pages_per_s": round(len(images) / seconds, 3)}


def born_digital(samples: list[pm.Sample], n_pages: int) -> dict:
    pages = [p for s in samples if s.date for p in s.pages]
    data = pm.text_pdf((pages * (n_pages // len(pages) + 1))[:n_pages])
    out: dict[str, dict] = {}
    start = time.perf_counter()
    texts = pdf.page_texts(data, "born.pdf", ocr.OcrOptions(mode="never"))
    out["pypdfium2 (chancery reader)"] = {"seconds": time.perf_counter() - start, "pages": len(texts)}
    try:
        import pypdf

        start = time.perf_counter()
        reader = pypdf.PdfReader(io.BytesIO(data))
        n = sum(1 for page in reader.pages if page.extract_text() is not None)
        out[f"pypdf {pypdf.__version__}"] = {"seconds": time.perf_counter() - start, "pages": n}
    except ImportError:
        pass
    try:
        from pdfminer.high_level import extract_text

        start = time.perf_counter()
        extract_text(io.BytesIO(data))
        out["pdfminer.six"] = {"seconds": time.perf_counter() - start, "pages": n_pages}
    except ImportError:
        pass
    whole = "\n".join("\n".join(p) for p in (pages * (n_pages // len(pages) + 1))[:n_pages])
    for stats in out.values():
        stats["pages_per_s"] = round(stats["pages"] / stats["seconds"], 1)
        stats["seconds"] = round(stats["seconds"], 3)
    out["cer_pypdfium2"] = {"cer": round(pm.cer(whole, "\n".join(t.text for t in texts)), 5)}  # type: ignore[dict-item]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="clean,clean-200,mild,moderate,heavy")
    parser.add_argument("--born-pages", type=int, default=300)
    parser.add_argument("--no-rus", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    samples = pm.samples(CORPUS, SEEDS)
    if not args.no_rus:
        samples.append(russian_sample())
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    with tempfile.TemporaryDirectory(prefix="chancery-ocr-bench-") as tmp:
        result = {
            "tesseract": version,
            "cores": os.cpu_count(),
            "load_before": os.getloadavg(),
            "born_digital": born_digital(samples, args.born_pages),
            "ocr": ocr_levels(samples, args.levels.split(","), Path(tmp)),
            "parallel": parallel_pages_per_s(samples[:3], Path(tmp)),
            "load_after": os.getloadavg(),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
