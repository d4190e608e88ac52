"""OCR of page images with Debian's `tesseract`, cached by page-image hash, pages in parallel.

One `tesseract` process per page (OMP_THREAD_LIMIT=1), as many at once as there are cores.
Each result (text and mean word confidence) is stored under its page image's hash in the
cache directory (`configure(cache_dir=...)`: the command line puts it beside the archive), so a
re-ingest, or an ingest resumed after an interruption, never OCRs the same page twice.
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import orjson
from PIL import Image

from chancery.errors import SourceError
from chancery.settings import Settings

MODES = ("auto", "force", "never")
DPI = 300  # PDF pages are rendered at this resolution for OCR
MAX_PIXELS = 120_000_000  # no page image bigger than this is decoded or rendered (about 120 MB in grey)
CACHE_VERSION = 1  # bump when the way a page is OCR'd changes its text


@dataclass(frozen=True)
class OcrOptions:
    """How pages are OCR'd: `mode` auto|force|never, tesseract `langs` ("eng+rus"), cache, jobs."""

    mode: str = "auto"
    langs: str = "eng"
    cache_dir: Path | None = None
    jobs: int = 0  # 0: one per core
    psm: int = 3
    timeout: float = 300.0  # seconds a page may take


@dataclass
class PageOcr:
    """One page's OCR result: text, mean word confidence (0..100), and whether it came from cache."""

    text: str
    confidence: float | None
    cached: bool = False
    timed_out: bool = False


class Counters:
    """Pages queued for tesseract, OCR'd by it, and answered from the cache: counted in shared
    memory, so this process sees the pages its forked ingest workers OCR (the progress bar)."""

    def __init__(self) -> None:
        self._values = multiprocessing.get_context("fork").Array("q", 3)

    @property
    def queued(self) -> int:
        return int(self._values[0])

    @property
    def ocr(self) -> int:
        return int(self._values[1])

    @property
    def cached(self) -> int:
        return int(self._values[2])

    def add(self, queued: int = 0, ocr: int = 0, cached: int = 0) -> None:
        with self._values.get_lock():
            self._values[0] += queued
            self._values[1] += ocr
            self._values[2] += cached


COUNTERS = Counters()


def _from_env() -> OcrOptions:
    settings = Settings.from_env()
    return OcrOptions(
        mode=settings.ocr_mode,
        langs=settings.ocr_langs,
        cache_dir=settings.ocr_cache,
        timeout=settings.ocr_timeout,
    )


_options = _from_env()


def configure(**changes: object) -> OcrOptions:
    """Set OCR options for this process and the ingest workers it forks; returns the new options."""
    global _options
    if "mode" in changes and changes["mode"] not in MODES:
        raise ValueError(f"--ocr must be one of {', '.join(MODES)}, not {changes['mode']!r}")
    if isinstance(changes.get("cache_dir"), str):
        changes["cache_dir"] = Path(str(changes["cache_dir"]))
    _options = replace(_options, **changes)  # type: ignore[arg-type]
    return _options


def configure_for_archive(archive: object, mode: str, langs: str) -> OcrOptions:
    """Options for an ingest into `archive`: its OCR cache lives beside its search index."""
    index_path = getattr(getattr(archive, "index", None), "path", None)
    cache_dir = Path(str(index_path) + ".ocr") if index_path else _options.cache_dir
    return configure(mode=mode, langs=langs, cache_dir=cache_dir)


def options() -> OcrOptions:
    return _options


def default_cache_dir() -> Path:
    return Settings.from_env().user_cache("ocr")


def tesseract_path() -> str:
    """The `tesseract` executable, or a SourceError saying how to install it."""
    found = shutil.which("tesseract")
    if not found:
        raise SourceError(
            "tesseract",
            "OCR needs tesseract: apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-rus",
        )
    return found


