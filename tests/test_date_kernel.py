"""The date kernel (chancery.dates), the shared party parser, and the purity of the basic enrichment steps."""

from __future__ import annotations

import copy
import re
from datetime import date
from pathlib import Path

import pytest

from chancery import dates
from chancery.enrich.dates import date_step
from chancery.enrich.markings import markings_step
from chancery.enrich.references import reference_step
from chancery.model import Collection, DocDate, Document, Party, Source
from chancery.sources import frus_text, wilson
from chancery.sources.files import SourceItem
from chancery.sources.parties import parse_parties, parse_party

# --------------------------------------------------------------------------- month names


def test_month_names_and_lookup() -> None:
    assert dates.MONTH_NAMES[0] == "January" and dates.MONTH_NAMES[11] == "December"
    assert dates.MONTH_ABBREVIATIONS[8] == "Sep"
    assert dates.month_number("June") == 6
    assert dates.month_number("jun.") == 6
    assert dates.month_number("Sept") == 9
    assert dates.month_number("janv") == 1
    assert dates.month_number("Jun", abbreviations=False) is None
    assert dates.month_number("Junes") is None
    assert dates.month_number(None) is None


def test_month_patterns_match_whole_words() -> None:
    rx = re.compile(rf"\b(?:{dates.MONTH_OR_ABBREVIATION_PATTERN})\b", re.I)
    assert [m.group() for m in rx.finditer("Sept 3, Sep 4, May 5, December 6, Mayor")] == [
        "Sept",
        "Sep",
        "May",
        "December",
    ]
    # "Sept" must be tried before "Sep", or "Sept." would leave a stray "t"
    assert re.fullmatch(rf"(?:{dates.MONTH_ABBREVIATION_PATTERN})\.", "Sept.")
    assert dates.month_day("before Sept. 30, 1945") == (9, 30)
    assert dates.month_day("3 June") == (6, 3)
    assert dates.month_day("no month here 3") is None


# --------------------------------------------------------------------------- intervals


@pytest.mark.parametrize(
    "iso,expected",
    [
        ("1945", ("1945-01-01", "1945-12-31", "year")),
        ("1944-02", ("1944-02-01", "1944-02-29", "month")),  # a leap year
        ("1945-02", ("1945-02-01", "1945-02-28", "month")),
        ("1945-06-29", ("1945-06-29", "1945-06-29", "day")),
        ("1945-06-29T19:00Z", ("1945-06-29T19:00Z", "1945-06-29T19:00Z", "minute")),
    ],
)
def test_iso_intervals(iso: str, expected: tuple[str, str, str]) -> None:
    low, high, precision = expected
    assert dates.iso_bounds(iso) == (low, high)
    assert dates.precision_of(iso) == precision
    if "T" not in iso:
        assert dates.date_interval(iso, "metadata") == DocDate(iso, low, high, precision, "metadata")


def test_date_interval_rejects_what_is_not_iso() -> None:
    assert dates.date_interval("1945-13") == DocDate()
    assert dates.date_interval("June 1945") == DocDate()
    assert dates.date_interval("") == DocDate()
    assert dates.date_interval("1945-02-30", check_day=True) == DocDate()
    assert dates.date_interval(" 1945-06-30 ").when == "1945-06-30"
    with pytest.raises(ValueError):
        dates.interval_end("1949-1x")


def test_bounds_validity_and_month_arithmetic() -> None:
    assert dates.bounds(1945) == (date(1945, 1, 1), date(1945, 12, 31))
    assert dates.bounds(1900, 2) == (date(1900, 2, 1), date(1900, 2, 28))  # not a leap year
    assert dates.is_valid(2000, 2, 29) and not dates.is_valid(1900, 2, 29)
    assert not dates.is_valid(1945, 13)
    assert dates.add_months(date(1945, 1, 31), 1) == date(1945, 2, 28)
    assert dates.add_months(date(1945, 1, 15), -1) == date(1944, 12, 15)
    assert dates.iso_at(1945) == "1945" and dates.iso_at(1945, 6) == "1945-06"
    assert dates.iso_at(1945, 6, 9) == "1945-06-09"


