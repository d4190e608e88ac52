"""PDF files: the text layer page by page (pypdfium2), OCR for pages without one (tesseract).

`--ocr auto` (the default) OCRs only pages whose text layer is missing or unusable (a scan,
or a few stray characters); `force` OCRs every page; `never` keeps the text layer only. OCR'd
pages are rendered at 300 dpi and OCR'd in parallel, with results cached by page-image hash
(see `chancery.sources.ocr`). Each page starts a `pages` offset; the document is read from its
head like a cable or letter (`chancery.sources.pages`). pypdfium2 (Apache-2.0/BSD) was chosen
over pdfminer.six and pypdf by measurement: see benchmarks/ocr.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from chancery.errors import SourceError
from chancery.model import Collection, Document
from chancery.sources import ocr
from chancery.sources.files import SourceItem
from chancery.sources.pages import (
    DISPLAY_WIDTH,
    PageText,
    build_document,
    clean_marking_lines,
    ocr_summary,
)

FORMAT = "pdf"
COLLECTION = Collection(id="pdf", title="PDF documents", archive="pdf")
MIN_CHARS = 25  # a text layer with fewer letters or digits on a page is not usable
DISPLAY_DPI = 150  # pages are rendered at this resolution for the reader
RENDER_BATCH = 8  # pages rendered ahead of OCR (bounds memory: ~8 MB a page at 300 dpi)


def sniff(item: SourceItem) -> int:
    """10 for data starting with the PDF signature, 0 otherwise."""
    return 10 if item.data[:1024].lstrip()[:5] == b"%PDF-" else 0


def usable_text(text: str) -> bool:
    """Does a page's text layer hold real text (not nothing, not a few stray or garbled glyphs)?"""
    letters = len(re.findall(r"\w", text))
    if letters < MIN_CHARS:
        return False
    odd = len(re.findall(r"[\ufffd\x00-\x08\x0e-\x1f]", text))
    return odd / max(1, len(text)) < 0.1


def page_texts(data: bytes, path: str, opts: ocr.OcrOptions | None = None) -> list[PageText]:
    """Each page's text: from the text layer, or OCR'd as `opts.mode` says."""
    opts = opts or ocr.options()
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise SourceError(path, f"not a readable PDF ({exc})") from None
    try:
        pages: list[PageText] = []
        need_ocr: list[int] = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            text = _normalise(textpage.get_text_range())
            textpage.close()
            page.close()
            pages.append(PageText(text=text, method="text"))
            if opts.mode == "force" or (opts.mode == "auto" and not usable_text(text)):
                need_ocr.append(i)
        for start in range(0, len(need_ocr), RENDER_BATCH):
            batch = need_ocr[start : start + RENDER_BATCH]
            images = [render(pdf, i) for i in batch]
            for i, result in zip(batch, ocr.ocr_images(images, opts), strict=True):
                pages[i] = PageText(
                    clean_marking_lines(result.text), "ocr", result.confidence, result.timed_out
                )
    finally:
        pdf.close()
    return pages


def render_pages(item: SourceItem) -> Iterator[Image.Image]:
    """Each page as the reader shows it, in colour at `DISPLAY_DPI` (less for a page so large that
    it would be wider than `DISPLAY_WIDTH` pixels, or four times that tall)."""
    pdf = pdfium.PdfDocument(item.data)
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            try:
                width, height = page.get_size()
                scale = min(
                    DISPLAY_DPI / 72, DISPLAY_WIDTH / max(width, 1), 4 * DISPLAY_WIDTH / max(height, 1)
                )
                yield page.render(scale=scale).to_pil()
            finally:
                page.close()
    finally:
        pdf.close()


def render(pdf: pdfium.PdfDocument, index: int, dpi: int = ocr.DPI) -> Image.Image:
    """A page as a grayscale image: a scan's own image at its own resolution when the page is
    one upright image covering it (most scanned PDFs), else the page rendered at `dpi`."""
    page = pdf[index]
    try:
        scan = _page_scan(page)
        if scan is not None:
            return scan
        width, height = page.get_size()
        # A page declared huge (a poster, or a hostile file: 200 x 200 inches is 3.6 billion pixels
        # at 300 dpi) is rendered at the resolution that keeps it within ocr.MAX_PIXELS.
        fit = (ocr.MAX_PIXELS / max(width * height / 72 / 72, 1e-6)) ** 0.5
        dpi = max(1, min(dpi, int(fit)))
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        image = bitmap.to_pil().convert("L")
        image.info["dpi"] = (dpi, dpi)
        return image
    finally:
        page.close()


def _page_scan(page: pdfium.PdfPage) -> Image.Image | None:
    images = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=1))
    if len(images) != 1 or page.get_rotation():
        return None
    width, height = page.get_size()
    left, bottom, right, top = images[0].get_bounds()
    if (right - left) < 0.9 * width or (top - bottom) < 0.9 * height:
        return None
    px_width, px_height = images[0].get_px_size()
    if px_width * px_height > ocr.MAX_PIXELS:
        return None  # not decoded: the page is rendered instead, within the cap
    matrix = images[0].get_matrix()
    if abs(matrix.b) > 1e-6 or abs(matrix.c) > 1e-6 or matrix.a <= 0 or matrix.d <= 0:
        return None  # rotated or mirrored: let pdfium render it upright
    try:
        image = images[0].get_bitmap(render=False).to_pil().convert("L")
    except pdfium.PdfiumError:
        return None
    dpi = round(image.width / ((right - left) / 72))
    if dpi < 100 or dpi > 1200:
        return None
    image.info["dpi"] = (dpi, dpi)
    return image


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x02", "-").replace("\ufffe", "")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def read(item: SourceItem) -> list[Document]:
    pages = page_texts(item.data, item.path)
    if not pages:
        raise SourceError(item.path, "PDF has no pages")
    if not any(p.text.strip() for p in pages):
        mode = ocr.options().mode
        hint = " (no text layer; OCR is off: use --ocr auto)" if mode == "never" else ""
        raise SourceError(item.path, f"no text on any page{hint}")
    doc = build_document(item, pages, FORMAT, COLLECTION)
    summary = ocr_summary(pages)
    if summary:
        doc.credits = summary
    return [doc]
