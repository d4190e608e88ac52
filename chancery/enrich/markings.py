"""Markings: classification, handling, paraphrase, channel, message numbers (placeholder)."""

from __future__ import annotations

from typing import Any

from chancery.model import Document


def markings_step(document: Document, context: Any) -> Document:
    """Fill `document.markings` and `message_numbers` from the text when not set."""
    return document
