"""Done-when of page images: a folder with a scanned PDF, a born-digital PDF and a folder of page photos
ingests in one `chancery ingest --ocr auto --pages-per-folder`; each document gets pages, text, page
images and a date and sender; a re-ingest does no OCR (`--ocr force` reads the unchanged files again);
in Chromium the reader shows the page images, a page marker shows its page, the original downloads,
and a search hit opens on its page; nothing scrolls sideways at phone width."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pagemaker as pm
import pytest
from conftest import SEEDS, corpus_path, served
from playwright.sync_api import Browser, expect

from chancery.sources.files import pack

DPI = 200
HEAD = 26  # lines typed on each test page: the head and first paragraphs (fewer to OCR, same fields)


def _chancery(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chancery", *args], capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """(db, input folder, the --json report) after one ingest of the folder."""
    root = tmp_path_factory.mktemp("reader-pages")
    folder = root / "in"
    folder.mkdir()
    seed = pm.seed_transcript(SEEDS)
    scans = [pm.degrade(pm.render_page(p[:HEAD], dpi=DPI), "mild", seed=i) for i, p in enumerate(seed.pages)]
    (folder / "scan.pdf").write_bytes(pm.scanned_pdf(scans, dpi=DPI))
    (folder / "born.pdf").write_bytes(pm.text_pdf(pm.dfat_cablegram(corpus_path()).pages))
    photos = folder / "telegram"
    photos.mkdir()
    for n, page in enumerate(pm.frus_telegram(corpus_path()).pages, start=1):
        image = pm.degrade(pm.render_page(page[:HEAD], dpi=DPI), "mild", seed=10 + n)
        image.save(photos / f"page-{n}.jpg", quality=85, dpi=(DPI, DPI))
    db = root / "db" / "a.db"
    db.parent.mkdir()
    run = _chancery("ingest", str(folder), "--db", str(db), "--ocr", "auto", "--pages-per-folder", "--json")
    assert run.returncode == 0, run.stderr
    return db, folder, orjson.loads(run.stdout)


def _export(db: Path) -> dict[str, dict[str, Any]]:
    out = _chancery("export", "--db", str(db))
    return {d["id"]: d for d in map(orjson.loads, out.stdout.splitlines())}


def test_one_command_gives_each_file_pages_text_images_date_and_sender(ingested):
    db, folder, report = ingested
    assert report["files"] == 3 and report["documents"] == 3 and not report["failures"]
    assert report["ocr_pages"] == {"ocr": 3, "cached": 0}  # the scan's page and the two photos
    docs = _export(db)
    assert sorted(docs) == ["images/telegram", "pdf/born", "pdf/scan"]
    expected = {
        "pdf/scan": ("1945-07-01", "Harriman", 1, "scan.pdf"),
        "pdf/born": ("1939-11-09", "Mr S.M. Bruce", 1, "born.pdf"),
        "images/telegram": ("1962-10-23", "Embassy in the Soviet Union", 2, "telegram"),
    }
    for doc_id, (date, sender, n_pages, source) in expected.items():
        doc = docs[doc_id]
        assert doc["date"]["when"].startswith(date), doc_id
        assert doc["senders"][0]["name"] == sender, doc_id
        assert len(doc["text"]) > 300 and Path(doc["source"]["path"]).name == source
        sha = doc["source"]["sha256"]
        assert [p["n"] for p in doc["pages"]] == [str(n) for n in range(1, n_pages + 1)]
        for n, page in enumerate(doc["pages"], start=1):
            assert page["image"] == f"{sha}/{n}.webp" and page["thumbnail"] == f"{sha}/{n}.thumb.webp"
            assert (Path(str(db) + ".pages") / page["image"]).is_file()
    assert "Kohler" in docs["images/telegram"]["text"][docs["images/telegram"]["pages"][1]["offset"] :]
    kept = Path(str(db) + ".pages") / docs["pdf/born"]["source"]["sha256"] / "original.pdf"
    assert kept.read_bytes() == (folder / "born.pdf").read_bytes()


def test_reingest_does_no_ocr_and_force_reads_unchanged_files_again(ingested, tmp_path: Path):
    db, folder, _ = ingested
    copy = tmp_path / "db"
    shutil.copytree(db.parent, copy)  # the db, its index, OCR cache and pages: this test changes them
    db = copy / db.name
    before = _export(db)
    args = ("ingest", str(folder), "--db", str(db), "--pages-per-folder", "--json")
    again = orjson.loads(_chancery(*args, "--ocr", "auto").stdout)
    assert again["unchanged"] == 3 and again["ocr_pages"] == {"ocr": 0, "cached": 0}

    forced = orjson.loads(_chancery(*args, "--ocr", "force").stdout)
    assert forced["unchanged"] == 0 and forced["replaced"] == 3 and not forced["failures"]
    # Only the born-digital page is new to OCR (its text layer was used before); the rest is cached.
    assert forced["ocr_pages"] == {"ocr": 1, "cached": 3}
    after = _export(db)
    assert "OCR of 1 of 1 pages" in after["pdf/born"]["credits"]
    assert after["images/telegram"]["text"] == before["images/telegram"]["text"]

    shutil.rmtree(Path(str(db) + ".pages"))  # page images lost: the next ingest makes them again
    rebuilt = orjson.loads(_chancery(*args, "--ocr", "auto").stdout)
    assert rebuilt["replaced"] == 3 and rebuilt["ocr_pages"]["ocr"] == 0
    assert (Path(str(db) + ".pages") / after["pdf/scan"]["pages"][0]["image"]).is_file()


@pytest.fixture(scope="module")
def server(ingested) -> Iterator[str]:
    db = ingested[0]
    with served(db, db.parent / "serve.log") as base:
        yield base


def test_reader_shows_page_images_in_step_with_the_markers(server: str, chromium: Browser):
    page = chromium.new_page()
    page.goto(f"{server}/documents/images/telegram")
    image = page.locator(".page-view img.page-image")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("src", re.compile(r"/1\.webp$"))
    assert page.evaluate("document.querySelector('.page-image').naturalWidth") > 500  # really loaded
    page.locator("a.page-marker#page-2").click()
    expect(image).to_have_attribute("src", re.compile(r"/2\.webp$"))
    expect(page.locator(".page-image-n")).to_have_text("2")
    assert page.evaluate("document.querySelector('.page-image').complete")
    # The image leads back to its page in the text.
    expect(page.locator("a.page-image-text")).to_have_attribute("href", "#page-2")
    page.locator(".page-thumbs a[data-page='1']").click()
    expect(image).to_have_attribute("src", re.compile(r"/1\.webp$"))
    assert page.url.endswith("#page-1")
    page.close()


def test_original_downloads_under_its_own_name(server: str, chromium: Browser, ingested):
    folder = ingested[1]
    page = chromium.new_page()
    for doc_id, name, data in (
        ("pdf/scan", "scan.pdf", (folder / "scan.pdf").read_bytes()),
        (
            "images/telegram",
            "telegram.zip",
            pack([(p.name, p.read_bytes()) for p in sorted((folder / "telegram").iterdir())]),
        ),
    ):
        page.goto(f"{server}/documents/{doc_id}")
        with page.expect_download() as info:
            page.get_by_role("link", name="Original file").click()
        download = info.value
        assert download.suggested_filename == name
        assert Path(download.path()).read_bytes() == data
    page.close()


def test_search_hit_opens_on_its_page(server: str, chromium: Browser):
    page = chromium.new_page()
    page.goto(f"{server}/?q=Kohler")
    page.locator("ol.hits a[href*='/documents/images/telegram']").first.click()
    page.wait_for_url(re.compile(r"/documents/images/telegram#page-2$"))
    expect(page.locator(".page-view img.page-image")).to_have_attribute("src", re.compile(r"/2\.webp$"))
    page.close()


def test_reader_with_page_images_fits_a_phone(server: str, chromium: Browser):
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    for doc_id in ("images/telegram", "pdf/scan"):
        page.goto(f"{server}/documents/{doc_id}")
        expect(page.locator(".page-view img.page-image")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        box = page.locator(".page-view img.page-image").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.close()


def test_page_image_follows_the_text_as_it_scrolls(server: str, chromium: Browser):
    page = chromium.new_page(viewport={"width": 1280, "height": 600})
    page.goto(f"{server}/documents/images/telegram")
    image = page.locator(".page-view img.page-image")
    expect(image).to_have_attribute("src", re.compile(r"/1\.webp$"))
    page.evaluate("document.getElementById('page-2').scrollIntoView()")
    expect(image).to_have_attribute("src", re.compile(r"/2\.webp$"))
    expect(page.locator(".page-thumbs a[data-page='2']")).to_have_attribute("aria-current", "page")
    page.evaluate("window.scrollTo(0, 0)")
    expect(image).to_have_attribute("src", re.compile(r"/1\.webp$"))
    page.close()
