"""The PDF and image readers on pages made from real corpus text: text layer, OCR modes, cache, TIFF."""

from __future__ import annotations

import io
from pathlib import Path

import pagemaker as pm
import pytest
from conftest import SEEDS, corpus_path
from PIL import Image

from chancery.enrich import enrich
from chancery.errors import SourceError
from chancery.sources import detect, ocr, read_item
from chancery.sources.files import SourceItem, iter_source_items
from chancery.sources.pages import clean_dateline


@pytest.fixture(scope="module")
def telegram() -> pm.Sample:
    return pm.frus_telegram(corpus_path())


@pytest.fixture
def ocr_cache(tmp_path: Path):
    before = ocr.options()
    ocr.configure(cache_dir=tmp_path / "ocr-cache", mode="auto", langs="eng")
    yield tmp_path / "ocr-cache"
    ocr.configure(**{k: getattr(before, k) for k in ("mode", "langs", "cache_dir", "timeout")})


def _counts() -> tuple[int, int]:
    return ocr.COUNTERS.ocr, ocr.COUNTERS.cached


def _header_image(sample: pm.Sample, dpi: int = 200) -> Image.Image:
    """The head of the first page only (a small image: OCR in well under a second)."""
    page = pm.render_page(sample.pages[0][:12], dpi=dpi)
    return page.crop((0, 0, page.width, int(dpi * 4)))


def test_born_digital_pdf_text_pages_and_fields(telegram, ocr_cache):
    data = pm.text_pdf(telegram.pages)
    item = SourceItem(path="telegram.pdf", data=data, name="telegram.pdf")
    assert detect(item).FORMAT == "pdf"
    before = _counts()
    (doc,) = read_item(item)
    doc = enrich(doc)
    assert _counts() == before  # a usable text layer is never OCR'd in auto mode
    assert [p.n for p in doc.pages] == ["1", "2"]
    second = doc.text[doc.pages[1].offset :]
    assert second.startswith(telegram.pages[1][0].strip())
    assert pm.cer(telegram.text, doc.text) < 0.005
    assert doc.date.when and doc.date.when.startswith(telegram.date)
    assert doc.dateline == "Moscow, October 23, 1962, 5 p.m."  # not the NARA stamp's 4/12/98
    assert [p.name for p in doc.senders] == ["Embassy in the Soviet Union"]
    assert [p.name for p in doc.recipients] == ["Department of State"]
    assert doc.markings.classification and doc.markings.classification.lower() == "secret"
    assert doc.title == "Telegram from Embassy in the Soviet Union to Department of State"
    assert doc.doc_type == "telegram" and doc.credits is None


def test_scanned_pdf_ocr_auto_then_cache(telegram, ocr_cache):
    data = pm.scanned_pdf([pm.degrade(_header_image(telegram), "mild", seed=3)], dpi=200)
    item = SourceItem(path="scan.pdf", data=data, name="scan.pdf")
    ocr_before, cached_before = _counts()
    (doc,) = read_item(item)
    assert ocr.COUNTERS.ocr == ocr_before + 1
    assert "OCR of 1 of 1 pages" in (doc.credits or "")
    doc = enrich(doc)
    assert "Embassy in the Soviet Union" in doc.text
    assert doc.date.when and doc.date.when.startswith("1962-10-23")
    assert [p.name for p in doc.senders] == ["Embassy in the Soviet Union"]
    assert list(ocr_cache.rglob("*.json")), "the OCR result is cached on disk"
    # The same page again (a re-ingest, another file holding it): answered from the cache.
    (again,) = read_item(SourceItem(path="copy.pdf", data=data + b"\n%copy\n", name="copy.pdf"))
    assert ocr.COUNTERS.ocr == ocr_before + 1 and ocr.COUNTERS.cached == cached_before + 1
    assert again.text == doc.text


def test_ocr_never_and_force(telegram, ocr_cache):
    scan = pm.scanned_pdf([_header_image(telegram)], dpi=200)
    ocr.configure(mode="never")
    with pytest.raises(SourceError, match="OCR is off"):
        read_item(SourceItem(path="scan.pdf", data=scan, name="scan.pdf"))
    ocr.configure(mode="force")
    born = pm.text_pdf([telegram.pages[0][:10]])
    before = ocr.COUNTERS.ocr
    (doc,) = read_item(SourceItem(path="born.pdf", data=born, name="born.pdf"))
    assert ocr.COUNTERS.ocr == before + 1  # forced: the text layer is replaced by OCR
    assert "OCR of 1 of 1 pages" in (doc.credits or "")
    assert "Department of State" in doc.text
    with pytest.raises(ValueError, match="auto, force, never"):
        ocr.configure(mode="sometimes")


def test_multipage_tiff_is_one_document(telegram, ocr_cache):
    small = _header_image(telegram)
    frames = [small, pm.render_page(["Kohler", "", "End of telegram 1042."], dpi=200).crop((0, 0, 1700, 600))]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], dpi=(200, 200))
    item = SourceItem(path="cable.tiff", data=buf.getvalue(), name="cable.tiff")
    assert detect(item).FORMAT == "image"
    (doc,) = read_item(item)
    assert doc.id == "images/cable" and [p.n for p in doc.pages] == ["1", "2"]
    assert "Kohler" in doc.text[doc.pages[1].offset :]
    assert "Kohler" not in doc.text[: doc.pages[1].offset]


def test_pdf_and_image_files_are_no_longer_skipped(tmp_path):
    (tmp_path / "a.pdf").write_bytes(pm.text_pdf([["x"]]))
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    names = sorted(Path(i.path).name for i in iter_source_items([tmp_path]))
    assert names == ["a.pdf", "b.png"]


