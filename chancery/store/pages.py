"""Page images and original files beside the archive, content-addressed by the file's SHA-256.

    <pages folder>/<sha256>/1.webp, 1.thumb.webp, 2.webp, ...   the pages as the reader shows them
    <pages folder>/<sha256>/original.pdf                         the file as ingested (a copy)
    <pages folder>/<sha256>/done.json                            written last: the set is complete

The folder is `<db>.pages` beside a SQLite file, or $CHANCERY_PAGES (`Settings.pages_path`).
A copy of the original is kept, not its path: historians move and rename folders, and a copy
under its hash cannot go stale. Names are checked against fixed patterns before any file is
opened, so a request can never reach outside the folder.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import orjson
from PIL import Image

from chancery.sources.pages import DISPLAY_WIDTH as PAGE_WIDTH  # a page image is shrunk to this

THUMB_WIDTH = 160
SWEEP_AGE = 3600.0  # seconds a folder no file uses is kept (an ingest may be writing it)
_SHA = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[1-9][0-9]{0,4}(?:\.thumb)?\.webp$")
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,5}$")
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".zip": "application/zip",
}


class PageStore:
    """The page-image folder of one archive."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def folder(self, sha: str) -> Path:
        if not _SHA.match(sha):
            raise ValueError(f"not a SHA-256: {sha!r}")
        return self.root / sha

    def complete(self, sha: str) -> bool:
        """Are the page images and the original of file `sha` all stored?"""
        return (self.folder(sha) / "done.json").is_file()

    def names(self, sha: str) -> list[tuple[str, str]]:
        """(image, thumbnail) names of each stored page, relative to the root, or [] if incomplete."""
        try:
            count = int(orjson.loads((self.folder(sha) / "done.json").read_bytes())["pages"])
        except (OSError, ValueError, KeyError, TypeError):
            return []
        return [(f"{sha}/{n}.webp", f"{sha}/{n}.thumb.webp") for n in range(1, count + 1)]

    def save(
        self, sha: str, pages: Iterable[Image.Image], original: bytes, suffix: str
    ) -> list[tuple[str, str]]:
        """Store each page (shrunk, WebP, with a thumbnail) and the original; the names, as `names`."""
        if self.complete(sha):
            return self.names(sha)
        folder = self.folder(sha)
        folder.mkdir(parents=True, exist_ok=True)
        suffix = suffix.lower() if _SUFFIX.match(suffix.lower()) else ".bin"
        _write(folder / f"original{suffix}", original)
        count = 0
        for count, image in enumerate(pages, start=1):
            page = _shrunk(image, PAGE_WIDTH)
            _write(folder / f"{count}.webp", _webp(page, 70))
            _write(folder / f"{count}.thumb.webp", _webp(_shrunk(page, THUMB_WIDTH), 60))
        _write(folder / "done.json", orjson.dumps({"pages": count, "original": f"original{suffix}"}))
        return self.names(sha)

    def sweep(self, in_use: Callable[[str], bool], older_than: float = SWEEP_AGE) -> int:
        """Remove the folders of files no stored file record has any more (a file changed or
        removed since), if untouched for `older_than` seconds: an ingest writes a file's pages
        before it commits the file, so a young folder may be one in progress. Returns how many."""
        removed = 0
        horizon = time.time() - older_than
        try:
            entries = list(self.root.iterdir())
        except OSError:
            return 0
        for entry in entries:
            if not _SHA.match(entry.name) or not entry.is_dir() or in_use(entry.name):
                continue
            try:
                newest = max([entry.stat().st_mtime, *(p.stat().st_mtime for p in entry.iterdir())])
            except OSError:
                continue
            if newest <= horizon:
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
        return removed

    def image(self, sha: str, name: str) -> Path | None:
        """The stored file for a page image `name` ("3.webp", "3.thumb.webp"), or None."""
        if not _SHA.match(sha) or not _NAME.match(name):
            return None
        path = self.root / sha / name
        return path if path.is_file() else None

    def original(self, sha: str) -> Path | None:
        """The stored copy of file `sha`, or None."""
        if not _SHA.match(sha):
            return None
        try:
            name = str(orjson.loads((self.root / sha / "done.json").read_bytes())["original"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not re.match(r"^original\.[a-z0-9]{1,5}$", name):
            return None
        path = self.root / sha / name
        return path if path.is_file() else None


def _shrunk(image: Image.Image, width: int) -> Image.Image:
    if image.width <= width:
        return image
    return image.resize((width, max(1, round(image.height * width / image.width))), Image.Resampling.BILINEAR)


def _webp(image: Image.Image, quality: int) -> bytes:
    import io

    buf = io.BytesIO()
    if image.mode not in ("L", "RGB", "RGBA"):
        image = image.convert("RGB")
    image.save(buf, format="WEBP", quality=quality, method=0)
    return buf.getvalue()


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # atomic: an interrupted ingest never leaves half a file
