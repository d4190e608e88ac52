"""Inferred dates: an interval for a document whose text states no date.

Pure functions over ISO dates; `chancery.linking` supplies the evidence from the archive:

- neighbours in the collection's reading order within the same chapter (FRUS chapters are
  chronological for ~98% of dated documents; when the two nearest dated neighbours are out of
  order, the next ones out widen the interval),
- the volume's coverage (or the span of its dated documents) when a side has no neighbour,
- dates of messages the body cites (the document is not earlier) and of documents whose body
  cites it (it is not later),
- "before July 1" in the text (an upper bound in the interval's year),
- a date-time group ("160900.") whose day falls once inside a narrow interval → a minute date.

A document that stands alone (a loose text file) is dated from its own words by `standalone.py`
(office-holders named with their office, "before July 1", the date-time group); its `basis`
says what was used ("inferred from ...").
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from chancery.dates import MONTH_OR_ABBREVIATION_PATTERN as MONTHS
from chancery.dates import month_day, to_date
from chancery.model import DocDate

DTG = re.compile(r"(?:\A|\n)\s*(?P<day>[0-3]\d)(?P<hour>[0-2]\d)(?P<minute>[0-5]\d)Z?\.\s")
# Only a future event bounds the writing date: "Soong will arrive in Moscow before July 1".
BEFORE = re.compile(
    rf"\b(?:will|shall|expects?|hopes?|intends?)\b[^.;]{{0,80}}?\bbefore\s+(?P<md>(?:{MONTHS})\.?\s+\d{{1,2}}|\d{{1,2}}\s+(?:{MONTHS}))\b"
)


# Catch-all collections of loose files (plain text, FRUS pages copied as text): no reading order,
# so their documents are dated from their own words, never from their neighbours.
LOOSE = ("text", "frus-text")
# Archives whose collections are volumes in reading order: an undated document there is dated by
# its neighbours (`chancery.linking`).
ORDERED = ("frus", "dfat")


def is_inferred(basis: str | None) -> bool:
    """True for any inferred date: from the archive ("inferred") or from the text ("inferred from ...")."""
    return bool(basis) and str(basis).startswith("inferred")


def neighbour_bounds(previous: list[date], following: list[date]) -> tuple[date | None, date | None]:
    """Bounds from the dated neighbours, nearest first; widened when the nearest are out of order."""
    low = previous[0] if previous else None
    high = following[0] if following else None
    if low and high and low > high:
        low = min(previous[:2] + following[:1])
        high = max(following[:2] + previous[:1])
    return low, high


def before_bound(text: str, year: int) -> date | None:
    """ "…arrive in Moscow before July 1" → the day before July 1 of `year` (latest possible date)."""
    m = BEFORE.search(text)
    found = month_day(m["md"]) if m else None
    if not found:
        return None
    try:
        return date(year, *found)
    except ValueError:
        return None


def infer_interval(
    previous: list[date],
    following: list[date],
    coverage: tuple[date | None, date | None] = (None, None),
    not_earlier: list[date] | None = None,
    not_later: list[date] | None = None,
    text: str = "",
) -> DocDate | None:
    """The narrowest interval the evidence supports, or None when there is no evidence at all."""
    low, high = neighbour_bounds(previous, following)
    low = low or coverage[0]
    high = high or coverage[1]
    if not_earlier:
        candidate = max(not_earlier)
        low = max(low, candidate) if low else candidate
    if not_later:
        candidate = min(not_later)
        high = min(high, candidate) if high else candidate
    if low and high and low > high:  # conflicting evidence: keep the union rather than guess
        low, high = high, low
    if high and text:
        before = before_bound(text, high.year)
        if before and (low is None or before >= low):
            high = min(high, before)
    if low is None or high is None:
        return None
    return DocDate(
        not_before=low.isoformat(),
        not_after=high.isoformat(),
        precision="day" if low == high else None,
        when=low.isoformat() if low == high else None,
        basis="inferred",
    )


def resolve_dtg(text: str, interval: DocDate) -> DocDate | None:
    """A date-time group "160900." near the top of `text`, dated by the one matching day in `interval`."""
    m = DTG.search(text[:400])
    low, high = to_date(interval.not_before), to_date(interval.not_after)
    if not m or not low or not high or (high - low).days > 62:
        return None
    day = int(m["day"])
    matches = [low + timedelta(days=i) for i in range((high - low).days + 1)]
    matches = [d for d in matches if d.day == day]
    if len(matches) != 1 or int(m["hour"]) > 23:
        return None
    when = f"{matches[0].isoformat()}T{m['hour']}:{m['minute']}"
    return DocDate(when=when, not_before=when, not_after=when, precision="minute", basis="inferred")
