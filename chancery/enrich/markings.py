"""Markings: classification, handling, paraphrase, channel and the document's own message numbers.

Everything is read from the head of the text (the first ~15 non-empty lines), where
cables, DFAT cablegrams and Wilson Center transcripts put their markings:

    PARAPHRASE OF NAVY CABLE JULY 1, 1945 FROM MOSCOW      paraphrase, channel "navy"
    TOP SECRET                                             classification
    TOP SECRET AND PERSONAL FROM HARRIMAN FOR ...          classification + handling PERSONAL
    Cablegram 123 LONDON, 5 July 1945, 7 p.m.              message number "123"
    IMMEDIATE MOST SECRET AND PERSONAL                     handling + classification

Mixed-case running text is never searched for markings words ("a personal conversation" is
not a handling caveat): only upper-case lines and short marking lines ("Secret.", "Eyes Only",
"Secret; Priority; Nodis") count. References to other messages ("Reference White House Message
No. 307", "Your D.1190") are not the document's own numbers.
"""

from __future__ import annotations

import re
from dataclasses import replace

from chancery.enrich import Context
from chancery.model import Document, Markings

__all__ = ["find_markings", "find_message_numbers", "markings_step"]

_HEAD = 15

_CLASSIFICATIONS = [
    "TOP SECRET",
    "MOST SECRET",
    "LIMITED OFFICIAL USE",
    "OFFICIAL USE ONLY",
    "SECRET",
    "CONFIDENTIAL",
    "RESTRICTED",
    "UNCLASSIFIED",
]
_HANDLING = [
    "FOR THE PRESIDENT ONLY",
    "FOR THE PRESIDENT'S EYES ONLY",
    "EYES ONLY",
    "OPERATIONAL IMMEDIATE",
    "MOST IMMEDIATE",
    "IMMEDIATE",
    "PRIORITY",
    "NIACT",
    "FLASH",
    "NODIS",
    "EXDIS",
    "LIMDIS",
    "STADIS",
    "NOFORN",
    "CHEROKEE",
    "PERSONAL",
    "PRIVATE",
    "IMPORTANT",
    "URGENT",
    "EN CLAIR",
]


def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


_CLASS_RX = re.compile(rf"(?<![A-Za-z])(?:{_alt(_CLASSIFICATIONS)})(?![A-Za-z])", re.I)
_HAND_RX = re.compile(rf"(?<![A-Za-z])(?:{_alt(_HANDLING)})(?![A-Za-z])", re.I)
_NEXT_OK = {"AND", "FOR", "FROM", "TO", "&", "PERSONAL", "EYES", "MOST", "OPERATIONAL"}
_FILLER = re.compile(r"^(?:AND|&|[-;,.:/()\[\]]+)$", re.I)
_PARAPHRASE = re.compile(
    r"^\W*(?:\[\s*paraphrase\s*\]|\(\s*paraphrase\s*\)|paraphrase\b(?:\s+of\b)?|paraphrased\b)", re.I
)
_CHANNEL_HEAD = re.compile(
    r"\b(NAVY|NAVAL|ARMY|WAR DEPARTMENT|MILITARY|CIA|WHITE HOUSE)\s+(?:CABLE|CHANNELS?|MESSAGE)\b", re.I
)
_CHANNEL_BODY = re.compile(
    r"\b(?:via|through|by|use|using|over)\s+(?:the\s+)?(navy|naval|army|military|war department|cia)\s+channels?\b"
    r"|\b(back[\s-]?channel)\b",
    re.I,
)
_CHANNEL_NAMES = {
    "navy": "navy",
    "naval": "navy",
    "army": "army",
    "war department": "army",
    "military": "military",
    "cia": "cia",
    "white house": "white house",
}

_REFERENCE_LINE = re.compile(
    r"^\W*(?:re\b|ref\b|refs?\.|reference|reurtel|your|my|our|his|her|their|this|in reply|see|subject|cf\b"
    r"|with reference|following|repeated|sent)",
    re.I,
)
_KIND_NUMBER = re.compile(
    r"^\W*(?:Cablegram|Cable|Telegram|Savingram|Teleprinter message|Despatch|Dispatch|Airgram|Message|Circular)"
    r"\s+(?:No\.?\s*)?(?P<n>[A-Z]{0,3}\.?\s?\d+[A-Z]?)\b",
    re.I,
)
_NO_NUMBER = re.compile(r"\b(?:No|Nr|Number)\s*\.?\s*(?P<n>[A-Z]{0,3}[-.]?\d+[A-Z]?)\b(?!\s+of\s+\d+)", re.I)
_COPY = re.compile(r"\bcop(?:y|ies)\b", re.I)
_LEADING_NUMBER = re.compile(r"^(?P<n>\d{1,5})\.\s+(?=[A-Z\u201c\"'(\[])")


_LETTERS = re.compile(r"[^\W\d_]")
_TRANSCRIPT = re.compile(r"^\W*(?:Transcript|Translation)\b.{0,40}$", re.I)


