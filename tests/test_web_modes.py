"""The search page's mode chooser and notices in a real browser (chromium via Playwright) against
a real `chancery serve` over the shared web-test archive, which has no vectors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import served
from playwright.sync_api import Browser, Page, expect
from test_api import web_archive_path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = web_archive_path(tmp_path_factory)
    with served(db, tmp_path_factory.mktemp("serve-modes") / "serve.log") as base:
        yield base


@pytest.fixture
def page(chromium: Browser, server: str) -> Iterator[Page]:
    context = chromium.new_context(base_url=server, viewport={"width": 1200, "height": 900})
    yield context.new_page()
    context.close()


def test_mode_chooser_without_vectors(page: Page) -> None:
    page.goto("/")
    chooser = page.locator("select#mode")
    expect(chooser).to_have_value("auto")
    values = chooser.locator("option").evaluate_all("os => os.map(o => [o.value, o.disabled])")
    assert values == [["auto", False], ["bm25", False], ["semantic", True], ["hybrid", True]]
    expect(page.locator("#mode-help")).to_contain_text("chancery embed")
    assert chooser.get_attribute("aria-describedby") == "mode-help"
    page.fill("#q", "stalin")
    chooser.select_option("bm25")
    page.click("button[type=submit]")
    page.wait_for_url("**mode=bm25**")
    expect(page.locator("select#mode")).to_have_value("bm25")
    expect(page.locator("ul.notices li.mode")).to_have_text("Ranked by words (bm25).")
    expect(page.locator("ol.hits li.hit").first).to_be_visible()


def test_typed_query_shows_its_notices(page: Page) -> None:
    page.goto("/")
    page.fill("#q", 'stalin "moscow colour:red')
    page.press("#q", "Enter")
    page.wait_for_url("**q=**")
    notices = page.locator("ul.notices li")
    expect(notices.first).to_contain_text("quote at position 8 is never closed")
    expect(notices.nth(1)).to_contain_text("colour: is not a field")
    expect(page.locator("ul.notices li.mode")).to_contain_text("best available")
    expect(page.locator("section.error")).to_have_count(0)
