"""Readers, one per archive format, registered in one place and chosen by sniffing.

A reader is a module exposing `FORMAT` (its name), `sniff(item) -> int` (0 = not mine,
higher = surer) and `read(item) -> list[Document]`. To add a format, write the module and
add its name to `READER_MODULES`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

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
