"""The JSON API over a real SQLite archive: every endpoint, its errors and pagination.

`web_archive` builds the archive the web tests share (also used by test_web_browser.py): real
corpus files and the hostile fixture ingested, plus a small hand-made volume whose footnotes,
pages, references and mentions are known exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import SEEDS, corpus_path
from fastapi.testclient import TestClient

from chancery.archive import Archive
from chancery.model import (
    Collection,
    DocDate,
    Document,
    Entity,
    Footnote,
    Markings,
    Mention,
    Page,
    Party,
    Reference,
    Source,
)
from chancery.web import create_app

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
_BUILT: dict[str, Path] = {}

HARRIMAN = "person:webtest:harriman"
PWN = "window.__pwned='{}'"


def real_sources() -> list[Path]:
    return [
        SEEDS,
        corpus_path("dfat", "volume-7-1944"),
        corpus_path("wilson", "wilson_archive.sample.csv"),
        corpus_path("frus", "volumes", "frus1949v07p1.xml.gz"),
        HOSTILE,
    ]


def reader_volume() -> tuple[Collection, list[Document]]:
    """A small volume with exactly placed pages, footnotes, mentions and references."""
    coll = Collection(
        id="webtest",
        title="Reader Test Volume",
        archive="frus",
        coverage={"not_before": "1945-06-01", "not_after": "1945-07-31"},
        toc=[
            {
                "title": "Chapter I: The Moscow talks",
                "level": 1,
                "document_ids": ["webtest/d1", "webtest/d2"],
            },
            {"title": "Chapter II: <i>Hostile</i>", "level": 1, "document_ids": ["webtest/hostile"]},
        ],
    )
    text = (
        "I delivered your message to Marshal Stalin personally.\n\n"
        "Harriman saw Vyshinski later; the reply follows by separate telegram."
    )
    day = "1945-07-01"
    d1 = Document(
        id="webtest/d1",
        collection=coll,
        source=Source(format="frus-tei", path="webtest.xml", url="https://history.state.gov/x/d1"),
        title="The Ambassador in the Soviet Union (Harriman) to President Truman",
        doc_type="telegram",
        date=DocDate(when=day, not_before=day, not_after=day, precision="day", basis="dateline"),
        place="Moscow",
        senders=[Party(name="Harriman", entity_id=HARRIMAN)],
        recipients=[Party(name="Truman")],
        markings=Markings(classification="TOP SECRET", handling=["EYES ONLY"], paraphrase=True),
        n="1",
        text=text,
        pages=[Page(n="906", offset=0), Page(n="907", offset=text.index("Harriman"))],
        footnotes=[
            Footnote(
                n="63", text="Telegram 2345 of June 30, printed below.", offset=text.index(" personally")
            )
        ],
        references=[
            Reference(text="telegram 2345", kind="message", target_id="webtest/d2"),
            Reference(text="the Yalta agreement", kind="document"),
        ],
        mentions=[
            Mention(
                type="person",
                text="Harriman",
                start=text.index("Harriman"),
                end=text.index("Harriman") + 8,
                entity_id=HARRIMAN,
                entity_name="Harriman, W. Averell",
            )
        ],
    )
    d2 = Document(
        id="webtest/d2",
        collection=coll,
        source=Source(format="frus-tei", path="webtest.xml"),
        title="President Truman to the Ambassador in the Soviet Union (Harriman)",
        doc_type="telegram",
        date=DocDate(when="1945-06-30", not_before="1945-06-30", not_after="1945-06-30", precision="day"),
        senders=[Party(name="Truman")],
        recipients=[Party(name="Harriman", entity_id=HARRIMAN)],
        n="2",
        text="Please deliver my message to Marshal Stalin personally.",
    )
    hostile = Document(
        id="webtest/hostile",
        collection=coll,
        source=Source(format="frus-tei", path="webtest.xml", url="javascript:" + PWN.format("source-url")),
        title=f'Hostile <img src=x onerror="{PWN.format("title")}"><script>{PWN.format("title-script")}</script>',
        doc_type="telegram",
        date=DocDate(when="1945-07-03", not_before="1945-07-03", not_after="1945-07-03", precision="day"),
        senders=[Party(name=f'<b onmouseover="{PWN.format("sender")}">Mallory</b>', entity_id=HARRIMAN)],
        recipients=[Party(name="<script>alert(1)</script>")],
        markings=Markings(classification=f"<script>{PWN.format('marking')}</script>"),
        n="3",
        text=f'Stalin hostilecable <script>{PWN.format("text")}</script> <img src=x onerror="{PWN.format("img")}">.',
        footnotes=[
            Footnote(
                n="1",
                text=f'<a href="javascript:{PWN.format("fn")}">x</a><script>alert(1)</script>',
                offset=6,
            )
        ],
        references=[
            Reference(
                text=f'<img src=x onerror="{PWN.format("ref")}">',
                kind="document",
                target="javascript:" + PWN.format("ref-target"),
            )
        ],
    )
    return coll, [d1, d2, hostile]


def build_archive(db: Path) -> Archive:
    """Ingest the real sources and the hostile fixture, then add the reader test volume."""
    archive = Archive.open(db)
    report = archive.ingest(real_sources())
    assert report.ok, report.failures[:5]
    coll, docs = reader_volume()
    archive.store.replace_file(
        "webtest.xml", "webtest", "frus-tei", [coll.to_dict()], [d.to_dict() for d in docs]
    )
    harriman = Entity(
        id=HARRIMAN,
        type="person",
        name="Harriman, W. Averell",
        variants=["Averell Harriman", "W. A. Harriman"],
        offices=[{"title": "Ambassador to the Soviet Union", "start": "1943-10-07", "end": "1946-01-24"}],
    )
    archive.store.put_entities([harriman.to_dict()], [("harriman w averell", HARRIMAN)])
    archive.store.put_links("webtest/d1", [("webtest/d2", "message", "telegram 2345")])
    archive.sync_index()
    return archive


def web_archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared web-test archive, built once per test session."""
    if "db" not in _BUILT:
        db = tmp_path_factory.mktemp("web") / "web.db"
        build_archive(db).close()
        _BUILT["db"] = db
    return _BUILT["db"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    archive = Archive.open(web_archive_path(tmp_path_factory))
    with TestClient(create_app(archive)) as test_client:
        yield test_client
    archive.close()


def error_of(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["status"] == status
    return body["error"]["message"]


# -- search ---------------------------------------------------------------------------------
def test_search_returns_hits_facets_and_pagination(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "stalin", "limit": 2}).json()
    assert body["total"] >= 3
    assert len(body["hits"]) == 2
    assert {"id", "title", "date", "snippet"} <= set(body["hits"][0])
    assert body["pagination"] == {
        "limit": 2,
        "offset": 0,
        "total": body["total"],
        "next_offset": 2,
        "previous_offset": None,
    }
    assert "collection" in body["facets"] and body["histogram"]
    second = client.get("/api/search", params={"q": "stalin", "limit": 2, "offset": 2}).json()
    assert second["pagination"]["previous_offset"] == 0
    assert {h["id"] for h in second["hits"]}.isdisjoint(h["id"] for h in body["hits"])


def test_search_passes_sort_and_filters_through(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "stalin date:1945-06..1945-07", "sort": "date"}).json()
    dates = [h["date"]["not_before"] for h in body["hits"]]
    assert dates == sorted(dates) and all(d.startswith("1945-0") for d in dates)
    narrowed = client.get("/api/search", params={"q": "stalin collection:webtest", "facets": "false"}).json()
    assert {h["id"] for h in narrowed["hits"]} == {"webtest/d1", "webtest/d2", "webtest/hostile"}
    assert "facets" not in narrowed


