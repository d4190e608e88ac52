"""Chancery: one linked, searchable archive of diplomatic documents from many archives."""

from chancery.archive import Archive
from chancery.errors import ChanceryError, NotFound, QueryError, SourceError
from chancery.ingest import IngestReport
from chancery.model import Collection, Document, Entity

__all__ = [
    "Archive",
    "IngestReport",
    "ChanceryError",
    "NotFound",
    "QueryError",
    "SourceError",
    "Collection",
    "Document",
    "Entity",
]
__version__ = "0.1.0"
