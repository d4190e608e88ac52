"""Issue 14's Done-when for lists and batch search, in Chromium against a real `chancery serve`
over an archive made by `chancery ingest`, on SQLite and on PostgreSQL: build a list from the
reader, download it as RIS and read it with rispy; run a batch search through the web page."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import rispy
from conftest import SEEDS, corpus_path, served
from playwright.sync_api import Browser, Page, expect
from test_store_contract import PG_URL, with_schema


def ingest(db: str) -> None:
    sources = [str(SEEDS), str(corpus_path("wilson", "wilson_archive.sample.csv"))]
    done = subprocess.run(
        [sys.executable, "-m", "chancery", "ingest", *sources, "--db", db], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp(f"lists-{request.param}")
    schema = f"chancery_test_{uuid.uuid4().hex[:12]}" if request.param == "postgres" else None
    db = with_schema(PG_URL, schema) if schema else str(folder / "lists.db")
    ingest(db)
    try:
        with served(db, folder / "serve.log") as base:  # type: ignore[arg-type]  (a URL serves as well as a path)
            yield base
    finally:
        if schema:
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def page(chromium: Browser, server: str) -> Iterator[Page]:
    context = chromium.new_context(
        base_url=server, viewport={"width": 1200, "height": 900}, accept_downloads=True
    )
    yield context.new_page()
    context.close()


def hit_links(page: Page, query: str, n: int) -> list[tuple[str, str]]:
    """(href, title) of the first `n` hits of a search made in the page."""
    page.goto("/")
    page.fill("#q", query)
    page.click("form.search button[type=submit]")
    links = page.locator("li.hit h3 a")
    expect(links.first).to_be_visible()
    found = [
        (links.nth(i).get_attribute("href") or "", links.nth(i).inner_text())
        for i in range(min(n, links.count()))
    ]
    return [(href.split("?")[0], title) for href, title in found]


def test_build_a_list_from_the_reader_and_export_it_as_ris(page: Page, tmp_path: Path) -> None:
    name = f"Soviet talks {uuid.uuid4().hex[:6]}"
    docs = hit_links(page, "soviet", 3)
    assert len(docs) == 3
    for i, (href, _title) in enumerate(docs):
        page.goto(href)
        control = page.locator("details.add-to-list")
        control.locator("summary").click()
        if i == 0:
            control.locator("input[name=new_list]").fill(name)
        else:
            control.locator("select[name=list_id]").select_option(label=f"{name} ({i})")
        control.locator("button[type=submit]").click()
        expect(page.locator(".added-to-list")).to_contain_text(name)
        assert page.url.split("?")[0].endswith(href) and "listed=" in page.url  # back on the reader
    expect(page.locator("details.add-to-list summary")).to_contain_text(f"on {name}")

    page.goto("/lists")
    page.get_by_role("link", name=name).click()
    expect(page.locator("ol.list-items > li")).to_have_count(3)
    with page.expect_download() as info:
        page.locator("a[data-format=ris]").click()
    download = info.value
    assert download.suggested_filename.endswith(".ris")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    records: list[dict[str, Any]] = rispy.loads(saved.read_text(encoding="utf-8"))
    assert [r["id"] for r in records] == [href.removeprefix("/documents/") for href, _ in docs]
    assert [r["title"] for r in records] == [title.strip().rstrip(".") for _, title in docs]


def test_batch_search_through_the_web_page(page: Page, tmp_path: Path) -> None:
    queries = tmp_path / "officials.csv"
    queries.write_text(
        "query,label\nharriman,Harriman\nsoong,Soong\nzzyzxnotaname,Nobody\n", encoding="utf-8"
    )
    expected = {label: hit_links(page, q, 50) for q, label in (("harriman", "Harriman"), ("soong", "Soong"))}

    page.goto("/batch")
    page.set_input_files("#batch-file", str(queries))
    page.fill("#batch-top", "2")
    page.get_by_role("button", name="Show table").click()
    rows = page.locator("table.batch-results tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(2).locator("td").nth(2)).to_have_text("0")

    page.set_input_files("#batch-file", str(queries))
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    saved = tmp_path / "hits.csv"
    info.value.save_as(saved)
    got = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert [r["label"] for r in got] == ["Harriman", "Soong", "Nobody"]
    for row in got[:2]:
        hits = expected[row["label"]]
        assert int(row["count"]) >= 1
        assert [row["id_1"], row["id_2"]][: len(hits)] == [h.removeprefix("/documents/") for h, _ in hits[:2]]
    assert got[2]["count"] == "0"


def test_list_and_batch_pages_fit_a_phone(chromium: Browser, server: str) -> None:
    context = chromium.new_context(base_url=server, viewport={"width": 390, "height": 844})
    phone = context.new_page()
    try:
        phone.goto("/lists")
        phone.fill("#list-name", "A list with a rather long name to wrap on a small screen")
        phone.click("form.new-list button")
        expect(phone.locator("h1")).to_contain_text("rather long name")
        for url in ("/lists", phone.url, "/documents/wilson/123402", "/batch"):
            phone.goto(url)
            width, window = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert width <= window, f"{url}: {width} px wide in a {window} px window"
        phone.fill("#batch-text", "harriman\nsoong")
        phone.get_by_role("button", name="Show table").click()
        expect(phone.locator("table.batch-results tbody tr")).to_have_count(2)
        width, window = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= window, f"batch results: {width} px wide in a {window} px window"
    finally:
        context.close()
