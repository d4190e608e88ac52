"""Search over a real SQLite archive in a temp dir: fields, dates, sorting, paging, facets, snippets, variants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chancery.archive import Archive
from chancery.errors import QueryError
from chancery.search.engine import search
from chancery.search.facets import ALL_FACETS
from chancery.search.index import SAMPLE_BUCKETS, SearchIndex, index_fields, sample_bucket
from chancery.search.results import CollectionRef, FacetValue, SearchResult, YearCount


def make_doc(doc_id: str, text: str, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": doc_id,
        "collection": {"id": "frus1945v07", "title": "The Far East: China"},
        "source": {"format": "frus-tei", "path": "frus1945v07.xml"},
        "title": f"Document {doc_id}",
        "doc_type": "telegram",
        "date": {},
        "senders": [],
        "recipients": [],
        "markings": {"classification": None, "handling": [], "paraphrase": False, "channel": None},
        "text": text,
        "mentions": [],
    }
    doc.update(fields)
    return doc


def day(when: str, not_after: str | None = None) -> dict[str, Any]:
    return {"when": when, "not_before": when, "not_after": not_after or when, "precision": "day"}


DOCS = [
    make_doc(
        "d1",
        "Vyshinsky telephoned me that Marshal Stalin had agreed; Soong will reach Moscow before July 1.",
        title="The Ambassador in the Soviet Union to the Secretary of State",
        date=day("1945-06-28"),
        place="Moscow",
        senders=[{"name": "Harriman", "role": "Ambassador in the Soviet Union", "entity_id": None}],
        recipients=[{"name": "Truman", "role": "President", "entity_id": None}],
        markings={"classification": "TOP SECRET", "handling": [], "paraphrase": False, "channel": None},
        mentions=[
            {
                "type": "person",
                "text": "Soong",
                "start": 0,
                "end": 5,
                "entity_id": "person:soong-t-v",
                "entity_name": "T. V. Soong",
            }
        ],
    ),
    make_doc(
        "d2",
        "Mr. Vishinsky said the Soviet Government would not object. Chiang Kai-shek concurred.",
        date=day("1945-07-02"),
        senders=[{"name": "Hurley", "role": "Ambassador in China", "entity_id": None}],
        recipients=[{"name": "Byrnes", "role": "Secretary of State", "entity_id": None}],
        markings={"classification": "SECRET", "handling": [], "paraphrase": True, "channel": None},
    ),
    make_doc(
        "d3",
        "Memorandum on negotiations; the <script>alert('x')</script> tag & other matters.",
        doc_type="memorandum",
        date={"when": "1945-06", "not_before": "1945-06-01", "not_after": "1945-06-30", "precision": "month"},
        senders=[{"name": "Harriman", "role": None, "entity_id": None}],
    ),
    make_doc("d4", "An undated note about Moscow negotiations.", date={}),
    make_doc(
        "d5",
        "Vyshinski spoke at length in Canberra.",
        collection={"id": "dfat-volume-8", "title": "DFAT 8"},
        source={"format": "dfat", "path": "dfat/8.md"},
        date=day("1944-12-15"),
        doc_type="cablegram",
    ),
    make_doc("d6", "Stalin and Molotov discussed the Yalta terms.", date=day("1946-02-01"), place="Yalta"),
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    db = Path(tmp_path_factory.mktemp("search")) / "test.db"
    archive = Archive.open(db)
    archive.store.replace_file("fixture.xml", "sha", "frus-tei", [{"id": "frus1945v07"}], DOCS)
    archive.sync_index()
    yield archive
    archive.close()


def ids(result: SearchResult) -> list[str]:
    return [hit.id for hit in result.hits]


def test_words_are_anded_and_hits_carry_summary(archive: Archive) -> None:
    # by date, words are ANDed; by relevance, fewer than 20 such documents are followed by those
    # with most of the words, with a notice (issue #11; tests/test_query_typed.py)
    assert ids(archive.search("soong moscow", sort="date")) == ["d1"]
    relaxed = archive.search("soong moscow")
    assert ids(relaxed)[0] == "d1" and relaxed.notices[0].startswith("only 1 document has all the words")
    result = archive.search("soong moscow", sort="date")
    hit = result.hits[0]
    assert hit.title.startswith("The Ambassador")
    assert hit.date.when == "1945-06-28"
    assert hit.collection == CollectionRef("frus1945v07", "The Far East: China")
    assert hit.senders[0].name == "Harriman"
    assert hit.doc_type == "telegram"
    assert result.total == 1 and result.query == "soong moscow"


HIT_KEYS = ["id", "score", "title", "date", "doc_type", "collection", "senders", "recipients", "snippet"]
NO_DATE = {"when": None, "not_before": None, "not_after": None, "precision": None, "basis": None}


def test_hit_json_shape_and_an_undated_hit(archive: Archive) -> None:
    dated = archive.search("soong moscow").to_dict()
    assert list(dated) == ["query", "mode", "sort", "total", "total_approximate", "hits"] + [
        "facets",
        "histogram",
        "facets_approximate",
        "facets_sample",
        "variants",
        "variant_counts",
        "notices",
    ]
    hit = dated["hits"][0]
    assert list(hit) == HIT_KEYS
    assert hit["date"] == {**NO_DATE, "when": "1945-06-28", "not_before": "1945-06-28"} | {
        "not_after": "1945-06-28",
        "precision": "day",
    }
    assert hit["senders"] == [
        {"name": "Harriman", "role": "Ambassador in the Soviet Union", "entity_id": None}
    ]
    undated = archive.search("id:d4", facets=False).to_dict()
    assert "facets" not in undated and undated["hits"][0]["date"] == NO_DATE  # an object of nulls, not null
    assert undated["hits"][0]["score"] is not None
    assert archive.search("id:d4", sort="date").hits[0].score is None


def test_phrase_or_not_prefix(archive: Archive) -> None:
    assert ids(archive.search('"marshal stalin"')) == ["d1"]
    assert set(ids(archive.search("yalta OR canberra"))) == {"d5", "d6"}
    assert set(ids(archive.search("negotiations -undated"))) == {"d3"}
    assert set(ids(archive.search("negotiat*"))) == {"d3", "d4"}
    assert set(ids(archive.search("(yalta OR canberra) NOT molotov"))) == {"d5"}


def test_fields(archive: Archive) -> None:
    assert set(ids(archive.search("from:harriman"))) == {"d1", "d3"}
    assert ids(archive.search("to:truman")) == ["d1"]
    assert ids(archive.search('to:"secretary of state"')) == ["d2"]
    assert ids(archive.search('person:"t. v. soong"')) == ["d1"]
    assert ids(archive.search("person:person:soong-t-v")) == ["d1"]
    assert set(ids(archive.search("place:moscow"))) == {"d1"}
    assert ids(archive.search("type:memorandum")) == ["d3"]
    assert ids(archive.search('classification:"top secret"')) == ["d1"]
    assert ids(archive.search("collection:dfat-volume-8")) == ["d5"]
    assert ids(archive.search("archive:dfat")) == ["d5"]
    assert ids(archive.search("paraphrase:true")) == ["d2"]
    assert ids(archive.search("title:ambassador")) == ["d1"]
    assert ids(archive.search("id:d4")) == ["d4"]
    assert set(ids(archive.search("collection:frus1945*"))) == {"d1", "d2", "d3", "d4", "d6"}


def test_date_ranges_overlap_and_undated_never_match(archive: Archive) -> None:
    assert set(ids(archive.search("date:1945-06"))) == {"d1", "d3"}
    # d3 is "June 1945" (an interval): it overlaps 1945-06-30..1945-07-15.
    assert set(ids(archive.search("date:1945-06-30..1945-07-15"))) == {"d2", "d3"}
    assert set(ids(archive.search("date:1945"))) == {"d1", "d2", "d3"}
    assert set(ids(archive.search("before:1945"))) == {"d5"}
    assert set(ids(archive.search("after:1945-12"))) == {"d6"}
    assert set(ids(archive.search("date:1946.."))) == {"d6"}
    assert "d4" not in ids(archive.search("negotiations date:1900..2000"))


def test_sort_by_date_and_paging(archive: Archive) -> None:
    ascending = ids(archive.search("collection:frus1945* OR archive:dfat", sort="date"))
    assert ascending == ["d5", "d3", "d1", "d2", "d6", "d4"]  # undated last
    descending = ids(archive.search("collection:frus1945* OR archive:dfat", sort="-date"))
    assert descending[:5] == ["d6", "d2", "d1", "d3", "d5"]
    page = archive.search("collection:frus1945* OR archive:dfat", sort="date", limit=2, offset=2)
    assert ids(page) == ["d1", "d2"] and page.total == 6


def test_facets_follow_the_query(archive: Archive) -> None:
    result = archive.search("from:harriman")
    facets = result.facets
    assert facets is not None
    assert facets["type"] == [FacetValue("memorandum", 1), FacetValue("telegram", 1)]
    assert facets["sender"] == [FacetValue("Harriman", 2)]
    assert "person" not in facets  # costly: only when asked for
    persons = search(archive.index, "from:harriman", facet_names=ALL_FACETS).facets or {}
    assert FacetValue("T. V. Soong", 1) in persons["person"]
    assert facets["classification"] == [FacetValue("top secret", 1)]
    assert facets["year"] == [FacetValue(1945, 2)]
    assert result.histogram == [YearCount(1945, 2)]
    everything = archive.search("collection:frus1945* OR archive:dfat").to_dict()  # the JSON contract
    assert {"value": "frus1945v07", "count": 5} in everything["facets"]["collection"]
    assert list(everything["facets"]) == [
        "collection",
        "type",
        "year",
        "classification",
        "sender",
        "recipient",
        "place",
    ]
    assert everything["histogram"] == [
        {"year": 1944, "count": 1},
        {"year": 1945, "count": 3},
        {"year": 1946, "count": 1},
    ]


def test_snippets_escape_everything_but_marks(archive: Archive) -> None:
    snippet = archive.search("script").hits[0].snippet
    assert "<script>" not in snippet
    assert "&lt;<mark>script</mark>&gt;" in snippet and "&amp;" in snippet
    fallback = archive.search("type:memorandum").hits[0].snippet
    assert "<script>" not in fallback and "&lt;script&gt;" in fallback


def test_variants_from_authority_records(archive: Archive) -> None:
    archive.store.put_entities(
        [
            {
                "id": "person:hsg:vyshinsky",
                "type": "person",
                "name": "Vyshinsky, Andrey Yanuaryevich",
                "variants": ["Vyshinski", "Vishinsky, Andrei"],
            }
        ],
        [("vyshinsky andrey yanuaryevich", "person:hsg:vyshinsky")],
    )
    result = archive.search("Vyshinski")
    assert set(ids(result)) == {"d1", "d2", "d5"}
    assert ids(result)[0] == "d5"  # the exact spelling ranks first
    assert set(result.variants["vyshinski"]) >= {"vyshinsky", "vishinsky"}
    assert "<mark>Vishinsky</mark>" in next(h.snippet for h in result.hits if h.id == "d2")


def test_no_fuzzy_variants_without_a_record_of_the_person(tmp_path: Path) -> None:
    """A near spelling is a variant only when an authority record shows it is the same person."""
    with Archive.open(tmp_path / "fuzzy.db") as archive:
        archive.store.replace_file("f.xml", "sha", "frus-tei", [{"id": "frus1945v07"}], DOCS)
        archive.sync_index()
        result = archive.search("Vishinski")
        assert result.variants == {}
        assert ids(result) == ids(archive.search('"Vishinski"'))  # the word itself (stemmed) only


def test_errors_and_modes(archive: Archive) -> None:
    # typed text is never an error (issue #11): a stray quote is dropped, with a notice
    assert (
        archive.search('soong "moscow').notices[0]
        == "a quote at position 7 is never closed: read as plain words"
    )
    with pytest.raises(QueryError, match="position 12"):
        archive.search("soong date:June")
    with pytest.raises(QueryError, match="unknown search mode"):
        archive.search("soong", mode="telepathy")
    with pytest.raises(QueryError, match="unknown sort"):
        archive.search("soong", sort="size")


def test_export_with_query(archive: Archive) -> None:
    assert {d["id"] for d in archive.export("from:harriman")} == {"d1", "d3"}


def test_archive_from_format_or_prefix() -> None:
    assert index_fields(make_doc("x", "t"))["archive"] == "frus"
    wilson = make_doc("y", "t", collection={"id": "wilson"}, source={"format": "wilson", "path": "w.csv"})
    assert index_fields(wilson)["archive"] == "wilson"
    plain = make_doc("z", "t", collection={"id": "seeds"}, source={"format": "text", "path": "s.txt"})
    assert index_fields(plain)["archive"] == "text"


# -- large result sets: estimated total, sampled facets ------------------------------------------
@pytest.fixture(scope="module")
def big_index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    """4,000 synthetic documents with known proportions (every 2nd says alpha, every 10th gamma)."""
    index = SearchIndex(Path(tmp_path_factory.mktemp("big")) / "index")
    docs = [
        make_doc(
            f"b{i}",
            ("alpha" if i % 2 else "beta") + (" gamma" if i % 10 == 0 else ""),
            doc_type="telegram" if i % 4 else "memorandum",
            date=day(f"{1940 + i % 4}-01-0{1 + i % 9}"),
        )
        for i in range(4000)
    ]
    index.apply(docs, [])
    return index


def test_large_result_sets_are_estimated_and_flagged(big_index: SearchIndex) -> None:
    exact = search(big_index, "alpha")
    approx = search(big_index, "alpha", exact_limit=100, sample_target=600)
    assert exact.total == 2000 and not exact.total_approximate and not exact.facets_approximate
    assert approx.total_approximate and approx.facets_approximate
    assert 0 < approx.facets_sample < 1
    assert 1600 <= approx.total <= 2400  # a ~600-document sample: well within 20%
    # the page itself is exact: same hits, same order
    assert [h.id for h in approx.hits] == [h.id for h in exact.hits]
    # facet counts are scaled back up: odd ids only, so telegram is ~100% and memorandum absent
    types = {f.value: f.count for f in approx.facets["type"]}
    assert set(types) == {"telegram"} and 1600 <= types["telegram"] <= 2400
    years = {b.year: b.count for b in approx.histogram}
    assert set(years) == {1941, 1943} and all(800 <= n <= 1200 for n in years.values())
    assert sum(years.values()) == pytest.approx(approx.total, rel=0.1)


def test_small_result_sets_stay_exact(big_index: SearchIndex) -> None:
    result = search(big_index, "gamma", exact_limit=1000, sample_target=600)
    assert result.total == 400 and not result.total_approximate and not result.facets_approximate
    assert result.facets_sample is None
    assert {f.value: f.count for f in result.facets["type"]} == {"memorandum": 200, "telegram": 200}
    assert {b.year: b.count for b in result.histogram} == {1940: 200, 1942: 200}


def test_approximate_total_without_facets_and_on_the_last_page(big_index: SearchIndex) -> None:
    plain = search(big_index, "alpha OR beta", facets=False, exact_limit=100, sample_target=600)
    assert plain.total_approximate and plain.facets is None and 3000 <= plain.total <= 5000
    faceted = search(big_index, "alpha OR beta", exact_limit=100, sample_target=600)
    assert plain.total == faceted.total  # the same sample counts the total, facets or not
    # a page that runs off the end of the results knows the total exactly
    last = search(big_index, "alpha OR beta", offset=3990, limit=50, exact_limit=100, sample_target=600)
    assert len(last.hits) == 10 and last.total == 4000 and not last.total_approximate


def test_sample_buckets_are_stable_and_uniform() -> None:
    assert sample_bucket("frus1945v07-d135") == sample_bucket("frus1945v07-d135")
    counts = [0] * 10
    for i in range(20_000):
        counts[sample_bucket(f"frus1945v07-d{i}~{i % 7}") * 10 // SAMPLE_BUCKETS] += 1
    assert all(1800 <= c <= 2200 for c in counts)


def test_phrases_count_exactly_and_sample_facets(big_index: SearchIndex) -> None:
    result = search(big_index, '"beta gamma"', exact_limit=100, sample_target=100)
    assert result.total == 400 and not result.total_approximate  # counted with the hits
    assert result.facets_approximate and 0 < result.facets_sample < 1
    years = {b.year: b.count for b in result.histogram}
    assert set(years) <= {1940, 1942} and 250 <= sum(years.values()) <= 550


def test_the_snippet_window_starts_where_the_case_blind_regex_finds_the_first_term() -> None:
    """The window's fast path (find in the lowercased text) lands where re.IGNORECASE does, also
    for the characters that fold to ASCII letters (Turkish dotted and dotless i, long s, Kelvin)."""
    from chancery.search.engine import _Window

    filler = "x " * 700
    texts = [
        filler + "The Soviet note on Berlin",
        filler + "\u2018Berlin\u2019 \u2014 Soviet",  # curly quotes and a dash: not ASCII
        filler + "\u0130stanbul, then Istanbul",  # İ matches i under re.IGNORECASE
        filler + "\u017foviet, then soviet",  # ſ matches s
        filler + "\u0131stanbul",  # ı matches i
        filler + "\u212aabul, Kabul",  # the Kelvin sign matches k, and lowercases to it
        filler + "caf\u00e9 and cafe",
        filler + "nothing here",
    ]
    for terms in (["soviet", "berlin"], ["istanbul"], ["kabul"], ["café", "cafe"], ["negoti"]):
        window = _Window(terms)
        assert window.pattern is not None
        for text in texts:
            match = window.pattern.search(text)
            assert window.first(text) == (match.start() if match else None), (terms, text[-30:])
    assert _Window(["soviet"]).around(texts[0]).startswith("x x") and "Soviet note" in _Window(
        ["soviet"]
    ).around(texts[0])
