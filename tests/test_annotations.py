"""Stars, tags and notes (issue 14, item 3) on real SQLite and PostgreSQL archives: creating and
listing them, W3C JSON-LD, searching by tag:/note:/starred:, privacy between two viewers, and
re-anchoring after re-ingest of a changed text file (kept on its passage, or flagged orphaned)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from test_store_contract import BACKENDS, PG_URL, pg_admin, pg_schema, with_schema  # noqa: F401  (PostgreSQL fixtures)

from chancery.archive import Archive
from chancery.errors import NotAllowed
from chancery.search.annotated import split_clauses
from chancery.workspace.anchoring import anchor, locate
from chancery.workspace.viewer import Viewer

FIRST = """Telegram from the Ambassador in Moscow

The Ambassador met the Foreign Minister on Tuesday. They discussed the treaty draft at length
and the minister promised a written reply by Friday. The Ambassador saw no sign of haste.

The naval attache reported the harbour empty.
"""
# text added before the first note's passage, the second note's passage removed, a line re-wrapped
CHANGED = """Telegram from the Ambassador in Moscow

A courier arrived late on Monday with the instructions. The Ambassador met the Foreign Minister
on Tuesday. They discussed the treaty draft at length. The Ambassador saw no sign of haste.

The naval attache reported the harbour empty.
"""
LOCAL = Viewer.local()
ALICE = Viewer("alice", "researcher", frozenset({"fsu"}))
BOB = Viewer("bob", "researcher", frozenset({"fsu"}))
CAROL = Viewer("carol", "researcher")


@pytest.fixture(params=BACKENDS)
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Archive]]:
    """`opened()`: the test's archive (SQLite file or a fresh PostgreSQL schema), opened anew each call."""
    db = str(tmp_path / "a.db")
    if request.param == "postgres":
        db = with_schema(PG_URL, request.getfixturevalue("pg_schema"))
    archives: list[Archive] = []

    def open_() -> Archive:
        archives.append(Archive.open(db, index_path=tmp_path / "index"))
        return archives[-1]

    yield open_
    for archive in archives:
        archive.close()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "files" / "moscow.txt"
    path.parent.mkdir()
    path.write_text(FIRST)
    return path


def ingest(archive: Archive, path: Path) -> str:
    report = archive.ingest([path], workers=1)
    assert report.ok, report.failures
    (doc_id,) = {d.id for d in archive.documents()}
    return doc_id


def test_note_on_a_passage_is_stored_with_quote_and_position(opened, source: Path):
    archive = opened()
    doc_id = ingest(archive, source)
    text = archive.document(doc_id).text
    note = archive.annotations.add(LOCAL, doc_id, "note", "ask for the draft", quote="the treaty draft")
    start = text.index("the treaty draft")
    assert (note.start, note.end, note.exact) == (start, start + len("the treaty draft"), "the treaty draft")
    assert text[: note.start].endswith(note.prefix) and text[note.end :].startswith(note.suffix)
    assert note.creator == "local" and note.created.endswith("+00:00") and not note.orphaned
    tag = archive.annotations.add(LOCAL, doc_id, "tag", "  Naval Matters ")
    assert tag.value == "naval matters" and tag.exact is None
    assert archive.annotations.star(LOCAL, doc_id) is True

    again = opened()  # a new connection reads what was stored
    listed = again.annotations.of(LOCAL, doc_id)
    assert [(a.kind, a.value) for a in listed] == [
        ("note", "ask for the draft"),
        ("tag", "naval matters"),
        ("star", None),
    ]
    assert again.annotations.star(LOCAL, doc_id) is False  # a toggle
    assert [a.kind for a in again.annotations.of(LOCAL, doc_id)] == ["note", "tag"]


