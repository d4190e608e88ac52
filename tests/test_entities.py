"""The resolver on the seed texts, and the Archive wiring."""

from __future__ import annotations

import copy
import gc

import pytest

from chancery.archive import Archive
from chancery.enrich import DEEP, Context, steps
from chancery.enrich.entities import (
    ENGLISH,
    Resolver,
    ResolverCache,
    cache_key,
    entity_step,
    find_mentions,
    load_resolver,
)
from chancery.enrich.judgments import judgment_step
from chancery.enrich.standalone import standalone_date_step
from chancery.enrich.statistical import SpacyDetector, available, sentence_case
from chancery.model import Collection, Document, Mention, Party, Source
from tests.conftest import SEEDS, authority_paths

SEED = (SEEDS / "001_5cfb9ea65f8fb897.txt").read_text()


def _linked(resolver: Resolver, text: str, date: str = "1945-07-01") -> dict[str, str | None]:
    return {m["text"]: m["entity_id"] for m in find_mentions(resolver, text, date)}


def test_seed_roles_and_names(resolver):
    found = _linked(resolver, SEED)
    assert found["ACTING SECRETARY OF STATE"] == "person:grew-joseph-clark"
    assert found["PRESIDENT"] == "person:harry-s-truman"
    assert found["Generalissimo"] == "person:chiang-kai-shek"
    assert found["Soong"] == found["T. V. Soong"]
    assert resolver.entities[found["Soong"]]["name"].endswith("Soong")
    assert found["Stalin"] == "person:joseph-stalin"


def test_variants_titles_places(resolver):
    text = "Vyshinski said Marshal Stalin agreed; Soong left Chungking for Moscow. T. V. Soong confirmed."
    found = _linked(resolver, text)
    assert "vyshinsky" in found["Vyshinski"]
    assert found["Stalin"] == "person:joseph-stalin"
    assert found["Chungking"] == "place:chongqing"
    assert found["Moscow"] == "place:moscow"
    assert found["Soong"] == found["T. V. Soong"]


def test_ambassadors_at_date(resolver):
    found = _linked(
        resolver, "The Ambassador in the Soviet Union saw the Soviet Ambassador to China.", "1945-06-15"
    )
    assert found["Ambassador in the Soviet Union"] == "person:harriman-william-averell"
    assert found["Ambassador to China"] is None  # a Soviet ambassador: POCOM cannot say who


def test_unresolved_stays_none(resolver):
    found = _linked(resolver, "Mr. Hurley and Mr. Smith arrived.")
    assert found.get("Smith") is None


def _document(text: str, mentions=None) -> Document:
    return Document(
        id="d1",
        collection=Collection(id="frus1945v07"),
        source=Source(format="text", path="x"),
        text=text,
        senders=[Party("HARRIMAN")],
        recipients=[Party("THE PRESIDENT"), Party("THE ACTING SECRETARY OF STATE")],
        mentions=mentions or [],
    )


def test_entity_step_parties_and_tei(resolver):
    doc = _document("Soong saw Stalin.", [Mention("person", "Soong", 0, 5, "frus1945Berlinv01#p_VAY1")])
    doc.date.when = "1945-07-01"
    doc = entity_step(doc, Context(resolver=resolver))
    assert [p.entity_id for p in doc.senders + doc.recipients] == [
        "person:harriman-william-averell",
        "person:harry-s-truman",
        "person:grew-joseph-clark",
    ]
    assert "vyshinsky" in doc.mentions[0].entity_id
    assert entity_step(_document("x"), Context()).senders[0].entity_id is None


def test_entity_step_leaves_its_input_unchanged(resolver):
    doc = _document("Soong saw Stalin.", [Mention("person", "Soong", 0, 5, "frus1945Berlinv01#p_VAY1")])
    doc.date.when = "1945-07-01"
    before = copy.deepcopy(doc)
    out = entity_step(doc, Context(resolver=resolver))
    assert doc == before  # mentions, parties and their lists as they were
    assert out is not doc and out.mentions[0].entity_id != doc.mentions[0].entity_id
    assert len(out.mentions) > len(doc.mentions) and out.senders[0].entity_id and not doc.senders[0].entity_id
    assert out.text is doc.text  # what the step does not touch is shared, not copied
    plain = _document("nothing to link here")
    plain.senders = plain.recipients = []
    assert entity_step(plain, Context(resolver=resolver)) is plain  # nothing found: no copy
    assert steps(DEEP) == [
        standalone_date_step,
        entity_step,
        judgment_step,
    ]  # the public registry, judgments last