def test_broken_pdf_fails_naming_the_file():
    with pytest.raises(SourceError, match="broken.pdf.*not a readable PDF"):
        read_item(SourceItem(path="broken.pdf", data=b"%PDF-1.4\nnonsense", name="broken.pdf"))


def test_dateline_cleaning_of_ocr_debris():
    assert clean_dateline("DATE: Moscow, October 23, (1962, 9. p.m.") == "DATE: Moscow, October 23, 1962"
    assert clean_dateline("Moscow, October 23, 1962, 5 p.m.") == "Moscow, October 23, 1962, 5 p.m."
    assert clean_dateline("LONDON, 9 November l939") == "LONDON, 9 November 1939"


def test_seed_transcript_sample_fields():
    sample = pm.seed_transcript(SEEDS)
    data = pm.text_pdf(sample.pages)
    (doc,) = read_item(SourceItem(path="seed.pdf", data=data, name="seed.pdf"))
    doc = enrich(doc)
    assert doc.date.when == "1945-07-01"
    assert [p.name for p in doc.senders] == ["Harriman"]
    assert doc.markings.classification and doc.markings.classification.lower() == "top secret"


def test_auto_ocrs_only_the_pages_without_text(telegram, ocr_cache):
    typed = pm.text_pdf([telegram.pages[0]])
    scanned = pm.scanned_pdf(
        [pm.render_page(["Kohler", "", "End of telegram 1042."], dpi=200).crop((0, 0, 1700, 600))]
    )
    data = pm.merge_pdfs([typed, scanned])
    before = ocr.COUNTERS.ocr
    (doc,) = read_item(SourceItem(path="mixed.pdf", data=data, name="mixed.pdf"))
    assert ocr.COUNTERS.ocr == before + 1  # page 2 only
    assert doc.credits and doc.credits.startswith("OCR of 1 of 2 pages")
    assert doc.text[: doc.pages[1].offset].startswith("DECLASSIFIED")
    assert "Kohler" in doc.text[doc.pages[1].offset :]


def test_russian_page_with_rus_language(ocr_cache):
    ocr.configure(langs="rus")
    line = "По указанию министра иностранных дел СССР тов. Вышинского"
    image = pm.render_page([line], dpi=200).crop((0, 0, 1700, 500))
    buf = io.BytesIO()
    image.save(buf, format="PNG", dpi=(200, 200))
    (doc,) = read_item(SourceItem(path="mao.png", data=buf.getvalue(), name="mao.png"))
    assert pm.cer(line, doc.text) < 0.05, doc.text


def test_ocr_noise_in_stamp_lines_is_put_right():
    from chancery.sources.pages import clean_marking_lines

    text = "PARAPHRASE OF NAVY CABLE\nTOP, SECRET\nT0P SECRFT\nSECREI\nTop Secret\nSECRETARY OF STATE"
    assert clean_marking_lines(text).split("\n") == [
        "PARAPHRASE OF NAVY CABLE",
        "TOP SECRET",
        "TOP SECRET",
        "SECRET",
        "Top Secret",
        "SECRETARY OF STATE",
    ]


def test_telegraphic_cable_head_and_no_false_headers():
    from chancery.model import Collection, Document, Source
    from chancery.sources.pages import read_head

    def head(text: str) -> Document:
        doc = Document(
            id="x", collection=Collection(id="x"), source=Source(format="pdf", path="x"), text=text
        )
        read_head(doc)
        return enrich(doc)

    cable = head(
        "SECRET\nFM AMEMBASSY MOSCOW\nTO SECSTATE WASHDC\n231700Z OCT 62\nSUBJECT: Khrushchev letter\nText."
    )
    assert cable.title == "Khrushchev letter" and cable.dateline == "231700Z OCT 62"
    assert cable.date.when == "1962-10-23T17:00Z" and cable.markings.classification == "SECRET"
    assert [p.name for p in cable.senders] == ["AMEMBASSY MOSCOW"]
    assert [p.name for p in cable.recipients] == ["SECSTATE WASHDC"]
    letter = head("Dear Sir,\nTo my surprise the talks went well.\nFrom what I hear, more will follow.")
    assert letter.senders == [] and letter.recipients == []


def test_a_page_that_takes_too_long_is_left_empty_and_not_cached(telegram, ocr_cache):
    image = _header_image(telegram)
    opts = ocr.configure(timeout=0.01)
    (result,) = ocr.ocr_images([image], opts)
    assert result.timed_out and result.text == ""
    assert not list(ocr_cache.rglob("*.json"))  # tried again next time
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    with pytest.raises(SourceError, match="no text found"):
        read_item(SourceItem(path="slow.png", data=buf.getvalue(), name="slow.png"))
    ocr.configure(timeout=300.0)


def test_a_page_declared_huge_is_rendered_within_the_pixel_cap():
    """A 200 x 200 inch page (the PDF maximum) would be 3.6 billion pixels at 300 dpi: it is rendered
    at the resolution that keeps it within ocr.MAX_PIXELS; an ordinary page keeps 300 dpi."""
    import pypdfium2 as pdfium

    from chancery.sources import pdf as pdf_source

    document = pdfium.PdfDocument.new()
    document.new_page(14400, 14400)
    document.new_page(612, 792)
    buf = io.BytesIO()
    document.save(buf)
    reopened = pdfium.PdfDocument(buf.getvalue())
    huge, letter = pdf_source.render(reopened, 0), pdf_source.render(reopened, 1)
    assert huge.width * huge.height <= ocr.MAX_PIXELS and huge.info["dpi"][0] < ocr.DPI
    assert huge.width > 5000  # still as sharp as the cap allows (about 54 dpi here)
    assert letter.info["dpi"] == (ocr.DPI, ocr.DPI) and letter.width == 2550  # 8.5 in at 300 dpi