def test_a_passage_by_offsets_and_refusals(opened, source: Path):
    archive = opened()
    doc_id = ingest(archive, source)
    text = archive.document(doc_id).text
    at = text.index("harbour")
    note = archive.annotations.add(LOCAL, doc_id, "note", "which harbour?", start=at, end=at + 7)
    assert note.exact == "harbour"
    with pytest.raises(ValueError, match="not in the text"):
        archive.annotations.add(LOCAL, doc_id, "note", "x", quote="no such words here")
    with pytest.raises(ValueError, match="needs a text"):
        archive.annotations.add(LOCAL, doc_id, "tag", "   ")
    with pytest.raises(NotAllowed):
        archive.annotations.add(Viewer("reader1", "reader"), doc_id, "note", "readers only read")
    with pytest.raises(NotAllowed):
        archive.annotations.add(CAROL, doc_id, "note", "not my group", shared_with="fsu")


def test_jsonld_follows_the_web_annotation_model(opened, source: Path):
    archive = opened()
    doc_id = ingest(archive, source)
    note = archive.annotations.add(
        ALICE, doc_id, "note", "haste?", quote="no sign of haste", shared_with="fsu"
    )
    data = note.to_jsonld("http://archive.example/documents/" + doc_id)
    assert data["@context"] == "http://www.w3.org/ns/anno.jsonld" and data["type"] == "Annotation"
    assert data["motivation"] == "commenting" and data["creator"]["nickname"] == "alice"
    assert data["body"] == {
        "type": "TextualBody",
        "value": "haste?",
        "purpose": "commenting",
        "format": "text/plain",
    }
    quote, position = data["target"]["selector"]
    assert quote["type"] == "TextQuoteSelector" and quote["exact"] == "no sign of haste"
    assert position == {"type": "TextPositionSelector", "start": note.start, "end": note.end}
    assert data["target"]["source"].endswith(doc_id) and data["audience"]["name"] == "fsu"


def test_search_by_tag_note_and_star_combines_with_the_query(opened, source: Path, tmp_path: Path):
    other = source.parent / "rome.txt"
    other.write_text("Telegram from Rome\n\nThe Foreign Minister spoke of the treaty in the Senate.\n")
    archive = opened()
    report = archive.ingest([source.parent], workers=1)
    assert report.ok
    ids = {d.title: d.id for d in archive.documents()}
    moscow, rome = ids["Telegram from the Ambassador in Moscow"], ids["Telegram from Rome"]
    archive.annotations.add(LOCAL, moscow, "tag", "treaty")
    archive.annotations.add(LOCAL, rome, "tag", "senate debate")
    archive.annotations.add(
        LOCAL, rome, "note", "Compare with the Moscow account", quote="spoke of the treaty"
    )
    archive.annotations.star(LOCAL, moscow)

    def found(query: str, viewer: Viewer = LOCAL) -> set[str]:
        return {hit.id for hit in archive.search(query, mode="bm25", viewer=viewer).hits}

    assert found("treaty") == {moscow, rome}
    assert found("tag:treaty") == {moscow}
    assert found('tag:"senate debate"') == {rome}
    assert found("note:moscow") == {rome} and found('note:"moscow account"') == {rome}
    assert found("starred:true") == {moscow} and found("treaty starred:false") == {rome}
    assert found("treaty -tag:treaty") == {rome}
    assert found("senate tag:treaty") == set()
    assert found("tag:unknown") == set()
    assert archive.search("tag:treaty", mode="bm25").total == 1
    assert archive.search("starred:true", mode="bm25", viewer=CAROL).total == 0  # her own: none


def test_annotations_are_private_unless_shared_with_a_group(opened, source: Path):
    archive = opened()
    doc_id = ingest(archive, source)
    archive.annotations.add(ALICE, doc_id, "note", "alice private", quote="harbour empty")
    archive.annotations.add(ALICE, doc_id, "tag", "shared-tag", shared_with="fsu")
    archive.annotations.star(ALICE, doc_id)
    store = archive.store
    assert {a["value"] for a in store.annotations([doc_id], creator="alice")} == {
        "alice private",
        "shared-tag",
        None,
    }
    assert [a["value"] for a in store.annotations([doc_id], creator="bob", groups=["fsu"])] == ["shared-tag"]
    assert store.annotations([doc_id], creator="carol") == []
    assert [a.value for a in archive.annotations.of(BOB, doc_id)] == ["shared-tag"]
    assert archive.annotations.of(CAROL, doc_id) == []
    assert archive.annotations.of(Viewer.anonymous(), doc_id) == []
    assert archive.search("tag:shared-tag", mode="bm25", viewer=BOB).total == 1
    assert archive.search("tag:shared-tag", mode="bm25", viewer=CAROL).total == 0
    assert archive.search("note:private", mode="bm25", viewer=BOB).total == 0
    assert archive.search("starred:true", mode="bm25", viewer=BOB).total == 0
    shared = archive.annotations.of(BOB, doc_id)[0]
    with pytest.raises(NotAllowed):
        archive.annotations.remove(BOB, doc_id, shared.id)
    archive.annotations.remove(ALICE, doc_id, shared.id)
    assert archive.annotations.of(BOB, doc_id) == []


