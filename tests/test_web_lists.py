"""The web side of lists, exports and batch search (issue 14, items 4 and 5) over a freshly
ingested archive: the reader's citation_* meta tags for Zotero, the Add-to-list form posts, the
list page's export links, /api/lists, /api/export and /batch."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import bibtexparser
import pytest
import rispy
from conftest import SEEDS, corpus_path
from fastapi.testclient import TestClient

from chancery.archive import Archive
from chancery.citations import EXPORT_FORMATS
from chancery.web import create_app

BASE = "https://archive.example.org"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    opened = Archive.open(tmp_path_factory.mktemp("web-lists") / "a.db")
    report = opened.ingest([SEEDS, corpus_path("wilson", "wilson_archive.sample.csv")])
    assert report.ok, report.failures
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(archive: Archive) -> Iterator[TestClient]:
    # https, as BASE: the CSRF cookie is Secure and would not be sent back over http
    with TestClient(
        create_app(archive, base_url=BASE), base_url="https://testserver", follow_redirects=False
    ) as test_client:
        test_client.get("/")  # the CSRF cookie; posts send it back, as the pages' forms and scripts do
        test_client.headers["x-csrf-token"] = test_client.cookies["chancery_csrf"]
        yield test_client


class Metas(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and (found.get("name") or "").startswith("citation_"):
            self.tags.append((found["name"] or "", found.get("content") or ""))


def citation_tags(html: str) -> list[tuple[str, str]]:
    parser = Metas()
    parser.feed(html)
    return parser.tags


def test_reader_has_citation_meta_tags_for_zotero(client: TestClient, archive: Archive) -> None:
    checked = 0
    for doc in archive.documents():
        data = doc.to_dict()
        html = client.get(f"/documents/{doc.id}").text
        head = html.split("</head>", 1)[0]
        tags = citation_tags(head)
        assert tags == citation_tags(html)  # all in the head, where the connector reads them
        names = [n for n, _ in tags]
        assert names.count("citation_title") == 1
        title = dict(tags)["citation_title"]
        assert title == " ".join((data["title"] or doc.id).split()).rstrip(".")
        assert [c for n, c in tags if n == "citation_author"] == [
            p["name"].strip() for p in data["senders"] if p["name"].strip()
        ]
        assert dict(tags)["citation_public_url"] == f"{BASE}/documents/{doc.id}"
        date = dict(tags).get("citation_date")
        if data["date"]["when"] or data["date"]["not_before"]:
            assert date and re.fullmatch(r"\d{4}(/\d{2}(/\d{2})?)?", date)
            assert date.replace("/", "-") == (data["date"]["when"] or data["date"]["not_before"])[: len(date)]
        assert all(content and content == " ".join(content.split()) for _, content in tags)
        checked += 1
    assert checked >= 10


def test_add_to_list_from_the_reader_and_export_it(client: TestClient, archive: Archive) -> None:
    ids = [d.id for d in archive.documents()][:3]
    reader = client.get(f"/documents/{ids[0]}").text
    assert 'action="/lists/add"' in reader and f'name="doc_id" value="{ids[0]}"' in reader
    made = client.post(
        "/lists/add", data={"doc_id": ids[0], "new_list": "Reading", "next": f"/documents/{ids[0]}"}
    )
    assert made.status_code == 303
    list_id = int(made.headers["location"].split("listed=")[1])
    assert made.headers["location"].startswith(f"/documents/{ids[0]}?")
    assert "Added to" in client.get(made.headers["location"]).text
    for doc_id in ids[1:]:
        added = client.post(
            "/lists/add", data={"doc_id": doc_id, "list_id": str(list_id), "next": "//evil.example"}
        )
        assert added.headers["location"].startswith(f"/documents/{doc_id}?")  # never another site
    page = client.get(f"/lists/{list_id}").text
    for f in EXPORT_FORMATS:
        assert f'href="/lists/{list_id}/export?format={f}"' in page
    ris = client.get(f"/lists/{list_id}/export?format=ris")
    assert ris.headers["content-type"].startswith("application/x-research-info-systems")
    assert 'filename="reading.ris"' in ris.headers["content-disposition"]
    assert [r["id"] for r in rispy.loads(ris.text)] == ids
    assert all(r["urls"][0].startswith(("http://", "https://")) for r in rispy.loads(ris.text))
    bib = bibtexparser.parse_string(client.get(f"/api/lists/{list_id}/export?format=bibtex").text)
    assert len(bib.entries) == 3 and not bib.failed_blocks
    assert client.get(f"/lists/{list_id}/export?format=doc").status_code == 422


def test_lists_api(client: TestClient) -> None:
    made = client.post("/api/lists", json={"name": "Api list"})
    assert made.status_code == 201
    list_id = made.json()["id"]
    assert client.post("/api/lists", json={"name": "Api list"}).status_code == 400  # name taken
    hits = client.get("/api/search", params={"q": "soviet", "limit": 3}).json()["hits"]
    ids = [h["id"] for h in hits]
    assert client.post(f"/api/lists/{list_id}/items", json={"doc_ids": ids}).json()["added"] == len(ids)
    assert client.post(f"/api/lists/{list_id}/items", json={"doc_ids": ["no/such"]}).status_code == 404
    shown = client.get(f"/api/lists/{list_id}").json()
    assert [i["doc_id"] for i in shown["items"]] == ids
    assert any(item["name"] == "Api list" for item in client.get("/api/lists").json()["lists"])
    assert client.delete(f"/api/lists/{list_id}/items/{ids[0]}").json() == {"removed": 1}
    csl = client.get(f"/api/lists/{list_id}/export", params={"format": "csl-json"}).json()
    assert [i["id"] for i in csl] == ids[1:]
    assert client.delete(f"/api/lists/{list_id}").status_code == 204
    assert client.get(f"/api/lists/{list_id}").status_code == 404
    assert client.get("/api/lists/999999").status_code == 404


def test_export_of_a_search(client: TestClient, archive: Archive) -> None:
    total = archive.search("harriman").total
    rows = list(
        csv.DictReader(io.StringIO(client.get("/api/export", params={"q": "harriman", "format": "csv"}).text))
    )
    assert len(rows) == total >= 2
    lines = client.get("/api/export", params={"q": "harriman"}).text.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [r["id"] for r in rows]
    assert client.get("/api/export", params={"q": "harriman", "format": "pdf"}).status_code == 422


def test_search_hits_offer_add_to_list(client: TestClient) -> None:
    html = client.get("/", params={"q": "soviet"}).text
    assert html.count('class="add-to-list-form"') >= 3
    assert 'name="next" value="/?q=soviet"' in html


def test_batch_page_and_api(client: TestClient, archive: Archive) -> None:
    assert 'enctype="multipart/form-data"' in client.get("/batch").text
    upload = b"query,label\nharriman,H\nzzyzxnotaname,none\n"
    answer = client.post(
        "/batch", files={"queries": ("names.csv", upload, "text/csv")}, data={"top": "2", "output": "csv"}
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["label"], int(r["count"])) for r in rows] == [
        ("H", archive.search("harriman").total),
        ("none", 0),
    ]
    table = client.post("/batch", data={"text": "harriman\nsoong", "output": "table"}).text
    assert table.count("<tr><td>") == 2
    api: dict[str, Any] = client.post(
        "/api/batch", json={"queries": ["harriman", {"query": "soong", "label": "S"}], "top": 1}
    ).json()
    assert [r["label"] for r in api["rows"]] == ["harriman", "S"]
    assert api["rows"][0]["count"] == int(rows[0]["count"]) and len(api["rows"][0]["top"]) == 1
    assert client.post("/batch", data={"text": "", "output": "table"}).status_code == 400


def test_formats_in_cli_and_web_are_the_same_declaration() -> None:
    from chancery.web.views import lists
    from chancery.workspace import formats

    assert lists.EXPORT_FORMATS is formats.EXPORT_FORMATS
    assert Path(formats.__file__).name == "formats.py"
