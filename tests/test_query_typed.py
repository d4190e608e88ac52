"""Queries as people type them (issue #11): typed text is never an error, too few documents with
all the words ranks those with most of them, neighbouring words and titles rank higher, and the
mode is auto. Over a real SQLite archive in a temp dir, the real CLI and the JSON API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chancery.archive import Archive
from chancery.errors import QueryError
from chancery.search.query import And, Term, parse_typed

ROOT = Path(__file__).resolve().parent.parent


def doc(doc_id: str, text: str, title: str | None = None) -> dict[str, Any]:
    return {
        "id": f"typed/{doc_id}",
        "collection": {"id": "typed", "title": "Typed"},
        "source": {"format": "text", "path": "typed.txt"},
        "title": title or f"Note {doc_id}",
        "doc_type": "memorandum",
        "date": {},
        "senders": [],
        "recipients": [],
        "markings": {"classification": None, "handling": [], "paraphrase": False, "channel": None},
        "text": text,
        "mentions": [],
    }


DOCS = [
    doc("all", "The naval escort of the nationalist vessels through the strait was decided."),
    doc("three", "A naval escort for vessels in the strait was discussed at length."),
    doc("two", "The strait was calm; vessels passed."),
    doc("one", "The strait is narrow."),
    doc("none", "Nothing about the sea here."),
    doc("near", "Talks on the rebellion in Tibet began. Later other matters came up."),
    doc("apart", "The rebellion was one matter. Other matters came up in many places, Tibet among them."),
    doc("titled", "Other matters came up.", title="Grain shipments"),
    doc("untitled", "Grain shipments and other matters came up."),
    *(doc(f"routine{i}", "Routine traffic: matters came up.") for i in range(20)),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("typed") / "typed.db"
    archive = Archive.open(path)
    archive.store.replace_file("typed.txt", "sha", "text", [{"id": "typed"}], DOCS)
    archive.sync_index()
    archive.close()
    return path


@pytest.fixture(scope="module")
def archive(db: Path) -> Any:
    opened = Archive.open(db)
    yield opened
    opened.close()


def ids(result: Any) -> list[str]:
    return [h.id.split("/")[1] for h in result.hits]


@pytest.mark.parametrize(
    ("query", "words", "notice"),
    [
        ('soong "stalin', ["soong", "stalin"], "quote at position 7 is never closed"),
        ("(soong stalin", ["soong", "stalin"], "'(' at position 1 is never closed"),
        ("soong stalin)", ["soong", "stalin"], "')' at position 13 has no '('"),
        ("soong AND", ["soong"], "AND at position 7 needs a word"),
        ("OR soong", ["soong"], "OR at position 1 needs a word"),
        ("soong NOT", ["soong"], "NOT at position 7 has nothing to exclude"),
        ("colour:red", ["colour", "red"], "colour: is not a field"),
        ("from: harriman", ["from", "harriman"], "from: has no value"),
        ("soong () stalin", ["soong", "stalin"], "empty brackets"),
        ('soong "" stalin', ["soong", "stalin"], "empty quotes"),
        ("s*", ["s"], "* works only at the end"),
    ],
)
def test_typed_syntax_is_words_with_a_notice(query: str, words: list[str], notice: str) -> None:
    node, notices = parse_typed(query)
    terms = node.children if isinstance(node, And) else (node,)
    assert [t.text for t in terms if isinstance(t, Term)] == words
    assert len(notices) == 1 and notice in notices[0]


def test_a_heading_with_a_colon_is_plain_words() -> None:
    node, notices = parse_typed("the Taiwan Strait Crisis: The Decision")
    assert isinstance(node, And) and [t.text for t in node.children if isinstance(t, Term)][3] == "Crisis"
    assert notices == []  # "Crisis: The" is plain text, not a field that needs a notice


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date:June", "bad date"),
        ("soong paraphrase:maybe", "true or false"),
        ("-soong", "only exclude"),
        ('"', "nothing to search for"),
        ("()", "nothing to search for"),
    ],
)
def test_what_is_still_an_error(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_typed(query)


def test_too_few_with_all_words_ranks_most_words(archive: Archive) -> None:
    result = archive.search("Naval Escort of Nationalist Vessels in the Strait", mode="bm25")
    assert ids(result)[:4] == ["all", "three", "two", "one"]  # by how many words each has
    assert "none" not in ids(result)
    assert result.notices == ["only 1 document has all the words; showing documents with most of them"]
    nothing = archive.search("escort vessels zanzibar", mode="bm25")
    assert set(ids(nothing)[:2]) == {"all", "three"} and nothing.notices[0].startswith("no document has all")


def test_fields_and_exclusions_still_apply_when_relaxed(archive: Archive) -> None:
    result = archive.search("escort vessels zanzibar -nationalist", mode="bm25")
    assert "all" not in ids(result) and ids(result)[0] == "three"
    assert archive.search("escort vessels zanzibar collection:other", mode="bm25").total == 0
    none = archive.search("zanzibar quokka", mode="bm25")  # no document has any of them
    assert none.total == 0 and none.notices == []  # no promise of "most of them"


def test_only_too_few_together_are_relaxed(archive: Archive) -> None:
    assert archive.search("matters came", mode="bm25").notices == []  # 20 documents or more: no notice
    result = archive.search("rebellion tibet", mode="bm25")
    assert sorted(ids(result)) == ["apart", "near"]  # no document has only one of them
    assert result.notices == []  # relaxing found no more documents: nothing to announce
    by_date = archive.search("escort vessels zanzibar", sort="date", mode="bm25")
    assert by_date.total == 0 and by_date.notices == []  # relaxing is a ranking: never by date


def test_neighbouring_words_and_titles_rank_higher(archive: Archive) -> None:
    assert ids(archive.search("rebellion tibet", mode="bm25"))[0] == "near"
    assert ids(archive.search("grain shipments", mode="bm25"))[0] == "titled"


def test_auto_is_bm25_without_vectors(archive: Archive) -> None:
    assert not archive.has_vectors()
    assert archive.search("strait").mode == "bm25"
    assert archive.search("strait", mode="bm25").mode == "bm25"


def chancery(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "chancery", *args, "--db", str(db)], capture_output=True, text=True, env=env
    )


def test_cli_prints_notices_in_json_and_table(db: Path) -> None:
    done = chancery(db, "search", 'escort "vessels colour:blue', "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["mode"] == "bm25" and [n.split()[1] for n in data["notices"]] == ["quote", "is", "document"]
    table = chancery(db, "search", 'escort "vessels colour:blue')
    assert table.returncode == 0 and "note: a quote at position 8 is never closed" in table.stdout
    assert "note: no document has all the words" in table.stdout
    assert chancery(db, "search", "date:June").returncode == 2


def test_api_gives_notices(db: Path) -> None:
    from fastapi.testclient import TestClient

    from chancery.web.app import create_app

    archive = Archive.open(db)
    with TestClient(create_app(archive)) as client:
        body = client.get("/api/search", params={"q": "Escort of Vessels (in the Strait"}).json()
        page = client.get("/", params={"q": "Escort of Vessels (in the Strait"}).text
    archive.close()
    assert body["mode"] == "bm25" and body["notices"][0].startswith("'(' at position 19")
    assert {h["id"] for h in body["hits"][:2]} == {"typed/all", "typed/three"}
    assert "is never closed: ignored" in page and "Ranked by words (bm25)" in page