def test_search_snippets_are_escaped(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "hostilecable"}).json()
    snippets = " ".join(h["snippet"] for h in body["hits"])
    assert "<mark>" in snippets and "<script" not in snippets and "<img" not in snippets


def test_search_errors(client: TestClient) -> None:
    # typed text is never an error (issue #11): bad syntax is read as words, with notices
    typed = client.get("/api/search", params={"q": 'stalin "unclosed nosuchfield:x'}).json()
    assert [n.split(" ")[:2] for n in typed["notices"][:2]] == [["a", "quote"], ["nosuchfield:", "is"]]
    assert "bad date" in error_of(client.get("/api/search", params={"q": "stalin date:June"}), 400)
    assert "unknown sort" in error_of(client.get("/api/search", params={"q": "x", "sort": "sideways"}), 400)
    assert "limit" in error_of(client.get("/api/search", params={"q": "x", "limit": 0}), 422)
    assert "offset" in error_of(client.get("/api/search", params={"q": "x", "offset": -1}), 422)
    assert "q" in error_of(client.get("/api/search"), 422)


# -- documents ------------------------------------------------------------------------------
def test_document_is_the_export_contract(client: TestClient) -> None:
    doc = client.get("/api/documents/webtest/d1").json()
    assert doc["id"] == "webtest/d1" and doc["collection"] == {"id": "webtest", "title": "Reader Test Volume"}
    assert doc["footnotes"][0]["n"] == "63" and doc["pages"][1]["n"] == "907"
    real = client.get("/api/search", params={"q": "collection:frus1949v07p1", "limit": 1}).json()["hits"][0]
    assert client.get(f"/api/documents/{real['id']}").json()["id"] == real["id"]


def test_unknown_document_is_404(client: TestClient) -> None:
    assert "no document" in error_of(client.get("/api/documents/frus1900/nothing"), 404)
    assert error_of(client.get("/api/documents/frus1900/nothing/cite"), 404)
    assert error_of(client.get("/api/documents/frus1900/nothing/related"), 404)
    assert error_of(client.get("/api/no-such-endpoint"), 404)


