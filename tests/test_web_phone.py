"""The web UI in a real browser (Debian's chromium): a phone-sized window never scrolls sideways,
the API docs render offline, the timeline has a default and readable month labels."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import SEEDS, corpus_path, served
from playwright.sync_api import Browser, Page, expect

from chancery.archive import Archive
from chancery.model import Collection, DocDate, Document, Party, Source

PHONE = {"width": 390, "height": 844}
LONG = "UNBROKEN" + "-".join(f"X{i:02d}" for i in range(30))  # ~150 characters, no space


def wide_volume() -> tuple[Collection, list[Document]]:
    """Documents whose titles, parties, ids, text and collection title have long unbroken strings,
    one in each of 40 years (a wide year histogram)."""
    coll = Collection(id="phonetest-" + "v" * 60, title="Collection" + LONG, archive="text")
    docs = []
    for i in range(40):
        year = 1920 + i
        day = f"{year}-{year % 12 + 1:02d}-01"
        text = (
            f"Marshal Stalin received the message. See https://example.org/{LONG}/{i} and file {LONG}.\n\n"
            + "The reply follows by separate telegram. " * 20
        )
        docs.append(
            Document(
                id=f"{coll.id}/d{i}",
                collection=coll,
                source=Source(format="text", path="phonetest.txt"),
                title=f"Telegram {LONG} {i}",
                doc_type="telegram" + LONG.lower(),
                date=DocDate(when=day, not_before=day, not_after=day, precision="day"),
                place="Place" + LONG,
                senders=[Party(name="Sender" + LONG)],
                recipients=[Party(name="Recipient" + LONG)],
                n=str(i + 1),
                text=text,
            )
        )
    return coll, docs


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("phone") / "phone.db"
    with Archive.open(db) as archive:
        assert archive.ingest([SEEDS, corpus_path("wilson", "wilson_archive.sample.csv")]).ok
        coll, docs = wide_volume()
        archive.store.replace_file(
            "phonetest.txt", coll.id, "text", [coll.to_dict()], [d.to_dict() for d in docs]
        )
        archive.sync_index()
    with served(db, db.parent / "serve.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser(chromium: Browser) -> Browser:
    return chromium


@pytest.fixture
def phone(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=server, viewport=PHONE)
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=server, viewport={"width": 1200, "height": 900})
    yield context.new_page()
    context.close()


def assert_no_sideways_scroll(page: Page) -> None:
    sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"{page.url}: {sizes[0]} px wide in a {sizes[1]} px window"


@pytest.mark.parametrize(
    "url",
    [
        "/?q=stalin",
        "/?q=telegram",
        "/?q=harriman",
        "/documents/phonetest-" + "v" * 60 + "/d0",
        "/documents/frus-text/000_e45dc6676497ee2e",
        "/documents/wilson/123402",
        "/collections",
        "/timeline",
        "/timeline?q=stalin",
    ],
)
def test_phone_never_scrolls_sideways(phone: Page, url: str) -> None:
    phone.goto(url)
    if url.startswith("/?"):
        expect(phone.locator(".hit").first).to_be_visible()
        facet = phone.locator(".facets a").first
        facet.scroll_into_view_if_needed()
        box = facet.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert_no_sideways_scroll(phone)


def test_api_docs_render_without_network(desktop: Page, server: str) -> None:
    outside: list[str] = []

    def only_local(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith(server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    desktop.route("**/*", only_local)
    desktop.goto("/api/docs")
    expect(desktop.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15_000)
    expect(desktop.locator(".swagger-ui")).to_contain_text("/api/search")
    assert outside == []


def test_timeline_without_a_query_shows_the_archive_by_year(desktop: Page) -> None:
    desktop.goto("/timeline")
    bars = desktop.locator("ol.bars.years li a")
    assert bars.count() >= 3
    expect(desktop.locator("ol.bars.years")).to_contain_text("1945")
    bars.filter(has_text="1945").first.click()
    expect(desktop.locator("#tq")).to_have_value("date:1945")
    expect(desktop.locator("ol.bars.months li").first).to_be_visible()


def test_timeline_month_labels_do_not_overlap(desktop: Page) -> None:
    desktop.goto("/timeline?q=" + "date:1944..1946")
    labels = desktop.locator("ol.bars.months .label, ol.bars.months .year-label")
    boxes = [b for b in (labels.nth(i).bounding_box() for i in range(labels.count())) if b]
    assert len(boxes) >= 6
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (
                a["x"] + a["width"] <= b["x"] + 0.5
                or b["x"] + b["width"] <= a["x"] + 0.5
                or a["y"] + a["height"] <= b["y"] + 0.5
                or b["y"] + b["height"] <= a["y"] + 0.5
            )
            assert apart, f"labels overlap: {a} {b}"
