"""The date kernel: month names, ISO dates as intervals at a precision, bounds and day numbers.

Every reader, enrichment step, index and view that names a month or turns an ISO date
("1945", "1945-06", "1945-06-29", "1945-06-29T19:00Z") into an interval calls this module,
so the month tables and the interval rules are written once. Pure functions over `datetime.date`
and strings; datelines and date-time groups in free text are parsed by `chancery.enrich.dates`.

Conventions:
- Precision follows the ISO form: "year" (YYYY), "month" (YYYY-MM), "day" (YYYY-MM-DD),
  "minute" (anything with a time).
- An interval's `not_before` is the first day of the period, `not_after` the last
  (1945-06 → 1945-06-01 .. 1945-06-30); a day or a date-time is its own bound.
- Day numbers are YYYYMMDD integers (1945-06-29 → 19450629), the form the search index sorts.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from chancery.model import DocDate

__all__ = [
    "MONTH_NAMES",
    "MONTH_ABBREVIATIONS",
    "MONTHS",
    "MONTH_PATTERN",
    "MONTH_ABBREVIATION_PATTERN",
    "MONTH_OR_ABBREVIATION_PATTERN",
    "month_number",
    "month_day",
    "days_in_month",
    "is_valid",
    "bounds",
    "iso_at",
    "precision_of",
    "interval_start",
    "interval_end",
    "iso_bounds",
    "date_interval",
    "start_date",
    "to_date",
    "add_months",
    "day_number",
    "day_ordinal",
    "ordinal_day_number",
]

# --------------------------------------------------------------------------- month names

MONTH_NAMES: tuple[str, ...] = tuple(
    "January February March April May June July August September October November December".split()
)
"""English month names, capitalised, January first."""

MONTH_ABBREVIATIONS: tuple[str, ...] = tuple(name[:3] for name in MONTH_NAMES)
"""Three-letter English abbreviations: "Jan" .. "Dec"."""

_FULL: dict[str, int] = {name.lower(): i for i, name in enumerate(MONTH_NAMES, 1)}
MONTHS: dict[str, int] = {
    **_FULL,
    **{abbr.lower(): i for i, abbr in enumerate(MONTH_ABBREVIATIONS, 1)},
    "sept": 9,
    "febr": 2,
    "janv": 1,  # French "janvier" as abbreviated in DFAT and FRUS transcriptions
}
"""Lower-case month words → month number: full names, "jan".."dec", "sept", "febr", "janv"."""

MONTH_PATTERN = "|".join(MONTH_NAMES)
"""Regex alternation of the full names: "January|February|...|December"."""

MONTH_ABBREVIATION_PATTERN = "|".join([*MONTH_ABBREVIATIONS[:8], "Sept", *MONTH_ABBREVIATIONS[8:]])
"""Regex alternation of the abbreviations, "Sept" before "Sep": "Jan|...|Aug|Sept|Sep|Oct|Nov|Dec"."""

MONTH_OR_ABBREVIATION_PATTERN = "|".join(
    [*MONTH_NAMES, *(a for a in MONTH_ABBREVIATION_PATTERN.split("|") if a != "May")]
)
"""Full names then abbreviations (May only once, "Sept" before "Sep"), for phrases like "June 3" / "Jun 3"."""


def month_number(word: str | None, *, abbreviations: bool = True) -> int | None:
    """1..12 for an English month word ("June", "jun.", "Sept"), None otherwise.

    With `abbreviations=False` only full names count ("Jun" → None).
    """
    if not word:
        return None
    key = word.lower().rstrip(".")
    return (MONTHS if abbreviations else _FULL).get(key)


_MONTH_WORD = re.compile(rf"\b({MONTH_OR_ABBREVIATION_PATTERN})\b", re.I)
_DAY_WORD = re.compile(r"\b(\d{1,2})\b")


def month_day(phrase: str) -> tuple[int, int] | None:
    """(month, day) named in a short phrase ("June 3", "3 Sept", "Jun. 30, 1945"); None without both."""
    month = _MONTH_WORD.search(phrase)
    day = _DAY_WORD.search(phrase)
    if not month or not day:
        return None
    return MONTHS[month[1][:3].lower()], int(day[1])


# --------------------------------------------------------------------------- days and bounds


def days_in_month(year: int, month: int) -> int:
    """28..31: the last day of `month` in `year` (proleptic Gregorian)."""
    return calendar.monthrange(year, month)[1]


def is_valid(year: int, month: int, day: int | None = None) -> bool:
    """True when the month (and day, if given) exist in that year."""
    if not 1 <= month <= 12 or not 1 <= year <= 9999:
        return False
    return day is None or 1 <= day <= days_in_month(year, month)


def bounds(year: int, month: int | None = None, day: int | None = None) -> tuple[date, date]:
    """First and last day of a year, a month or a day (ValueError when it does not exist)."""
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    if day is None:
        return date(year, month, 1), date(year, month, days_in_month(year, month))
    return date(year, month, day), date(year, month, day)


def iso_at(year: int, month: int | None = None, day: int | None = None) -> str:
    """ISO at its precision: "1945", "1945-06", "1945-06-29"."""
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def add_months(d: date, n: int) -> date:
    """`d` moved by `n` calendar months, the day clipped to the month's end (Jan 31 + 1 → Feb 28)."""
    k = d.year * 12 + d.month - 1 + n
    y, m = divmod(k, 12)
    return date(y, m + 1, min(d.day, days_in_month(y, m + 1)))


