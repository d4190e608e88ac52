"""Readers, one per archive format, registered in one place and chosen by sniffing.

A reader is a module exposing `FORMAT` (its name), `sniff(item) -> int` (0 = not mine,
higher = surer) and `read(item) -> list[Document]`. To add a format, write the module and
add its name to `READER_MODULES`. A reader of page images (PDF, scans) also exposes
`render_pages(item) -> Iterator[PIL.Image]`, the pages as the reader page shows them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

from PIL import Image

from chancery.errors import SourceError
from chancery.model import Document
from chancery.sources.files import SourceItem, limits

# Order matters only for ties: more specific readers first.
READER_MODULES = [
    "chancery.sources.pdf",
    "chancery.sources.images",
    "chancery.sources.frus_tei",
    "chancery.sources.wilson",
    "chancery.sources.dfat",
    "chancery.sources.frus_text",
    "chancery.sources.text",
]


def readers() -> dict[str, ModuleType]:
    """All registered readers by format name."""
    found = {}
    for name in READER_MODULES:
        module = importlib.import_module(name)
        found[module.FORMAT] = module
    return found


def detect(item: SourceItem) -> ModuleType:
    """The reader surest it can read `item`, or a SourceError naming the file."""
    best, best_score = None, 0
    for module in readers().values():
        score = module.sniff(item)
        if score > best_score:
            best, best_score = module, score
    if best is None:
        raise SourceError(item.path, "unknown format (not FRUS TEI, Wilson, DFAT, text, PDF or image)")
    return best


def read_item(item: SourceItem, format: str | None = None) -> list[Document]:
    """Read one source item with the named reader, or the detected one."""
    if format:
        table = readers()
        if format not in table:
            raise SourceError(item.path, f"unknown format {format!r}; known: {', '.join(sorted(table))}")
        module = table[format]
    else:
        module = detect(item)
    documents = module.read(item)
    sha = item.sha256
    cap = limits().max_document_bytes
    for doc in documents:
        if len(doc.text) > cap:
            raise SourceError(
                item.path, f"document {doc.id} has {len(doc.text)} characters of text, over the {cap} limit"
            )
        doc.source.sha256 = sha
    return documents


def render_pages(item: SourceItem, format: str) -> Iterator[Image.Image] | None:
    """The page images of `item` as read by the `format` reader, or None if it has none."""
    module = readers().get(format)
    render = getattr(module, "render_pages", None)
    return render(item) if render else None
