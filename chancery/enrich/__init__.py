"""Enrichment: pure functions `(document, context) -> document`, run in one listed order.

`BASIC` runs at every ingest (dates from datelines and headers, markings, message numbers);
`DEEP` adds, when authority data is loaded, dates for undated documents from the office-holders they
name (standalone.py) and entities. Each step is testable
alone on a hand-made document, returns a document and leaves its input unchanged.
`steps(DEEP)` gives the step functions of a list of names.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chancery.model import Document

if TYPE_CHECKING:
    from chancery.enrich.entities import Resolver


@dataclass
class Context:
    """What enrichers may consult: the authority resolver and archive-wide lookups."""

    resolver: Resolver | None = None  # when authority data is loaded
    extra: dict[str, Any] = field(default_factory=dict)


Enricher = Callable[[Document, Context], Document]


# The declared order of enrichment. Add a step by adding its dotted name here.
BASIC = [
    "chancery.enrich.dates.date_step",
    "chancery.enrich.markings.markings_step",
    "chancery.enrich.references.reference_step",
]
DEEP: list[str] = [
    "chancery.enrich.standalone.standalone_date_step",
    "chancery.enrich.entities.entity_step",
    "chancery.enrich.judgments.judgment_step",  # researchers' entity judgments, applied last
]


@functools.cache
def _imported(names: tuple[str, ...]) -> tuple[Enricher, ...]:
    found = []
    for dotted in names:
        module_name, func = dotted.rsplit(".", 1)
        found.append(getattr(importlib.import_module(module_name), func))
    return tuple(found)


def steps(names: Iterable[str]) -> list[Enricher]:
    """The step functions named by dotted paths (`BASIC`, `DEEP`), in order; imported once."""
    return list(_imported(tuple(names)))


_steps = steps  # the former private name (archive.py); use `steps`


def enrich(document: Document, context: Context | None = None, deep: bool = True) -> Document:
    """Run the pipeline on one document."""
    context = context or Context()
    for step in _imported(tuple(BASIC + (DEEP if deep else []))):
        document = step(document, context)
    return document
