"""What a new user found (issue 11): API docs offline, the timeline's default, collection pages
(numbers once, coverage from dates), plurals, piped CLI output, ingest warnings, stop words in
snippets, and example queries that find something on the bundled data."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SEEDS, corpus_path
from fastapi.testclient import TestClient
from test_api import client, web_archive_path  # noqa: F401  (the shared web-test archive)

from chancery.archive import Archive
from chancery.web import create_app
from chancery.workspace.viewer import Viewer


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m chancery ARGS` with stdout and stderr piped (not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "chancery", *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


# -- web pages ------------------------------------------------------------------------------
def test_api_docs_load_swagger_ui_from_this_server(client: TestClient) -> None:  # noqa: F811
    html = client.get("/api/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.content) > 500, asset
    assert client.get("/api/openapi.json").json()["paths"]["/api/search"]


def test_timeline_without_a_query_shows_every_year(client: TestClient) -> None:  # noqa: F811
    html = client.get("/timeline").text
    years = re.findall(r'href="/timeline\?q=date%3A(\d{4})"', html)
    assert {"1944", "1945", "1949"} <= set(years)
    assert "dated documents" in html


def test_collection_page_numbers_each_entry_once(client: TestClient) -> None:  # noqa: F811
    html = client.get("/collections/webtest").text
    toc = html[html.index('<nav class="toc"') : html.index("</nav>", html.index('<nav class="toc"'))]
    assert "<ol" not in toc  # no list numbers beside the documents' own numbers
    text = re.sub(r"<[^>]+>", "", toc)
    assert "1. The Ambassador in the Soviet Union" in text
    assert not re.search(r"\d+\.\s+\d+\.", text)


def _dated_range(archive: Archive, collection_id: str) -> tuple[str, str]:
    dates = [
        ((d.get("date") or {}).get("not_before") or "")[:10]
        for d in archive.store.iter_documents(collection_id)
    ]
    ends = [
        ((d.get("date") or {}).get("not_after") or (d.get("date") or {}).get("not_before") or "")[:10]
        for d in archive.store.iter_documents(collection_id)
    ]
    return min(d for d in dates if d), max(d for d in ends if d)


def test_coverage_from_document_dates(client: TestClient, tmp_path_factory: pytest.TempPathFactory) -> None:  # noqa: F811
    collections = {c["id"]: c for c in client.get("/api/collections").json()["collections"]}
    with Archive.open(web_archive_path(tmp_path_factory)) as archive:
        for cid in ("dfat-v07", "wilson"):
            first, last = _dated_range(archive, cid)
            coverage = collections[cid]["coverage"]
            assert (coverage["not_before"], coverage["not_after"]) == (first, last), cid
            assert coverage["basis"] == "documents"
            one = client.get(f"/api/collections/{cid}").json()["coverage"]
            assert (one["not_before"], one["not_after"]) == (first, last)
    # a source's own coverage is kept as it is
    assert collections["webtest"]["coverage"] == {"not_before": "1945-06-01", "not_after": "1945-07-31"}
    page = client.get("/collections").text
    row = page[page.index("/collections/dfat-v07") :]
    assert "1944-01-02" in row[: row.index("</tr>")]
    assert "Coverage" in client.get("/collections/wilson").text


def test_counts_are_singular_or_plural(client: TestClient) -> None:  # noqa: F811
    one = client.get("/", params={"q": "id:webtest/d1"}).text
    assert "1 document matches" in one
    several = client.get("/", params={"q": "collection:webtest"}).text
    assert "3 documents match" in several
    for url in (
        "/",
        "/?q=id:webtest/d1",
        "/timeline?q=id:webtest/d1",
        "/entities/" + "person:webtest:harriman",
    ):
        assert not re.search(r"\b1 (documents|collections|warnings)\b", client.get(url).text), url
    assert "1 document match" in client.get("/timeline", params={"q": "id:webtest/d1"}).text


# -- snippets -------------------------------------------------------------------------------
def _marked(client: TestClient, q: str) -> list[str]:  # noqa: F811
    hits = client.get("/api/search", params={"q": q, "limit": 20, "facets": "false"}).json()["hits"]
    return [m.lower() for h in hits for m in re.findall(r"<mark>(.*?)</mark>", h["snippet"])]


def test_snippets_do_not_highlight_stop_words_beside_other_words(client: TestClient) -> None:  # noqa: F811
    marked = _marked(client, "the stalin")
    assert "stalin" in marked
    assert "the" not in marked
    assert "the" in _marked(client, "the")  # a query of stop words only still shows them


# -- CLI ------------------------------------------------------------------------------------
def test_piped_search_prints_whole_ids(tmp_path: Path) -> None:
    name = "000_harriman_to_truman_" + "_".join(f"part{i}" for i in range(16))  # a 100-character id
    sources = tmp_path / "sources"
    sources.mkdir()
    shutil.copyfile(SEEDS / "000_e45dc6676497ee2e.txt", sources / f"{name}.txt")
    shutil.copyfile(SEEDS / "001_5cfb9ea65f8fb897.txt", sources / "001_5cfb9ea65f8fb897.txt")
    db = str(tmp_path / "piped.db")
    assert run_cli("ingest", str(sources), "--db", db).returncode == 0
    long_id = f"frus-text/{name}"
    assert len(long_id) > 100

    result = run_cli("search", "soong", "--db", db)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "# 2 documents match 'soong'"
    assert lines[1].split("\t") == ["id", "date", "title"]
    rows = [line.split("\t") for line in lines[2:]]
    assert {row[0] for row in rows} == {long_id, "wilson/123402"}
    assert all(len(row) == 3 for row in rows)
    assert "The Ambassador in the Soviet Union (Harriman) to President Truman" in {row[2] for row in rows}
    one = run_cli("search", "id:wilson/123402", "--db", db).stdout
    assert one.startswith("# 1 document matches")


def test_ingest_lists_its_warnings(tmp_path: Path) -> None:
    few, many = tmp_path / "few", tmp_path / "many"
    few.mkdir()
    many.mkdir()
    seed = SEEDS / "000_e45dc6676497ee2e.txt"
    for i in range(2):
        shutil.copyfile(seed, few / f"copy{i}.txt")
    for i in range(25):
        shutil.copyfile(seed, many / f"copy{i}.txt")

    result = run_cli("ingest", str(few), "--db", str(tmp_path / "few.db"))
    assert result.returncode == 0, result.stderr
    assert "2 warnings" in result.stderr
    assert "copy1.txt: same content as" in result.stderr  # each warning, whole, on its own line

    result = run_cli("ingest", str(many), "--db", str(tmp_path / "many.db"))
    assert result.returncode == 0, result.stderr
    listed = tmp_path / "many.db.ingest-warnings.txt"
    assert f"warnings written to {listed}" in result.stderr
    lines = listed.read_text().splitlines()
    assert len(lines) == 25 and sum("same content as" in line for line in lines) == 24
    assert "same content as" not in result.stderr


# -- examples -------------------------------------------------------------------------------
class _Codes(HTMLParser):
    """The text of every <code> inside the query hint and the syntax help."""

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.in_code, self.codes, self.buffer = 0, False, [], ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self.depth or values.get("id") == "q-help" or "syntax" in (values.get("class") or ""):
            self.depth += 1
        if self.depth and tag == "code":
            self.in_code, self.buffer = True, ""

    def handle_endtag(self, tag: str) -> None:
        if self.in_code and tag == "code":
            self.codes.append(self.buffer)
            self.in_code = False
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.in_code:
            self.buffer += data


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The archive scripts/demo.sh builds: the seeds, three corpus files, the authority files."""
    db = tmp_path_factory.mktemp("demo") / "chancery.db"
    archive = Archive.open(db)
    report = archive.ingest(
        [
            SEEDS,
            corpus_path("frus", "volumes", "frus1949v07p1.xml.gz"),
            corpus_path("dfat", "volume-7-1944.tar.gz"),
            corpus_path("wilson", "wilson_archive.sample.csv"),
        ]
    )
    assert report.ok, report.failures[:3]
    archive.load_authority(sorted(corpus_path("authority").glob("*.tar.gz")))
    yield archive
    archive.close()


