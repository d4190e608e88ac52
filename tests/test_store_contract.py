"""The Store contract, run against SQLite and PostgreSQL alike (real databases, no mocks).

PostgreSQL comes from $CHANCERY_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test); each
test gets its own schema, dropped afterwards. An unreachable server fails the tests, it never
skips them: CI starts PostgreSQL before running them.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from chancery.archive import Archive
from chancery.enrich.entities import find_mentions
from chancery.store.base import ReplaceResult, serialize
from chancery.store.postgres import PostgresStore
from chancery.store.sqlite import SQLiteStore

PG_URL = os.environ.get("CHANCERY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgres"]
SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"


def with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[psycopg.Connection]:
    try:
        conn = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is unreachable at {PG_URL} ({exc}). Start it (CI does) or point "
            "$CHANCERY_TEST_PG at a server; these tests never skip.",
            pytrace=False,
        )
    yield conn
    conn.close()


@pytest.fixture
def pg_schema(pg_admin: psycopg.Connection) -> Iterator[str]:
    """A fresh, empty schema for one test, dropped afterwards."""
    schema = f"chancery_test_{uuid.uuid4().hex[:12]}"
    pg_admin.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    pg_admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def open_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], Any]]:
    """`open_backend("sqlite" | "postgres")`: a fresh store; the same call again reopens it."""
    opened: list[Any] = []
    schemas: dict[str, str] = {}

    def open_(kind: str) -> Any:
        if kind == "sqlite":
            store = SQLiteStore(tmp_path / "store.db")
        else:
            if "pg" not in schemas:
                schemas["pg"] = request.getfixturevalue("pg_schema")
            store = PostgresStore(with_schema(PG_URL, schemas["pg"]))
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, open_backend: Callable[[str], Any]) -> Any:
    return open_backend(request.param)


def doc(doc_id: str, collection: str = "c1", order: int | None = None, **fields: Any) -> dict[str, Any]:
    """A document dict shaped like `Document.to_dict()`."""
    data: dict[str, Any] = {
        "id": doc_id,
        "collection": {"id": collection, "title": f"Volume {collection}"},
        "source": {"format": "test", "path": f"{collection}.xml", "url": None, "sha256": None},
        "title": f"Document {doc_id}",
        "doc_type": "telegram",
        "date": {"when": "1945-07-01", "not_before": "1945-07-01", "not_after": "1945-07-01"},
        "senders": [{"name": "Harriman", "role": None, "entity_id": None}],
        "text": f"Text of {doc_id}.",
        "footnotes": [],
        "order": order,
    }
    data.update(fields)
    return data


def coll(coll_id: str, archive: str = "frus") -> dict[str, Any]:
    return {"id": coll_id, "title": f"Volume {coll_id}", "archive": archive, "coverage": {}, "toc": []}


def _without_time(record: Any) -> Any:
    return None if record is None else dataclasses.replace(record, ingested_at="")


def snapshot(store: Any) -> dict[str, Any]:
    """Everything observable about the documents side of a store."""
    return {
        "documents": list(store.iter_documents()),
        "ids": store.document_ids(),
        # ingested_at is a wall-clock stamp: two backends filled seconds apart may differ
        "files": {p: _without_time(store.file_record(p)) for p in ("f1", "f2")},
        "pending": store.pending_links(),
        "collections": store.collections(),
        "links": store.links_from("a"),
    }


# -- replace_file ------------------------------------------------------------------------------
def test_replace_file_adds_replaces_and_removes(store: Any) -> None:
    first = store.replace_file("f1", "sha-1", "test", [coll("c1")], [doc("a"), doc("b"), doc("c")])
    assert first == ReplaceResult(added=3, replaced=0, removed=0)
    assert store.document_ids() == ["a", "b", "c"]
    mark = store.last_change()

    second = store.replace_file(
        "f1", "sha-2", "test", [coll("c1")], [doc("b", title="B2"), doc("c"), doc("d")]
    )
    assert second == ReplaceResult(added=1, replaced=2, removed=1)
    assert store.document("a") is None
    assert store.document("b")["title"] == "B2"
    assert store.document_ids() == ["b", "c", "d"]
    record = store.file_record("f1")
    assert (record.path, record.sha256, record.format, record.n_documents) == ("f1", "sha-2", "test", 3)
    assert record.ingested_at
    assert sorted((d, op) for _, d, op in store.changes_since(mark)) == [
        ("a", "delete"),
        ("b", "upsert"),
        ("c", "upsert"),
        ("d", "upsert"),
    ]


def test_replace_file_is_idempotent(store: Any) -> None:
    docs = [doc("a", order=1), doc("b", order=2)]
    store.replace_file("f1", "sha", "test", [coll("c1")], docs)
    before = snapshot(store)
    again = store.replace_file("f1", "sha", "test", [coll("c1")], docs)
    assert again == ReplaceResult(added=0, replaced=2, removed=0)
    after = snapshot(store)
    assert after == before
    assert store.count_documents() == 2


def test_replace_file_leaves_other_files_alone_and_moves_ids(store: Any) -> None:
    store.replace_file("f1", "s1", "test", [coll("c1")], [doc("a"), doc("shared")])
    store.replace_file("f2", "s2", "test", [coll("c1")], [doc("b")])
    # An id that now comes from f2 is replaced (and now belongs to f2).
    moved = store.replace_file("f2", "s2b", "test", [coll("c1")], [doc("b"), doc("shared", title="from f2")])
    assert moved == ReplaceResult(added=0, replaced=2, removed=0)
    # Re-reading f1 without it does not remove it: it belongs to f2 now.
    again = store.replace_file("f1", "s1b", "test", [coll("c1")], [doc("a")])
    assert again == ReplaceResult(added=0, replaced=1, removed=0)
    assert store.document("shared")["title"] == "from f2"
    assert store.document_ids() == ["a", "b", "shared"]


def test_replace_file_with_no_documents_empties_the_file(store: Any) -> None:
    store.replace_file("f1", "s1", "test", [coll("c1")], [doc("a"), doc("b")])
    store.put_links("a", [("b", "reply", "my 12")])
    assert store.replace_file("f1", "s2", "test", [], []) == ReplaceResult(added=0, replaced=0, removed=2)
    assert store.count_documents() == 0
    assert store.file_record("f1").n_documents == 0
    assert store.links_from("a") == []  # a removed document's outgoing links go with it


def test_duplicate_ids_in_one_file_last_wins(store: Any) -> None:
    result = store.replace_file(
        "f1", "s", "test", [coll("c1")], [doc("a", title="one"), doc("a", title="two")]
    )
    assert result == ReplaceResult(added=1, replaced=0, removed=0)
    assert store.document("a")["title"] == "two"
    assert store.file_record("f1").n_documents == 2  # what the file yielded, as given


class Unserialisable:
    pass


FAILURES = {
    # a document that cannot be serialised, after documents that can
    "unserialisable document": lambda: (
        [coll("c1")],
        [doc("b", title="new"), doc("x"), doc("y", extra=Unserialisable())],
    ),
    # an exception raised inside the transaction, after the deletes
    "collection without id": lambda: ([{"title": "no id"}], [doc("b", title="new"), doc("x")]),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_failed_replace_leaves_previous_content(store: Any, failure: str) -> None:
    store.replace_file("f1", "sha-1", "test", [coll("c1")], [doc("a"), doc("b")])
    store.put_links("a", [("b", "reply", "your 7")])
    before = snapshot(store)
    collections, documents = FAILURES[failure]()
    with pytest.raises((TypeError, KeyError)):
        store.replace_file("f1", "sha-2", "test", collections, documents)
    assert snapshot(store) == before
    assert store.file_record("f1").sha256 == "sha-1"
    # and the store is still usable
    assert store.replace_file("f1", "sha-3", "test", [coll("c1")], [doc("b")]).removed == 1


def test_nul_character(store: Any) -> None:
    """A known difference: SQLite keeps U+0000, PostgreSQL cannot and rolls the file back."""
    store.replace_file("f1", "sha-1", "test", [coll("c1")], [doc("a")])
    before = snapshot(store)
    docs = [doc("b"), doc("n", text="before\x00after")]
    if isinstance(store, SQLiteStore):
        store.replace_file("f1", "sha-2", "test", [coll("c1")], docs)
        assert store.document("n")["text"] == "before\x00after"
        return
    with pytest.raises(psycopg.DataError) as info:
        store.replace_file("f1", "sha-2", "test", [coll("c1")], docs)
    assert any("f1" in note for note in info.value.__notes__)
    assert snapshot(store) == before


# -- reading -----------------------------------------------------------------------------------
def test_reading_order_and_lookup(store: Any) -> None:
    docs = [
        doc("b2", "c2", order=2),
        doc("b1", "c2", order=1),
        doc("a-z", "c1", order=None),
        doc("a_y", "c1", order=None),
        doc("A", "c1", order=5),
        doc("aa", "c1", order=0),
    ]
    store.replace_file("f1", "s", "test", [coll("c1"), coll("c2")], docs)
    # byte order ("A" < "a-z" < "a_y" < "aa"), as SQLite compares text
    assert store.document_ids() == ["A", "a-z", "a_y", "aa", "b1", "b2"]
    # by collection, then reading order (missing order first), then id
    assert [d["id"] for d in store.iter_documents()] == ["a-z", "a_y", "aa", "A", "b1", "b2"]
    assert [d["id"] for d in store.iter_documents("c2")] == ["b1", "b2"]
    assert list(store.iter_documents("nope")) == []
    assert [d["id"] for d in store.documents(["b2", "missing", "A", "b2"])] == ["b2", "A", "b2"]
    assert store.documents([]) == []
    assert store.document("missing") is None
    assert store.count_documents() == 6


def test_iterating_while_writing(store: Any) -> None:
    store.replace_file("f1", "s", "test", [coll("c1")], [doc(f"d{i:04d}", order=i) for i in range(2500)])
    seen = 0
    for d in store.iter_documents("c1"):
        if seen % 500 == 0:
            store.update_documents([{**d, "title": "touched"}])
        seen += 1
    assert seen == 2500
    assert sum(1 for d in store.iter_documents() if d["title"] == "touched") == 5


def test_update_documents(store: Any) -> None:
    store.replace_file("f1", "s", "test", [coll("c1")], [doc("a", order=1), doc("b", order=2)])
    mark = store.last_change()
    changed = doc("a", order=1, title="Enriched", doc_type="memorandum")
    changed["date"] = {"when": "1945-08", "not_before": "1945-08-01", "not_after": "1945-08-31"}
    changed["mentions"] = [{"type": "person", "text": "Stalin", "start": 0, "end": 6, "entity_id": "p1"}]
    store.update_documents([changed, doc("ghost")])
    assert store.document("a") == changed
    assert store.document("ghost") is None  # updating never creates documents
    assert [(d, op) for _, d, op in store.changes_since(mark)] == [("a", "upsert"), ("ghost", "upsert")]
    assert store.stats()["by_type"] == {"memorandum": 1, "telegram": 1}
    assert store.stats()["date_range"] == ["1945-07-01", "1945-08-31"]
    store.update_documents([])


def test_unicode_and_big_text_round_trip(store: Any) -> None:
    text = (
        "Москва — 北京 — القاهرة — עברית — Ελληνικά — naïve café — ẞ — 𝔉𝔯𝔞𝔨𝔱𝔲𝔯 — 🕊️🇺🇸 — "
        'e\u0301 — \u2028line\u2029para — tab\tquote"back\\slash — \u200b\ufeff\n'
    )
    big = "".join(f"{i:07d} {text}" for i in range(40_000))  # ~5 MB
    assert len(big) > 4_000_000
    special = doc(
        "ü/ß 北京 🕊",
        title="«Telegram» — „quoted“ ‘single’",
        text=big,
        numbers=[0, -1, 2**53, 0.5, 1.25, -3.0],
        nested={"a": [{"b": None, "c": [True, False]}], "": "empty key", "ключ": "значение"},
        empty={"list": [], "dict": {}, "string": ""},
    )
    store.replace_file("dir/файл 北京.txt", "s", "test", [coll("c1")], [special, doc("plain")])
    assert store.document("ü/ß 北京 🕊") == special
    assert store.documents(["ü/ß 北京 🕊"]) == [special]
    assert store.file_record("dir/файл 北京.txt").n_documents == 2
    assert [d["id"] for d in store.iter_documents()] == ["plain", "ü/ß 北京 🕊"]


# -- collections -------------------------------------------------------------------------------
def test_collections_with_document_counts(store: Any) -> None:
    store.replace_file("f1", "s", "test", [coll("c2", "dfat"), coll("c1")], [doc("a", "c1"), doc("b", "c1")])
    store.replace_file("f2", "s", "test", [coll("c3", "wilson")], [doc("c", "c2")])
    assert [(c["id"], c["document_count"]) for c in store.collections()] == [("c1", 2), ("c2", 1), ("c3", 0)]
    assert store.collection("c2") == coll("c2", "dfat")  # no document_count on the single lookup
    assert store.collection("missing") is None
    updated = {
        **coll("c1"),
        "title": "Renamed",
        "toc": [{"title": "Ch. 1", "level": 1, "document_ids": ["a"]}],
    }
    store.replace_file("f1", "s2", "test", [updated], [doc("a", "c1")])
    assert store.collection("c1") == updated
    assert store.stats()["by_archive"] == {"dfat": 1, "frus": 1}


# -- change feed and pending links ----------------------------------------------------------
def test_change_feed_and_pending_links(store: Any) -> None:
    assert store.last_change() == 0 and store.changes_since(0) == []
    store.replace_file("f1", "s", "test", [coll("c1")], [doc(f"d{i}") for i in range(10)])
    changes = store.changes_since(0)
    assert [(d, op) for _, d, op in changes] == [(f"d{i}", "upsert") for i in range(10)]
    seqs = [seq for seq, _, _ in changes]
    assert seqs == sorted(set(seqs)) and store.last_change() == seqs[-1]
    assert store.changes_since(0, limit=3) == changes[:3]
    assert store.changes_since(seqs[5]) == changes[6:]
    mark = store.last_change()
    store.replace_file("f1", "s2", "test", [coll("c1")], [doc(f"d{i}") for i in range(8)])
    later = store.changes_since(mark)
    assert [(d, op) for _, d, op in later] == [("d8", "delete"), ("d9", "delete")] + [
        (f"d{i}", "upsert") for i in range(8)
    ]
    assert min(seq for seq, _, _ in later) > mark
    assert store.stats()["last_change"] == store.last_change() == mark + 10
    assert store.pending_links() == [f"d{i}" for i in range(10)]
    store.clear_pending_links(["d0", "d9"])
    store.clear_pending_links([])
    assert store.pending_links() == [f"d{i}" for i in range(1, 9)]
    assert store.stats()["pending_links"] == 8


# -- entities ----------------------------------------------------------------------------------
def test_entities_and_name_lookup(store: Any) -> None:
    stalin = {"id": "p:stalin", "type": "person", "name": "Joseph Stalin", "aliases": ["Сталин"]}
    soong = {"id": "p:soong", "type": "person", "name": "T. V. Soong", "aliases": []}
    moscow = {"id": "g:moscow", "type": "place", "name": "Moscow", "aliases": ["Москва"]}
    names = [("stalin", "p:stalin"), ("сталин", "p:stalin"), ("moscow", "g:moscow"), ("soong", "p:soong")]
    store.put_entities([stalin, soong, moscow], names)
    store.put_entities([], [("stalin", "p:stalin"), ("marshal", "p:stalin"), ("marshal", "p:soong")])
    assert store.count_entities() == 3
    assert store.entity("p:stalin") == stalin
    assert store.entity("missing") is None
    assert store.entities_by_name("сталин") == [stalin]
    assert sorted(e["id"] for e in store.entities_by_name("marshal")) == ["p:soong", "p:stalin"]
    assert store.entities_by_name("nobody") == []
    assert [e["id"] for e in store.iter_entities()] == ["g:moscow", "p:soong", "p:stalin"]
    assert [e["id"] for e in store.iter_entities("person")] == ["p:soong", "p:stalin"]
    renamed = {**stalin, "name": "I. V. Stalin"}
    store.put_entities([renamed], [])
    assert store.entity("p:stalin") == renamed
    assert store.count_entities() == 3
    assert store.stats()["entities"] == 3


def test_the_entities_version_grows_with_every_entity_write(
    store: Any, open_backend: Callable[[str], Any]
) -> None:
    """Each kind of write to records or their names raises it, also one keeping their number;
    writes to anything else leave it; it survives reopening."""
    person = {"id": "p:a", "type": "person", "name": "A One"}
    seen = [store.entities_version()]

    def grew() -> bool:
        seen.append(store.entities_version())
        return seen[-1] > seen[-2]

    assert seen == [0]
    store.put_entities([person, {"id": "p:b", "type": "person", "name": "B Two"}], [("a one", "p:a")])
    assert grew()
    store.put_entities([{**person, "name": "A. One"}], [])  # renamed in place: the same count
    assert grew() and store.count_entities() == 2
    store.put_entities([], [("one", "p:a")])  # a name row alone
    assert grew()
    store.rewrite_entities(["p:b"], [{**person, "variants": ["B Two"]}], [("b two", "p:a")])  # a merge
    assert grew()
    judgment = {"kind": "merge", "subject": "p:a", "target": "p:b", "at": "2026-01-01T00:00:00"}
    store.add_entity_judgment(judgment, ["p:a"], [person, {"id": "p:b", "type": "person", "name": "B"}])
    assert grew()  # an undo: the records rebuilt with the judgment
    store.add_entity_judgment({**judgment, "kind": "confirm"})  # a judgment changing no record
    store.put_entities([], [])
    store.rewrite_entities([], [], [])
    store.replace_file("f1", "s", "test", [coll("c1")], [doc("a")])
    store.put_links("a", [("b", "reply", None)])
    assert not grew()
    version = seen[-1]
    store.close()
    assert open_backend("postgres" if "://" in store.url else "sqlite").entities_version() == version


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_running_archive_sees_records_rewritten_in_place_elsewhere(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A record renamed by another process (an `authority load` of an edited file) or another
    archive (an entity edit) keeps the number of records; a running archive's next search uses
    the new names all the same (its variant table and remembered lookups follow the version)."""
    import subprocess
    import sys

    url = (
        str(tmp_path / "a.db")
        if kind == "sqlite"
        else with_schema(PG_URL, request.getfixturevalue("pg_schema"))
    )
    molotov = {"id": "person:molotov", "type": "person", "name": "Molotov, Vyacheslav", "variants": []}
    with Archive.open(url, index_path=tmp_path / "ix") as archive:
        archive.store.put_entities([molotov], [("vyacheslav molotov", "person:molotov")])
        assert archive.search("molotov").variants == {}  # one spelling: none (table and memo built)
        edited = {**molotov, "variants": ["Molotow", "Molotof"]}
        script = (
            "import sys; from chancery.store import open_store\n"
            "store = open_store(sys.argv[1])\n"
            f"store.put_entities([{edited!r}], [])\n"
            "store.close()\n"
        )
        subprocess.run([sys.executable, "-c", script, url], check=True, timeout=120)
        assert archive.store.count_entities() == 1
        assert set(archive.search("molotov").variants["molotov"]) == {"molotow", "molotof"}
        with Archive.open(url, index_path=tmp_path / "ix-other") as other:
            other.store.rewrite_entities([], [{**molotov, "variants": ["Molotof"]}], [])
        assert archive.store.count_entities() == 1
        assert archive.search("molotov").variants == {"molotov": ["molotof"]}
        # the enrichment resolver follows the version too: the record's new spelling resolves
        resolver = archive.enrich_context().resolver
        assert resolver is not None and resolver is archive.enrich_context().resolver  # kept while unchanged
        with Archive.open(url, index_path=tmp_path / "ix-third") as third:
            third.store.rewrite_entities([], [{**molotov, "variants": ["Molotoff"]}], [])
        renewed = archive.enrich_context().resolver
        assert renewed is not None and renewed is not resolver
        assert find_mentions(renewed, "Molotoff spoke.", "1945-06-01")[0]["entity_id"] == "person:molotov"


