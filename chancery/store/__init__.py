"""Storage backends behind one interface: SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from chancery.settings import DEFAULT_DB, POSTGRES_SCHEMES, Settings
from chancery.store.base import FileRecord, ReplaceResult, Store


def resolve_db(db: str | Path | None, settings: Settings | None = None) -> str:
    """The database to use: the argument, else the settings' ($CHANCERY_DB), else ./chancery.db."""
    return (settings or Settings.from_env()).db_url(db)


def is_postgres(url: str) -> bool:
    return url.startswith(POSTGRES_SCHEMES)


def open_store(db: str | Path | None = None, settings: Settings | None = None) -> Store:
    """Open (creating if needed) the store named by a path or a postgresql:// URL."""
    url = resolve_db(db, settings)
    if is_postgres(url):
        from chancery.store.postgres import PostgresStore

        return PostgresStore(url)
    from chancery.store.sqlite import SQLiteStore

    return SQLiteStore(url)


__all__ = ["DEFAULT_DB", "FileRecord", "ReplaceResult", "Store", "open_store", "resolve_db", "is_postgres"]