# --------------------------------------------------------------------------- ISO dates as intervals

_ISO_FORM = re.compile(r"\d{4}(?:-(?:0[1-9]|1[0-2])|-\d{2}-\d{2})?")


def precision_of(iso: str) -> str:
    """The precision of an ISO date or date-time by its form: "year", "month", "day" or "minute"."""
    if "T" in iso:
        return "minute"
    return {4: "year", 7: "month"}.get(len(iso), "day")


def interval_start(iso: str) -> str:
    """The first day of the period an ISO value names ("1945" → "1945-01-01"); a day or time is itself."""
    if "T" in iso or len(iso) == 10:
        return iso
    if len(iso) == 4:
        return f"{iso}-01-01"
    if len(iso) == 7:
        return f"{iso}-01"
    return iso


def interval_end(iso: str) -> str:
    """The last day of the period an ISO value names ("1945-02" → "1945-02-28"); a day or time is itself.

    ValueError for a malformed month ("1949-1x").
    """
    if "T" in iso or len(iso) == 10:
        return iso
    if len(iso) == 4:
        return f"{iso}-12-31"
    if len(iso) == 7:
        return f"{iso}-{days_in_month(int(iso[:4]), int(iso[5:7])):02d}"
    return iso


def iso_bounds(iso: str) -> tuple[str, str]:
    """(not_before, not_after) of an ISO value at its precision."""
    return interval_start(iso), interval_end(iso)


def date_interval(iso: str, basis: str | None = None, *, check_day: bool = False) -> DocDate:
    """A `DocDate` for an ISO year, month or day ("1937", "1937-02", "1937-02-14"); empty when not ISO.

    A month alone must be 01..12. With `check_day`, a day that does not exist ("1945-02-30") gives
    an empty `DocDate` too; without it a YYYY-MM-DD day is taken as written.
    """
    text = iso.strip()
    if not _ISO_FORM.fullmatch(text):
        return DocDate()
    if len(text) == 10 and check_day and not is_valid(int(text[:4]), int(text[5:7]), int(text[8:])):
        return DocDate()
    return DocDate(text, interval_start(text), interval_end(text), precision_of(text), basis)


_ISO_START = re.compile(r"(\d{4})(?:-(\d\d)(?:-(\d\d))?)?")


def start_date(value: str | None) -> date | None:
    """The first day an ISO value at any precision names ("1945-06" → 1945-06-01); None if malformed."""
    if not value:
        return None
    m = _ISO_START.match(value)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return None


def to_date(value: str | None) -> date | None:
    """The day of an ISO date or date-time ("1945-06-29T19:00" → 1945-06-29); None when absent or malformed."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


# --------------------------------------------------------------------------- day numbers


def day_number(iso: str | None, end: bool = False) -> int | None:
    """An ISO date (year, month or day precision; time ignored) as YYYYMMDD, or None.

    A year or month stands for its first day, or with `end` for month 12 / day 31 (not clipped
    to the month's length: `day_ordinal` clips).
    """
    if not iso or len(iso) < 4 or not iso[:4].isdigit():
        return None
    parts = iso[:10].split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 and parts[1] else (12 if end else 1)
        day = int(parts[2]) if len(parts) > 2 and parts[2] else (31 if end else 1)
    except ValueError:
        return None
    return year * 10000 + month * 100 + day


def day_ordinal(number: int) -> int:
    """A YYYYMMDD day number as a proleptic ordinal (the day clipped to its month; Jan 1 when invalid)."""
    year, month, dd = number // 10000, number // 100 % 100, number % 100
    try:
        return date(year, month, min(dd, days_in_month(year, month))).toordinal()
    except ValueError:
        return date(max(1, year), 1, 1).toordinal()


def ordinal_day_number(ordinal: int) -> int:
    """A proleptic ordinal as a YYYYMMDD day number."""
    d = date.fromordinal(max(1, ordinal))
    return d.year * 10000 + d.month * 100 + d.day
