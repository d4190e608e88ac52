"""How the web shows a document's date: a day, a month, or an interval it was not given a day in."""

from __future__ import annotations

from chancery.web.render import when


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