def test_reingest_of_a_changed_file_reanchors_and_flags_orphans(opened, source: Path):
    archive = opened()
    doc_id = ingest(archive, source)
    kept = archive.annotations.add(LOCAL, doc_id, "note", "the draft", quote="discussed the treaty draft")
    gone = archive.annotations.add(LOCAL, doc_id, "note", "deadline", quote="a written reply by Friday")
    wrapped = archive.annotations.add(LOCAL, doc_id, "note", "who?", quote="Foreign Minister on Tuesday")
    tag = archive.annotations.add(LOCAL, doc_id, "tag", "moscow")
    source.write_text(CHANGED)
    report = archive.ingest([source], workers=1)
    assert report.ok and report.replaced == 1
    assert report.warnings == ["1 annotated passage(s) no longer in the changed text: kept, flagged"]

    reopened = opened()
    text = reopened.document(doc_id).text
    after = {a.id: a for a in reopened.annotations.of(LOCAL, doc_id)}
    moved = after[kept.id]
    assert moved.start > kept.start and text[moved.start : moved.end] == "discussed the treaty draft"
    assert not moved.orphaned and moved.modified >= kept.modified
    assert after[gone.id].orphaned and after[gone.id].exact == "a written reply by Friday"  # flagged, kept
    assert text[after[wrapped.id].start : after[wrapped.id].end] == "Foreign Minister\non Tuesday"
    assert not after[wrapped.id].orphaned
    assert after[tag.id] == tag  # a document's tag has no passage to move

    source.write_text(FIRST)  # the passage comes back: no longer orphaned
    reopened.ingest([source], workers=1)
    back = {a.id: a for a in opened().annotations.of(LOCAL, doc_id)}
    assert not back[gone.id].orphaned and (back[gone.id].start, back[gone.id].end) == (gone.start, gone.end)


def test_locating_an_edited_quote():
    text = "Alpha beta gamma. The minister promised a written reply by Friday next. Omega."
    at = text.index("promised")
    # a small edit inside the quote, found between its unchanged context
    edited = text.replace("a written reply", "a formal written reply")
    old = anchor(text, "promised a written reply by Friday", None, None)
    assert old is not None
    found = locate(edited, old.exact, old.prefix, old.suffix, at)
    assert found is not None and edited[found[0] : found[1]] == "promised a formal written reply by Friday"
    # the nearest of two equal quotes, when the context does not tell them apart
    twice = "x. the draft. " * 2 + "y" * 50 + " the draft."
    assert locate(twice, "the draft", "", "", len(twice) - 5) == (len(twice) - 10, len(twice) - 1)
    assert locate(text, "nothing like this at all", "", "", 0) is None


def test_annotation_clauses_leave_the_rest_of_the_query():
    rest, clauses = split_clauses('from:harriman tag:yalta "tag:not" word')
    assert rest == 'from:harriman "tag:not" word' and [(c.field, c.value) for c in clauses] == [
        ("tag", "yalta")
    ]
    rest, clauses = split_clauses('soong tag:"yalta papers" -starred:true note:draft')
    assert rest == "soong"
    assert [(c.field, c.value, c.negated) for c in clauses] == [
        ("tag", "yalta papers", False),
        ("starred", "true", True),
        ("note", "draft", False),
    ]
    assert split_clauses('"tag:x" word')[1] == []
    assert split_clauses("starred:false")[1][0].negated


