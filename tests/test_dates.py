"""Dates: parse_date / parse_dtg styles, bad input, the pipeline step, and a real FRUS volume."""

from __future__ import annotations

import gzip

import pytest
from conftest import SEEDS, corpus_path
from lxml import etree

from chancery.enrich import Context
from chancery.enrich.dates import date_step, parse_date, parse_date_report, parse_dtg, split_dateline
from chancery.model import Collection, DocDate, Document, Source

DAY = DocDate(when="1945-06-29", not_before="1945-06-29", not_after="1945-06-29", precision="day")
JUNE = DocDate(not_before="1945-06-01", not_after="1945-06-30")


def when(text: str, **kw) -> str | None:
    d = parse_date(text, **kw)
    return d.when if d else None


@pytest.mark.parametrize(
    "text,kw,expected",
    [
        ("June 29, 1945", {}, "1945-06-29"),
        ("29 June 1945", {}, "1945-06-29"),
        ("1945-06-29", {}, "1945-06-29"),
        ("1945-06-29T19:00", {}, "1945-06-29T19:00"),
        ("June 29", {"default_year": 1945}, "1945-06-29"),
        ("Washington, January 19, 1949—9 p. m.", {}, "1949-01-19T21:00"),
        ("Moscow, June 16, 1945—9 a.m.", {}, "1945-06-16T09:00"),
        ("Cablegram 123 LONDON, 5 July 1945, 7 p.m.", {}, "1945-07-05T19:00"),
        ("Cablegram 2 CANBERRA, 2 January 1944", {}, "1944-01-02"),
        ("PARAPHRASE OF NAVY CABLE JULY 1, 1945 FROM MOSCOW", {}, "1945-07-01"),
        ("Cablegram 149 LONDON, 1 July 1944,12.40 a.m.", {}, "1944-07-01T00:40"),
        ("Jidda , March 29, 1948—noon.", {}, "1948-03-29T12:00"),
        ("Djakarta, October 14, 1965, 1020Z.", {}, "1965-10-14T10:20Z"),
        ("June 29, 1945, 3 p.m. EST", {}, "1945-06-29T15:00-05:00"),
        ("Saigon, October 29, 1963, 18:40 p.m.", {}, "1963-10-29T18:40"),
        ("Washington, September 1956.", {}, "1956-09"),
        ("February, 1972", {}, "1972-02"),
        ("1945", {}, "1945"),
        ("New Delhi, 1st April, 1949.", {}, "1949-04-01"),
        ("Rangoon, 12th September 1953.", {}, "1953-09-12"),
        ("Wednesday, September 24 1952", {}, "1952-09-24"),
        ("Hong Kong , February 8—5 p. m.", {"default_year": 1951}, "1951-02-08T17:00"),
        ("[ Paris ,] October 20, 1948.", {}, "1948-10-20"),
        ("[London, July 10(?), 1955.]", {}, "1955-07-10"),
        # FRUS typos: missing comma, misspelt month, O for 0, stray periods, glued tokens
        ("Washington, May 10 1962.", {}, "1962-05-10"),
        ("Febuary 3, 1945", {}, "1945-02-03"),
        ("Setpember 3, 1945", {}, "1945-09-03"),
        ("June 2O, 1945, 1O p.m.", {}, "1945-06-20T22:00"),
        ("Washington, November 16. 1961.", {}, "1961-11-16"),
        ("Athens, December2, 1961, 3 p.m.", {}, "1961-12-02T15:00"),
        ("Washington, August 21,1959, 2–2:50 p.m.", {}, "1959-08-21T14:00"),
        ("Washington, January, 17, 1959.", {}, "1959-01-17"),
        ("Washington, July 71969", {}, "1969-07-07"),
        ("Saigon, October 16, 1961, l p.m.", {}, "1961-10-16T13:00"),
    ],
)
def test_styles(text, kw, expected):
    assert when(text, **kw) == expected