# -- links ---------------------------------------------------------------------------------------
def test_links_replace_from_and_to(store: Any) -> None:
    store.put_links("a", [("b", "reply", "your 12"), ("c", "message", "my 7"), ("b", "document", None)])
    store.put_links("c", [("b", "reply", "re")])
    assert store.links_from("a") == [
        {"src": "a", "dst": "b", "kind": "reply", "text": "your 12"},
        {"src": "a", "dst": "c", "kind": "message", "text": "my 7"},
        {"src": "a", "dst": "b", "kind": "document", "text": None},
    ]
    assert [(link["src"], link["kind"]) for link in store.links_to("b")] == [
        ("a", "reply"),
        ("a", "document"),
        ("c", "reply"),
    ]
    store.put_links("a", [("d", "message", "new")])
    assert store.links_from("a") == [{"src": "a", "dst": "d", "kind": "message", "text": "new"}]
    assert [link["src"] for link in store.links_to("b")] == ["c"]
    store.put_links("a", [])
    assert store.links_from("a") == []
    assert store.stats()["links"] == 1


def test_put_links_many_replaces_each_source_in_one_call(store: Any) -> None:
    store.put_links("a", [("old", "reply", None)])
    store.put_links("keep", [("b", "reply", "kept")])
    store.put_links_many(
        [
            ("a", [("b", "reply", "your 12"), ("c", "message", "my 7")]),
            ("c", [("b", "reply", "re")]),
            ("e", []),
            ("c", [("d", "document", None)]),  # given twice: the last wins, as with put_links
        ]
    )
    assert store.links_from("a") == [
        {"src": "a", "dst": "b", "kind": "reply", "text": "your 12"},
        {"src": "a", "dst": "c", "kind": "message", "text": "my 7"},
    ]
    assert store.links_from("c") == [{"src": "c", "dst": "d", "kind": "document", "text": None}]
    assert [link["src"] for link in store.links_to("b")] == ["keep", "a"]
    assert store.links_to("old") == []
    store.put_links_many([("a", [])])
    store.put_links_many([])
    assert store.links_from("a") == [] and store.stats()["links"] == 2


