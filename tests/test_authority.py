"""Authority loaders on the real corpus files, and bad input."""

from __future__ import annotations

import io
import tarfile

import pytest

from chancery.authority import build_authority
from chancery.authority.hsg_people import load_hsg_people
from chancery.authority.names import normalize, person_variants
from chancery.authority.pocom import load_pocom
from tests.conftest import corpus_path


@pytest.fixture(scope="module")
def authority():
    paths = [
        corpus_path("authority", "hsg-people.tar.gz"),
        corpus_path("authority", "pocom.tar.gz"),
        corpus_path("authority", "hsg-travels-visits.tar.gz"),
        corpus_path("frus", "dates-project", "cities-master.xml"),
        corpus_path("cfpf-ner", "ontology"),
    ]
    collections = [
        {"id": "frus1945v07", "persons": [{"id": "p_SVT1", "name": "Soong, T. V.", "description": "x"}]}
    ]
    data = build_authority(paths, collections)
    return data, {e["id"]: e for e in data.entities}


def test_counts(authority):
    data, _ = authority
    assert data.counts["hsg_people"] == 16312
    assert data.counts["pocom_people"] > 4000
    assert data.counts["places"] > 1000 and data.counts["organizations"] > 10


def test_vyshinsky_variants(authority):
    _, ents = authority
    (vy,) = [e for e in ents.values() if e["type"] == "person" and e["name"].endswith("Vyshinsky")]
    assert {"Vyshinski", "Vishinski"} <= set(vy["variants"])


def test_grew_acting_secretary_on_1945_07_01(authority):
    _, ents = authority
    grew = ents["person:grew-joseph-clark"]
    acting = [o for o in grew["offices"] if o["role"] == "secretary-ad-interim"]
    assert any(o["start"] <= "1945-07-01" <= o["end"] for o in acting)
    assert acting[0]["title"] == "Acting Secretary of State"


def test_harriman_merged_with_pocom_and_frus(authority):
    _, ents = authority
    harriman = ents["person:harriman-william-averell"]
    assert "pocom:harriman-william-averell" in harriman["sources"]
    assert any(o["country"] == "Russia" for o in harriman["offices"])


def test_places_merge_variants(authority):
    data, ents = authority
    assert "Chungking" in ents["place:chongqing"]["variants"]
    assert ("peiping", "place:beijing") in set(data.names)


def test_frus_persons_join_hsg(authority):
    _, ents = authority
    soong = [
        e
        for e in ents.values()
        if "https://history.state.gov/historicaldocuments/frus1945v07/persons#p_SVT1" in e["sources"]
    ]
    assert len(soong) == 1 and soong[0]["name"].endswith("Soong")


def test_name_variants():
    full, surname = person_variants("Harriman, W. Averell")
    assert "Averell Harriman" in full and surname == "Harriman"
    assert person_variants("Chiang Kai-shek, Madame") == (set(), None)
    assert normalize("Chiang [Kai-shek]’s") == "chiang kai shek s"


def _tar(tmp_path, files: dict[str, bytes]):
    path = tmp_path / "bad.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_bad_input_warns(tmp_path):
    person = b"<person><id>1</id><names><preferred><name>Doe, John</name></preferred></names></person>"
    path = _tar(
        tmp_path,
        {
            "a/1.xml": person,
            "a/2.xml": person,
            "a/3.xml": b"<person><id>3</id></person>",
            "a/4.xml": b"<oops",
        },
    )
    warnings: list[str] = []
    people = load_hsg_people(path, warnings)
    assert [p.id for p in people] == ["1"]
    assert len(warnings) == 3
    pocom = _tar(tmp_path, {"people/x.xml": b"<person><id>x</id></person>"})
    warnings = []
    assert load_pocom(pocom, warnings) == [] and warnings
    data = build_authority([tmp_path / "missing.tar.gz"], [{"id": "v", "persons": [{"id": "", "name": "X"}]}])
    assert len(data.warnings) == 2