def test_intervals_by_precision():
    assert parse_date("June 29, 1945") == DocDate("1945-06-29", "1945-06-29", "1945-06-29", "day", None)
    assert parse_date("June 1945") == DocDate("1945-06", "1945-06-01", "1945-06-30", "month", None)
    assert parse_date("1945") == DocDate("1945", "1945-01-01", "1945-12-31", "year", None)
    d = parse_date("Moscow, June 16, 1945—9 a.m.")
    assert (d.not_before, d.not_after, d.precision) == ("1945-06-16T09:00", "1945-06-16T09:00", "minute")


def test_ranges():
    d = parse_date("June 29–July 2, 1945")
    assert (d.when, d.not_before, d.not_after, d.precision) == (
        "1945-06-29",
        "1945-06-29",
        "1945-07-02",
        "day",
    )
    d = parse_date("1–3 March 1945")
    assert (d.when, d.not_after) == ("1945-03-01", "1945-03-03")
    d = parse_date("December 30, 1945–January 2, 1946")
    assert (d.when, d.not_after) == ("1945-12-30", "1946-01-02")
    d = parse_date("London, September 19–21, 1957")
    assert (d.when, d.not_after) == ("1957-09-19", "1957-09-21")
    d = parse_date("Washington, April 13, 1956, 8:30–9:10 a.m.")
    assert (d.when, d.not_after) == ("1956-04-13T08:30", "1956-04-13T09:10")
    d = parse_date("Beijing, June 22-23 1972, 11:03 p.m.-12:55 a.m.")
    assert (d.when, d.not_after) == ("1972-06-22T23:03", "1972-06-23T00:55")
    d = parse_date("Geneva, July 16/17, 1955—midnight.")
    assert d.when == "1955-07-17T00:00"


def test_midnight_covers_both_readings():
    d = parse_date("London , March 2, 1948—midnight.")
    assert (d.when, d.not_before, d.not_after) == ("1948-03-02T00:00", "1948-03-02T00:00", "1948-03-03T00:00")


def test_times_need_a_day():
    assert when("7 p.m.", reference=DAY) == "1945-06-29T19:00"
    assert when("noon", reference=DAY) == "1945-06-29T12:00"
    assert when("midnight", reference=DAY) == "1945-06-29T00:00"
    assert parse_date("7 p.m.") is None
    assert parse_date("7 p.m.", default_year=1945) is None


def test_year_is_never_invented():
    assert parse_date("June 29") is None
    d = parse_date("June 29", default_year=1945)
    assert d.when == "1945-06-29" and d.basis == "context"
    assert parse_date("June 29, 1945").basis is None  # stated: the caller names the basis
    # nearest year to a day-precise reference
    assert when("December 31", reference=DocDate(when="1946-01-02")) == "1945-12-31"
    # an interval reference must leave exactly one year
    assert when("June 29", reference=JUNE) == "1945-06-29"
    assert parse_date("June 29", reference=DocDate(not_before="1944-01-01", not_after="1946-12-31")) is None


def test_undated_and_circa():
    for text in ("Undated", "[undated]", "Washington, undated.", "[ Washington , undated.]", "Undated."):
        d, notes = parse_date_report(text)
        assert d is None and notes == ["undated"]
    d = parse_date("circa June 1945")
    assert (d.when, d.not_before, d.not_after) == ("1945-06", "1945-05-01", "1945-07-31")
    d = parse_date("ca. 1945")
    assert (d.when, d.not_before, d.not_after) == ("1945", "1944-01-01", "1946-12-31")
    d = parse_date("c. June 29, 1945")
    assert (d.when, d.not_before, d.not_after) == ("1945-06-29", "1945-06-22", "1945-07-06")


