"""Dates: parse datelines, headers and date-time groups into intervals.

`parse_date` turns a date phrase or a whole dateline ("Moscow, June 16, 1945—9 a.m.",
"Cablegram 2 CANBERRA, 2 January 1944", "29 June 1945", "June 29–July 2, 1945") into a
`DocDate` interval; `parse_dtg` reads military date-time groups ("160900", "291530Z",
"160900Z JUN 45"); `date_step` is the enrichment step that fills `Document.date` and
`Document.place`.

Conventions (see also the README of the enrich package):
- `when` is ISO at its precision ("1945", "1945-06", "1945-06-29", "1945-06-29T19:00");
  an explicit Zulu/GMT time carries "Z" ("1945-06-29T15:30Z"), a US zone an offset.
- For a range ("June 29–July 2, 1945", "8:30–9:10 a.m.") `when` is the start and
  `not_after` the end of the range.
- "midnight" follows the FRUS editors' encoding (T00:00 of the printed day) but the interval
  runs to T00:00 of the next day, so both readings of "midnight" are covered.
- "circa"/"ca."/a queried date keeps `when` and widens the interval (±1 year, ±1 month, ±7 days).
- A phrase without a stated year only parses with `default_year` or `reference`; such a date
  gets `basis="context"` so that a guessed component is never presented as stated. Stated
  dates come back with `basis=None`, for the caller to name (dateline, header ...).
- Impossible dates ("February 30, 1945") and weekday contradictions ("Monday, June 29, 1945",
  a Friday) give None; `parse_date_report` also returns the reason.

Everything is regular expressions compiled once at import; no per-call heavy work.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import lru_cache

from chancery.dates import (
    MONTH_ABBREVIATION_PATTERN,
    MONTH_NAMES,
    MONTHS,
    add_months,
    bounds,
    days_in_month,
    is_valid,
    iso_at,
    start_date,
)
from chancery.enrich import Context
from chancery.model import DocDate, Document

__all__ = ["parse_date", "parse_date_report", "parse_dtg", "split_dateline", "date_step"]

# --------------------------------------------------------------------------- vocabulary

_MONTHS: dict[str, int] = dict(MONTHS)
# Misspellings seen in FRUS/DFAT transcriptions; anything else goes through `_fuzzy_month`.
_MONTHS.update({"febuary": 2, "feburary": 2, "febrary": 2, "janurary": 1, "agust": 8, "sepember": 9})

_WEEKDAYS = {
    name: i
    for i, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
        ]
        + [("friday", "fri"), ("saturday", "sat"), ("sunday", "sun")]
    )
    for name in names
}

_ZONES = {
    "z": "Z",
    "zulu": "Z",
    "gmt": "Z",
    "utc": "Z",
    "ut": "Z",
    "est": "-05:00",
    "edt": "-04:00",
    "cst": "-06:00",
    "cdt": "-05:00",
    "mst": "-07:00",
    "mdt": "-06:00",
    "pst": "-08:00",
    "pdt": "-07:00",
    "bst": "+01:00",
}


def _lev1(a: str, b: str, limit: int) -> bool:
    """True when the edit distance between a and b is at most `limit` (small strings)."""
    if abs(len(a) - len(b)) > limit:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        if min(cur) > limit:
            return False
        prev = cur
    return prev[-1] <= limit


_MONTH_LOWER = [name.lower() for name in MONTH_NAMES]


@lru_cache(maxsize=4096)
def _month(word: str) -> int | None:
    """Month number for a name, abbreviation or a near-miss spelling ("Febuary", "Setpember")."""
    w = word.lower().rstrip(".")
    if w in _MONTHS:
        return _MONTHS[w]
    if len(w) < 5:
        return None
    hits = {
        i
        for i, name in enumerate(_MONTH_LOWER, 1)
        if len(name) >= 5 and name[0] == w[0] and _lev1(w, name, 1 if len(name) < 7 else 2)
    }
    return hits.pop() if len(hits) == 1 else None


# --------------------------------------------------------------------------- regexes

_MON = r"[A-Za-z]{3,10}\.?"
_DAY = r"[0-3]?\d(?:st|nd|rd|th|d)?"
_YEAR = r"(?:1[5-9]\d\d|20\d\d)"
_RANGE = r"\s*(?:-|/|to|and/or|and|or|&)\s*"
_OPT_YEAR_SEP = r"\s*[,.]?\s*"

# "June 29, 1945", "June 29–July 2, 1945", "July 16/17, 1955", "June 29", "July 71969"
_MDY = re.compile(
    rf"(?<![A-Za-z])(?P<mon>{_MON})\s*,?\s*(?P<day>{_DAY})"
    rf"(?:{_OPT_YEAR_SEP}(?P<year>{_YEAR}))?"
    rf"(?:{_RANGE}(?:(?P<mon2>{_MON})\s*)?(?P<day2>{_DAY})(?![\d:.]\d)(?!\s*(?:a\.?m|p\.?m|[:.]\d))"
    rf"(?:{_OPT_YEAR_SEP}(?P<year2>{_YEAR}))?)?"
    r"(?![\d:])",
    re.I,
)
# "29 June 1945", "1–3 March 1945", "1st April, 1949", "30 June–2 July 1945"
_DMY = re.compile(
    rf"(?<![\d:.])(?P<day>{_DAY})(?:\s+(?P<mon>{_MON}))?(?:\s*,?\s*(?P<year>{_YEAR}))?"
    rf"(?:{_RANGE}(?P<day2>{_DAY}))?(?:\s+of)?\s+(?P<monb>{_MON})(?:\s*,?\s*(?P<yearb>{_YEAR}))?(?!\d)",
    re.I,
)
# "June 1945", "February, 1972"
_MY = re.compile(rf"(?<![A-Za-z\d])(?P<mon>{_MON})\s*,?\s*(?P<year>{_YEAR})(?!\d)", re.I)
_ISO = re.compile(
    r"(?<!\d)(?P<year>\d{4})-(?P<mon>\d\d)(?:-(?P<day>\d\d)(?:[T ](?P<h>\d\d):(?P<mi>\d\d))?)?(?!\d)"
)
_YEAR_ONLY = re.compile(rf"^\W*(?:(?:circa|ca\.?|c\.)\s*)?(?P<year>{_YEAR})\W*$", re.I)

_AMPM = r"(?P<{n}ap>[ap])\.?\s?m\b\.?"
_TIME1 = (
    r"(?:(?P<{n}noon>noon|midday)|(?P<{n}mid>midnight)"
    r"|(?P<{n}hhmm>[0-2]\d[0-5]\d)(?=\s*(?:Z|GMT|UTC|hours|hrs|local)\b)"
    r"|(?P<{n}h>[0-2]?\d)(?:[:.](?P<{n}m>[0-5]?\d))?\s*(?:" + _AMPM + r"|(?P<{n}hrs>hours|hrs|h)\b)?)"
)
_TIME = re.compile(
    r"^\s*[,.;:\-]*\s*(?:at\s+|about\s+|approximately\s+|\(?)?"
    + _TIME1.format(n="a")
    + r"(?:\s*(?:-|to|until)\s*"
    + _TIME1.format(n="b")
    + r")?"
    r"(?:\s*\(?\s*(?P<zone>Z|Zulu|GMT|UTC|UT|[ECMP][SD]T|BST)\b\)?)?",
    re.I,
)

_UNDATED = re.compile(r"\bundated\b|\bno date\b|\bn\.\s?d\.|\bdate unknown\b|\bwithout date\b", re.I)
_CIRCA = re.compile(r"(?:\bcirca|\bca\.|\bc\.|\babout|\bapprox(?:imately|\.)?)\s*$", re.I)
_WEEKDAY = re.compile(r"\b(?P<wd>[A-Za-z]{3,9})\.?\s*,?\s*$")

# Normalisation (applied once per call, all linear-time substitutions).
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_AMPM_SPACED = re.compile(r"(?<![A-Za-z])([aApP])\.\s+([mM])\b\.?")
_O_FOR_ZERO = re.compile(r"(?<=\d)[oO]|[oO](?=\d)")
_L_FOR_ONE = re.compile(r"(?<=\d)[lI](?=\d|\b)|(?<![A-Za-z])[lI](?=\d|\s?[:.]\d\d|\s[ap]\.?\s?m\b)")
_GLUED_MONTH = re.compile(r"\b([A-Za-z]{3,9})(?=\d)")
_CORRECTION = re.compile(r"(?<=\d)\s*[\[(]\s*(\d{1,2}|\?)\s*\??\s*[\])]")
_DAY_BEFORE = re.compile(r"(?<![\d.:])[0-3]?\d(?:st|nd|rd|th)?\s*$")
_FOOTNOTE_MARK = re.compile(r"(?<=[A-Za-z.,])\s*\[\d{1,3}\]")
_QUERY = re.compile(r"(?<=\d)\s*\?")
_BRACKETS = re.compile(r"[\[\]{}]")
_SPACE_PUNCT = re.compile(r"\s+([,.;])")
_WS = re.compile(r"\s+")


def _normalize(text: str) -> tuple[str, list[int], bool]:
    """Normalised text, editorial day corrections ("26 [27]") and whether a '?' queried a date."""
    s = text.replace("\u00a0", " ").replace("*", " ")
    s = _DASHES.sub("-", s)
    s = _AMPM_SPACED.sub(r"\1.\2.", s)
    s = _O_FOR_ZERO.sub("0", s)
    s = _L_FOR_ONE.sub("1", s)
    corrections: list[int] = []

    def _corr(m: re.Match[str]) -> str:
        # only right after a day number: "May 23 [24]", not "Cablegram 1197 [1]"
        if m.group(1).isdigit() and _DAY_BEFORE.search(m.string, 0, m.start()):
            corrections.append(int(m.group(1)))
        return " "

    s = _FOOTNOTE_MARK.sub(" ", s)
    s = _CORRECTION.sub(_corr, s)
    queried = bool(_QUERY.search(s))
    s = _QUERY.sub("", s)
    s = _BRACKETS.sub(" ", s)
    s = _GLUED_MONTH.sub(r"\1 ", s)
    s = _SPACE_PUNCT.sub(r"\1", s)
    s = _WS.sub(" ", s).strip()
    return s, corrections, queried


# --------------------------------------------------------------------------- building DocDates


def _iso(d: date) -> str:
    return d.isoformat()


def _valid(y: int, m: int, d: int | None = None) -> bool:
    """A real date within the years the archives cover (1500-2100)."""
    return 1500 <= y <= 2100 and is_valid(y, m, d)


def _hm(dt: datetime, tz: str) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M") + tz


class _Bad(Exception):
    """An impossible or contradictory date; the message says why."""


# --------------------------------------------------------------------------- reference handling


def _ref_span(reference: DocDate | None) -> tuple[date, date, date | None] | None:
    """(low, high, point) for a reference DocDate: its interval and, if day-precise, its day."""
    if reference is None:
        return None
    point = None
    if reference.when and len(reference.when) >= 10:
        point = start_date(reference.when)
    lo = start_date(reference.not_before)
    hi = start_date(reference.not_after)
    if reference.not_after and len(reference.not_after) == 7 and hi:  # "1945-06" as an upper bound
        hi = bounds(hi.year, hi.month, None)[1]
    if (lo is None or hi is None) and reference.when:
        w = reference.when
        y = int(w[:4]) if w[:4].isdigit() else None
        if y is None:
            return None if point is None else (point, point, point)
        mm = int(w[5:7]) if len(w) >= 7 else None
        dd = int(w[8:10]) if len(w) >= 10 else None
        try:
            blo, bhi = bounds(y, mm, dd)
        except ValueError:
            return None
        lo, hi = lo or blo, hi or bhi
    if lo is None or hi is None:
        if point is None:
            return None
        lo = hi = point
    return lo, hi, point


def _infer_year(m: int, d: int | None, default_year: int | None, reference: DocDate | None) -> int | None:
    if default_year:
        return default_year
    span = _ref_span(reference)
    if span is None:
        return None
    lo, hi, point = span
    if point is not None:
        cands = [y for y in (point.year - 1, point.year, point.year + 1) if _valid(y, m, d)]
        if not cands:
            return None
        return min(cands, key=lambda y: abs((date(y, m, d or 15) - point).days))
    hits = []
    for y in range(lo.year, hi.year + 1):
        if not _valid(y, m, d):
            continue
        a, b = bounds(y, m, d)
        if a <= hi and b >= lo:
            hits.append(y)
    return hits[0] if len(hits) == 1 else None


# --------------------------------------------------------------------------- main parser


def _time_of(m: re.Match[str], n: str, bare: bool = False) -> tuple[int, int, str | None] | None:
    """(hour, minute, meridiem) for one time alternative, or None when absent/invalid."""
    if m.group(n + "noon"):
        return 12, 0, "noon"
    if m.group(n + "mid"):
        return 0, 0, "midnight"
    if m.group(n + "hhmm"):
        hh, mi = int(m.group(n + "hhmm")[:2]), int(m.group(n + "hhmm")[2:])
        return (hh, mi, None) if hh < 24 and mi < 60 else None
    if m.group(n + "h") is None:
        return None
    hh = int(m.group(n + "h"))
    mi_s = m.group(n + "m")
    ap = m.group(n + "ap")
    if ap is None and mi_s is None and not m.group(n + "hrs") and not bare:
        return None  # a bare number is not a time (but "10-11 a.m." starts at 10)
    mi = int(mi_s) if mi_s else 0
    if hh > 24 or mi > 59:
        return None
    return hh, mi, ap.lower() if ap else None


def _apply_meridiem(hh: int, ap: str | None) -> int:
    if ap == "p" and hh < 12:
        return hh + 12
    if ap == "a" and hh == 12:
        return 0
    return hh


_Time = tuple[tuple[int, int], tuple[int, int] | None, str, bool, int]
"""A parsed time: start (h, m), end (h, m) or None, zone suffix, midnight?, end offset."""


def _parse_time(rest: str) -> _Time | None:
    """Parse a time (or time range) at the start of `rest`.

    Returns (start (h, m), end (h, m) or None, zone suffix, midnight?, end offset).
    """
    m = _TIME.match(rest)
    if not m:
        return None
    b = _time_of(m, "b")
    a = _time_of(m, "a", bare=b is not None and b[2] in ("a", "p"))
    if a is None:
        return None
    ha, ma, apa = a
    zone = _ZONES.get((m.group("zone") or "").lower(), "")
    if m.group("ahhmm") and not zone and re.match(r"\s*Z\b", rest[m.end("ahhmm") :], re.I):
        zone = "Z"
    end = None
    if b is not None:
        hb, mb, apb = b
        hb = _apply_meridiem(hb, apb if apb in ("a", "p") else None)
        if apa is None and apb in ("a", "p"):
            ha2 = _apply_meridiem(ha, apb)
            if (ha2, ma) > (hb, mb) and apb == "p":
                ha2 = ha  # "11:30-12:30 p.m." -> 11:30 a.m.
            ha = ha2
        else:
            ha = _apply_meridiem(ha, apa if apa in ("a", "p") else None)
        end = (hb % 24, mb)
    else:
        ha = _apply_meridiem(ha, apa if apa in ("a", "p") else None)
    if ha == 24:
        ha = 0
    return (ha, ma), end, zone, apa == "midnight", m.end()


def _finditer_valid(
    rx: re.Pattern[str], s: str, check: Callable[[re.Match[str]], bool]
) -> re.Match[str] | None:
    for m in rx.finditer(s):
        if check(m):
            return m
    return None


_DIGITS = re.compile(r"\d+")


def _day(v: str | None) -> int | None:
    m = _DIGITS.match(v) if v is not None else None
    return int(m.group()) if m else None


def _mdy_ok(m: re.Match[str]) -> bool:
    if _month(m.group("mon")) is None:
        return False
    return m.group("mon2") is None or _month(m.group("mon2")) is not None


def _dmy_ok(m: re.Match[str]) -> bool:
    if _month(m.group("monb")) is None:
        return False
    return m.group("mon") is None or _month(m.group("mon")) is not None


def _my_ok(m: re.Match[str]) -> bool:
    return _month(m.group("mon")) is not None


def _find_date(s: str) -> tuple[str, re.Match[str]] | None:
    """The earliest date expression in normalised text: (style, match)."""
    found = []
    for style, rx, ok in (
        ("iso", _ISO, lambda m: True),
        ("mdy", _MDY, _mdy_ok),
        ("dmy", _DMY, _dmy_ok),
        ("my", _MY, _my_ok),
    ):
        m = _finditer_valid(rx, s, ok)
        if m:
            found.append((m.start(), -(m.end() - m.start()), style, m))
    if not found:
        return None
    found.sort(key=lambda t: (t[0], t[1]))
    return found[0][2], found[0][3]


def parse_date_report(
    text: str | None, *, default_year: int | None = None, reference: DocDate | None = None
) -> tuple[DocDate | None, list[str]]:
    """Like `parse_date` but also returns notes: why nothing was parsed, or what is doubtful."""
    notes: list[str] = []
    if not text or not text.strip():
        return None, notes
    try:
        return _parse(text, default_year, reference, notes), notes
    except _Bad as exc:
        notes.append(str(exc))
        return None, notes


def parse_date(
    text: str, *, default_year: int | None = None, reference: DocDate | None = None
) -> DocDate | None:
    """Parse a date phrase or a dateline into a `DocDate` interval, or None.

    A date without a stated year needs `default_year` or `reference` (then `basis` is
    "context"); a bare time ("7 p.m.", "noon") needs a day-precise `reference`.
    """
    return parse_date_report(text, default_year=default_year, reference=reference)[0]


def _parse(
    text: str, default_year: int | None, reference: DocDate | None, notes: list[str]
) -> DocDate | None:
    s, corrections, queried = _normalize(text[:400])
    if not s:
        return None
    y: int | None
    mo: int | None
    d: int | None
    time: _Time | None
    found = _find_date(s)
    if found is None:
        m = _YEAR_ONLY.match(s)
        if m:
            y = int(m.group("year"))
            circa = bool(re.match(r"\W*(circa|ca|c\.)", s, re.I))
            return _build(y, None, None, None, None, None, circa or queried)
        dtg = _DTG.match(s)
        if dtg and dtg.end() >= len(s.rstrip(". ")):
            return parse_dtg(s, reference)
        t = _parse_time(s)
        if t is not None and len(s) - t[4] <= 2:
            span = _ref_span(reference)
            if span and span[2] is not None:
                p = span[2]
                return _build(p.year, p.month, p.day, None, None, t, False, context=True)
            notes.append(f"time without a date: {text.strip()!r}")
            return None
        if _UNDATED.search(s):
            notes.append("undated")
        return None

    style, m = found
    g = m.groupdict()
    context = False
    mon2: int | None = None
    day2: int | None = None
    year2: int | None = None
    if style == "iso":
        y, mo = int(g["year"]), int(g["mon"])
        d = int(g["day"]) if g["day"] else None
        if not _valid(y, mo, d):
            raise _Bad(f"impossible date {m.group(0)!r}")
        time = None
        if g["h"]:
            hh, mi = int(g["h"]), int(g["mi"])
            if hh > 23 or mi > 59:
                raise _Bad(f"impossible time in {m.group(0)!r}")
            time = ((hh, mi), None, "", False, 0)
        else:
            time = _parse_time(s[m.end() :])
        return _build(y, mo, d, None, None, time, queried)
    if style == "my":
        mo = _month(g["mon"])
        y = int(g["year"])
        circa = bool(_CIRCA.search(s[: m.start()])) or queried
        return _build(y, mo, None, None, None, None, circa)
    if style == "mdy":
        mo = _month(g["mon"])
        d = _day(g["day"])
        y = int(g["year"]) if g["year"] else None
        if g["day2"]:
            mon2 = _month(g["mon2"]) if g["mon2"] else mo
            day2 = _day(g["day2"])
            year2 = int(g["year2"]) if g["year2"] else None
    else:  # dmy
        if g["mon"]:  # "30 June-2 July 1945"
            mo = _month(g["mon"])
            mon2 = _month(g["monb"])
        else:
            mo = _month(g["monb"])
            mon2 = mo if g["day2"] else None
        d = _day(g["day"])
        y = int(g["year"]) if g["year"] else None
        if g["day2"]:
            day2 = _day(g["day2"])
        yb = int(g["yearb"]) if g["yearb"] else None
        if mon2 is not None:
            year2 = yb
        else:
            y = y or yb
    assert mo is not None and d is not None  # both groups are required in the mdy and dmy patterns
    # A range "June 29-July 2, 1945": the year written once belongs to both ends.
    if day2 is not None:
        if y is None and year2 is not None:
            y = year2 if (mon2, day2) >= (mo, d) else year2 - 1
        if year2 is None and y is not None:
            year2 = y if (mon2, day2) >= (mo, d) else y + 1
    if y is None:
        y = _infer_year(mo, d, default_year, reference)
        if y is None:
            notes.append(f"no year for {m.group(0)!r} and no context year")
            return None
        context = True
        if year2 is None and day2 is not None:
            year2 = y if (mon2, day2) >= (mo, d) else y + 1
    if not _valid(y, mo, d):
        raise _Bad(f"impossible date {m.group(0).strip()!r}")
    if day2 is not None:
        assert mon2 is not None and year2 is not None
        if not _valid(year2, mon2, day2) or date(year2, mon2, day2) <= date(y, mo, d):
            if _valid(year2, mon2, day2) and date(year2, mon2, day2) == date(y, mo, d):
                day2 = None
            else:
                notes.append(f"ignored range end in {m.group(0).strip()!r}")
                day2 = None
    # weekday contradiction: "Monday, June 29, 1945" (a Friday)
    wd = _WEEKDAY.search(s[: m.start()])
    if wd and wd.group("wd").lower() in _WEEKDAYS:
        if date(y, mo, d).weekday() != _WEEKDAYS[wd.group("wd").lower()]:
            raise _Bad(
                f"weekday contradiction: {wd.group('wd')} but {date(y, mo, d).isoformat()} "
                f"was a {calendar.day_name[date(y, mo, d).weekday()]}"
            )
    circa = bool(_CIRCA.search(s[: m.start()])) or queried
    end = (year2, mon2, day2) if day2 is not None and mon2 is not None and year2 is not None else None
    alt = None
    for c in corrections:
        if c != d and _valid(y, mo, c):
            alt = date(y, mo, c)
    time = _parse_time(s[m.end() :])
    return _build(y, mo, d, end, alt, time, circa, context=context)


def _build(
    y: int,
    mo: int | None,
    d: int | None,
    end: tuple[int, int, int] | None,
    alt: date | None,
    time: _Time | None,
    circa: bool,
    *,
    context: bool = False,
) -> DocDate:
    lo, hi = bounds(y, mo, d)
    if end is not None:
        hi = date(*end)
    last = hi  # the printed end of the range (before editorial corrections)
    if alt is not None:
        lo, hi = min(lo, alt), max(hi, alt)
    basis = "context" if context else None
    if time is not None and mo is not None and d is not None:  # a day is always in a month
        (hh, mi), tend, zone, midnight, _ = time
        day = date(y, mo, d)
        if midnight and end is not None:
            day = last  # "July 16/17, 1955-midnight": the midnight between the two days
        start = datetime(day.year, day.month, day.day, hh, mi)
        if tend is not None:
            stop = datetime(last.year, last.month, last.day, *tend)
            if stop < start:
                stop += timedelta(days=1)
        elif midnight:
            stop = start + timedelta(days=1)
        else:
            stop = datetime(last.year, last.month, last.day, hh, mi) if end is not None else start
        nb, na = start, stop
        if alt is not None:
            nb = min(nb, datetime(alt.year, alt.month, alt.day))
            na = max(na, datetime(alt.year, alt.month, alt.day, 23, 59))
        if circa:
            nb, na = nb - timedelta(days=7), na + timedelta(days=7)
        return DocDate(_hm(start, zone), _hm(nb, zone), _hm(na, zone), "minute", basis)
    precision = "year" if mo is None else "month" if d is None else "day"
    if circa:
        if precision == "year":
            lo, hi = date(lo.year - 1, 1, 1), date(hi.year + 1, 12, 31)
        elif precision == "month":
            lo = add_months(lo, -1)
            hi = add_months(hi.replace(day=1), 1)
            hi = hi.replace(day=days_in_month(hi.year, hi.month))
        else:
            lo, hi = lo - timedelta(days=7), hi + timedelta(days=7)
    return DocDate(iso_at(y, mo, d), _iso(lo), _iso(hi), precision, basis)


# --------------------------------------------------------------------------- date-time groups

_MON3 = MONTH_ABBREVIATION_PATTERN.upper()
_DTG = re.compile(
    rf"^\s*(?P<d>[0-3]\d)(?P<h>[0-2]\d)(?P<mi>[0-5]\d)\s?(?P<z>[A-Z](?![A-Za-z]))?"
    rf"(?:\s*(?P<mon>{_MON3})\s*(?P<y>\d{{4}}|\d\d))?(?![\d])",
    re.I,
)
_MIL_ZONES = {"Z": "Z", "J": ""}
for _k, _c in enumerate("ABCDEFGHIKLM", 1):
    _MIL_ZONES[_c] = f"+{_k:02d}:00"
for _k, _c in enumerate("NOPQRSTUVWXY", 1):
    _MIL_ZONES[_c] = f"-{_k:02d}:00"


def parse_dtg(text: str, reference: DocDate | None = None) -> DocDate | None:
    """Parse a military date-time group: "160900", "291530Z", "160900Z JUN 45".

    Day and time are stated; month and year come from the group itself ("JUN 45") or from
    `reference`: a day-precise reference picks the nearest matching day, an interval
    reference must leave exactly one candidate month. Otherwise None (never a guess).
    """
    if not text:
        return None
    m = _DTG.match(text.strip())
    if not m:
        return None
    d, hh, mi = int(m.group("d")), int(m.group("h")), int(m.group("mi"))
    if not (1 <= d <= 31 and hh <= 24 and mi <= 59):
        return None
    if hh == 24:
        hh = 0  # rare, treat as midnight of the day
    zone = _MIL_ZONES.get((m.group("z") or "").upper(), "")
    basis = None
    if m.group("mon"):
        mo = _month(m.group("mon"))
        y = int(m.group("y"))
        if y < 100:
            y += 1900 if y >= 30 else 2000
        if mo is None or not _valid(y, mo, d):
            return None
    else:
        span = _ref_span(reference)
        if span is None:
            return None
        lo, hi, point = span
        cands = []
        base = point or lo
        for k in range(-1, (hi.year - lo.year) * 12 + hi.month - lo.month + 2):
            first = add_months(base.replace(day=1), k)
            if _valid(first.year, first.month, d):
                cands.append(date(first.year, first.month, d))
        if point is not None:
            cands = [c for c in cands if abs((c - point).days) <= 20]
            if not cands:
                return None
            c = min(cands, key=lambda c: abs((c - point).days))
        else:
            cands = [c for c in cands if lo <= c <= hi]
            if len(cands) != 1:
                return None
            c = cands[0]
        y, mo = c.year, c.month
        basis = "context"
    start = datetime(y, mo, d, hh, mi)
    return DocDate(_hm(start, zone), _hm(start, zone), _hm(start, zone), "minute", basis)


# --------------------------------------------------------------------------- datelines and places

_DOC_KIND = re.compile(
    r"^(?:Cablegram|Cable|Telegram|Savingram|Teleprinter message|Memorandum|Minute|Letter|Despatch|Dispatch"
    r"|Note|Agendum|Extracts?|Record|Report|Submission|Aide-m[ée]moire|Message)\b"
    r"(?:\s+(?:No\.?\s*)?[A-Z]{0,3}[\d.]+[A-Z]?)?(?:\s*\((?:extracts?|paraphrase)\))?\s*",
    re.I,
)
_FOOTREF = re.compile(r"\[\d+\]|\[\s*\]")
_PLACE_OK = re.compile(r"^[A-Za-zÀ-ÿ'’.\- ]{2,40}$")


def _clean_place(raw: str) -> str | None:
    p = _FOOTREF.sub(" ", raw)
    p = _DOC_KIND.sub("", p.strip())
    p = p.replace("[", " ").replace("]", " ")
    p = _WS.sub(" ", p).strip(" ,.;:-\u2014\u2013")
    if not p or not _PLACE_OK.match(p) or len(p.split()) > 4:
        return None
    if p.lower() in _WEEKDAYS or p.lower() in ("undated", "place not declassified", "no place"):
        return None
    if p.isupper():
        p = " ".join(w.capitalize() if not re.match(r"^[A-Z]\.$", w) else w for w in p.split())
        p = re.sub(r"\b(Of|The|De|La|Du|Da|Es)\b", lambda m: m.group(1).lower(), p)
    return p


def split_dateline(text: str) -> tuple[str | None, str]:
    """Split a dateline into (place, rest): "Moscow, June 16, 1945—9 a.m." → ("Moscow", "June 16...")."""
    if not text:
        return None, ""
    cols = [c for c in re.split(r"\s{3,}|\t", text.strip()) if c]
    if len(cols) > 1:  # wide layouts: "MD J. Bitterlich          Bonn, 31 October 1997"
        for col in reversed(cols):
            if _find_date(_normalize(col)[0]):
                return split_dateline(col)
    s, _, _ = _normalize(text)
    found = _find_date(s)
    if found is None:
        m = _UNDATED.search(s)
        if m:
            return _clean_place(s[: m.start()]), s[m.start() :]
        return None, s
    _, m = found
    head = s[: m.start()]
    # "Wednesday, September 24 1952": the weekday is not a place
    wd = _WEEKDAY.search(head)
    if wd and wd.group("wd").lower() in _WEEKDAYS:
        head = head[: wd.start()]
    if not head.strip():
        return None, s[m.start() :]
    return _clean_place(head), s[m.start() :]


# --------------------------------------------------------------------------- the enrichment step

_HEAD_LINES = 8
_LEAD_DTG = re.compile(
    rf"^\s*(?P<dtg>[0-3]\d[0-2]\d[0-5]\d(?:\s?[A-Z])?(?:\s+(?:{_MON3})\s+(?:\d{{4}}|\d\d))?)\s*[.:\-]?(?:\s|$)",
    re.I,
)
_REFERENCE_LINE = re.compile(
    r"^\W*(?:re\b|ref\b|reference|reurtel|your|my|our|his|her|their|this|in reply|see|subject|cf\b)", re.I
)
_FROM_PLACE = re.compile(r"\bFROM\s+(?P<place>[A-Z][A-Za-z .'-]{1,30}?)\s*\.?$")


def _coverage_reference(document: Document) -> DocDate | None:
    cov = document.collection.coverage or {}
    nb, na = cov.get("not_before"), cov.get("not_after")
    if nb and na:
        return DocDate(None, nb, na, None, None)
    return None


def _head_lines(text: str) -> list[str]:
    lines = []
    for line in text[:10000].splitlines():
        if line.strip():
            lines.append(line.strip())
        if len(lines) >= _HEAD_LINES:
            break
    return lines


def _header_date(document: Document) -> tuple[DocDate, str, str | None] | None:
    """A date line among the first lines of the text: (date, basis, place)."""
    for line in _head_lines(document.text):
        if len(line) > 140 or _REFERENCE_LINE.match(line):
            continue
        dt, _ = parse_date_report(line)  # a header date must state its year
        if dt is None or dt.basis == "context":
            continue
        s, _, _ = _normalize(line)
        found = _find_date(s)
        if found is None:
            continue
        head, tail = s[: found[1].start()], s[found[1].end() :]
        words = len(re.findall(r"[A-Za-z]{2,}", head + " " + tail))
        shaped = head.rstrip().endswith(",") or not head.strip()
        if not (line.isupper() or words <= 8):
            continue
        if shaped and len(re.findall(r"[A-Za-z]{2,}", tail)) <= 3:
            place, _ = split_dateline(line)
            return dt, ("dateline" if head.strip() else "header"), place
        fm = _FROM_PLACE.search(line)
        return dt, "header", _clean_place(fm.group("place")) if fm else None
    return None


def _leading_dtg(text: str) -> str | None:
    for line in _head_lines(text):
        m = _LEAD_DTG.match(line)
        if m:
            return m.group("dtg")
    return None


def _same_day(a: DocDate, b: DocDate) -> bool:
    return bool(a.when and b.when and a.when[:10] == b.when[:10])


def date_step(document: Document, context: Context | None) -> Document:
    """Fill `document.date` (and `place`) from the dateline, a header line or a leading DTG."""
    extra = getattr(context, "extra", None) or {}
    default_year = extra.get("default_year")
    reference = extra.get("reference") or _coverage_reference(document)
    warnings = list(document.warnings)
    date_ = document.date
    place = document.place

    raw_dateline = document.dateline or ""
    dateline = raw_dateline.strip()
    parsed_dateline = None
    if dateline:
        parsed_dateline, notes = parse_date_report(
            raw_dateline, default_year=default_year, reference=reference
        )
        if parsed_dateline is None and not any(n == "undated" for n in notes):
            reason = f": {notes[0]}" if notes else ""
            warnings.append(f"dates: dateline {dateline!r} not understood{reason}")
        if not place:
            place = split_dateline(raw_dateline)[0]

    if date_.when:
        # Keep the reader's date; report a dateline that says something else.
        if parsed_dateline is not None and parsed_dateline.when and not _same_day(date_, parsed_dateline):
            if len(date_.when) >= 10 and parsed_dateline.precision in ("day", "minute"):
                warnings.append(
                    f"dates: dateline {dateline!r} gives {parsed_dateline.when}, date is {date_.when}"
                )
        dtg = _leading_dtg(document.text)
        if dtg and date_.precision == "day":
            refined = parse_dtg(dtg, date_)
            if refined is not None and _same_day(refined, date_):
                date_ = replace(refined, basis=date_.basis)
            else:
                warnings.append(f"dates: leading date-time group {dtg!r} does not fall on {date_.when}")
    elif parsed_dateline is not None:
        date_ = replace(parsed_dateline, basis=parsed_dateline.basis or "dateline")
    else:
        header = _header_date(document) if document.text else None
        if header is not None:
            dt, basis, hplace = header
            date_ = replace(dt, basis=basis)
            place = place or hplace
        else:
            dtg = _leading_dtg(document.text) if document.text else None
            if dtg:
                grouped = parse_dtg(dtg, reference)
                if grouped is not None:
                    date_ = replace(grouped, basis="date-time group")
                else:
                    m = _DTG.match(dtg)
                    assert m is not None
                    warnings.append(
                        f"dates: leading date-time group {dtg!r} (day {int(m.group('d'))}, "
                        f"{m.group('h')}:{m.group('mi')}) but no month/year context"
                    )
    if date_ is document.date and place == document.place and warnings == document.warnings:
        return document
    return replace(document, date=date_, place=place, warnings=warnings)