def test_day_dates_and_numbers() -> None:
    assert dates.to_date("1945-06-29T19:00") == date(1945, 6, 29)
    assert dates.to_date("1945-06") is None and dates.to_date(None) is None
    assert dates.start_date("1945-06") == date(1945, 6, 1)
    assert dates.start_date("19x5") is None
    assert dates.day_number("1945-06-29") == 19450629
    assert dates.day_number("1945-06", end=True) == 19450631  # clipped only by day_ordinal
    assert dates.day_number("1945", end=True) == 19451231
    assert dates.day_number("n.d.") is None
    assert dates.day_ordinal(19450631) == date(1945, 6, 30).toordinal()
    assert dates.ordinal_day_number(date(1945, 6, 30).toordinal()) == 19450630


# --------------------------------------------------------------------------- parties


def test_parties_per_style() -> None:
    assert parse_parties("The Ambassador in China (Hurley) to the Secretary of State", "frus") == (
        [Party(name="Hurley", role="Ambassador in China")],
        [Party(name="Secretary of State", role="Secretary of State")],
    )
    assert parse_parties("Cablegram, Mr John Curtin, Prime Minister, to Lord Cranborne", "dfat") == (
        [Party(name="Mr John Curtin", role="Prime Minister")],
        [Party(name="Lord Cranborne")],
    )
    assert parse_parties("TOP SECRET FROM HARRIMAN FOR THE SECRETARY OF STATE:", "cable") == (
        [Party(name="Harriman")],
        [Party(name="Secretary of State", role="Secretary of State")],
    )
    assert parse_parties("An untitled note", "frus") == ([], [])
    assert parse_party("Acting Secretary of State (Grew)", "dfat") == Party(
        name="Grew", role="Acting Secretary of State"
    )
    with pytest.raises(ValueError):
        parse_parties("A to B", "telex")  # type: ignore[arg-type]


def test_readers_use_the_shared_parser() -> None:
    title = "The Ambassador in the Soviet Union (Harriman) to President Truman"
    assert frus_text.parse_title_parties(title) == parse_parties(title, "frus")
    doc = Document(id="wilson/1", collection=wilson.wilson_collection(), source=Source("wilson", "x"))
    doc.text = "NAVY CABLE\nFROM HARRIMAN FOR THE PRESIDENT AND THE ACTING SECRETARY OF STATE:\nText."
    wilson._transcript_head(doc)
    assert (doc.senders, doc.recipients) == parse_parties(doc.text.split("\n")[1], "cable")


# --------------------------------------------------------------------------- pure steps


def _seed_document(seeds: Path) -> Document:
    path = next(seeds.glob("000_*.txt"))
    [doc] = frus_text.read(SourceItem(path=str(path), data=path.read_bytes(), name=path.name))
    doc.collection = Collection(
        id="frus-text", coverage={"not_before": "1945-01-01", "not_after": "1945-12-31"}
    )
    doc.dateline = "Moscow, June 16, 1945—9 a.m. [Received June 16—6:40 a.m.]"
    doc.text = "TOP SECRET AND PERSONAL\n\n" + doc.text  # a marking for markings_step to find
    return doc


@pytest.mark.parametrize("step", [date_step, markings_step, reference_step])
def test_steps_leave_their_input_unchanged(step, seeds: Path) -> None:
    doc = _seed_document(seeds)
    before = copy.deepcopy(doc)
    out = step(doc, None)
    assert doc == before  # the input, its lists and nested records are untouched
    assert out is doc or out != before  # a new document only when something was found


def test_steps_find_something_on_the_seed(seeds: Path) -> None:
    """The purity test above is not vacuous: each step changes the seed document."""
    doc = _seed_document(seeds)
    assert date_step(doc, None).date.when == "1945-06-16T09:00"
    assert len(reference_step(doc, None).references) > len(doc.references)
    assert markings_step(doc, None).markings.classification == "TOP SECRET"
