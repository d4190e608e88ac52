"""Page markers and footnotes in plain text: "[Page 906]", glued or bracketed marks, a trailing list.

Shared by the text readers. A copied web page (history.state.gov) prints page breaks as
"[Page 906]" inline, footnote marks as numbers glued to the word before them ("last night63",
"Truman1") and the notes as a list numbered 1..n at the end ("  1. Source: ..."); other
transcriptions mark notes "[1]". `split_notes` cuts the trailing list off, `glued_anchors` or
`bracket_anchors` find the marks, and `apply_marks` removes marks and page markers from the
text, returning `Page` and `Footnote` offsets into the cleaned text, as the TEI reader stores
them. A footnote's `n` is the number printed at its mark (the volume's number; the web list
renumbers 1..n); a note whose mark was not found keeps its list number and an offset at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chancery.model import Footnote, Page

PAGE_MARK = re.compile(r"[ \t]*\[Page (?P<n>[0-9ivxlcdmIVXLCDM]+[A-Za-z]?)\][ \t]*")
_ITEM = re.compile(r"^\s*(?P<n>\d{1,3})\.\s+(?P<text>\S.*)$")
_LOOSE_ITEM = re.compile(r"^\s*(?:\[(?P<bn>\d{1,3})\]|(?P<n>\d{1,3})\.?)\s+(?P<text>\S.*)$")
_BRACKET = re.compile(r" ?\[(?P<n>\d{1,3})\]")


@dataclass
class Anchor:
    """A footnote mark found in the text: where it stands, the number printed, the note it marks."""

    start: int
    end: int
    n: str
    note: int  # index into the notes list


def split_notes(lines: list[str], loose: bool = False) -> tuple[list[str], list[str]]:
    """(body lines, note texts) for a trailing list numbered 1..n, else (lines, []).

    The list starts at the last line numbered 1; a later line that is not the next number
    continues the note before it (a note of several paragraphs). `loose` also accepts "1 Text"
    and "[1] Text" items (generic transcriptions), but no continued notes: every line after
    the first item must be the next item.
    """
    item = _LOOSE_ITEM if loose else _ITEM
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    for start in range(end - 1, -1, -1):
        m = item.match(lines[start])
        if not m or int(m["n"] or m.groupdict().get("bn") or 0) != 1:
            continue
        notes: list[list[str]] = []
        for line in lines[start:end]:
            m = item.match(line)
            if m and int(m["n"] or m.groupdict().get("bn") or 0) == len(notes) + 1:
                notes.append([m["text"].strip()])
            elif line.strip() and loose:
                return lines[:end], []
            elif line.strip():
                notes[-1].append(line.strip())
        body = lines[:start]
        while body and not body[-1].strip():
            body.pop()
        return body, ["\n\n".join(parts) for parts in notes]
    return lines[:end], []


def glued_anchors(text: str, count: int, in_numbers: bool = True) -> list[Anchor]:
    """`count` glued marks numbered consecutively (from any number) in reading order, or [].

    A mark is a number glued to the word before it ("night63", "Truman1", "Paris.4It"); two
    marks in a row run together ("197112" after "March 23, 1971" is 1971 then marks 1 and 2).
    Marks glued to a number ("March 72" for March 7 and mark 2) are taken, when `in_numbers`,
    only where the run has no plain mark for that number before the next one.
    """
    if not count:
        return []
    starts: list[int] = []
    inside = {at for m in PAGE_MARK.finditer(text) for at in range(m.start(), m.end())}
    tokens = [m for m in _DIGITS.finditer(text) if m.start() not in inside]
    glued = [_is_glued(text, m.start()) for m in tokens]
    for m, is_glued in zip(tokens, glued, strict=True):
        if is_glued:
            digits = m["d"]
            for value in [int(digits)] + [int(digits[:i]) for i in range(1, len(digits))]:
                if value not in starts and len(str(value)) <= 3:
                    starts.append(value)
    del starts[_MAX_STARTS:]  # bounded work on hostile input: runs are tried from a few numbers only
    if in_numbers:  # the first mark may be glued to a number (a heading's date, "May 1, 19457")
        starts += [v for v in [v - 1 for v in starts if v > 1] + [1, 0] if v not in starts]
    for repeats in (False, True):  # a second pass lets a mark repeat ("2" twice for two notes)
        runs = []
        for order, value in enumerate(starts):
            run, guessed = _run(text, tokens, glued, value, count, in_numbers, repeats)
            if run:  # fewest marks taken from numbers; then numbered from 1, as recent volumes are
                runs.append((guessed, value != 1, order, run))
        if runs:
            return min(runs, key=lambda r: r[:3])[3]
    return []


_MAX_STARTS = 24
_MAX_LOOKAHEAD = 400  # tokens searched for a mark glued to a number
_DIGITS = re.compile(r"(?P<d>\d+)(?=[\s.,;:!?)’”—–\]]|$|[A-Z])")
_GLUE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,;:!?’”'\")]%*…")


def _is_glued(text: str, at: int) -> bool:
    """Digits at `at` follow a letter or punctuation, but not a decimal point or a thousands comma
    ("0.9", "1,915"); a year's full stop ("1958.3") does."""
    if at > 1 and text[at - 1] == "—" and text[at - 2] == " ":  # a blank left by the editors, "General —2"
        return True
    if at == 0 or not (text[at - 1] in _GLUE or text[at - 1].isalpha()):  # "communiqué5"
        return False
    if text[at - 1] == ":" and at > 1 and text[at - 2].isdigit():  # a time, "4:40"; not "Deptel 196:2"
        return len(re.match(r"\d*", text[at:]).group()) != 2  # type: ignore[union-attr]
    if text[at - 1] in ".," and at > 1 and text[at - 2].isdigit():
        before = re.search(r"\d+$", text[max(0, at - 12) : at - 1])
        if before and _YEAR.match(before.group()):  # "May 4, 1958.3" has a mark
            return True
        # "January 10.2 It is" has one; "0.9\t", "2.5 million" and "1,915" are numbers
        if text[at - 1] == ",":  # thousands come in threes: "1,915"; "January 14,3 it" has a mark
            return len(re.match(r"\d*", text[at:]).group()) != 3  # type: ignore[union-attr]
        after = _AFTER_MARK.match(text, at)
        line_start = text.rfind("\n", 0, at) + 1
        return bool(after) and "\t" not in text[line_start:at]
    return True


