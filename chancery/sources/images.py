"""Page images as documents: JPEG, PNG and TIFF (each frame of a multi-page TIFF is a page).

A file is one document; its pages are OCR'd with tesseract (see `chancery.sources.ocr`,
cached by page-image hash) unless `--ocr never`, and read from the head like any scanned
cable or letter (`chancery.sources.pages`).
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from chancery.errors import SourceError
from chancery.model import Collection, Document
from chancery.sources import ocr
from chancery.sources.files import SourceItem
from chancery.sources.pages import PageText, build_document, clean_marking_lines, ocr_summary

FORMAT = "image"
COLLECTION = Collection(id="images", title="Page images", archive="image")
SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")
MAX_PIXELS = 120_000_000  # a page larger than this is refused, not decoded


def sniff(item: SourceItem) -> int:
    """10 for JPEG, PNG or TIFF data (by signature), 0 otherwise."""
    return 10 if item.data.startswith(_MAGIC) else 0


def page_images(data: bytes, path: str) -> list[Image.Image]:
    """Each page (frame) of an image file, upright and in grayscale."""
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise SourceError(path, f"image of {image.width}x{image.height} pixels is too large")
        frames = [
            ImageOps.exif_transpose(frame.copy()).convert("L") for frame in ImageSequence.Iterator(image)
        ]
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise SourceError(path, f"not a readable image ({exc})") from None
    return frames


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
