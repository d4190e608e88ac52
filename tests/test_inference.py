"""Inferred dates: the pure rules, the seed's date-time group, a loose file dated from the office-holders
it names, and containment on a real FRUS volume."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conftest import SEEDS, corpus_path

from chancery.archive import Archive
from chancery.enrich import Context
from chancery.enrich.entities import Resolver
from chancery.enrich.inference import before_bound, infer_interval, is_inferred, neighbour_bounds, resolve_dtg
from chancery.enrich.standalone import before_pieces, dtg_trim, intersect, standalone_interval
from chancery.linking import evaluate_inference
from chancery.model import Collection, Document, Party, Source


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


def _person(key: str, name: str, *offices: tuple[str, str, str, str | None], **dates: str) -> dict:
    return {
        "id": f"person:{key}",
        "type": "person",
        "name": name,
        "variants": [f"{name.rsplit(' ', 1)[1]}, {name.rsplit(' ', 1)[0]}"],  # "Truman, Harry S."
        **dates,
        "offices": [{"role": r, "start": s, "end": e, "country": c} for r, s, e, c in offices],
    }


# A small authority in the shape of the shipped one (POCOM terms, the Presidents): enough for seed 000.
AUTHORITY = [
    _person(
        "harriman",
        "W. Averell Harriman",
        ("ambassador-e-p", "1943-10-23", "1946-01-24", "Russia"),
        birth="1891",
    ),
    _person(
        "harriman-f", "Florence Jaffray Harriman", ("ambassador-e-p", "1937-07-01", "1940-04-09", "Norway")
    ),
    _person("truman", "Harry S. Truman", ("president", "1945-04-12", "1953-01-20", None), birth="1884"),
    _person("fdr", "Franklin D. Roosevelt", ("president", "1933-03-04", "1945-04-12", None), death="1945"),
    _person("tr", "Theodore Roosevelt", ("president", "1901-09-14", "1909-03-04", None), death="1919"),
    _person("eleanor", "Eleanor Roosevelt"),
    _person("grew", "Joseph C. Grew", ("under-secretary", "1944-12-20", "1945-08-15", None)),
]


def test_loose_text_file_is_dated_from_the_office_holders_it_names(tmp_path: Path) -> None:
    """Harriman, Ambassador in the Soviet Union 1943–46, to President Truman (from 12 April 1945),
    "before July 1", date-time group 160900: a 16th between 12 April and 1 July 1945."""
    with Archive.open(tmp_path / "seed.db") as archive:
        archive.ingest([SEEDS / "000_e45dc6676497ee2e.txt"], context=Context(resolver=Resolver(AUTHORITY)))
        (doc,) = list(archive.documents())
    assert doc.date and doc.date.not_before and doc.date.not_after
    assert "1945-04-12" <= doc.date.not_before <= "1945-06-16" <= doc.date.not_after <= "1945-07-01"
    assert doc.date.not_before[8:10] == doc.date.not_after[8:10] == "16"  # trimmed to the 16ths
    basis = doc.date.basis or ""
    assert basis.startswith("inferred from") and is_inferred(basis)
    assert "Harriman as Ambassador in the Soviet Union" in basis and "Truman as President" in basis
    assert "before July 1" in basis and "date-time group 160900" in basis
    assert not any("date-time group" in w for w in doc.warnings)  # answered by the interval
    # people resolved at that interval: the sender by his office, "President Roosevelt" though
    # out of office by then (not Theodore, dead; not Eleanor, never President)
    assert [p.entity_id for p in doc.senders + doc.recipients] == ["person:harriman", "person:truman"]
    roosevelts = {m.entity_id for m in doc.mentions if m.text == "Roosevelt"}
    assert roosevelts == {"person:fdr"}


def test_no_office_holder_no_interval() -> None:
    doc = Document(
        id="text/x",
        collection=Collection(id="text", title="Plain-text documents", archive="text"),
        source=Source(format="text", path="x.txt"),
        title="Notes",
        text="160900. Soong will arrive in Moscow before July 1.",
    )
    assert standalone_interval(doc, Resolver(AUTHORITY)) is None  # a day of the month and a month: no year


def _loose(title: str, text: str, senders: list[Party], recipients: list[Party]) -> Document:
    return Document(
        id="text/y",
        collection=Collection(id="text", title="Plain-text documents", archive="text"),
        source=Source(format="text", path="y.txt"),
        title=title,
        text=text,
        senders=senders,
        recipients=recipients,
    )


def test_a_body_name_that_contradicts_the_heading_is_left_out() -> None:
    doc = _loose(
        "The Ambassador in the Soviet Union (Harriman) to President Truman",
        "The Under Secretary (Grew) agrees. Ambassador Harriman, who was in Oslo then (Ambassador Harriman), said so.",
        [Party("Harriman", "Ambassador in the Soviet Union")],
        [Party("Truman", "President")],
    )
    found = standalone_interval(doc, Resolver(AUTHORITY))
    assert found and (found.not_before, found.not_after) == ("1945-04-12", "1946-01-24")
    assert "Grew" in (
        found.basis or ""
    )  # Grew's term (to Aug 1945, + two years) agrees and does not narrow it


def test_a_heading_that_contradicts_itself_gives_no_date() -> None:
    # Florence Harriman, Minister in Norway 1937–40, cannot have written to President Truman.
    doc = _loose(
        "The Ambassador in Norway (Harriman) to President Truman",
        "Text.",
        [Party("Harriman", "Ambassador in Norway")],
        [Party("Truman", "President")],
    )
    assert standalone_interval(doc, Resolver(AUTHORITY)) is None


def test_interval_pieces() -> None:
    a = [(date(1945, 1, 1), date(1945, 12, 31))]
    assert intersect(a, [(date(1945, 6, 1), date(1946, 1, 1))]) == [(date(1945, 6, 1), date(1945, 12, 31))]
    assert intersect(a, [(date(1946, 1, 1), date(1946, 2, 1))]) == []
    before = before_pieces("He will arrive before July 1.", a)
    assert before and before[0] == [(date(1945, 2, 1), date(1945, 6, 30))]
    assert before_pieces("He arrived before July 1, 1944.", a) is None  # a stated year is not a plan
    trimmed = dtg_trim("160900. Text", [(date(1945, 4, 12), date(1945, 6, 30))])
    assert trimmed and trimmed[0] == [(date(1945, 4, 16), date(1945, 6, 16))]


def test_containment_on_a_real_frus_volume(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "frus.db") as archive:
        archive.ingest([corpus_path("frus", "volumes", "frus1955-57v01.xml.gz")])
        result = evaluate_inference(archive.store)
    assert result["documents"] > 300
    assert result["share"] >= 0.95, result
