"""Test pages from real corpus text: typewritten page images, degraded scans, PDFs with and without text.

Used by tests/test_pdf_ingest.py and benchmarks/ocr.py; everything is generated into temporary
directories at run time (no corpus text is committed). Three documents: a DFAT cablegram, a
FRUS telegram laid out as a State Department cable with a NARA declassification stamp, and the
transcript of seed 001 (a Wilson Center cable). Each comes with the fields a reader should find.
"""

from __future__ import annotations

import io
import random
import re
import tarfile
import textwrap
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONT = Path("/usr/share/fonts/truetype/freefont/FreeMono.ttf")
FONT_FALLBACK = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
WIDTH = 66  # characters a line, as on a typewriter page
LINES_PER_PAGE = 46
LEVELS = ("clean", "mild", "moderate", "heavy")


@dataclass
class Sample:
    """A document to render: its lines, and the fields a reader should get from them."""

    name: str
    lines: list[str]
    date: str  # ISO day
    sender: str  # a word the sender's name must hold
    recipient: str
    classification: str | None
    pages: list[list[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pages = paginate(self.lines)

    @property
    def text(self) -> str:
        return "\n".join("\n".join(p) for p in self.pages)


def wrap(lines: list[str], width: int = WIDTH) -> list[str]:
    out: list[str] = []
    for line in lines:
        out.extend(textwrap.wrap(line, width, break_on_hyphens=False) or [""])
    return out


def paginate(lines: list[str], per_page: int = LINES_PER_PAGE) -> list[list[str]]:
    wrapped = wrap(lines)
    pages = [wrapped[i : i + per_page] for i in range(0, len(wrapped), per_page)]
    return [_trim(p) for p in pages if any(ln.strip() for ln in p)]


def _trim(page: list[str]) -> list[str]:
    while page and not page[0].strip():
        page = page[1:]
    while page and not page[-1].strip():
        page = page[:-1]
    return page


def _ascii(text: str) -> str:
    table = {"’": "'", "‘": "'", "“": '"', "”": '"', "—": "--", "–": "-", "…": "..."}
    for a, b in table.items():
        text = text.replace(a, b)
    return text.encode("ascii", "ignore").decode()


def dfat_cablegram(corpus: Path) -> Sample:
    """DFAT volume 2, document 338: Bruce (London) to Menzies, 9 November 1939, MOST SECRET."""
    member = "volume-2-1939/338-mr-s-m-bruce-high-commissioner-in-london-to-mr-r-g-menzies-prime-minister.md"
    with tarfile.open(corpus / "dfat" / "volume-2-1939.tar.gz") as tar:
        handle = tar.extractfile(member)
        assert handle is not None
        raw = handle.read().decode()
    front, body = raw.split("\n---\n", 1)
    title = re.search(r"^title: (.*)$", front, re.M)
    assert title
    paras = [p.strip() for p in body.split("\n\n") if p.strip()]
    paras = [
        p for p in paras if not p.startswith("_") and not re.match(r"^\d+ ", p) and p not in {"_", "_ _"}
    ]
    paras = [re.sub(r"\s*\[\d+\]", "", p) for p in paras]
    lines = [_ascii(title.group(1)), ""]
    for p in paras:
        lines += [_ascii(p), ""]
    return Sample("dfat-338", lines, "1939-11-09", "Bruce", "Menzies", "most secret")


def frus_telegram(corpus: Path) -> Sample:
    """FRUS 1961-63 v06 document 61, Embassy Moscow to the Department, laid out as a cable."""
    from chancery.sources import read_item
    from chancery.sources.files import SourceItem

    path = corpus / "frus" / "volumes" / "frus1961-63v06.xml.gz"
    data = zlib.decompress(path.read_bytes(), 16 + zlib.MAX_WBITS)
    docs = read_item(SourceItem(path=str(path), data=data, name="frus1961-63v06.xml"))
    doc = next(d for d in docs if d.id.endswith("/d61"))
    body = doc.text.split("\n", 1)[1].strip()  # the dateline becomes the DATE header
    lines = [
        "DECLASSIFIED",
        "Authority NND 959125",
        "By RG NARA Date 4/12/98",
        "",
        "SECRET",
        "",
        "TELEGRAM",
        "FROM: Embassy in the Soviet Union",
        "TO: Department of State",
        f"DATE: {_ascii(doc.dateline or '')}",
        "",
    ]
    for para in body.split("\n"):
        if para.strip():
            lines += [_ascii(para.strip()), ""]
    return Sample("frus-1961-63v06-d61", lines, "1962-10-23", "Embassy", "Department", "secret")


def seed_transcript(seeds: Path) -> Sample:
    """Seed 001's transcript: Harriman to the President, Moscow, 1 July 1945, TOP SECRET."""
    raw = next(seeds.glob("001_*.txt")).read_text()
    transcript = raw.split("Transcript - English", 1)[1].strip()
    lines: list[str] = []
    for p in transcript.split("\n\n"):
        if p.strip():
            lines += [_ascii(p.strip().replace("\n", " ")), ""]
    return Sample("seed-001", lines, "1945-07-01", "Harriman", "President", "top secret")


def samples(corpus: Path, seeds: Path) -> list[Sample]:
    return [dfat_cablegram(corpus), frus_telegram(corpus), seed_transcript(seeds)]


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT if FONT.exists() else FONT_FALLBACK), size)