def test_serialized_rows_store_exactly_like_dicts(store: Any) -> None:
    docs = [
        doc("b", "c2", order=2, title="Zoë — “quoted”", text='é\ttext \\ "quoted" 𝄞'),
        doc("a", "c1", order=None, date=None, doc_type=None),
        doc("a", "c1", order=1),  # a repeated id: the last one wins
    ]
    first = store.replace_file("f1", "s", "test", [coll("c1"), coll("c2")], docs)
    by_dicts = snapshot(store)
    store.replace_file("f1", "s", "test", [], [])
    assert store.count_documents() == 0
    again = store.replace_file("f1", "s", "test", [coll("c1"), coll("c2")], [serialize(d) for d in docs])
    assert first == again == ReplaceResult(added=2, replaced=0, removed=0)
    by_rows = snapshot(store)
    for key in ("documents", "ids", "collections", "pending"):
        assert by_rows[key] == by_dicts[key], key
    assert store.document("a")["order"] == 1 and store.document("b")["title"] == "Zoë — “quoted”"


def test_document_paths_and_order_without_bodies(store: Any) -> None:
    store.replace_file(
        "f1", "s", "test", [coll("c1"), coll("c2")], [doc("b2", "c2", order=2), doc("x", "c1")]
    )
    store.replace_file("f2!member", "s2", "test", [], [doc("b1", "c2", order=1), doc("a", "c1", order=0)])
    assert store.document_paths(["x", "b1", "missing", "b2"]) == {"x": "f1", "b1": "f2!member", "b2": "f1"}
    assert store.document_paths([]) == {}
    assert store.document_order() == [(d["id"], d["collection"]["id"]) for d in store.iter_documents()]
    assert [i for i, _ in store.document_order()] == ["x", "a", "b1", "b2"]


