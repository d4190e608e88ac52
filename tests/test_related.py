"""`related`: the seeds among real distractors (a DFAT volume, a FRUS volume, Wilson records)."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from conftest import SEEDS, corpus_path
from typer.testing import CliRunner

from chancery.archive import Archive
from chancery.cli import app
from chancery.errors import NotFound
from chancery.search.semantic import DISABLE_ENV

SEED_FRUS = "frus-text/000_e45dc6676497ee2e"
SOONG_CABLE = "wilson/123402"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("related") / "a.db"
    arch = Archive.open(db)
    report = arch.ingest(
        [
            SEEDS,
            corpus_path("wilson", "wilson_archive.sample.csv"),
            corpus_path(
                "dfat", "volume-7-1944.tar.gz"
            ),  # mentions Soong; DFAT 1945 (volume 8) is not in the corpus
            corpus_path("frus", "volumes", "frus1951v07p2.xml.gz"),  # Korea and China: the Sino-Soviet treaty
            # the distractors: a 1972 NSC paper on China and a 1970 editorial note that name
            # Truman, Stalin, Roosevelt and Harriman decades after the exchange
            corpus_path("frus", "volumes", "frus1969-76ve13.xml.gz"),
            corpus_path("frus", "volumes", "frus1969-76v01.xml.gz"),
        ]
    )
    assert report.ok, report.failures
    yield arch
    arch.close()


def _ids(hits: list[dict]) -> list[str]:
    return [h["id"] for h in hits]


def test_soong_cable_ranks_at_the_top_for_the_harriman_telegram(archive: Archive):
    assert archive.store.count_documents() > 600
    assert len(archive.search("Soong", limit=100, facets=False).hits) > 2  # real distractors name Soong
    hits = archive.related(SEED_FRUS)
    assert SOONG_CABLE in _ids(hits)[:3]
    cable = next(h for h in hits if h["id"] == SOONG_CABLE)
    reasons = " ".join(cable["why"])
    assert "Harriman" in reasons and "Soong" in reasons


def test_the_exchange_ranks_above_later_papers_about_the_same_people(archive: Archive):
    hits = archive.related(SEED_FRUS, limit=10)
    ids = _ids(hits)
    later = [h["id"] for h in hits if (h.get("date") or "0")[:4] >= "1960"]
    assert later, "the distractor volumes should still offer candidates"
    assert ids.index(SOONG_CABLE) < min(ids.index(i) for i in later)
    cable = hits[ids.index(SOONG_CABLE)]
    assert any(w.startswith("same correspondents: Harriman") for w in cable["why"])


def test_related_is_symmetric_enough(archive: Archive):
    assert SEED_FRUS in _ids(archive.related(SOONG_CABLE, limit=5))[:3]


def test_related_without_the_semantic_extra(archive: Archive, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(DISABLE_ENV, "1")
    archive._vectors = None
    hits = archive.related(SEED_FRUS, limit=5)
    assert SOONG_CABLE in _ids(hits)[:3]
    assert all(not any("meaning" in w for w in h["why"]) for h in hits)


def test_references_count_both_ways(archive: Archive):
    links = next(
        link
        for doc in archive.documents()
        if doc.id.startswith("dfat")
        for link in archive.store.links_from(doc.id)
        if link["dst"] != doc.id
    )
    forward = {h["id"]: h for h in archive.related(links["src"], limit=20)}
    assert links["dst"] in forward
    assert any(w in ("cites it", "it replies to this") for w in forward[links["dst"]]["why"])
    backward = {h["id"]: h for h in archive.related(links["dst"], limit=50)}
    assert links["src"] in backward
    assert any(w in ("references it", "replies to it") for w in backward[links["src"]]["why"])


def test_dated_documents_get_a_date_window(archive: Archive):
    doc = next(d for d in archive.documents() if d.id.startswith("dfat") and d.date.when)
    hits = archive.related(doc.id, limit=10)
    assert hits and all(h["id"] != doc.id for h in hits)
    assert any("date" in " ".join(h["why"]) or "days apart" in " ".join(h["why"]) for h in hits)


def test_related_is_fast_enough(archive: Archive):
    start = time.perf_counter()
    archive.related("frus1951v07p2/d1")
    assert time.perf_counter() - start < 5


def test_unknown_id(archive: Archive):
    with pytest.raises(NotFound):
        archive.related("nope/1")


def test_cli_related_json(archive: Archive):
    db = str(Path(archive.store.url.removeprefix("sqlite:///")))
    result = CliRunner().invoke(app, ["related", SEED_FRUS, "--db", db, "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    hits = orjson.loads(result.stdout)
    assert SOONG_CABLE in _ids(hits) and all("why" in h for h in hits)
