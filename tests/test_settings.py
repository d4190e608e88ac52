"""Settings are read from the environment once, in one place, and passed to `Archive.open`."""

from __future__ import annotations

from pathlib import Path

from chancery.archive import Archive
from chancery.settings import DEFAULT_MAX_FILE_BYTES, Settings


def test_every_variable_is_read_from_the_given_environment() -> None:
    settings = Settings.from_env(
        {
            "CHANCERY_DB": "postgresql://h/db",
            "CHANCERY_INDEX": "/x/ix",
            "CHANCERY_WORKERS": "0",
            "XDG_CACHE_HOME": "/cache",
            "CHANCERY_MAX_FILE_BYTES": "1000",
            "CHANCERY_NER": "SpaCy",
            "CHANCERY_DISABLE_SEMANTIC": "1",
        }
    )
    assert settings == Settings(
        db="postgresql://h/db",
        index=Path("/x/ix"),
        workers=1,  # at least one reader
        cache_home=Path("/cache"),
        max_file_bytes=1000,
        ner="spacy",
        disable_semantic=True,
    )
    empty = Settings.from_env({})
    assert empty == Settings() and empty.max_file_bytes == DEFAULT_MAX_FILE_BYTES
    assert empty.disable_semantic is False and empty.reader_workers() >= 1


def test_database_and_index_locations() -> None:
    assert Settings().db_url(None) == "chancery.db"
    assert Settings(db="env.db").db_url(None) == "env.db"
    assert Settings(db="env.db").db_url("given.db") == "given.db"
    assert Settings().index_path("a/b.db") == Path("a/b.db.index")
    assert Settings(index=Path("/ix")).index_path("a/b.db") == Path("/ix")
    pg = Settings(cache_home=Path("/cache")).index_path("postgresql://h/db")
    assert pg.parent == Path("/cache/chancery") and pg.name.startswith("pg-")
    assert pg != Settings(cache_home=Path("/cache")).index_path("postgresql://h/other")


def test_archive_open_uses_the_settings(tmp_path: Path) -> None:
    settings = Settings(db=str(tmp_path / "from-settings.db"), index=tmp_path / "ix", workers=1)
    with Archive.open(settings=settings) as archive:
        assert archive.store.url == str(tmp_path / "from-settings.db")
        assert Path(archive.index.path) == tmp_path / "ix"
        assert archive.settings.reader_workers() == 1