def test_related_documents_api(client: TestClient) -> None:
    response = client.get("/api/documents/webtest/d1/related")
    assert response.status_code == 200 and isinstance(response.json()["related"], list)


@pytest.mark.parametrize(
    ("format", "media", "expected"),
    [
        ("chicago", "text/plain", "Harriman to Truman, telegram, Moscow, July 1, 1945"),
        ("chicago-bibliography", "text/plain", "Harriman. \u201cThe Ambassador"),
        ("bibtex", "application/x-bibtex", "@misc{webtest_d1,"),
        ("ris", "application/x-research-info-systems", "TY  - GOVDOC"),
        ("csl-json", "application/json", '"container-title":"Reader Test Volume"'),
    ],
)
def test_cite_in_every_format(client: TestClient, format: str, media: str, expected: str) -> None:
    response = client.get("/api/documents/webtest/d1/cite", params={"format": format})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert expected in response.text


def test_cite_unknown_format_is_422(client: TestClient) -> None:
    assert "format" in error_of(client.get("/api/documents/webtest/d1/cite", params={"format": "mla"}), 422)


# -- entities, collections, timeline, correspondence -----------------------------------------
def test_entity_with_documents(client: TestClient) -> None:
    body = client.get(f"/api/entities/{HARRIMAN}").json()
    assert body["entity"]["name"] == "Harriman, W. Averell"
    assert {"webtest/d1", "webtest/d2"} <= {d["id"] for d in body["documents"]}
    assert body["total"] >= 2 and body["query"]
    names = {c["name"] for c in body["correspondents"]}
    assert "Truman" in names


def test_unknown_entity_is_404(client: TestClient) -> None:
    assert "no entity" in error_of(client.get("/api/entities/person:nobody"), 404)


def test_collections_list_and_one(client: TestClient) -> None:
    listed = client.get("/api/collections").json()["collections"]
    ids = {c["id"] for c in listed}
    assert {"webtest", "frus1949v07p1"} <= ids
    assert all(c["document_count"] >= 1 for c in listed)
    one = client.get("/api/collections/webtest").json()
    assert one["coverage"]["not_before"] == "1945-06-01" and one["document_count"] == 3
    assert [e["title"] for e in one["toc"]] == ["Chapter I: The Moscow talks", "Chapter II: <i>Hostile</i>"]
    assert one["toc"][0]["documents"][0]["id"] == "webtest/d1"
    frus = client.get("/api/collections/frus1949v07p1").json()
    assert frus["document_count"] > 10 and frus["toc"]
    assert error_of(client.get("/api/collections/nope"), 404)


def test_timeline_buckets_by_month(client: TestClient) -> None:
    body = client.get("/api/timeline", params={"q": "collection:webtest"}).json()
    assert body["total"] == 3
    assert body["buckets"] == [{"month": "1945-06", "count": 1}, {"month": "1945-07", "count": 2}]
    assert "quote" in error_of(client.get("/api/timeline", params={"q": '"'}), 400)
    assert client.get("/api/timeline").json()["total"] > 3  # no query: the whole archive (test_timeline.py)


def test_correspondence_edges(client: TestClient) -> None:
    body = client.get("/api/correspondence", params={"q": "collection:webtest -hostilecable"}).json()
    edges = {(e["sender"]["name"], e["recipient"]["name"]): e["count"] for e in body["edges"]}
    assert edges == {("Harriman", "Truman"): 1, ("Truman", "Harriman"): 1}
    assert error_of(client.get("/api/correspondence", params={"q": "x", "limit": 0}), 422)


def test_openapi_lists_the_api_only(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/search" in paths and "/api/documents/{doc_id}/cite" in paths
    assert not any(not p.startswith("/api/") for p in paths)


def test_no_cors_headers_by_default(client: TestClient) -> None:
    response = client.get("/api/collections", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in response.headers


# -- HTML pages answer errors as pages ------------------------------------------------------------
def test_pages_render_and_fail_helpfully(client: TestClient) -> None:
    for url in (
        "/",
        "/?q=stalin",
        "/documents/webtest/d1",
        f"/entities/{HARRIMAN}",
        "/collections",
        "/collections/webtest",
        "/timeline?q=stalin",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/html")
    missing = client.get("/documents/frus1900/nothing")
    assert missing.status_code == 404 and "Not found" in missing.text
    bad = client.get("/", params={"q": "stalin date:June"})
    assert bad.status_code == 400 and "Query syntax" in bad.text and "Traceback" not in bad.text
    assert client.get("/", params={"limit": "many"}).status_code == 422


def test_hostile_markup_is_escaped_in_every_page(client: TestClient) -> None:
    for url in (
        "/documents/webtest/hostile",
        "/?q=hostilecable",
        "/collections/webtest",
        f"/entities/{HARRIMAN}",
    ):
        html = client.get(url).text
        assert "<script>window" not in html and "<script>alert" not in html, url
        assert "<img src=x" not in html and 'href="javascript:' not in html, url
        assert "<b onmouseover" not in html and "<i>Hostile" not in html, url
