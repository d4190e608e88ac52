"""Name variants are only the same person's spellings; person search reaches resolved names and
footnotes. A real SQLite archive in a temp dir, records put in its store, the web page through
the app (no mocks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from test_search import make_doc

from chancery.archive import Archive
from chancery.search.results import SearchResult
from chancery.search.variants import norm_name, split_switches
from chancery.web.app import create_app


def doc(doc_id: str, text: str, **fields: Any) -> dict[str, Any]:
    """A stored document dict (test_search's), with no footnotes."""
    return make_doc(doc_id, text, **{"footnotes": [], **fields})


DOCS = [
    doc("soong", "Soong will reach Moscow before July 1."),
    doc("madame", "Madame Chiang Kai-shek flew to Washington."),
    doc("jiang", "Jiang Jieshi and the Generalissimo's staff."),
    doc("vy", "Vyshinsky telephoned."),
    doc("vi", "Mr. Vishinski said the Soviet Government would not object."),
    doc("vy2", "Vyshinski spoke at length, Vyshinsky agreed."),
    doc("smith", "Smith arrived."),
    doc(
        "bernau",
        "The Secretary telephoned the President.",
        mentions=[
            {
                "type": "person",
                "text": "the Secretary",
                "start": 0,
                "end": 13,
                "entity_id": "person:dulles",
                "entity_name": "John Foster Dulles",
            }
        ],
        footnotes=[
            {"n": "1", "text": "Source: Dulles Papers. Transcribed by Phyllis D. Bernau.", "offset": 0}
        ],
    ),
]

RECORDS = [
    ("person:t-v-soong", "T. V. Soong", ["Soong, T. V.", "Premier Soong"]),
    (
        "person:may-ling-soong",
        "May-ling Soong",
        ["Soong, May-ling", "Chiang Kai-shek, Madame", "Song Meiling"],
    ),
    ("person:chiang-kai-shek", "Chiang Kai-shek", ["Jiang Jieshi", "Chiang Kai-shek, Generalissimo"]),
    ("person:chiang-ching-kuo", "Chiang Ching-kuo", ["Jiang Jingguo"]),
    ("person:vyshinsky", "Vyshinsky, Andrey Yanuaryevich", ["Vyshinski", "Vishinski, Andrei"]),
    ("person:smith", "Smith, Walter Bedell", []),
    ("person:smyth", "Smyth, Henry", []),
]


def put_records(archive: Archive, records: list[tuple[str, str, list[str]]]) -> None:
    entities = [{"id": i, "type": "person", "name": n, "variants": v} for i, n, v in records]
    names = [(norm_name(n), i) for i, n, _ in records]
    archive.store.put_entities(entities, names)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = Path(tmp_path_factory.mktemp("variants")) / "test.db"
    archive = Archive.open(db)
    archive.store.replace_file("f.xml", "sha", "frus-tei", [{"id": "frus1945v07"}], DOCS)
    put_records(archive, RECORDS)
    archive.sync_index()
    yield archive
    archive.close()


def ids(result: SearchResult) -> set[str]:
    return {hit.id for hit in result.hits}


def test_a_surname_shared_by_relatives_pulls_in_no_other_names(archive: Archive) -> None:
    result = archive.search("soong")
    assert result.variants == {} and ids(result) == {"soong"}
    assert ids(archive.search("soong -chiang")) == {"soong"}
    assert "jiang" not in archive.search("chiang").variants.get("chiang", [])


def test_a_full_name_gets_the_same_persons_other_names_only(archive: Archive) -> None:
    result = archive.search('"chiang kai-shek"')
    assert result.variants["chiang kai-shek"] == ["Jiang Jieshi"]
    assert ids(result) == {"madame", "jiang"}  # Madame Chiang Kai-shek's text holds the phrase itself
    soong = archive.search('person:"t. v. soong"').variants.get("t. v. soong", [])
    assert all(len(v.split()) > 1 for v in soong)  # "Premier Soong" -> never "Soong" alone


def test_spellings_the_record_attests_are_found_from_any_of_them(archive: Archive) -> None:
    for query in ("vishinsky", "Vyshinski", "vyshinsky"):
        result = archive.search(query)
        assert ids(result) == {"vy", "vi", "vy2"}, query
    result = archive.search("vishinsky")
    assert {"vyshinsky", "vyshinski", "vishinski"} <= set(result.variants["vishinsky"])
    assert archive.search("smyth").variants == {} and archive.search("smyth").total == 0


def test_counts_per_variant_are_the_documents_each_spelling_matched(archive: Archive) -> None:
    counts = archive.search("vyshinski").variant_counts["vyshinski"]
    for spelling, n in counts.items():
        assert n == archive.search(f'"{spelling}"').total, spelling
    assert archive.search("vyshinski").to_dict()["variant_counts"] == {"vyshinski": counts}


def test_a_variant_can_be_turned_off_and_a_word_searched_exactly(archive: Archive) -> None:
    assert split_switches('vyshinski -~vishinski "a -~b"') == ('vyshinski "a -~b"', frozenset({"vishinski"}))
    result = archive.search("vyshinski -~vishinski")
    assert "vishinski" not in result.variants["vyshinski"] and ids(result) == {"vy", "vy2"}
    assert result.query == "vyshinski -~vishinski"
    assert ids(archive.search('"vishinski"')) == {"vi"} and archive.search('"vishinski"').variants == {}


def test_variants_are_the_same_after_loading_more_authority(tmp_path: Path) -> None:
    queries = ("soong", "chiang", "vishinsky", "vyshinski", '"chiang kai-shek"', "smith")
    with Archive.open(tmp_path / "more.db") as archive:
        archive.store.replace_file("f.xml", "sha", "frus-tei", [{"id": "frus1945v07"}], DOCS)
        put_records(archive, RECORDS)
        archive.sync_index()
        before = {q: archive.search(q).variants for q in queries}
        put_records(  # relatives, namesakes and a record of one spelling alone
            archive,
            [
                ("person:soong-ai-ling", "Soong Ai-ling", ["Kung, Madame H. H."]),
                ("person:vishinsky-ivan", "Vishinsky, Ivan", []),
                ("person:smith-2", "Smith, Gerard C.", ["Smythe, Gerard"]),
                ("person:chiang-wei-kuo", "Chiang Wei-kuo", ["Jiang Weiguo"]),
            ],
        )
        after = {q: archive.search(q).variants for q in queries}
    assert after == before


def test_person_search_reaches_resolved_roles_short_forms_and_footnotes(archive: Archive) -> None:
    assert ids(archive.search('person:"John Dulles"')) == {"bernau"}  # "the Secretary" resolved
    assert ids(archive.search('person:"Phyllis Bernau"')) == {"bernau"}  # in a source note
    assert ids(archive.search("person:bernau")) == {"bernau"}


def test_the_page_lists_the_variants_with_counts_and_a_switch(archive: Archive) -> None:
    with TestClient(create_app(archive)) as web:
        page = web.get("/", params={"q": "vyshinski"}).text
    section = page.split('class="variants"', 1)[1].split("</p>", 1)[0]
    counts = archive.search("vyshinski").variant_counts["vyshinski"]
    for spelling, n in counts.items():
        if spelling != "vyshinski" and n:
            assert f"{spelling} ({n})" in section
            assert "?q=" + quote("vyshinski -~" + spelling) in section
    assert "for <q>vyshinski</q>" in section


def test_remembered_lookups_follow_the_authority_and_stay_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Variant lookups are remembered per process, but loading records forgets them: a running
    archive finds a spelling a new record attests, as a fresh one does; at most MEMO_SIZE kept."""
    from chancery.search import variants as variants_module

    with Archive.open(tmp_path / "memo.db") as archive:
        archive.store.replace_file("f.xml", "sha", "frus-tei", [{"id": "frus1945v07"}], DOCS)
        put_records(archive, RECORDS)
        archive.sync_index()
        assert archive.search("molotov").variants == {}
        put_records(archive, [("person:molotov", "Molotov, Vyacheslav", ["Molotow", "Molotof"])])
        assert set(archive.search("molotov").variants["molotov"]) == {"molotow", "molotof"}
        with Archive.open(tmp_path / "memo.db") as fresh:
            assert fresh.search("molotov").variants == archive.search("molotov").variants
        monkeypatch.setattr(variants_module, "MEMO_SIZE", 3)
        finder = archive.variants()
        for word in ("vishinsky", "vyshinski", "molotov", "chiang", "smyth", "soong"):
            finder.authority(word)
        assert list(finder._memos["memo"].found) == ["chiang", "smyth", "soong"]
        assert finder.authority("vyshinski") == archive.search("vyshinski").variants["vyshinski"]
