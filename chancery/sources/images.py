"""Page images as documents: JPEG, PNG and TIFF (each frame of a multi-page TIFF is a page).

A file is one document, and so is a folder of numbered page photos under `--pages-per-folder`
(`chancery.sources.files.pack` puts its images, in natural order, into one uncompressed ZIP:
that ZIP is the item, its hash the folder's content, its copy the download); its pages are OCR'd with tesseract (see `chancery.sources.ocr`,
cached by page-image hash) unless `--ocr never`, and read from the head like any scanned
cable or letter (`chancery.sources.pages`).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from chancery.errors import SourceError
from chancery.model import Collection, Document
from chancery.sources import ocr
from chancery.sources.files import SourceItem, is_pack
from chancery.sources.pages import (
    DISPLAY_WIDTH,
    PageText,
    build_document,
    clean_marking_lines,
    ocr_summary,
)

FORMAT = "image"
COLLECTION = Collection(id="images", title="Page images", archive="image")
SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")


def sniff(item: SourceItem) -> int:
    """10 for JPEG, PNG or TIFF data (by signature) or a folder's pack of them, 0 otherwise."""
    return 10 if item.data.startswith(_MAGIC) or is_pack(item.data) else 0


def _files(data: bytes, path: str) -> list[bytes]:
    if not is_pack(data):
        return [data]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [archive.read(info) for info in archive.infolist()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(path, f"not a readable pack of page images ({exc})") from None


def _frames(data: bytes, path: str, mode: str, width: int | None = None) -> Iterator[Image.Image]:
    """Each frame, upright, in `mode`; with `width`, no wider or taller than that many pixels
    (JPEG decoded at a reduced scale: a 40-megapixel photo costs a fraction of its full decode)."""
    for one in _files(data, path):
        try:
            image = Image.open(io.BytesIO(one))
            if image.width * image.height > ocr.MAX_PIXELS:
                raise SourceError(path, f"image of {image.width}x{image.height} pixels is too large")
            if width and image.format == "JPEG":
                image.draft("RGB", (width, width))
            for frame in ImageSequence.Iterator(image):
                upright = ImageOps.exif_transpose(frame.copy())
                if width:
                    upright.thumbnail((width, width * 4))
                yield upright.convert(mode)
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise SourceError(path, f"not a readable image ({exc})") from None


def page_images(data: bytes, path: str) -> list[Image.Image]:
    """Each page (frame) of an image file or folder pack, upright and in grayscale."""
    return list(_frames(data, path, "L"))


def render_pages(item: SourceItem) -> Iterator[Image.Image]:
    """Each page as the reader shows it: upright, in colour."""
    return _frames(item.data, item.path, "RGB", DISPLAY_WIDTH)


def read(item: SourceItem) -> list[Document]:
    frames = page_images(item.data, item.path)
    opts = ocr.options()
    if opts.mode == "never":
        raise SourceError(item.path, "an image has no text layer and OCR is off (--ocr never)")
    results = ocr.ocr_images(frames, opts)
    pages = [PageText(clean_marking_lines(r.text), "ocr", r.confidence, r.timed_out) for r in results]
    if not any(p.text.strip() for p in pages):
        raise SourceError(item.path, "no text found on any page by OCR")
    doc = build_document(item, pages, FORMAT, COLLECTION)
    doc.credits = ocr_summary(pages)
    return [doc]