def image_key(image: Image.Image, opts: OcrOptions) -> str:
    """The cache key of a page image: its pixels, size and mode, and the OCR settings."""
    digest = hashlib.sha256()
    digest.update(f"v{CACHE_VERSION}|{opts.langs}|psm{opts.psm}|{image.mode}|{image.size}|".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def _cache_file(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / f"{key}.json"


def _cache_get(cache_dir: Path, key: str) -> PageOcr | None:
    try:
        data = orjson.loads(_cache_file(cache_dir, key).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return PageOcr(text=data["text"], confidence=data.get("confidence"), cached=True)


def _cache_put(cache_dir: Path, key: str, result: PageOcr, langs: str) -> None:
    path = _cache_file(cache_dir, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
    tmp.write_bytes(orjson.dumps({"text": result.text, "confidence": result.confidence, "langs": langs}))
    os.replace(tmp, path)  # atomic: an interrupted ingest never leaves half an entry


def run_tesseract(
    image: bytes, langs: str, psm: int = 3, dpi: int | None = DPI, timeout: float | None = None
) -> PageOcr:
    """OCR one encoded page image with the `tesseract` command: text and mean word confidence.

    A page that takes longer than `timeout` seconds (tesseract can spend minutes on heavy noise)
    comes back empty with `timed_out` set, rather than holding up the ingest.
    """
    exe = tesseract_path()
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    with tempfile.TemporaryDirectory(prefix="chancery-ocr-") as tmp:
        base = Path(tmp) / "page"
        source = Path(tmp) / "page.tif"  # a file, as the bare command reads it (stdin is slower)
        source.write_bytes(image)
        try:
            proc = subprocess.run(
                [exe, str(source), str(base), "-l", langs, "--psm", str(psm)]
                + (["--dpi", str(dpi)] if dpi else [])
                + ["txt", "tsv"],
                capture_output=True,
                env=env,
                check=False,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return PageOcr(text="", confidence=None, timed_out=True)
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise SourceError("tesseract", f"OCR failed: {message[-1] if message else proc.returncode}")
        text = base.with_suffix(".txt").read_text("utf-8")
        tsv = base.with_suffix(".tsv").read_text("utf-8")
    return PageOcr(text=clean_ocr_text(text), confidence=_mean_confidence(tsv))


def _mean_confidence(tsv: str) -> float | None:
    """Mean confidence of the recognised words (tesseract's TSV `conf` column, -1 for non-words)."""
    confs = []
    for line in tsv.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) >= 12 and cols[11].strip():
            try:
                conf = float(cols[10])
            except ValueError:
                continue
            if conf >= 0:
                confs.append(conf)
    return round(sum(confs) / len(confs), 1) if confs else None


def clean_ocr_text(text: str) -> str:
    """Tesseract's text without the form feed it ends pages with, and without trailing blanks."""
    lines = [line.rstrip() for line in text.replace("\f", "").replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def page_dpi(image: Image.Image) -> int | None:
    """The resolution a page image states when it is plausible for a scan (150-1200 dpi), else None
    (tesseract then estimates it: a phone photo's "72 dpi" says nothing about its text)."""
    dpi = image.info.get("dpi")
    value = float(dpi[0]) if dpi else 0.0
    return round(value) if 150 <= value <= 1200 else None


def to_tiff(image: Image.Image) -> bytes:
    """The page as uncompressed TIFF bytes: the fastest for Pillow to write and tesseract to read
    (PNG compression of a noisy scan costs more than the OCR; PGM is slower for tesseract)."""
    buf = io.BytesIO()
    image.convert("L" if image.mode in ("1", "L", "LA", "I", "I;16", "P") else "RGB").save(buf, format="TIFF")
    return buf.getvalue()


def _jobs(opts: OcrOptions) -> int:
    return opts.jobs or max(1, os.cpu_count() or 1)


def ocr_images(
    images: Iterable[Image.Image],
    opts: OcrOptions | None = None,
    on_page: Callable[[int], None] | None = None,
) -> list[PageOcr]:
    """OCR page images in parallel (one tesseract per core), answering from the cache when it can."""
    opts = opts or _options
    cache_dir = opts.cache_dir or default_cache_dir()
    pages = list(images)
    keys = [image_key(img, opts) for img in pages]
    results: list[PageOcr | None] = [_cache_get(cache_dir, k) for k in keys]
    todo = [i for i, r in enumerate(results) if r is None]
    COUNTERS.add(queued=len(todo), cached=len(pages) - len(todo))

    def work(i: int) -> PageOcr:
        result = run_tesseract(to_tiff(pages[i]), opts.langs, opts.psm, page_dpi(pages[i]), opts.timeout)
        if not result.timed_out:  # a timed-out page is tried again next time
            _cache_put(cache_dir, keys[i], result, opts.langs)
        COUNTERS.add(ocr=1)
        if on_page:
            on_page(i)
        return result

    if len(todo) == 1:
        results[todo[0]] = work(todo[0])
    elif todo:
        with ThreadPoolExecutor(min(_jobs(opts), len(todo))) as pool:
            for i, result in zip(todo, pool.map(work, todo), strict=True):
                results[i] = result
    return [r for r in results if r is not None]
