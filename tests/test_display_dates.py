"""How the web shows a document's date: a day, a month, or an interval it was not given a day in."""

from __future__ import annotations

from chancery.citations import bibtex, chicago_bibliography, chicago_note, csl_json, display_date, ris
from chancery.web.render import when
from chancery.web.views.entity import by_year


def test_a_day_a_month_and_undated() -> None:
    assert when({"date": {"when": "1945-07-01", "precision": "day"}}) == "July 1, 1945"
    assert when({"date": {"when": "1945-07", "precision": "month"}}) == "July 1945"
    assert when({"date": {}}) == "undated"


def test_an_interval_is_shown_as_one_not_as_its_first_day() -> None:
    inferred = {
        "not_before": "1945-04-16",
        "not_after": "1945-06-16",
        "basis": "inferred from Truman as President",
    }
    assert when({"date": {"when": None, **inferred}}) == "April 16 – June 16, 1945 (inferred)"
    across = {"when": None, "not_before": "1944-12-16", "not_after": "1945-06-16", "basis": "neighbours"}
    assert when({"date": across}) == "December 16, 1944 – June 16, 1945"


def test_a_citation_claims_no_day_an_interval_does_not_give() -> None:
    """Seed 000's inferred interval: Chicago gives it in editor's brackets, the structured formats
    only what both ends share (the year), never the interval's first day."""
    doc = {
        "id": "frus-text/000",
        "title": "Memorandum",
        "date": {
            "when": None,
            "not_before": "1945-04-16",
            "not_after": "1945-06-16",
            "basis": "inferred from x",
        },
    }
    assert display_date(doc) == "April 16 – June 16, 1945"
    assert "[April 16 – June 16, 1945]" in chicago_note(doc) and "April 16, 1945" not in chicago_note(doc)
    assert "[April 16 – June 16, 1945]" in chicago_bibliography(doc)
    assert csl_json(doc)["issued"] == {"date-parts": [[1945]]}
    assert "PY  - 1945" in ris(doc) and "DA  - 1945///" in ris(doc)
    assert "year = {1945}" in bibtex(doc) and "month" not in bibtex(doc)
    stated = {**doc, "date": {**doc["date"], "basis": "neighbours"}}
    assert "April 16 – June 16, 1945," in chicago_note(stated)  # not inferred: no brackets
    assert "n.d." in chicago_note({"id": "x", "date": None})


def test_an_entity_page_counts_an_interval_within_one_year_in_that_year() -> None:
    docs = [
        {"date": {"when": "1945-07-01"}},
        {"date": {"when": None, "not_before": "1945-04-16", "not_after": "1945-06-16"}},  # seed 000
        {"date": {"when": None, "not_before": "1944-12-16", "not_after": "1945-01-16"}},  # no one year
        {"date": None},
    ]
    assert [(b["year"], b["count"]) for b in by_year(docs)] == [(1945, 2)]
