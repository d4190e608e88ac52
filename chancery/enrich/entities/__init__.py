"""Find person, place and organisation mentions in plain text and resolve them to entities.

`Resolver(entity_dicts)` (dictionary.py) compiles once a token dictionary of every name spelling
(full names, surnames, place and organisation names) and of role phrases ("the Acting Secretary of
State", "the President", "the Ambassador in the Soviet Union"). Matching is a greedy longest match
over the document's tokens. A surname or a role is resolved at the document's date or inferred
interval (resolve.py): offices held then (POCOM), the office a title names ("President Roosevelt",
a sender's "Ambassador in the Soviet Union"; offices.py), people named in full elsewhere in the
document, the collection's persons list and the years of the FRUS volumes that identify each person;
a surname also resolves when exactly one of its people fits the date. Anything still ambiguous keeps
`entity_id=None`. All-caps telegrams follow their own conventions (cables.py); word lists are
package data (data/*.txt, read by words.py). `load_resolver` keeps a pickled Resolver in a
directory (cache.py); `entity_step` is the DEEP pipeline step (step.py).
"""

from __future__ import annotations

from chancery.enrich.entities.cables import cable_mentions
from chancery.enrich.entities.cache import ResolverCache, cache_key, load_resolver
from chancery.enrich.entities.dictionary import ROLES, Match, Resolver, Token, tokenize
from chancery.enrich.entities.resolve import DocumentResolver, find_mentions, resolve_party
from chancery.enrich.entities.step import entity_step
from chancery.enrich.entities.words import ENGLISH, english

__all__ = [
    "ENGLISH",
    "ROLES",
    "DocumentResolver",
    "Match",
    "Resolver",
    "ResolverCache",
    "Token",
    "cable_mentions",
    "cache_key",
    "english",
    "entity_step",
    "find_mentions",
    "load_resolver",
    "resolve_party",
    "tokenize",
]
