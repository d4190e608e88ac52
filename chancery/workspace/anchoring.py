"""Where a quoted passage is in a document's text: anchoring a new annotation, and finding it
again after the text changed (re-ingest of an edited file).

A passage is kept as the W3C Web Annotation text-quote selector (`exact` with some `prefix` and
`suffix` context) plus a text-position selector (`start`, `end`). Re-anchoring looks for the
quote itself (the occurrence whose context agrees best, then the one nearest the old position),
then the quote with its white space changed, then a slightly edited quote between its unchanged
context or near its best-matching stretch (difflib); otherwise the passage is gone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

CONTEXT = 32  # characters of prefix and suffix kept around a quote
SIMILAR = 0.75  # an edited passage between its unchanged context matches its quote this much (difflib)
ALONE = 0.85  # an edited passage whose context changed too must match its quote this much
NEAR = 4000  # characters either side of the old position searched first for an edited quote


@dataclass(frozen=True)
class Span:
    """A passage of a text: its offsets and the selector fields describing it."""

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


def span(text: str, start: int, end: int) -> Span:
    """The passage text[start:end] with its context."""
    return Span(start, end, text[start:end], text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT])


def anchor(text: str, quote: str | None, start: int | None, end: int | None) -> Span | None:
    """A new annotation's passage: by offsets when they hold `quote` (or no quote is given),
    else the occurrence of `quote` nearest `start`; None when it is not in the text."""
    if start is not None and end is not None and 0 <= start < end <= len(text):
        if not quote or text[start:end] == quote:
            return span(text, start, end)
    if not quote:
        return None
    found = locate(text, quote, "", "", start or 0, fuzzy=False)
    return span(text, *found) if found else None


def locate(
    text: str, exact: str, prefix: str, suffix: str, hint: int, fuzzy: bool = True
) -> tuple[int, int] | None:
    """(start, end) of the quote in `text`, chosen as the module docstring says, or None."""
    if not exact.strip():
        return None
    spots = _occurrences(text, exact) or _loose_occurrences(text, exact)
    if spots:
        return max(spots, key=lambda s: (_context(text, s, prefix, suffix), -abs(s[0] - hint)))
    if not fuzzy:
        return None
    return _between_context(text, exact, prefix, suffix, hint) or _near(text, exact, hint)


def _occurrences(text: str, exact: str) -> list[tuple[int, int]]:
    spots, at = [], text.find(exact)
    while at >= 0:
        spots.append((at, at + len(exact)))
        at = text.find(exact, at + 1)
    return spots


def _loose_occurrences(text: str, exact: str) -> list[tuple[int, int]]:
    """The quote with any run of white space matching any other (a re-wrapped line)."""
    words = exact.split()
    pattern = r"\s+".join(re.escape(w) for w in words)
    return [m.span() for m in re.finditer(pattern, text)]


def _context(text: str, spot: tuple[int, int], prefix: str, suffix: str) -> int:
    """How many characters of the old prefix and suffix still surround `spot`."""
    before, after = text[max(0, spot[0] - len(prefix)) : spot[0]], text[spot[1] : spot[1] + len(suffix)]
    same = 0
    for a, b in zip(reversed(before), reversed(prefix), strict=False):
        if a != b:
            break
        same += 1
    for a, b in zip(after, suffix, strict=False):
        if a != b:
            break
        same += 1
    return same


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _between_context(text: str, exact: str, prefix: str, suffix: str, hint: int) -> tuple[int, int] | None:
    """An edited quote still standing between its unchanged prefix and suffix."""
    before, after = prefix[-16:], suffix[:16]
    if len(before) < 8 or len(after) < 8:
        return None
    longest = 2 * len(exact) + 16
    best: tuple[float, int, tuple[int, int]] | None = None
    for _a_start, a_end in _occurrences(text, before):
        b = text.find(after, a_end, a_end + longest + len(after))
        if b < 0 or b == a_end:
            continue
        score = _similar(text[a_end:b], exact)
        if score >= SIMILAR and (best is None or (score, -abs(a_end - hint)) > best[:2]):
            best = (score, -abs(a_end - hint), (a_end, b))
    return best[2] if best else None


def _near(text: str, exact: str, hint: int) -> tuple[int, int] | None:
    """An edited quote found by its longest unchanged stretch, near the old position first."""
    for low in (max(0, hint - NEAR), 0):
        region = text[low : hint + len(exact) + NEAR] if low else text
        block = SequenceMatcher(None, region, exact, autojunk=False).find_longest_match()
        if block.size < max(8, len(exact) // 3):
            continue
        start = max(0, low + block.a - block.b)
        end = min(len(text), start + len(exact))
        if _similar(text[start:end], exact) >= ALONE:
            return start, end
    return None
