"""Inferred dates: the pure rules, the seed's date-time group, and containment on a real FRUS volume."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conftest import SEEDS, corpus_path

from chancery.archive import Archive
from chancery.enrich.inference import before_bound, infer_interval, neighbour_bounds, resolve_dtg
from chancery.linking import evaluate_inference


def test_neighbours_bound_the_interval_and_widen_when_out_of_order() -> None:
    assert neighbour_bounds([date(1945, 6, 14)], [date(1945, 6, 18)]) == (
        date(1945, 6, 14),
        date(1945, 6, 18),
    )
    low, high = neighbour_bounds(
        [date(1945, 6, 20), date(1945, 6, 10)], [date(1945, 6, 15), date(1945, 6, 25)]
    )
    assert low <= date(1945, 6, 10) and high >= date(1945, 6, 25)


def test_coverage_fills_a_missing_side_and_no_evidence_gives_nothing() -> None:
    interval = infer_interval([], [date(1945, 6, 18)], (date(1945, 1, 1), date(1945, 12, 31)))
    assert interval and (interval.not_before, interval.not_after, interval.basis) == (
        "1945-01-01",
        "1945-06-18",
        "inferred",
    )
    assert infer_interval([], []) is None


def test_seed_000_date_time_group_with_june_1945_context() -> None:
    text = (SEEDS / "000_e45dc6676497ee2e.txt").read_text()
    body = text[text.index("[Paraphrase]") :]
    interval = infer_interval([date(1945, 6, 1)], [date(1945, 6, 30)], text=body)
    assert interval and interval.not_after == "1945-06-30"
    dated = resolve_dtg(body, interval)
    assert dated and dated.when == "1945-06-16T09:00" and dated.basis == "inferred"
    assert before_bound(body, 1945) == date(1945, 7, 1)
    assert resolve_dtg(body, infer_interval([date(1945, 1, 1)], [date(1945, 12, 31)])) is None  # too wide


def test_loose_text_file_gets_no_inferred_date(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "seed.db") as archive:
        archive.ingest([SEEDS / "000_e45dc6676497ee2e.txt"])
        (doc,) = list(archive.documents())
        assert doc.date.basis != "inferred"


def test_containment_on_a_real_frus_volume(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "frus.db") as archive:
        archive.ingest([corpus_path("frus", "volumes", "frus1955-57v01.xml.gz")])
        result = evaluate_inference(archive.store)
    assert result["documents"] > 300
    assert result["share"] >= 0.95, result
