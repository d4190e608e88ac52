"""Word lists (package data in `data/*.txt`) and what a single word is: English, jargon, garbled."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from chancery.authority.names import COMMON_WORDS, TITLES
from chancery.dates import MONTH_ABBREVIATION_PATTERN

PACKAGE = "chancery.enrich.entities"


def word_list(name: str) -> list[str]:
    """The entries of `data/<name>.txt`: one a line (or several a line, split on white space for
    `words`); lines starting with "#" are comments."""
    text = (files(PACKAGE) / "data" / f"{name}.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def words(name: str) -> frozenset[str]:
    """The set of white-space separated words in `data/<name>.txt`."""
    return frozenset(w for line in word_list(name) for w in line.split())


# Lower-case vocabulary of FRUS running text (benchmarks/quality_entities.py `vocabulary`).
ENGLISH = words("english_words")
# Telegram jargon and acronyms that are neither names nor places.
CABLE_WORDS = words("cable_words")
PERSON_TITLES = TITLES - {"his", "her", "foreign", "under", "assistant", "deputy", "acting", "chief"}
VOWELS = frozenset("aeiouy")
MONTHS = frozenset(a.lower() for a in MONTH_ABBREVIATION_PATTERN.split("|")) - {"may"}
# A government's acronym ("USG", "GOI": Government of Israel/India) stands for its country.
GOVERNMENTS = re.compile(r"(?:USG|ROKG|SRV|WASHDC|USSR|GPNG|GO[A-Z])")
# English inflections the lower-case vocabulary may lack: "LEVELS", "PERSONS", "DAILIES".
SUFFIXES = (("ies", "y"), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"))
CONSONANT_RUN = re.compile(r"[^aeiouy]{4}")


def garbled(word: str) -> bool:
    """Four consonants in a row ("NMAFVVZCZ"); "SCH" counts as one ("SCHMIDT" is fine)."""
    return bool(CONSONANT_RUN.search(word.replace("sch", "s")))


@cache
def english(word: str) -> bool:
    """An ordinary English word (normalised), counting plain inflections of the vocabulary's words."""
    if word in ENGLISH or word in COMMON_WORDS:
        return True
    if word.endswith(("ses", "xes", "zes", "ches", "shes")) and word[:-2] in ENGLISH:
        return True  # "TAXES", "CHURCHES"
    return any(
        word.endswith(suffix) and len(word) - len(suffix) > 2 and word[: -len(suffix)] + stem in ENGLISH
        for suffix, stem in SUFFIXES
    )
