"""Resolution of references into links over a real temporary SQLite archive."""

from __future__ import annotations

from pathlib import Path

import pytest

from chancery import linking
from chancery.archive import Archive
from chancery.model import Collection, DocDate, Document, Party, Reference, Source
from chancery.store.sqlite import SQLiteStore

FIXTURES = Path(__file__).parent / "fixtures" / "links"


@pytest.fixture
def archive(tmp_path: Path):
    with Archive.open(tmp_path / "links.db") as arc:
        yield arc


def _refs(doc: Document) -> dict[str | None, str | None]:
    return {r.target: r.target_id for r in doc.references if r.kind in ("document", "footnote")}


def test_dfat_document_and_supra_references_resolve(archive: Archive) -> None:
    archive.ingest([FIXTURES / "first"])
    first = archive.document("dfat-v06/d1")
    assert _refs(first) == {"#d2": "dfat-v06/d2"}
    second = archive.document("dfat-v06/d2")
    refs = _refs(second)
    assert refs["supra"] == "dfat-v06/d1"
    assert refs["dfat-v05#d3"] is None and refs["dfat-v05#d4"] is None  # not in the archive yet
    assert {(lk["dst"], lk["kind"]) for lk in archive.store.links_from("dfat-v06/d2")} == {
        ("dfat-v06/d1", "footnote")
    }


def test_target_ingested_later_resolves(archive: Archive) -> None:
    archive.ingest([FIXTURES / "first"])
    archive.ingest([FIXTURES / "later"])
    refs = _refs(archive.document("dfat-v06/d2"))
    assert refs["dfat-v05#d3"] == "dfat-v05/d3"
    assert refs["dfat-v05#d4"] is None
    assert [lk["src"] for lk in archive.store.links_to("dfat-v05/d3")] == ["dfat-v06/d2"]


def _doc(doc_id: str, when: str | None, text: str, sender: str, recipient: str, **extra) -> dict:
    coll = Collection(id="frus1945v07", archive="frus")
    doc = Document(
        id=f"frus1945v07/{doc_id}",
        collection=coll,
        source=Source(format="frus-tei", path="fixture"),
        date=DocDate(
            when=when,
            not_before=when,
            not_after=when,
            precision="day" if when else None,
            basis="dateline" if when else None,
        ),
        senders=[Party(name=sender)],
        recipients=[Party(name=recipient)],
        text=text,
        **extra,
    )
    return doc.to_dict()


def test_messages_relative_and_tei_refs_resolve(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "hand.db")
    docs = [
        _doc("d1", "1945-06-29", "Message for Stalin.", "Truman", "Harriman", message_numbers=["307"]),
        _doc(
            "d2",
            "1945-06-29",
            "Another 307 elsewhere.",
            "Hurley",
            "Byrnes",
            message_numbers=["307"],
            place="Chungking",
        ),
        _doc("d3", "1945-06-30", "Evening report.", "Harriman", "Truman", message_numbers=["5"]),
        _doc(
            "d4",
            "1945-07-01",
            "Reference White House Message No. 307 June 29. After my wire of last night all is well.",
            "Harriman",
            "Truman",
            references=[
                Reference(text="Document 1", kind="tei-ref", target="#d1"),
                Reference(text="other volume", kind="tei-ref", target="frus1946v01#d3"),
                Reference(text="White House Message No. 307 June 29", kind="message", target="msg:307"),
                Reference(
                    text="Reference White House Message No. 307 June 29", kind="reply", target="msg:307"
                ),
                Reference(text="my wire of last night", kind="relative", target="rel:last night"),
            ],
        ),
    ]
    for i, doc in enumerate(docs):
        doc["order"] = i
    store.replace_file("fixture", "x", "frus-tei", [{"id": "frus1945v07", "archive": "frus"}], docs)
    report = linking.link_documents(store)
    got = {(r["kind"], r["target"]): r["target_id"] for r in store.document("frus1945v07/d4")["references"]}
    assert got[("tei-ref", "#d1")] == "frus1945v07/d1"
    assert got[("tei-ref", "frus1946v01#d3")] is None
    assert got[("message", "msg:307")] == "frus1945v07/d1"  # Truman → Harriman fits, Hurley's does not
    assert got[("reply", "msg:307")] == "frus1945v07/d1"
    assert got[("relative", "rel:last night")] == "frus1945v07/d3"
    kinds = {(lk["dst"], lk["kind"]) for lk in store.links_from("frus1945v07/d4")}
    assert ("frus1945v07/d1", "reply") in kinds and ("frus1945v07/d3", "relative") in kinds
    assert report.resolved == 4
    store.close()


def test_undated_document_gets_inferred_interval(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "dates.db")
    text = "[Paraphrase]\n\n160900. Subsequent to the dispatch of my wire of last night I delivered it."
    docs = [
        _doc("d1", "1945-06-14", "A.", "Hurley", "Byrnes"),
        _doc("d2", None, text, "Harriman", "Truman"),
        _doc("d3", "1945-06-18", "B.", "Hurley", "Byrnes"),
    ]
    for i, doc in enumerate(docs):
        doc["order"] = i
    store.replace_file("fixture", "x", "frus-tei", [{"id": "frus1945v07", "archive": "frus"}], docs)
    linking.link_documents(store)
    date = store.document("frus1945v07/d2")["date"]
    assert date["basis"] == "inferred"
    assert date["when"] == "1945-06-16T09:00" and date["precision"] == "minute"
    store.close()


def test_light_record_carries_what_linking_needs_without_the_text() -> None:
    refs = [
        {"kind": "message", "target": "msg:12", "target_id": None, "text": "your 12"},
        {"kind": "url", "target": "http://x", "target_id": None, "text": "x"},
        {"kind": "reply", "target": "msg:7", "target_id": "v/d7", "text": "not quoted here"},
    ]
    dated = {
        "id": "v/d1",
        "collection": {"id": "v"},
        "date": {"when": "1945-07-01", "basis": "dateline"},
        "text": "Reference your 12 of June 30.",
        "references": refs,
        "message_numbers": ["No. 12 "],
        "pages": [{"n": 4}],
    }
    item = linking.light(dated)
    assert item.record.id == "v/d1" and item.pages == ["4"] and item.messages
    assert [(r["i"], r["kind"], r["in_text"], r["target_id"]) for r in item.refs] == [
        (0, "message", True, None),
        (2, "reply", False, "v/d7"),
    ]
    undated = {**dated, "date": {"when": None}}
    assert linking.light(undated).refs is None  # date inference reads the text: read it back
    inferred = {**dated, "date": {"when": "1945-07-01", "basis": "inferred"}}
    assert linking.light(inferred).refs is None