def _split_run(digits: str, want: int) -> list[int] | None:
    """ "12" at want 1 → [1, 2]: the digits as marks want, want+1, ..., or None."""
    values: list[int] = []
    rest = digits
    while rest:
        piece = str(want + len(values))
        if not rest.startswith(piece):
            return None
        values.append(want + len(values))
        rest = rest[len(piece) :]
    return values


def _run(
    text: str,
    tokens: list[re.Match[str]],
    glued: list[bool],
    want: int,
    count: int,
    in_numbers: bool,
    repeats: bool = False,
) -> tuple[list[Anchor], int]:
    """The run of marks from `want`, and how many of them were taken from numbers."""
    anchors: list[Anchor] = []
    guessed = 0
    target = -1  # the token chosen for a mark glued to a number
    for i, m in enumerate(tokens):
        if len(anchors) == count:
            break
        digits, at = m["d"], m.start()
        values = _split_run(digits, want) if glued[i] else None
        if values is None and repeats and anchors and glued[i] and digits == anchors[-1].n:
            anchors.append(Anchor(at, at + len(digits), digits, len(anchors)))
            continue
        if values is None and in_numbers and len(digits) > 1 and (target < 0 or target == i):
            cut = _number_mark(digits, want)
            if cut and target < 0:
                target = _pick_number_mark(tokens, glued, i, want)
            if cut and target == i:
                values, at = _split_run(digits[cut:], want), at + cut
                guessed += 1
        if values is None:
            continue
        target = -1
        values = values[: count - len(anchors)]
        for value in values:
            piece = str(value)
            anchors.append(Anchor(at, at + len(piece), piece, len(anchors)))
            at += len(piece)
        want = values[-1] + 1
    return (anchors, guessed) if len(anchors) == count else ([], guessed)