def test_every_example_in_the_query_hint_finds_something(demo_archive: Archive) -> None:
    with TestClient(create_app(demo_archive)) as web:
        parser = _Codes()
        parser.feed(web.get("/").text)
    examples = [c for c in parser.codes if c != '"phrases"']  # the placeholder for any phrase
    assert len(examples) >= 10 and "collection:frus1949v07p1" in examples
    # The workspace examples search the user's own tags, notes and stars: make them as a user would.
    doc = demo_archive.search("yalta", limit=1, facets=False).hits[0].id
    demo_archive.annotations.add(Viewer.local(), doc, "tag", "yalta")
    demo_archive.annotations.add(Viewer.local(), doc, "note", "draft of a reply")
    demo_archive.annotations.star(Viewer.local(), doc)
    empty = [q for q in examples if demo_archive.search(q, limit=1, facets=False).total == 0]
    assert empty == []


def test_readme_collection_and_id_examples_find_something(demo_archive: Archive) -> None:
    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if "volumes by prefix" in line)
    row += next(line for line in readme.splitlines() if "a document id" in line)
    examples = [q for q in re.findall(r"`([^`]+)`", row) if q.startswith(("collection:", "id:"))]
    assert len(examples) == 3
    assert [q for q in examples if demo_archive.search(q, limit=1, facets=False).total == 0] == []
