"""The web UI in a real browser (Debian's chromium via Playwright) against a real `chancery serve`
subprocess over the shared web-test archive: searching, reading, citing, entities, keyboard use,
and a hostile document whose markup must never run."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import served
from playwright.sync_api import Browser, Page, expect
from test_api import HARRIMAN, web_archive_path

# Screenshots go to this session's temporary directory; scripts/screenshots.sh sets
# CHANCERY_SCREENSHOTS=docs/screenshots to refresh the README's pictures on purpose.
SCREENSHOTS_ENV = "CHANCERY_SCREENSHOTS"
ARTIFACTS: list[Path] = []  # the temporary directory, set by the screenshot_dir fixture
# Records anything hostile markup could do: set a flag, open a dialog.
WATCH = """
window.__dialogs = [];
for (const name of ["alert", "confirm", "prompt"]) {
  const original = window[name];
  window[name] = (...args) => { window.__dialogs.push(name); };
}
"""


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`chancery serve` on a free loopback port; yields its base URL."""
    db = web_archive_path(tmp_path_factory)
    with served(db, tmp_path_factory.mktemp("serve") / "serve.log") as base:
        yield base


@pytest.fixture(scope="session", autouse=True)
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ARTIFACTS[:] = [tmp_path_factory.mktemp("screenshots")]
    return ARTIFACTS[0]


@pytest.fixture(scope="session")
def browser(chromium: Browser) -> Browser:
    return chromium


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=server, viewport={"width": 1200, "height": 900})
    context.add_init_script(WATCH)
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.dialogs = dialogs  # type: ignore[attr-defined]
    yield tab
    context.close()


def screenshot(page: Page, name: str, readme: bool = False) -> None:
    path = ARTIFACTS[0] / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 0
    if readme and os.environ.get(SCREENSHOTS_ENV):
        target = Path(os.environ[SCREENSHOTS_ENV])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / f"{name}.png")


def result_count(page: Page) -> int:
    return int(page.locator("#results-title").inner_text().split()[0])


def test_search_with_facet_and_date_range_then_open_a_result(page: Page) -> None:
    page.goto("/?q=" + "government date:1944-03..1944-06")
    before = result_count(page)
    assert before > 0
    dates = page.locator(".hit time").all_inner_texts()
    assert dates and all("1944" in d and d.split()[0] in ("March", "April", "May", "June") for d in dates)
    expect(page.locator(".histogram")).to_be_visible()
    screenshot(page, "search", readme=True)

    facet = page.locator(".facet").filter(has_text="Type").locator("a").first
    facet_value = facet.inner_text()
    facet.click()
    expect(page).to_have_url(re.compile("type%3A"))
    assert 0 < result_count(page) <= before
    for kind in page.locator(".hit .doc-type").all_inner_texts():
        assert kind == facet_value

    first = page.locator(".hit h3 a").first
    title = first.inner_text()
    first.click()
    expect(page.locator("h1#doc-title")).to_have_text(title)
    expect(page.locator(".doc-text")).not_to_be_empty()


def test_footnote_opens_in_place_and_reference_link_is_followed(page: Page) -> None:
    page.goto("/documents/webtest/d1")
    popover = page.locator("details.fn .fn-pop").first
    expect(popover).to_be_hidden()
    page.get_by_label("Footnote 63", exact=True).click()
    expect(popover).to_be_visible()
    expect(popover).to_contain_text("Telegram 2345 of June 30")
    expect(page.locator(".page-marker#page-907")).to_be_visible()
    screenshot(page, "reader-fixture")
    page.keyboard.press("Escape")
    expect(popover).to_be_hidden()
    expect(page.locator("section.notes li#fn-0")).to_contain_text("Telegram 2345")

    expect(page.locator("section.references li").filter(has_text="Yalta")).to_contain_text("not in archive")
    page.locator("section.references a", has_text="telegram 2345").click()
    expect(page).to_have_url(re.compile("/documents/webtest/d2$"))
    expect(page.locator("h1#doc-title")).to_contain_text("President Truman to the Ambassador")


def test_reader_on_a_real_frus_document(page: Page) -> None:
    page.goto("/documents/frus1949v07p1/d2")
    expect(page.locator("h1#doc-title")).to_contain_text("Acting Secretary of State")
    markers = page.locator("details.fn > summary")
    assert markers.count() >= 3
    markers.nth(1).click()
    expect(page.locator("details.fn[open] .fn-pop")).to_be_visible()
    expect(page.locator(".page-marker").first).to_be_visible()
    screenshot(page, "reader", readme=True)