def test_editorial_corrections_widen_not_move():
    d = parse_date("Paris , May 23 [24], 1949—8 p. m.")
    assert d.when == "1949-05-23T20:00" and d.not_after.startswith("1949-05-24")
    d = parse_date("[Washington,] January 26 [27], 1955.")
    assert (d.when, d.not_before, d.not_after) == ("1955-01-26", "1955-01-26", "1955-01-27")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "asdf qwer 12 zz",
        "Washington",
        "February 30, 1945",
        "June 31, 1945",
        "Monday, June 29, 1945",
        "13/45/1945",
        "99999999",
        "—",
        "[place not declassified]",
        "June 29, 1945, 25:99 p.m." * 40,
        "\x00\ufffd",
    ],
)
def test_bad_input_gives_none_or_partial_never_raises(text):
    d = parse_date(text)
    if text.startswith("June 29, 1945, 25"):
        assert d is not None and d.when == "1945-06-29"  # the impossible time is ignored, not the date
    else:
        assert d is None


def test_bad_input_reasons():
    assert parse_date_report("February 30, 1945") == (None, ["impossible date 'February 30, 1945'"])
    d, notes = parse_date_report("Monday, June 29, 1945")
    assert d is None and "weekday contradiction" in notes[0]
    assert parse_date("Friday, June 29, 1945").when == "1945-06-29"


def test_dtg():
    assert parse_dtg("160900", DAY).when == "1945-06-16T09:00"
    assert parse_dtg("291530Z", DAY).when == "1945-06-29T15:30Z"
    assert parse_dtg("160900Z JUN 45", None).when == "1945-06-16T09:00Z"
    assert parse_dtg("160900Z JUN 1945", None).basis is None  # fully stated
    assert parse_dtg("160900", DAY).basis == "context"
    assert parse_dtg("160900", JUNE).when == "1945-06-16T09:00"
    assert parse_dtg("160900", None) is None
    assert (
        parse_dtg("160900", DocDate(not_before="1945-01-01", not_after="1945-12-31")) is None
    )  # which month?
    assert parse_dtg("320900", DAY) is None and parse_dtg("162500", DAY) is None
    assert parse_dtg("hello", DAY) is None
    # the nearest month: day 30 seen from 2 July is 30 June
    assert parse_dtg("301200", DocDate(when="1945-07-02")).when == "1945-06-30T12:00"
    assert parse_date("160900Z JUN 45").when == "1945-06-16T09:00Z"
    assert parse_date("291530Z", reference=DAY).when == "1945-06-29T15:30Z"


def test_split_dateline():
    assert split_dateline("Moscow, June 16, 1945—9 a.m.")[0] == "Moscow"
    assert split_dateline("Cablegram 2 CANBERRA, 2 January 1944")[0] == "Canberra"
    assert split_dateline("Cablegram 290 [1] [PHILADELPHIA], 19 April 1944, 6.41 p.m.")[0] == "Philadelphia"
    assert split_dateline("[ Paris ,] October 20, 1948.")[0] == "Paris"
    assert split_dateline("Buenos Aires , June 20, 1959—8:12 a.m.")[0] == "Buenos Aires"
    assert split_dateline("Washington, undated.")[0] == "Washington"
    assert split_dateline("Wednesday, September 24 1952")[0] is None
    assert split_dateline("MD J. Bitterlich                     Bonn, 31 October 1997")[0] == "Bonn"


# --------------------------------------------------------------------------- the step


def doc(text: str = "", dateline: str | None = None, coverage=None, **kw) -> Document:
    coll = Collection(id="test", coverage=coverage or {})
    return Document(id="d1", collection=coll, source=Source("text", "x"), text=text, dateline=dateline, **kw)


def test_step_dateline_sets_date_and_place():
    d = date_step(doc(dateline="Moscow, June 16, 1945—9 a.m."), Context())
    assert d.date.when == "1945-06-16T09:00" and d.date.basis == "dateline" and d.place == "Moscow"


def test_step_dateline_year_from_context_is_marked():
    d = date_step(doc(dateline="Hong Kong, February 8—5 p.m."), Context(extra={"default_year": 1951}))
    assert d.date.when == "1951-02-08T17:00" and d.date.basis == "context"


def test_step_dfat_first_line():
    text = "Cablegram 2 CANBERRA, 2 January 1944\n\nSECRET\n\nYour D.1190 and your No. 398. [1]\n"
    d = date_step(doc(text), Context())
    assert (d.date.when, d.date.basis, d.place) == ("1944-01-02", "dateline", "Canberra")


