"""The product-path quality scorer (benchmarks/quality_product.py) on a tiny sample.

A slice of one tune-side FRUS volume (its first documents, persons list kept) and four tune-side
cables go through real `chancery ingest` and `chancery export` subprocesses with the shipped
authority; the scorer's figures must be in a sane range, and must collapse when the exports are
deliberately damaged. Slow: three ingests with the shipped authority.
"""

from __future__ import annotations

import copy
import gzip
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.conftest import ROOT, corpus_path

VOLUME = "frus1952-54Guat"  # tune side
CABLES = ["dev/1973LAPAZ03608", "dev/1976OTTAWA00108", "train/1973MOSCOW15075", "train/1974ATHENS06966"]
ONLY = {"references", "dates", "people", "cables"}
pytestmark = pytest.mark.slow  # also to be listed in SLOW_MODULES (tests/conftest.py)


def _bench() -> Any:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(
        "quality_product", ROOT / "benchmarks" / "quality_product.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _slice(folder: Path, keep: int = 14) -> Path:
    """The volume with only its first `keep` documents (front matter and persons list kept)."""
    tree = etree.parse(gzip.open(corpus_path("frus", "volumes", f"{VOLUME}.xml.gz")))
    docs = [d for d in tree.iter("{http://www.tei-c.org/ns/1.0}div") if d.get("type") == "document"]
    for div in docs[keep:]:
        div.getparent().remove(div)
    path = folder / f"{VOLUME}.xml.gz"
    path.write_bytes(gzip.compress(etree.tostring(tree, xml_declaration=True, encoding="utf-8")))
    return path


def _damage(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every person a place and every place a person, dates moved, document links cut."""
    docs = copy.deepcopy(docs)
    swap = {"person": "place", "place": "person"}
    for doc in docs:
        for m in doc["mentions"]:
            m["type"] = swap.get(m["type"], m["type"])
        for party in doc["senders"] + doc["recipients"]:
            party["entity_id"] = None
        if doc["date"] and doc["date"].get("when"):
            doc["date"]["when"] = "1900-01-01"
        for ref in doc["references"]:
            ref["target_id"] = None
    return docs


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    bench = _bench()
    for name in CABLES:
        corpus_path("cfpf-ner", f"{name}.txt")
    volume = _slice(tmp_path_factory.mktemp("slice"))
    folder = tmp_path_factory.mktemp("archives")
    clean = bench.measure([volume], [], CABLES, folder, ONLY)
    bench.REUSE = True  # the same archives exported again, each export damaged before scoring
    damaged = bench.measure([volume], [], CABLES, folder, ONLY, corrupt=_damage)
    return {"clean": clean, "damaged": damaged}


def test_figures_are_in_a_sane_range(runs):
    clean = runs["clean"]
    dates, refs, cables = clean["dates"], clean["references"]["frus"], clean["cables"]
    assert dates["total"] >= 10 and dates["right"] / dates["total"] >= 0.8, dates
    assert refs.get("total", 0) >= 1 and refs.get("right", 0) / refs["total"] >= 0.8, refs
    people = clean["people"]["body names"]
    assert people["pairs"] >= 10 and 0.2 <= people["f1"] <= 1.0, people
    assert cables["cables"] == len(CABLES)
    assert 0.4 <= cables["PER+GPE"]["f1"] <= 1.0, cables
    assert cables["PER"]["precision"] >= 0.5 and cables["GPE"]["precision"] >= 0.5, cables


def test_a_damaged_export_scores_low(runs):
    bad, clean = runs["damaged"], runs["clean"]
    assert bad["dates"]["right"] == 0, bad["dates"]
    assert bad["references"]["frus"].get("right", 0) == 0, bad["references"]
    assert bad["people"]["body names"]["recall"] < clean["people"]["body names"]["recall"] / 2
    assert bad["cables"]["PER+GPE"]["f1"] < clean["cables"]["PER+GPE"]["f1"] / 2, bad["cables"]


def test_a_document_missing_from_the_export_is_an_error():
    bench = _bench()
    with pytest.raises(ValueError, match="missing from the export"):
        bench.score_cables([], {"dev_1973LAPAZ03608": ("TEXT", [(0, 4, "PER")])})
    with pytest.raises(ValueError, match="missing from the export"):
        bench.score_dates([{"id": "text/other", "date": None}], {"frus1952-54Guat_d1": "1952-01-01"})