def test_cli_note_tag_star_and_notes(tmp_path: Path, source: Path):
    db = tmp_path / "cli.db"

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "chancery", *args, "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("ingest", str(source))
    doc_id = orjson.loads(run("search", "treaty", "--json"))["hits"][0]["id"]
    run("note", "add", doc_id, "ask for the draft", "--quote", "the treaty draft")
    run("tag", "add", doc_id, "Moscow")
    run("star", doc_id)
    listed = orjson.loads(run("notes", "--json"))
    assert [(a["kind"], a["value"], a["exact"]) for a in listed] == [
        ("note", "ask for the draft", "the treaty draft"),
        ("tag", "moscow", None),
        ("star", None, None),
    ]
    assert [h["id"] for h in orjson.loads(run("search", "tag:moscow starred:true", "--json"))["hits"]] == [
        doc_id
    ]


def test_json_api_adds_lists_deletes_and_stars(opened, source: Path):
    from fastapi.testclient import TestClient

    from chancery.web import create_app

    archive = opened()
    doc_id = ingest(archive, source)
    text = archive.document(doc_id).text
    at = text.index("harbour empty")
    api = f"/api/documents/{doc_id}"
    with TestClient(create_app(archive, base_url="http://archive.example")) as client:
        client.get("/")  # the CSRF cookie; writes send it back, as the reader's script does
        client.headers["x-csrf-token"] = client.cookies["chancery_csrf"]
        made = client.post(
            f"{api}/annotations", json={"kind": "note", "value": "empty?", "start": at, "end": at + 13}
        )
        assert made.status_code == 201 and made.headers["content-type"].startswith("application/ld+json")
        note = made.json()
        assert note["target"]["selector"][0]["exact"] == "harbour empty"
        assert note["target"]["source"] == f"http://archive.example/documents/{doc_id}"
        # offsets that disagree with the quote (a page whose text differs): the quote wins
        moved = client.post(
            f"{api}/annotations",
            json={"kind": "tag", "value": "naval", "quote": "treaty draft", "start": 0, "end": 12},
        )
        assert moved.json()["target"]["selector"][0]["exact"] == "treaty draft"
        assert client.post(f"{api}/annotations", json={"kind": "star", "value": "x"}).status_code == 400
        assert (
            client.post(
                f"{api}/annotations", json={"kind": "note", "value": "x", "quote": "not there at all"}
            ).status_code
            == 400
        )
        assert (
            client.post("/api/documents/nope/annotations", json={"kind": "note", "value": "x"}).status_code
            == 404
        )
        listed = client.get(f"{api}/annotations").json()
        assert listed["type"] == "AnnotationCollection" and listed["total"] == 2
        assert client.post(f"{api}/star").json() == {"id": doc_id, "starred": True}
        assert client.get(f"{api}/annotations").json()["total"] == 3
        annotation_id = note["id"].rsplit("annotation-", 1)[1]
        assert client.delete(f"{api}/annotations/{annotation_id}").status_code == 204
        assert client.delete(f"{api}/annotations/{annotation_id}").status_code == 404
        assert client.get(f"{api}/annotations").json()["total"] == 2
        assert client.get(api).json()["id"] == doc_id  # the document's own route still answers


def test_a_document_changed_without_reanchoring_is_reanchored_when_read(opened, source: Path):
    """An ingest stopped between storing a file and re-anchoring: the next read repairs it."""
    archive = opened()
    doc_id = ingest(archive, source)
    note = archive.annotations.add(LOCAL, doc_id, "note", "the draft", quote="discussed the treaty draft")
    stored = archive.store.document(doc_id)
    assert stored is not None
    record = archive.store.file_record(stored["source"]["path"])
    assert record is not None
    changed = {**stored, "text": "Inserted first. " + stored["text"]}
    archive.store.replace_file(record.path, record.sha256, record.format, [], [changed])  # what ingest stores
    (read,) = opened().annotations.of(LOCAL, doc_id)
    assert (read.start, read.end) == (note.start + 16, note.end + 16) and not read.orphaned
