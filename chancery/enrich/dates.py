"""Dates: parse datelines, headers and date-time groups into intervals (placeholder)."""

from __future__ import annotations

from typing import Any

from chancery.model import Document


def date_step(document: Document, context: Any) -> Document:
    """Fill `document.date` from its dateline/header when the reader did not set it."""
    return document