def test_step_wilson_header():
    text = (SEEDS / "001_5cfb9ea65f8fb897.txt").read_text()
    d = date_step(doc(text), Context())
    assert d.date.when == "1945-07-01" and d.date.basis == "header"
    body = text[text.index("PARAPHRASE OF NAVY CABLE") :]
    d = date_step(doc(body), Context())
    assert (d.date.when, d.date.basis, d.place) == ("1945-07-01", "header", "Moscow")


def test_step_reference_lines_are_not_the_date():
    text = "TOP SECRET\n\nReference White House Message No. 307 June 29, 1945.\n\nThis morning I called on Soong."
    d = date_step(doc(text), Context())
    assert d.date.when is None


def test_step_seed_000_dtg():
    text = (SEEDS / "000_e45dc6676497ee2e.txt").read_text()
    june = {"not_before": "1945-06-01", "not_after": "1945-06-30"}
    d = date_step(doc(text, coverage=june), Context())
    assert (d.date.when, d.date.basis) == ("1945-06-16T09:00", "date-time group")
    # with only a year of context the month is unknown: no date, a warning with the hint
    d = date_step(doc(text), Context(extra={"default_year": 1945}))
    assert d.date.when is None
    assert any("160900" in w and "day 16" in w for w in d.warnings)


def test_step_keeps_reader_date_and_refines_with_dtg():
    given = DocDate("1945-06-16", "1945-06-16", "1945-06-16", "day", "metadata")
    d = date_step(doc("[Paraphrase]\n\n160900. Subsequent to the dispatch", date=given), Context())
    assert (d.date.when, d.date.precision, d.date.basis) == ("1945-06-16T09:00", "minute", "metadata")
    other = DocDate("1945-06-20", "1945-06-20", "1945-06-20", "day", "metadata")
    d = date_step(doc("160900. Subsequent", date=other), Context())
    assert d.date == other and d.warnings


def test_step_contradiction_and_garbage_warn():
    given = DocDate("1945-06-16", "1945-06-16", "1945-06-16", "day", "metadata")
    d = date_step(doc(dateline="Moscow, June 18, 1945", date=given), Context())
    assert d.date == given and any("1945-06-18" in w for w in d.warnings)
    d = date_step(doc(dateline="Moscow, February 30, 1945"), Context())
    assert d.date.when is None and any("impossible" in w for w in d.warnings)
    d = date_step(doc(dateline="Monday, June 29, 1945"), Context())
    assert d.date.when is None and any("weekday" in w for w in d.warnings)
    d = date_step(doc(dateline="Washington, undated."), Context())
    assert d.date.when is None and d.place == "Washington" and not d.warnings
    d = date_step(doc(text="\x00 garbage ¶¶", dateline="%%%"), Context())
    assert d.date.when is None


# --------------------------------------------------------------------------- real corpus


def _frus_datelines(path):
    tei = "{http://www.tei-c.org/ns/1.0}"
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=True)
    with gzip.open(path) as fh:
        tree = etree.parse(fh, parser)
    for div in tree.iter(tei + "div"):
        if div.get("type") != "document":
            continue
        dl = next(div.iter(tei + "dateline"), None)
        dt = next(dl.iter(tei + "date"), None) if dl is not None else None
        if dt is None or not dt.get("when"):
            continue
        for note in dl.iter(tei + "note"):
            note.getparent().remove(note) if note.getparent() is not None else None
        yield " ".join("".join(dl.itertext()).split()), dt.get("when")


def test_real_frus_volume_datelines():
    path = corpus_path("frus", "volumes", "frus1949v07p1.xml.gz")
    total = ok = 0
    for text, expected in _frus_datelines(path):
        total += 1
        got = parse_date(text, default_year=1949)
        day, _, time = expected.partition("T")
        if got and got.when.startswith(day) and (not time or got.when[11:16] == time[:5]):
            ok += 1
    assert total > 300
    assert ok / total >= 0.95, f"{ok}/{total}"