# -- whole store -------------------------------------------------------------------------------
def test_reopening_keeps_everything(store: Any, open_backend: Callable[[str], Any]) -> None:
    store.replace_file("f1", "s", "test", [coll("c1")], [doc("a"), doc("b")])
    store.put_entities([{"id": "e", "type": "person", "name": "E"}], [("e", "e")])
    store.put_links("a", [("b", "reply", None)])
    before = snapshot(store), store.stats()
    store.close()
    again = open_backend("sqlite" if isinstance(store, SQLiteStore) else "postgres")
    assert (snapshot(again), again.stats()) == before


def fill(store: Any) -> None:
    store.replace_file(
        "f1",
        "s1",
        "frus-tei",
        [coll("frus-1945v07"), coll("dfat-v1", "dfat")],
        [
            doc("a", "frus-1945v07", order=1),
            doc("b", "frus-1945v07", order=2, doc_type="memorandum"),
            doc("c", "dfat-v1", order=1, date={"when": None, "not_before": "1942-01-01", "not_after": None}),
        ],
    )
    store.replace_file("f2", "s2", "text", [], [doc("d", "orphan", doc_type=None)])
    store.put_entities([{"id": "e", "type": "person", "name": "E"}], [("e", "e")])
    store.put_links("a", [("b", "reply", None)])