def _head_lines(text: str, n: int = _HEAD) -> list[str]:
    """The first `n` non-empty lines; in a Wilson Center page, those after "Transcript - English"."""
    lines = text[:8000].splitlines()
    for i, line in enumerate(lines[:60]):
        if _TRANSCRIPT.match(line.strip().strip("*")):
            lines = lines[i + 1 :]
            break
    out = []
    for line in lines:
        line = line.strip().strip("*").strip()
        if line:
            out.append(line)
            if len(out) >= n:
                break
    return out


def _is_upper(line: str) -> bool:
    return len(line) <= 300 and line == line.upper() and len(_LETTERS.findall(line, 0, 40)) >= 3


def _is_marking_line(line: str) -> bool:
    """A short line made only of marking words: "Secret.", "Eyes Only", "Secret; Priority; Nodis"."""
    if len(line) > 80:
        return False
    rest = _HAND_RX.sub(" ", _CLASS_RX.sub(" ", line))
    return not re.sub(r"[\s\W]|and|for|only", "", rest, flags=re.I)


def _norm(term: str) -> str:
    return " ".join(term.upper().split())


def _classification_in(line: str) -> str | None:
    """Classification in an upper-case line, if it stands among marking words, first or last."""
    for m in _CLASS_RX.finditer(line):
        before = _HAND_RX.sub(" ", line[: m.start()])
        after = line[m.end() :].split()
        nxt = after[0].strip(",.;:-—") if after else ""
        if not [w for w in before.split() if not _FILLER.match(w)] and (
            not nxt or nxt.upper() in _NEXT_OK or _HAND_RX.fullmatch(nxt) or not nxt.isalpha()
        ):
            return _norm(m.group(0))
        if not re.search(r"[A-Za-z]", line[m.end() :]):
            return _norm(m.group(0))
    return None


def find_markings(text: str) -> Markings:
    """Classification, handling caveats, paraphrase and channel from the head of a text."""
    marks = Markings()
    if not text:
        return marks
    lines = _head_lines(text)
    handling: list[str] = []
    for line in lines:
        upper = _is_upper(line)
        marking_line = _is_marking_line(line)
        if _PARAPHRASE.match(line):
            marks.paraphrase = True
        if upper or marking_line:
            if marks.classification is None:
                cls = (
                    _classification_in(line)
                    if upper
                    else (_norm(m.group(0)) if (m := _CLASS_RX.search(line)) else None)
                )
                marks.classification = cls
            if upper or marking_line:
                for m in _HAND_RX.finditer(line):
                    term = _norm(m.group(0))
                    if term not in handling:
                        handling.append(term)
        if marks.channel is None and (upper or len(line) < 120):
            m = _CHANNEL_HEAD.search(line)
            if m:
                marks.channel = _CHANNEL_NAMES.get(" ".join(m.group(1).lower().split()), m.group(1).lower())
    if marks.channel is None and "channel" in text[:20000].lower():
        m = _CHANNEL_BODY.search(text[:20000])
        if m:
            marks.channel = (
                "backchannel" if m.group(2) else _CHANNEL_NAMES.get(" ".join(m.group(1).lower().split()))
            )
    marks.handling = handling
    return marks


def find_message_numbers(text: str) -> list[str]:
    """The document's own message numbers ("Cablegram 123 LONDON..." → ["123"])."""
    if not text:
        return []
    numbers: list[str] = []

    def add(n: str) -> None:
        n = re.sub(r"\s+", "", n)
        if n and n not in numbers:
            numbers.append(n)

    lines = _head_lines(text, 6)
    for line in lines:
        if _REFERENCE_LINE.match(line):
            continue
        m = _KIND_NUMBER.match(line)
        if m:
            add(m.group("n"))
            continue
        # FRUS telegram bodies: "250. Pignon–Bao ..." (a first paragraph "1." is a paragraph number)
        m = _LEADING_NUMBER.match(line)
        if m and int(m.group("n")) >= 2 and not numbers:
            add(m.group("n"))
            break
        header_like = _is_upper(line) or len(line.split()) <= 12
        if header_like and not _COPY.search(line):
            for m in _NO_NUMBER.finditer(line):
                before = line[: m.start()].lower()
                if re.search(r"\b(?:your|my|our|reference|ref|re|reurtel|to)\s+(?:\w+\s+){0,3}$", before):
                    continue  # "Your telegram No. 45": a reference
                add(m.group("n"))
    return numbers


def markings_step(document: Document, context: Context | None) -> Document:
    """Fill empty markings fields and `message_numbers` from the text; never overwrite a reader's values."""
    if not document.text:
        return document
    found = find_markings(document.text)
    cur = document.markings
    new = Markings(
        classification=cur.classification or found.classification,
        handling=list(cur.handling) or found.handling,
        paraphrase=cur.paraphrase or found.paraphrase,
        channel=cur.channel or found.channel,
    )
    numbers = document.message_numbers or find_message_numbers(document.text)
    if new == cur and numbers == document.message_numbers:
        return document
    return replace(document, markings=new, message_numbers=list(numbers))
