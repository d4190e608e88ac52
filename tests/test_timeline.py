"""The timeline without a query: the whole archive per month (API and page), labels that do not
overlap in a real browser."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import served
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from test_api import web_archive_path

from chancery.archive import Archive
from chancery.web.app import create_app


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    with Archive.open(web_archive_path(tmp_path_factory)) as opened:
        yield opened


@pytest.fixture(scope="module")
def client(archive: Archive) -> Iterator[TestClient]:
    with TestClient(create_app(archive)) as test_client:
        yield test_client


def expected_months(archive: Archive) -> tuple[Counter[str], int]:
    """From the store, independently of the index: documents whose date interval lies in one month."""
    months: Counter[str] = Counter()
    total = 0
    for doc in archive.store.iter_documents():
        total += 1
        date: dict[str, Any] = doc.get("date") or {}
        low = date.get("not_before") or date.get("when") or ""
        high = date.get("not_after") or low
        if len(low) >= 7 and low[:7] == high[:7]:
            months[low[:7]] += 1
    return months, total


def test_api_timeline_without_a_query_counts_the_whole_archive(client: TestClient, archive: Archive) -> None:
    body = client.get("/api/timeline").json()
    months, total = expected_months(archive)
    assert total > 600  # real volumes, not a toy
    assert body["total"] == total == body["counted"]
    got = {b["month"]: b["count"] for b in body["buckets"] if b["count"]}
    assert got == dict(months)
    assert body["undated"] == total - sum(months.values())
    names = [b["month"] for b in body["buckets"]]
    assert names == sorted(names) and len(names) == len(set(names))  # every month, in order, gaps as 0
    assert client.get("/api/timeline", params={"q": ""}).json() == body
    assert client.get("/api/timeline", params={"q": "collection:webtest"}).json()["total"] == 3


def test_timeline_page_without_a_query_shows_years_and_months(client: TestClient) -> None:
    html = client.get("/timeline").text
    assert 'class="bars years"' in html and 'class="bars months"' in html
    months = re.findall(r'href="/\?q=date%3A(\d{4}-\d\d)&amp;sort=date"', html)
    assert "1944-03" in months and "1945-07" in months
    assert 'href="/api/timeline"' in html  # the JSON of this very timeline


def _overlaps(boxes: list[dict[str, float]]) -> list[tuple[int, int]]:
    bad = []
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            b = boxes[j]
            if a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]:
                if a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]:
                    bad.append((i, j))
    return bad


def test_whole_archive_timeline_in_a_browser(
    chromium: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    db = web_archive_path(tmp_path_factory)
    with served(db, tmp_path_factory.mktemp("serve") / "serve.log") as base:
        context = chromium.new_context(base_url=base, viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.goto("/timeline")
        expect(page.locator("h2", has_text="By month")).to_be_visible()
        bars = page.locator("ol.bars.months a")
        assert bars.count() > 12
        labels = page.locator("ol.bars.months .label, ol.bars.months .year-label")
        boxes = [box for box in (labels.nth(i).bounding_box() for i in range(labels.count())) if box]
        assert len(boxes) > bars.count()  # a month label per bar, and year labels
        assert _overlaps(boxes) == []
        for year_label in page.locator("ol.bars.months .year-label").all()[:3]:
            assert re.fullmatch(r"\d{4}", year_label.inner_text())
        titles = [bars.nth(i).get_attribute("title") or "" for i in range(bars.count())]
        counts = [int(t.split(": ")[1].split()[0]) for t in titles]
        busiest = counts.index(max(counts))
        month = titles[busiest].split(": ")[0]
        bars.nth(busiest).click()
        expect(page).to_have_url(re.compile(f"date%3A{month}"))
        # the search also finds documents dated only to the year or a span around the month
        assert int(page.locator("#results-title").inner_text().split()[0]) >= counts[busiest]
        context.close()