def _number_mark(digits: str, want: int) -> int:
    """Where marks `want`, `want + 1` ... start at the end of `digits` (0: they do not)."""
    for cut in range(1, len(digits)):
        if _split_run(digits[cut:], want) is not None:
            return cut
    return 0


_AFTER_MARK = re.compile(r"\d+(?:$|\n|\s+[A-Z“\"\[(])")
_YEAR = re.compile(r"^(?:1[789]|20)\d\d$")


def _pick_number_mark(tokens: list[re.Match[str]], glued: list[bool], i: int, want: int) -> int:
    """The token holding mark `want` glued to a number, from token `i` up to the next plain mark
    (-2 when a plain mark `want` comes first): a year with a mark ("19561") before any other."""
    options = []
    for j in range(i, min(len(tokens), i + _MAX_LOOKAHEAD)):
        digits = tokens[j]["d"]
        if glued[j] and _split_run(digits, want) is not None:
            return -2
        if glued[j] and any(_split_run(digits, later) is not None for later in range(want + 1, want + 4)):
            break
        cut = _number_mark(digits, want) if len(digits) > 1 and not _YEAR.match(digits) else 0
        if cut:  # "1972" is a year, not "197" with mark 2
            options.append((not _YEAR.match(digits[:cut]), j))
    return min(options)[1] if options else -2


def bracket_anchors(text: str, count: int) -> list[Anchor]:
    """ "[n]" marks for notes 1..count (each mark's number picks its note)."""
    return [
        Anchor(m.start(), m.end(), m["n"], int(m["n"]) - 1)
        for m in _BRACKET.finditer(text)
        if 1 <= int(m["n"]) <= count
    ]


def glued_with_heading(
    heading: str, body: str, count: int, in_numbers: bool = True
) -> tuple[str, list[Anchor], list[Anchor]]:
    """Glued marks searched in the heading and the body together (the heading's mark comes first):
    (the heading without its marks, the heading's anchors, the body's anchors at body offsets)."""
    found = glued_anchors(f"{heading}\n{body}", count, in_numbers)
    cut = len(heading) + 1
    head = [a for a in found if a.start < len(heading)]
    for anchor in reversed(head):
        heading = (heading[: anchor.start] + heading[anchor.end :]).rstrip()
    body_anchors = [Anchor(a.start - cut, a.end - cut, a.n, a.note) for a in found if a.start >= cut]
    return heading, head, body_anchors


def place_head_notes(footnotes: list[Footnote], head: list[Anchor]) -> None:
    """A heading's notes stand at offset 0, before the text, as the TEI reader stores them."""
    for anchor in head:
        footnotes[anchor.note].n = anchor.n
        footnotes[anchor.note].offset = 0


def apply_marks(text: str, anchors: list[Anchor], notes: list[str]) -> tuple[str, list[Page], list[Footnote]]:
    """`text` without page markers and footnote marks, with their offsets in the result."""
    events: list[tuple[int, int, Anchor | None, str]] = [
        (m.start(), m.end(), None, m["n"]) for m in PAGE_MARK.finditer(text)
    ]
    events += [(a.start, a.end, a, a.n) for a in anchors]
    events.sort(key=lambda e: (e[0], e[2] is None))
    out: list[str] = []
    pages: list[Page] = []
    footnotes: list[tuple[int, Footnote]] = []
    length = pos = 0
    marked: set[int] = set()
    for start, end, anchor, n in events:
        if start < pos:
            continue
        chunk = text[pos:start]
        out.append(chunk)
        length += len(chunk)
        if anchor is None:
            before = out[-1] if out else ""
            if before and not before.endswith(("\n", " ")) and end < len(text) and text[end] != "\n":
                out.append(" ")
                length += 1
            pages.append(Page(n=n, offset=length))
        elif anchor.note not in marked:
            marked.add(anchor.note)
            footnotes.append((anchor.note, Footnote(n=n, text=notes[anchor.note], offset=length)))
        pos = end
    out.append(text[pos:])
    clean = "".join(out)
    for k, note in enumerate(notes):
        if k not in marked:
            footnotes.append((k, Footnote(n=str(k + 1), text=note, offset=len(clean))))
    footnotes.sort(key=lambda pair: pair[0])
    return clean, pages, [f for _, f in footnotes]
