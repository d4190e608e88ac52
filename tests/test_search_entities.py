"""Entities in the query language: `org:` over organisation mentions, `FIELD:TYPE:ID` by entity id,
and the entity pages' queries, which must all be valid queries (no fallback hides a rejected one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chancery.archive import Archive
from chancery.errors import NotFound
from chancery.search.query import parse
from chancery.search.schema import QUERY_FIELDS, Kind
from chancery.web.views.entity import QUERY_FIELD, entity_data, entity_queries

UN = "organization:united-nations"
GENEVA = "place:geneva"


def mention(kind: str, text: str, entity_id: str | None = None, name: str | None = None) -> dict[str, Any]:
    return {
        "type": kind,
        "text": text,
        "start": 0,
        "end": len(text),
        "entity_id": entity_id,
        "entity_name": name,
    }


def doc(doc_id: str, text: str, mentions: list[dict[str, Any]], when: str) -> dict[str, Any]:
    return {
        "id": doc_id,
        "collection": {"id": "frus1950v01", "title": "National Security Affairs"},
        "source": {"format": "frus-tei", "path": "frus1950v01.xml"},
        "title": f"Document {doc_id}",
        "doc_type": "memorandum",
        "date": {
            "when": when,
            "not_before": when,
            "not_after": when,
            "precision": "day",
            "basis": "dateline",
        },
        "senders": [],
        "recipients": [],
        "markings": {"classification": None, "handling": [], "paraphrase": False, "channel": None},
        "text": text,
        "mentions": mentions,
    }


DOCS = [
    doc("o1", "The UN met in Geneva.", [mention("organization", "UN", UN, "United Nations")], "1950-01-02"),
    doc(
        "o2",
        "A note on the Security Council in Geneva.",
        [
            mention(
                "organization", "Security Council", "organization:unsc", "United Nations Security Council"
            ),
            mention("place", "Geneva", GENEVA, "Geneva"),
        ],
        "1950-03-04",
    ),
    doc("o3", "Nothing organised here; the united front of nations.", [], "1950-05-06"),
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    archive = Archive.open(Path(tmp_path_factory.mktemp("entities")) / "e.db")
    archive.store.replace_file("fixture.xml", "sha", "frus-tei", [{"id": "frus1950v01"}], DOCS)
    archive.store.put_entities(
        [
            {"id": UN, "type": "organization", "name": "United Nations", "variants": ["UN"]},
            {"id": GENEVA, "type": "place", "name": "Geneva", "variants": []},
        ],
        [("united nations", UN), ("geneva", GENEVA)],
    )
    archive.sync_index()
    yield archive
    archive.close()


def ids(archive: Archive, query: str) -> set[str]:
    return {hit.id for hit in archive.search(query).hits}


def test_org_field_searches_organisation_mentions(archive: Archive) -> None:
    assert ids(archive, 'org:"united nations"') == {"o1", "o2"}  # the resolved names
    assert ids(archive, 'org:"security council"') == {"o2"}  # the text as written
    assert ids(archive, 'organization:"united nations security council"') == {"o2"}
    assert ids(archive, "organisation:UN") == {"o1"}
    assert ids(archive, "org:geneva") == set()  # a place is no organisation
    assert ids(archive, '"united nations"') == set()  # the words never stand together in a text


def test_entity_ids_in_name_fields(archive: Archive) -> None:
    assert ids(archive, f"org:{UN}") == {"o1"}
    assert ids(archive, f"place:{GENEVA}") == {"o2"}  # was read as the words "place geneva"
    assert ids(archive, "org:organization:nobody") == set()


def test_every_entity_type_gets_a_valid_query() -> None:
    for kind, field in QUERY_FIELD.items():
        assert QUERY_FIELDS[field].kind is Kind.NAME and QUERY_FIELDS[field].entities
        entity = {"id": f"{kind}:some-id", "type": kind, "name": 'O"Brien (Jr.), X'}
        queries = entity_queries(entity)
        assert queries[0] == f"{field}:{kind}:some-id"
        for query in queries:
            parse(query)  # raises QueryError on a query the language rejects
    odd = entity_queries({"id": "organization:a (b)", "type": "organization", "name": "A"})
    assert odd == ['org:"A"', '"A"']  # an id the language cannot read as a word is not used


def test_organisation_page_finds_its_documents_by_id(archive: Archive) -> None:
    data = entity_data(archive, UN)
    assert data["query"] == f"org:{UN}"
    assert data["total"] == 1 and [d["id"] for d in data["documents"]] == ["o1"]
    place = entity_data(archive, GENEVA)
    assert place["query"] == f"place:{GENEVA}" and place["total"] == 1
    with pytest.raises(NotFound):
        entity_data(archive, "organization:nobody")