def test_archive_load_authority(tmp_path):
    with Archive.open(tmp_path / "a.db") as archive:
        archive.ingest([SEEDS])
        report = archive.load_authority(authority_paths())
        assert report["entities"] > 20000
        seed = next(d for d in archive.documents() if "Summary of Averell Harriman" in (d.title or d.text))
        ids = {p.entity_id for p in seed.senders + seed.recipients}
        assert {"person:harriman-william-averell", "person:harry-s-truman", "person:grew-joseph-clark"} <= ids
        assert archive.entity("person:grew-joseph-clark").name == "Joseph C. Grew"


CABLE = (
    "1. FONMIN GALINDO POHL TOLD EMBOFF THAT THE GOI WOULD NOT OBJECT. ECEVIT SAID THE SOVIETS AND THE "
    "JAPANESE AGREED. ECEVIT'S PARTY WILL MEET MORE OFTEN. SEE PARA 2 OF REFTEL.\n"
)


def _typed(resolver: Resolver, text: str) -> dict[str, str]:
    return {m["text"]: m["type"] for m in find_mentions(resolver, text, "1975-06-30")}


def test_cable_conventions(resolver):
    found = _typed(resolver, CABLE)
    assert found["GALINDO POHL"] == "person"  # unknown name after a title
    assert found["EMBOFF"] == "person"  # reporting officer: a person in the History Lab annotations
    assert found["GOI"] == "place"  # Government of Israel/India: the country
    assert found["ECEVIT"] == "person"  # "X SAID", "X'S"
    assert found["SOVIETS"] == "place" and found["JAPANESE"] == "place"
    assert "MORE" not in found and "PARA" not in found and "REFTEL" not in found


def test_cable_demonym_links_country(resolver):
    ids = {m["text"]: m["entity_id"] for m in find_mentions(resolver, CABLE, "1975-06-30")}
    assert ids["SOVIETS"] == "place:soviet-union"
    assert ids["JAPANESE"] == "place:japan"


def test_mixed_case_text_keeps_gazetteer_rules(resolver):
    found = _typed(resolver, "Zorbanek said the Government would wait. More talks follow.")
    assert "Zorbanek" not in found  # unknown-name heuristics are for all-caps cables only
    assert "More" not in found  # an English word opening a sentence is not Mr. More


SMALL = [
    {"id": "person:t-v-soong", "type": "person", "name": "Soong, T. V.", "variants": [], "sources": []},
    {"id": "place:moscow", "type": "place", "name": "Moscow", "variants": [], "sources": []},
]


def test_load_resolver_caches_by_content(tmp_path):
    first = load_resolver(SMALL, tmp_path)
    assert len(list(tmp_path.glob("resolver-*.pickle"))) == 1
    again = load_resolver(SMALL, tmp_path)
    assert again is not first and again.entities.keys() == first.entities.keys()
    assert [m["entity_id"] for m in find_mentions(again, "T. V. Soong flew to Moscow.", "1945-07-01")] == [
        "person:t-v-soong",
        "place:moscow",
    ]
    changed = [*SMALL, {"id": "place:chongqing", "type": "place", "name": "Chungking", "variants": []}]
    assert "place:chongqing" in load_resolver(changed, tmp_path).entities  # new table: rebuilt
    assert len(list(tmp_path.glob("resolver-*.pickle"))) == 1  # the stale pickle is gone
    (next(tmp_path.glob("resolver-*.pickle"))).write_bytes(b"garbage")
    assert "place:chongqing" in load_resolver(changed, tmp_path).entities  # a broken pickle: rebuilt


