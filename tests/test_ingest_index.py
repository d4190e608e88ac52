"""Ingest indexes from memory while files arrive and links from light records: the results must
be exactly what reading everything back from the store gives (real corpus, real SQLite)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import tantivy
from conftest import corpus_path

from chancery import ingest, linking
from chancery.archive import Archive
from chancery.search.index import IndexWriter, fields_digest, index_fields

VOLUMES = ("frus1952-54Guat.xml.gz", "frus1961-63v07-09mSupp.xml.gz")
QUERIES = ("date:1954", "date:1953-06", "telegram", "guatemala", "before:1954-01-01", "from:dulles")


def _volumes() -> list[Path]:
    return [corpus_path("frus", "volumes", name) for name in VOLUMES]


def index_snapshot(archive: Archive) -> dict[str, Any]:
    """Every indexed document's stored fields, and hit ids for queries on indexed-only fields."""
    searcher = archive.index.searcher()
    found = searcher.search(tantivy.Query.all_query(), limit=max(1, searcher.num_docs))
    stored = {}
    for _, address in found.hits:
        fields = searcher.doc(address).to_dict()
        stored[fields["id"][0]] = (
            orjson.loads(fields["meta"][0]),
            fields.get("title"),
            fields.get("text"),
        )
    hits = {}
    for query in QUERIES:
        result = archive.search(query, limit=1000)
        hits[query] = (result.total, sorted(h.id for h in result.hits))
    return {"num_docs": searcher.num_docs, "stored": stored, "hits": hits}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("ingest-index") / "a.db"
    with Archive.open(db) as archive:
        report = archive.ingest(_volumes(), workers=2)
        assert report.ok, report.failures
        yield archive


def test_index_from_memory_matches_a_rebuild_from_the_store(ingested: Archive) -> None:
    archive = ingested
    assert archive.stats()["pending_index"] == 0
    after_ingest = index_snapshot(archive)
    assert after_ingest["num_docs"] == archive.store.count_documents() > 500
    for query in QUERIES[:4]:
        assert after_ingest["hits"][query][0] > 0, query  # the queries do match something
    # linking inferred dates after the documents were indexed: the index holds the new ones
    inferred = [d for d in archive.documents() if d.date.basis == "inferred"]
    assert inferred
    for doc in inferred:
        assert after_ingest["stored"][doc.id][0]["date"] == doc.to_dict()["date"]
    archive.reindex()
    assert index_snapshot(archive) == after_ingest


def test_light_linking_reaches_what_linking_from_the_store_gives(ingested: Archive) -> None:
    store = ingested.store
    before = {d["id"]: d for d in store.iter_documents()}
    links_before = sorted(store.conn.execute("SELECT src, dst, kind, text FROM links"))
    assert any(r["target_id"] for d in before.values() for r in d.get("references") or [])
    report = linking.link_documents(store)  # every document, read back from the store
    assert report.updated == 0
    assert {d["id"]: d for d in store.iter_documents()} == before
    assert sorted(store.conn.execute("SELECT src, dst, kind, text FROM links")) == links_before
    ingested.sync_index()


def test_crash_between_store_and_index_commit_is_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    volume = _volumes()[0]
    db = tmp_path / "crash.db"

    def crash(self: IndexWriter, position: int | None = None) -> None:
        raise RuntimeError("killed before the index commit")

    with Archive.open(db) as archive:
        monkeypatch.setattr(IndexWriter, "commit", crash)
        with pytest.raises(RuntimeError, match="killed"):
            archive.ingest([volume], workers=1)
        monkeypatch.undo()
        stored = archive.store.count_documents()
        assert stored > 200
        assert archive.index.count() == 0  # nothing half-committed
        assert archive.stats()["pending_index"] == stored
    with Archive.open(db) as archive:  # opening replays the queue
        assert archive.stats()["pending_index"] == 0
        assert archive.index.count() == stored
        replayed = index_snapshot(archive)
        again = archive.ingest([volume])
        assert again.unchanged == 1 and again.added == 0
        assert index_snapshot(archive) == replayed
        archive.reindex()
        assert index_snapshot(archive) == replayed


def test_failed_index_writer_is_released(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After an ingest dies mid-way, the same archive can still write its index."""
    with Archive.open(tmp_path / "a.db") as archive:
        monkeypatch.setattr(ingest, "link_documents", lambda *a, **k: (_ for _ in ()).throw(KeyError("boom")))
        with pytest.raises(KeyError):
            archive.ingest([_volumes()[1]], workers=1)
        monkeypatch.undo()
        assert archive.sync_index() == archive.store.count_documents() > 0
        assert archive.index.count() == archive.store.count_documents()


def _feed(archive: Archive, docs: list[dict[str, Any]]) -> tuple[IndexWriter, list[str]]:
    feed = archive.index.writer()
    for doc in docs:
        feed.digests[doc["id"]] = fields_digest(index_fields(doc))
    added: list[str] = []
    feed.add = lambda doc_id, fields, digest: added.append(doc_id)  # type: ignore[method-assign]
    return feed, added


def test_refresh_re_adds_only_documents_whose_index_fields_changed(ingested: Archive) -> None:
    store = ingested.store
    docs = store.documents(store.document_ids()[:3])
    feed, added = _feed(ingested, docs)
    # docs[0] comes back as it was; docs[1] gets a new date; docs[2] a new reference target
    docs[1]["date"] = {
        "when": None,
        "not_before": "1900-01-01",
        "not_after": "1900-12-31",
        "basis": "inferred",
    }
    docs[2]["references"] = [{"kind": "document", "target": "#d1", "target_id": "x/d1", "text": "No. 1"}]
    feed.refresh(docs)
    expected = [docs[1]["id"]]
    if index_fields(docs[2]) != index_fields(store.document(docs[2]["id"])):
        expected.append(docs[2]["id"])  # only if the index reads references
    assert added == expected
    assert feed.writer is None


def test_reference_only_changes_skip_the_fields_unless_the_index_reads_references(
    ingested: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    import chancery.search.index

    store = ingested.store
    docs = store.documents(store.document_ids()[:2])
    for doc in docs:
        doc["references"] = [{"kind": "document", "target": "#d1", "target_id": "x/d1", "text": "No. 1"}]
    feed, added = _feed(ingested, store.documents([d["id"] for d in docs]))
    feed.refresh(docs, ["references"])
    assert "references" not in (feed.keys_read or set())  # today's index_fields ignores them
    assert added == []
    feed.refresh(docs, ["date"])  # a key the index reads: the fields are compared
    assert added == []

    def fields_with_targets(doc: dict[str, Any]) -> dict[str, Any]:
        targets = [r.get("target_id") or "" for r in doc.get("references") or []]
        return {**index_fields(doc), "entity": targets}

    monkeypatch.setattr(chancery.search.index, "index_fields", fields_with_targets)
    feed, added = _feed(ingested, store.documents([d["id"] for d in docs]))
    for doc in docs:  # digests as if added with the targets before linking
        stored = store.document(doc["id"])
        feed.digests[doc["id"]] = fields_digest(fields_with_targets(stored))
    feed.refresh(docs, ["references"])
    assert "references" in (feed.keys_read or set())
    assert added == [d["id"] for d in docs]
