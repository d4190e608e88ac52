"""Nationality words and the country each names ("FRENCH" -> France), from `data/demonyms.txt`."""

from __future__ import annotations

from chancery.authority.names import normalize
from chancery.enrich.entities.words import word_list


def _demonyms() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in word_list("demonyms"):
        country, _, names = line.partition(":")
        for word in names.split():
            out[normalize(word)] = normalize(country)
    return out


# Nationality word (normalised) -> the normalised name of its country in the shipped places.
DEMONYMS = _demonyms()
