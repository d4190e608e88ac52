"""Storage backends behind one interface: SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

from chancery.store.base import FileRecord, ReplaceResult, Store

DEFAULT_DB = "chancery.db"


def resolve_db(db: str | Path | None) -> str:
    """The database to use: the argument, else $CHANCERY_DB, else ./chancery.db."""
    return str(db or os.environ.get("CHANCERY_DB") or DEFAULT_DB)


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def open_store(db: str | Path | None = None) -> Store:
    """Open (creating if needed) the store named by a path or a postgresql:// URL."""
    url = resolve_db(db)
    if is_postgres(url):
        from chancery.store.postgres import PostgresStore

        return PostgresStore(url)
    from chancery.store.sqlite import SQLiteStore

    return SQLiteStore(url)


__all__ = ["FileRecord", "ReplaceResult", "Store", "open_store", "resolve_db", "is_postgres"]