def test_related_documents_in_place(page: Page) -> None:
    page.goto("/documents/webtest/d1")
    page.locator("a.related-link").click()
    related = page.locator("section.related")
    expect(related.locator("ul.related-list, p").first).to_be_visible()
    expect(related).not_to_contain_text("Find documents")
    assert page.url.endswith("/documents/webtest/d1")
    _assert_inert(page)


def test_footnote_works_without_javascript(browser: Browser, server: str) -> None:
    context = browser.new_context(base_url=server, java_script_enabled=False)
    tab = context.new_page()
    tab.goto("/documents/webtest/d1")
    tab.get_by_label("Footnote 63", exact=True).click()
    expect(tab.locator("details.fn .fn-pop").first).to_be_visible()
    tab.locator("a.related-link").click()
    expect(tab.locator("h1#related-title")).to_have_text("Related across archives")
    context.close()


def test_cite_in_two_formats(page: Page) -> None:
    page.goto("/documents/webtest/d1")
    page.locator("details.cite > summary").click()
    bibtex = page.locator("pre[data-format=bibtex]")
    expect(bibtex).to_be_visible()
    assert bibtex.inner_text().startswith("@misc{webtest_d1,")
    assert (
        "Harriman to Truman, telegram, Moscow, July 1, 1945"
        in page.locator("pre[data-format=chicago-note]").inner_text()
    )
    ris = page.request.get(page.locator("a[href$='format=ris']").get_attribute("href") or "")
    assert ris.ok and ris.text().startswith("TY  - GOVDOC")
    screenshot(page, "cite")


def test_entity_page_from_the_reader(page: Page) -> None:
    page.goto("/documents/webtest/d1")
    page.locator("dl.doc-meta a", has_text="Harriman").click()
    expect(page).to_have_url(re.compile(re.escape(HARRIMAN)))
    expect(page.locator("h1#entity-title")).to_have_text("Harriman, W. Averell")
    expect(page.locator(".offices")).to_contain_text("Ambassador to the Soviet Union")
    expect(page.locator("svg.network text", has_text="Truman")).to_be_visible()
    expect(page.locator(".hits a", has_text="President Truman to the Ambassador")).to_be_visible()
    screenshot(page, "entity")


def test_collection_and_timeline_pages(page: Page) -> None:
    page.goto("/collections/webtest")
    expect(page.locator(".toc h3").first).to_have_text("Chapter I: The Moscow talks")
    screenshot(page, "collection")
    page.goto("/timeline?q=collection:webtest")
    bars = page.locator("ol.bars.months a")
    expect(bars).to_have_count(2)
    bars.last.click()
    expect(page).to_have_url(re.compile("date%3A1945-07"))
    assert result_count(page) == 2
    page.goto("/timeline?q=government")
    screenshot(page, "timeline")


def test_search_by_keyboard_only(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("stalin collection:webtest")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "q=stalin" in url)
    expect(page.locator("#results-title")).to_be_visible()
    first_href = page.locator(".hit h3 a").first.get_attribute("href")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to results"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == first_href
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focused link has no visible focus ring"
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/documents/" in url)
    expect(page.locator("h1#doc-title")).to_be_visible()


def _assert_inert(page: Page) -> None:
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__dialogs") == []
    assert page.dialogs == []  # type: ignore[attr-defined]
    for selector in ("main script", "main img", "main iframe", "main svg [onload]", "a[href^='javascript:']"):
        assert page.locator(selector).count() == 0, selector


def test_hostile_document_never_runs(page: Page) -> None:
    page.goto("/?q=pwnedmarker")
    assert result_count(page) >= 1
    expect(page.locator(".snippet mark").first).to_be_visible()
    _assert_inert(page)
    page.locator(".hit h3 a").first.click()
    page.wait_for_load_state()
    for marker in page.locator("details.fn > summary").all():
        marker.click()
    _assert_inert(page)

    page.goto("/documents/webtest/hostile")
    expect(page.locator("h1#doc-title")).to_contain_text("<img src=x onerror=")
    page.locator("details.fn > summary").first.click()
    page.locator("details.cite > summary").click()
    page.locator("dl.doc-meta a").first.hover()
    _assert_inert(page)
    for url in (
        "/?q=hostilecable",
        "/collections/webtest",
        f"/entities/{HARRIMAN}",
        "/timeline?q=hostilecable",
    ):
        page.goto(url)
        _assert_inert(page)