def render_page(lines: list[str], dpi: int = 300) -> Image.Image:
    """A US-letter page of typewritten lines (12 pt mono, 1-inch margins), grayscale."""
    w, h = int(8.5 * dpi), int(11 * dpi)
    page = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(page)
    font = _font(round(12 * dpi / 72))
    step = round(12 * dpi / 72 * 1.2)
    y = dpi
    for line in lines:
        draw.text((dpi, y), line, font=font, fill=20)
        y += step
    return page


def degrade(page: Image.Image, level: str, seed: int = 0) -> Image.Image:
    """A scan of `page`: skew, blur, noise and a JPEG pass, growing with the level."""
    if level == "clean":
        return page
    rng = random.Random(seed)
    skew, blur, noise, quality = {
        "mild": (0.7, 0.6, 12, 80),
        "moderate": (1.3, 0.9, 24, 60),
        "heavy": (2.0, 1.3, 40, 40),
    }[level]
    img = page.rotate(rng.uniform(-skew, skew), resample=Image.BICUBIC, fillcolor=255, expand=False)
    img = img.filter(ImageFilter.GaussianBlur(blur))
    # Seeded noise (PIL's effect_noise draws from C's rand(), so no two runs would OCR alike).
    grain = np.random.default_rng(seed).normal(128.0, noise, (img.size[1], img.size[0]))
    img = ImageChops.add(
        img, Image.fromarray(grain.clip(0, 255).astype(np.uint8), "L"), scale=1.0, offset=-128
    )
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("L")


def scanned_pdf(images: list[Image.Image], dpi: int = 300) -> bytes:
    """A PDF of page images only (no text layer), as a scanner makes."""
    buf = io.BytesIO()
    first, *rest = [img.convert("L") for img in images]
    first.save(buf, format="PDF", resolution=dpi, save_all=True, append_images=rest)
    return buf.getvalue()


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def text_pdf(pages: list[list[str]]) -> bytes:
    """A born-digital PDF: each line typed in Courier 12 pt (a standard font, not embedded)."""
    objects: list[bytes] = []
    n_pages = len(pages)
    page_ids = [4 + 2 * i for i in range(n_pages)]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>")
    for lines in pages:
        ops = ["BT", "/F1 12 Tf", "14.4 TL", "72 720 Td"]
        for line in lines:
            ops.append(f"{_pdf_string(line)} Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1", "replace")
        content_id = len(objects) + 2
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
            f"/Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: edit distance over reference length, whitespace runs folded to one space."""
    from rapidfuzz.distance import Levenshtein

    ref = " ".join(reference.split())
    hyp = " ".join(hypothesis.split())
    return Levenshtein.distance(ref, hyp) / max(1, len(ref))


def merge_pdfs(parts: list[bytes]) -> bytes:
    """One PDF holding the pages of each part in turn (e.g. a typed page, then a scanned one)."""
    import pypdfium2 as pdfium

    merged = pdfium.PdfDocument.new()
    for data in parts:
        merged.import_pages(pdfium.PdfDocument(data))
    buf = io.BytesIO()
    merged.save(buf)
    return buf.getvalue()
