"""Page images and originals beside the archive: the content-addressed store, folders of page photos
(--pages-per-folder), the export naming the images (and unchanged for documents without), the web
routes for images and downloads with names that cannot leave the pages folder."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from test_store_contract import pg_admin, pg_schema  # noqa: F401  (PostgreSQL fixtures)

from chancery.archive import Archive
from chancery.model import Collection, Document, Page, Source
from chancery.settings import Settings
from chancery.sources.files import SourceItem, iter_source_items, natural_key
from chancery.sources.images import render_pages
from chancery.store.pages import PageStore
from chancery.web.app import create_app


def _png(label: str, size: tuple[int, int] = (300, 400)) -> bytes:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((20, 20), label, fill="black")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_store_keeps_pages_and_original_under_the_file_hash(tmp_path: Path):
    store = PageStore(tmp_path / "a.db.pages")
    sha = "ab" * 32
    pages = [Image.new("L", (3000, 4000), 255), Image.new("RGB", (800, 1000), "white")]
    names = store.save(sha, pages, b"%PDF-1.4 original", ".PDF")
    assert names == [(f"{sha}/1.webp", f"{sha}/1.thumb.webp"), (f"{sha}/2.webp", f"{sha}/2.thumb.webp")]
    assert store.complete(sha) and store.names(sha) == names
    with Image.open(store.root / names[0][0]) as big, Image.open(store.root / names[0][1]) as thumb:
        assert big.format == "WEBP" and big.width == 1400 and thumb.width == 160
    with Image.open(store.root / names[1][0]) as small:
        assert small.width == 800  # never enlarged
    original = store.original(sha)
    assert (
        original is not None and original.name == "original.pdf" and original.read_bytes().startswith(b"%PDF")
    )
    assert store.image(sha, "2.thumb.webp") == store.root / sha / "2.thumb.webp"
    assert not list(store.root.rglob("*.part"))


@pytest.mark.parametrize(
    "sha,name",
    [
        ("ab" * 32, "../../etc/passwd"),
        ("ab" * 32, "original.pdf"),  # originals only through the document's download
        ("ab" * 32, "done.json"),
        ("ab" * 32, "0.webp"),
        ("ab" * 32, "1.webp/../../x"),
        ("..", "1.webp"),
        ("AB" * 32, "1.webp"),
        ("ab" * 31, "1.webp"),
    ],
)
def test_store_refuses_names_outside_its_patterns(tmp_path: Path, sha: str, name: str):
    store = PageStore(tmp_path / "pages")
    store.save("ab" * 32, [Image.new("L", (10, 10), 255)], b"x", ".pdf")
    assert store.image(sha, name) is None


def test_unfinished_set_is_not_complete(tmp_path: Path):
    """An ingest killed while writing pages leaves no done.json: the set is written again."""
    store = PageStore(tmp_path / "pages")
    sha = "cd" * 32

    def pages_then_crash():
        yield Image.new("L", (10, 10), 255)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.save(sha, pages_then_crash(), b"x", ".pdf")
    assert not store.complete(sha) and store.names(sha) == [] and store.original(sha) is None
    assert store.save(sha, [Image.new("L", (10, 10), 255)], b"x", ".pdf") == [
        (f"{sha}/1.webp", f"{sha}/1.thumb.webp")
    ]


def test_natural_order():
    names = ["page-10.jpg", "page-2.jpg", "Page-1.jpg", "page-1a.jpg", "cover.jpg"]
    assert sorted(names, key=natural_key) == [
        "cover.jpg",
        "Page-1.jpg",
        "page-1a.jpg",
        "page-2.jpg",
        "page-10.jpg",
    ]


def test_pages_per_folder_packs_each_folders_photos_in_number_order(tmp_path: Path):
    letter = tmp_path / "letter"
    letter.mkdir()
    for n in (10, 2, 1):
        (letter / f"p{n}.png").write_bytes(_png(f"page {n}"))
    (tmp_path / "note.txt").write_text("A note.\n")
    (tmp_path / "single.png").write_bytes(_png("alone"))

    plain = [i for i in iter_source_items([tmp_path], Settings()) if isinstance(i, SourceItem)]
    assert len(plain) == 5  # without the option: one item per file

    items = [
        i for i in iter_source_items([tmp_path], Settings(pages_per_folder=True)) if isinstance(i, SourceItem)
    ]
    by_name = {i.name: i for i in items}
    assert sorted(by_name) == ["letter.zip", "note.txt", f"{tmp_path.name}.zip"]
    pack = by_name["letter.zip"]
    assert pack.path == str(letter)
    with zipfile.ZipFile(io.BytesIO(pack.data)) as archive:
        assert archive.namelist() == ["p1.png", "p2.png", "p10.png"]
    assert [p.size for p in render_pages(pack)] == [(300, 400)] * 3
    again = next(
        i for i in iter_source_items([letter], Settings(pages_per_folder=True)) if isinstance(i, SourceItem)
    )
    assert again.sha256 == pack.sha256  # the same pages always pack to the same bytes


def test_export_names_page_images_only_where_there_are_some():
    coll = Collection(id="c")
    plain = Document(
        id="c/1", collection=coll, source=Source("text", "x.txt"), pages=[Page("1", 0), Page("2", 9)]
    )
    assert orjson.dumps(plain.to_dict()["pages"]) == b'[{"n":"1","offset":0},{"n":"2","offset":9}]'
    scanned = Document(
        id="c/2",
        collection=coll,
        source=Source("pdf", "x.pdf"),
        pages=[Page("1", 0, "s/1.webp", "s/1.thumb.webp")],
    )
    data = scanned.to_dict()
    assert data["pages"] == [{"n": "1", "offset": 0, "image": "s/1.webp", "thumbnail": "s/1.thumb.webp"}]
    assert Document.from_dict(data).pages == scanned.pages


def test_reader_routes_serve_images_and_the_original_and_nothing_else(tmp_path: Path):
    folder = tmp_path / "in" / "letter"
    folder.mkdir(parents=True)
    for n in (1, 2):
        (folder / f"{n}.png").write_bytes(_png(f"page {n}"))
    db = tmp_path / "a.db"
    settings = Settings(pages_per_folder=True, shipped_authority=False, ocr_mode="never")
    with Archive.open(db, settings=settings) as archive:
        from chancery.ingest import store_page_images
        from chancery.sources import images

        item = next(i for i in iter_source_items([folder], settings) if isinstance(i, SourceItem))
        doc = images.build_document(
            item,
            [images.PageText("LETTER\nfirst page"), images.PageText("second page")],
            "image",
            images.COLLECTION,
        )
        doc.source.sha256 = item.sha256
        store_page_images(archive.pages, item, doc)  # as ingest does after reading
        archive.store.replace_file(
            item.path, item.sha256, "image", [images.COLLECTION.to_dict()], [_row(doc.to_dict())]
        )
        archive.sync_index()
    assert (tmp_path / "a.db.pages" / item.sha256 / "2.webp").is_file()
    with TestClient(create_app(str(db), settings=settings)) as client:
        html = client.get(f"/documents/{doc.id}").text
        assert f'src="/page-images/{item.sha256}/1.webp"' in html and 'id="page-2"' in html
        assert f"/documents/{doc.id}/original" in html
        got = client.get(f"/page-images/{item.sha256}/2.webp")
        assert got.status_code == 200 and got.headers["content-type"] == "image/webp"
        assert "immutable" in got.headers["cache-control"]
        original = client.get(f"/documents/{doc.id}/original")
        assert original.status_code == 200 and original.content == item.data
        assert original.headers["content-type"] == "application/zip"
        assert original.headers["content-disposition"] == 'attachment; filename="letter.zip"'
        for bad in (
            f"/page-images/{item.sha256}/original.zip",
            f"/page-images/{item.sha256}/done.json",
            f"/page-images/{item.sha256}/..%2F..%2Fa.db",
            "/page-images/..%2F..%2F..%2Fetc/passwd",
            "/documents/images%2F..%2F..%2Fetc/original",
        ):
            assert client.get(bad).status_code == 404, bad
        hop = client.get(f"/documents/{doc.id}?hit=second+page", follow_redirects=False)
        assert hop.status_code == 303 and hop.headers["location"] == f"/documents/{doc.id}#page-2"


def _row(doc: dict):
    from chancery.store.base import serialize

    return serialize(doc)


def test_pages_folder_is_beside_sqlite_or_configured():
    assert Settings().pages_path("/data/a.db") == Path("/data/a.db.pages")
    pg = "postgresql://127.0.0.1/test"
    assert Settings().pages_path(pg) == Path(str(Settings().index_path(pg)) + ".pages")
    settings = Settings.from_env({"CHANCERY_PAGES": "/srv/pages", "CHANCERY_PAGES_PER_FOLDER": "1"})
    assert settings.pages_path(pg) == Path("/srv/pages") and settings.pages_per_folder


def test_huge_pages_are_rendered_small_for_the_reader():
    """A PDF page of 200 x 200 inches (pdfium's largest) is not rendered at 150 dpi (30,000 px a side)."""
    import pypdfium2 as pdfium

    from chancery.sources.pdf import render_pages as render_pdf

    pdf = pdfium.PdfDocument.new()
    pdf.new_page(14400, 14400)
    pdf.new_page(600, 20000)  # a long strip
    buf = io.BytesIO()
    pdf.save(buf)
    sizes = [p.size for p in render_pdf(SourceItem("big.pdf", buf.getvalue(), "big.pdf"))]
    assert sizes[0] == (1400, 1400) and max(sizes[1]) < 5700


def test_big_photos_are_decoded_small_for_the_reader():
    big = io.BytesIO()
    Image.new("RGB", (6000, 4000), "white").save(big, format="JPEG")
    (page,) = render_pages(SourceItem("p.jpg", big.getvalue(), "p.jpg"))
    assert page.size == (1400, 933)


def test_postgres_archive_keeps_pages_in_the_configured_folder(pg_schema: str, tmp_path: Path):  # noqa: F811
    """On PostgreSQL there is no database file to sit beside: $CHANCERY_PAGES names the folder."""
    import pagemaker as pm
    from conftest import SEEDS
    from test_store_contract import PG_URL, with_schema

    pdf = tmp_path / "in" / "seed.pdf"
    pdf.parent.mkdir()
    pdf.write_bytes(pm.text_pdf((pm.seed_transcript(SEEDS).pages * 2)[:2]))
    settings = Settings.from_env(
        {"CHANCERY_PAGES": str(tmp_path / "pages"), "CHANCERY_SHIPPED_AUTHORITY": "0"}
    )
    with Archive.open(
        with_schema(PG_URL, pg_schema), index_path=tmp_path / "index", settings=settings
    ) as archive:
        assert archive.ingest([pdf.parent], workers=1).ok
        doc = archive.document("pdf/seed")
        assert [p.image for p in doc.pages] == [f"{doc.source.sha256}/1.webp", f"{doc.source.sha256}/2.webp"]
        assert (tmp_path / "pages" / f"{doc.source.sha256}" / "2.thumb.webp").is_file()
        path, name = archive.original("pdf/seed")
        assert name == "seed.pdf" and path.read_bytes() == pdf.read_bytes()


def test_a_file_whose_pages_cannot_be_stored_keeps_its_text_with_a_warning(tmp_path: Path):
    import pagemaker as pm
    from conftest import SEEDS

    pdf = tmp_path / "in" / "seed.pdf"
    pdf.parent.mkdir()
    pdf.write_bytes(pm.text_pdf(pm.seed_transcript(SEEDS).pages))
    blocked = tmp_path / "pages"
    blocked.write_text("a file where the pages folder should be")
    settings = Settings.from_env({"CHANCERY_PAGES": str(blocked), "CHANCERY_SHIPPED_AUTHORITY": "0"})
    with Archive.open(tmp_path / "a.db", settings=settings) as archive:
        report = archive.ingest([pdf.parent], workers=1)
        assert report.ok and any("page images not made" in w for w in report.warnings)
        doc = archive.document("pdf/seed")
        assert doc.text and all(p.image is None for p in doc.pages)
        assert "image" not in orjson.dumps(doc.to_dict()["pages"]).decode()


def test_compact_removes_the_pages_of_a_file_changed_since(tmp_path: Path):
    """A PDF ingested, then changed and ingested again: its first version's page folder has no file
    any more; `compact` leaves it while young (an ingest may be writing one) and removes it after."""
    import hashlib

    import pagemaker as pm

    folder = tmp_path / "in"
    folder.mkdir()
    pdf = folder / "memo.pdf"
    pdf.write_bytes(pm.text_pdf([["MEMORANDUM", "Washington, June 1, 1950", "First version."]]))
    first = hashlib.sha256(pdf.read_bytes()).hexdigest()
    settings = Settings(shipped_authority=False, ocr_mode="never")
    pages = tmp_path / "a.db.pages"
    with Archive.open(tmp_path / "a.db", settings=settings) as archive:
        archive.ingest([folder])
        assert (pages / first / "done.json").is_file()
        pdf.write_bytes(pm.text_pdf([["MEMORANDUM", "Washington, June 2, 1950", "Second version."]]))
        second = hashlib.sha256(pdf.read_bytes()).hexdigest()
        archive.ingest([folder])
        assert archive.compact()["page_folders_removed"] == 0  # young: kept
        assert archive.compact(page_age=0)["page_folders_removed"] == 1
        assert not (pages / first).exists() and (pages / second / "done.json").is_file()
        assert archive.compact(page_age=0)["page_folders_removed"] == 0  # the stored file's stay
