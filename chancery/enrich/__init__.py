"""Enrichment: pure functions `(document, context) -> document`, run in one listed order.

`BASIC` runs at every ingest (dates from datelines and headers, markings, message numbers);
`DEEP` adds entities and references when authority data is loaded. Each step is testable
alone on a hand-made document.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chancery.model import Document


@dataclass
class Context:
    """What enrichers may consult: the authority resolver and archive-wide lookups."""

    resolver: Any = None  # chancery.enrich.entities.Resolver, when authority data is loaded
    extra: dict[str, Any] = field(default_factory=dict)


Enricher = Callable[[Document, Context], Document]


@functools.cache
def _steps(names: tuple[str, ...]) -> list[Enricher]:
    steps = []
    for dotted in names:
        module_name, func = dotted.rsplit(".", 1)
        steps.append(getattr(importlib.import_module(module_name), func))
    return steps


# The declared order of enrichment. Add a step by adding its dotted name here.
BASIC = [
    "chancery.enrich.dates.date_step",
    "chancery.enrich.markings.markings_step",
    "chancery.enrich.references.reference_step",
]
DEEP: list[str] = [
    "chancery.enrich.entities.entity_step",
]


def enrich(document: Document, context: Context | None = None, deep: bool = True) -> Document:
    """Run the pipeline on one document."""
    context = context or Context()
    for step in _steps(tuple(BASIC + (DEEP if deep else []))):
        document = step(document, context)
    return document