def test_stats_agree_across_backends(open_backend: Callable[[str], Any]) -> None:
    stats = {}
    for kind in BACKENDS:
        store = open_backend(kind)
        assert store.stats() == {
            "documents": 0,
            "files": 0,
            "collections": 0,
            "entities": 0,
            "links": 0,
            "last_change": 0,
            "pending_links": 0,
            "by_archive": {},
            "by_type": {},
            "date_range": [None, None],
        }
        fill(store)
        stats[kind] = store.stats()
    assert stats["sqlite"] == stats["postgres"]
    assert stats["sqlite"]["by_archive"] == {"dfat": 1, "frus": 2, "unknown": 1}
    assert stats["sqlite"]["by_type"] == {"telegram": 2, "memorandum": 1, "unknown": 1}
    assert stats["sqlite"]["date_range"] == ["1942-01-01", "1945-07-01"]
    assert list(stats["sqlite"]) == list(stats["postgres"])


def test_backends_read_back_the_same(open_backend: Callable[[str], Any]) -> None:
    views = []
    for kind in BACKENDS:
        store = open_backend(kind)
        fill(store)
        views.append((snapshot(store), store.collections(), list(store.iter_entities())))
    assert views[0] == views[1]


def _sqlite_layout(store: SQLiteStore) -> dict[str, Any]:
    q = store.conn.execute
    names = [r[0] for r in q("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    indexes = q("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    return {
        "tables": {t: [r[1] for r in q(f"PRAGMA table_info({t})")] for t in names},
        "indexes": {i: (t, [r[2] for r in q(f"PRAGMA index_info({i})")]) for i, t in indexes},
    }


def _postgres_layout(store: PostgresStore) -> dict[str, Any]:
    q = store.conn.execute
    columns: dict[str, list[str]] = {}
    for table, column in q(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    ):
        columns.setdefault(table, []).append(column)
    indexes = q(
        "SELECT i.relname, t.relname, array_agg(a.attname ORDER BY k.n) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
        "WHERE t.relnamespace = current_schema()::regnamespace AND NOT x.indisprimary "
        "GROUP BY i.relname, t.relname"
    )
    return {"tables": columns, "indexes": {i: (t, list(cols)) for i, t, cols in indexes}}


def test_both_stores_create_the_same_schema(open_backend: Callable[[str], Any]) -> None:
    sqlite, postgres = _sqlite_layout(open_backend("sqlite")), _postgres_layout(open_backend("postgres"))
    assert sqlite == postgres
    assert "meta" not in sqlite["tables"]
    assert sqlite["tables"]["links"] == ["seq", "src", "dst", "kind", "text"]
    assert sqlite["indexes"]["entities_type"] == ("entities", ["type", "id"])


def test_older_sqlite_archive_is_brought_up_to_date(tmp_path: Path) -> None:
    """An archive written before the shared schema: `meta`, links without `seq`, a shorter index."""
    import sqlite3

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
        "CREATE TABLE documents (id TEXT PRIMARY KEY, collection_id TEXT, file_path TEXT, title TEXT, "
        "doc_type TEXT, date_when TEXT, not_before TEXT, not_after TEXT, ord INTEGER, body BLOB NOT NULL);"
        "CREATE INDEX documents_collection ON documents(collection_id, ord);"
        "CREATE TABLE links (src TEXT NOT NULL, dst TEXT NOT NULL, kind TEXT NOT NULL, text TEXT);"
        "CREATE INDEX links_src ON links(src);"
        "INSERT INTO links VALUES ('a', 'z', 'reply', 'first'), ('b', 'a', 'reference', NULL),"
        " ('a', 'y', 'message', 'second');"
    )
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    try:
        layout = _sqlite_layout(store)
        assert "meta" not in layout["tables"]
        assert layout["tables"]["links"] == ["seq", "src", "dst", "kind", "text"]
        assert layout["indexes"]["documents_collection"] == ("documents", ["collection_id", "ord", "id"])
        assert layout["indexes"]["links_src"] == ("links", ["src", "seq"])
        assert [link["text"] for link in store.links_from("a")] == ["first", "second"]
        assert store.links_to("a") == [{"src": "b", "dst": "a", "kind": "reference", "text": None}]
        store.put_links("c", [("a", "reply", "new")])
        assert [link["src"] for link in store.links_to("a")] == ["b", "c"]
        assert store.entities_version() == 0  # no version row yet: written with the first records
        store.put_entities([{"id": "p:a", "type": "person", "name": "A"}], [])
        assert store.entities_version() == 1
    finally:
        store.close()
    again = SQLiteStore(path)  # opening an up-to-date archive changes nothing
    try:
        assert _sqlite_layout(again) == layout
    finally:
        again.close()


def test_older_postgres_archive_loses_only_the_unused_meta_table(
    pg_admin: psycopg.Connection, pg_schema: str
) -> None:
    pg_admin.execute(f'CREATE TABLE "{pg_schema}".meta (key TEXT PRIMARY KEY, value TEXT)')
    store = PostgresStore(with_schema(PG_URL, pg_schema))
    try:
        store.replace_file("f1", "s", "test", [coll("c1")], [doc("a")])
        store.close()
        store = PostgresStore(with_schema(PG_URL, pg_schema))  # reopening keeps the documents
        assert "meta" not in _postgres_layout(store)["tables"]
        assert store.document_ids() == ["a"]
    finally:
        store.close()


def test_postgres_url_schema_and_password_masking(pg_schema: str) -> None:
    store = PostgresStore(with_schema(PG_URL, pg_schema))
    try:
        assert store.schema == pg_schema
        assert store.conn.execute("SELECT current_schema()").fetchone()[0] == pg_schema
    finally:
        store.close()
    from chancery.store.postgres import split_url

    conninfo, schema, shown = split_url(
        "postgresql://u:secret@db.example:5433/arch?schema=s1&sslmode=require"
    )
    assert (conninfo, schema) == ("postgresql://u:secret@db.example:5433/arch?sslmode=require", "s1")
    assert "secret" not in shown


# -- the archive over PostgreSQL ---------------------------------------------------------------
def test_archive_over_postgres_matches_sqlite(pg_schema: str, tmp_path: Path) -> None:
    seeds = sorted(SEEDS.glob("*.txt"))
    assert len(seeds) == 2, f"expected the two seed files in {SEEDS}"
    exports = {}
    for kind, url in (("sqlite", str(tmp_path / "a.db")), ("postgres", with_schema(PG_URL, pg_schema))):
        with Archive.open(url, index_path=tmp_path / f"ix-{kind}") as archive:
            report = archive.ingest([str(p) for p in seeds])
            assert report.ok, report.failures
            assert (report.files, report.added) == (2, 2)
            hits = archive.search("harriman soong").hits
            assert len(hits) >= 1 and all(h.title for h in hits)
            assert {h.id for h in archive.search("harriman").hits} == set(archive.store.document_ids())
            assert archive.stats()["index_documents"] == 2
            again = archive.ingest([str(p) for p in seeds])
            assert (again.unchanged, again.added) == (2, 0)
            exports[kind] = {d["id"]: d for d in archive.export()}
            for d in exports[kind].values():
                d["source"].pop("path")
    assert exports["postgres"] == exports["sqlite"]
    assert len(exports["postgres"]) == 2