def test_a_second_archive_takes_the_resolver_from_the_machine_cache(tmp_path):
    """Two archives with the same entities: the first builds and leaves a pickle in the shared
    (machine) cache too, the second reads it from there into its own cache; the shared cache keeps
    the newest few tables, an archive's own cache one."""
    shared = tmp_path / "shared"
    load_resolver(SMALL, tmp_path / "a", shared_dir=shared)
    [pickled] = shared.glob("resolver-*.pickle")
    pickled_at = pickled.stat().st_mtime_ns
    second = load_resolver(SMALL, tmp_path / "b", shared_dir=shared)
    assert pickled.stat().st_mtime_ns == pickled_at  # read, not rebuilt
    assert [p.name for p in (tmp_path / "b").glob("resolver-*.pickle")] == [pickled.name]
    assert set(second.entities) == {"person:t-v-soong", "place:moscow"}
    for n in range(4):
        more = [*SMALL, {"id": f"place:p{n}", "type": "place", "name": f"Placename{n}", "variants": []}]
        assert f"place:p{n}" in load_resolver(more, tmp_path / "c", shared_dir=shared).entities
    assert len(list(shared.glob("resolver-*.pickle"))) == 3
    assert len(list((tmp_path / "c").glob("resolver-*.pickle"))) == 1


def test_resolver_cache_api(tmp_path):
    cache = ResolverCache(tmp_path / "cache")
    key = cache_key(SMALL)
    assert key == cache_key(list(SMALL)) and key != cache_key(SMALL[:1])
    assert cache.load(key) is None  # nothing saved yet
    assert cache.save(key, Resolver(SMALL))
    loaded = cache.load(key)
    assert loaded is not None and set(loaded.entities) == {"person:t-v-soong", "place:moscow"}
    assert cache.load(cache_key(SMALL[:1])) is None  # another key: not this pickle
    (tmp_path / "file").write_text("not a directory")
    assert not ResolverCache(tmp_path / "file").save(key, loaded)  # an unwritable place: False, no error


def test_no_gc_freeze_and_gc_restored():
    frozen = gc.get_freeze_count()
    was = gc.isenabled()
    Resolver(SMALL)
    assert gc.get_freeze_count() == frozen  # building a resolver freezes nothing process-wide
    assert gc.isenabled() == was


def test_word_lists_are_package_data():
    assert len(ENGLISH) > 10000 and {"abandon", "yesterday", "said"} <= ENGLISH
    assert not any(w.startswith("#") for w in ENGLISH)  # the data file's comment header is not a word


class FakeDetector:
    def mentions(self, text):
        i = text.index("Zorbanek")
        return [
            {"type": "person", "text": "Zorbanek", "start": i, "end": i + 8},
            {"type": "person", "text": "Soong", "start": 0, "end": 5},
        ]


def test_detector_adds_unlisted_people_only():
    resolver = Resolver(SMALL)
    found = find_mentions(
        resolver, "T. V. Soong met Zorbanek in Moscow.", "1945-07-01", detector=FakeDetector()
    )
    assert [(m["text"], m["entity_id"]) for m in found] == [
        ("T. V. Soong", "person:t-v-soong"),  # the gazetteer's linked mention wins
        ("Zorbanek", None),
        ("Moscow", "place:moscow"),
    ]


def test_sentence_case_keeps_offsets():
    text = "PRESIDENT BANZER SAID. HE LEFT.\nTHE END"
    out = sentence_case(text)
    assert out == "President banzer said. He left.\nThe end" and len(out) == len(text)


@pytest.mark.skipif(not available(), reason="spaCy is an optional extra (pip install chancery[ner])")
def test_spacy_detector_on_cable_text():
    found = SpacyDetector().mentions("AMBASSADOR MET PRESIDENT ECEVIT IN ANKARA.")
    assert all(
        found_m["text"] == "AMBASSADOR MET PRESIDENT ECEVIT IN ANKARA."[found_m["start"] : found_m["end"]]
        for found_m in found
    )


def test_one_word_place_beats_person_variant():
    ents = [
        {
            "id": "person:gustaf-v",
            "type": "person",
            "name": "Gustaf V",
            "variants": ["Sweden"],
            "sources": [],
        },
        {"id": "place:sweden", "type": "place", "name": "Sweden", "variants": [], "sources": []},
    ]
    found = find_mentions(Resolver(ents), "The King of Sweden agreed.", "1955-01-01")
    assert [(m["type"], m["entity_id"]) for m in found] == [("place", "place:sweden")]


def test_mixed_case_name_needs_capitals(resolver):
    found = _linked(
        resolver, "The U.S. grant was paid. Loan talks began. Chiang Kai-shek met Charles de Gaulle."
    )
    assert "U.S. grant" not in found and "Loan" not in found  # not Ulysses S. Grant, not Nguyen Ngoc Loan
    assert found["Chiang Kai-shek"] == "person:chiang-kai-shek"
    assert found["Charles de Gaulle"] == "person:charles-de-gaulle"
