"""Settings read once: every environment variable Chancery reads, in one object passed down."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = "chancery.db"
DEFAULT_MAX_FILE_BYTES = 128 * 1024 * 1024  # with the other caps: about 1 GB peak per worker
DEFAULT_MAX_DECOMPRESSED_BYTES = 128 * 1024 * 1024
DEFAULT_MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_LINE_BYTES = 1024 * 1024
DEFAULT_MAX_FRONT_MATTER_BYTES = 64 * 1024
DEFAULT_MAX_ARCHIVE_MEMBERS = 100_000
DEFAULT_MAX_XML_TAGS = 2_000_000  # a FRUS volume has under 100,000; each costs ~300 bytes parsed
# Changes kept whole in the feed (a node further behind rebuilds its index from the store: about
# as costly as replaying this many changes on the full corpus).
DEFAULT_FEED_KEEP = 100_000
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class Settings:
    """What the environment configures; `Settings.from_env()` reads it, tests build one directly."""

    db: str | None = None  # $CHANCERY_DB: SQLite path or postgresql:// URL (default ./chancery.db)
    index: Path | None = None  # $CHANCERY_INDEX: the search index directory (default beside the db)
    workers: int | None = None  # $CHANCERY_WORKERS: ingest reader processes (1 = in-process)
    cache_home: Path | None = None  # $XDG_CACHE_HOME (default ~/.cache): PostgreSQL archives' index
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # $CHANCERY_MAX_FILE_BYTES: biggest file read
    # Resource limits on hostile input (each refusal is an error naming the file):
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES  # $CHANCERY_MAX_DECOMPRESSED_BYTES: .gz, tar
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES  # $CHANCERY_MAX_DOCUMENT_BYTES: text file / doc text
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES  # $CHANCERY_MAX_LINE_BYTES: one line of a text file
    max_front_matter_bytes: int = DEFAULT_MAX_FRONT_MATTER_BYTES  # $CHANCERY_MAX_FRONT_MATTER_BYTES
    max_archive_members: int = DEFAULT_MAX_ARCHIVE_MEMBERS  # $CHANCERY_MAX_ARCHIVE_MEMBERS: files in a tar
    max_xml_tags: int = DEFAULT_MAX_XML_TAGS  # $CHANCERY_MAX_XML_TAGS: tags ("<") in one XML file
    follow_symlinks: bool = False  # $CHANCERY_FOLLOW_SYMLINKS (ingest --follow-symlinks): links in folders
    ner: str = ""  # $CHANCERY_NER: "spacy" to add spaCy's entity detection
    disable_semantic: bool = False  # $CHANCERY_DISABLE_SEMANTIC: act as if the extra were missing
    feed_keep: int = DEFAULT_FEED_KEEP  # $CHANCERY_FEED_KEEP: changes kept whole before compaction
    ingest_wait: float = 30.0  # $CHANCERY_INGEST_WAIT: seconds an ingest waits for another index writer
    crash_at: str = ""  # $CHANCERY_CRASH_AT=stage:n, a test hook (chancery/crashpoint.py)
    shipped_authority: bool = True  # $CHANCERY_SHIPPED_AUTHORITY=0: a new archive starts without it
    ocr_mode: str = "auto"  # $CHANCERY_OCR: auto | force | never
    ocr_langs: str = "eng"  # $CHANCERY_OCR_LANG: tesseract languages, "eng+rus"
    ocr_cache: Path | None = None  # $CHANCERY_OCR_CACHE (default: beside the archive's index)
    ocr_timeout: float = 300.0  # $CHANCERY_OCR_TIMEOUT: seconds one page may take
    pages: Path | None = None  # $CHANCERY_PAGES: page images and originals (default beside the db)
    pages_per_folder: bool = False  # $CHANCERY_PAGES_PER_FOLDER (ingest --pages-per-folder)
    model_cache: Path | None = None  # $CHANCERY_MODEL_CACHE: the built embedding model
    embed_threads: int | None = None  # $CHANCERY_EMBED_THREADS (default: one per core)
    base_url: str | None = None  # $CHANCERY_BASE_URL: the server's public URL (canonical links)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            db=env.get("CHANCERY_DB") or None,
            index=Path(env["CHANCERY_INDEX"]) if env.get("CHANCERY_INDEX") else None,
            workers=max(1, int(env["CHANCERY_WORKERS"])) if env.get("CHANCERY_WORKERS") else None,
            cache_home=Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else None,
            max_file_bytes=int(env.get("CHANCERY_MAX_FILE_BYTES") or DEFAULT_MAX_FILE_BYTES),
            max_decompressed_bytes=_int(
                env, "CHANCERY_MAX_DECOMPRESSED_BYTES", DEFAULT_MAX_DECOMPRESSED_BYTES
            ),
            max_document_bytes=_int(env, "CHANCERY_MAX_DOCUMENT_BYTES", DEFAULT_MAX_DOCUMENT_BYTES),
            max_line_bytes=_int(env, "CHANCERY_MAX_LINE_BYTES", DEFAULT_MAX_LINE_BYTES),
            max_front_matter_bytes=_int(
                env, "CHANCERY_MAX_FRONT_MATTER_BYTES", DEFAULT_MAX_FRONT_MATTER_BYTES
            ),
            max_archive_members=_int(env, "CHANCERY_MAX_ARCHIVE_MEMBERS", DEFAULT_MAX_ARCHIVE_MEMBERS),
            max_xml_tags=_int(env, "CHANCERY_MAX_XML_TAGS", DEFAULT_MAX_XML_TAGS),
            follow_symlinks=env.get("CHANCERY_FOLLOW_SYMLINKS", "").lower() in ("1", "true", "yes"),
            ner=env.get("CHANCERY_NER", "").lower(),
            disable_semantic=bool(env.get("CHANCERY_DISABLE_SEMANTIC")),
            feed_keep=_int(env, "CHANCERY_FEED_KEEP", DEFAULT_FEED_KEEP),
            ingest_wait=float(env.get("CHANCERY_INGEST_WAIT") or 30),
            crash_at=env.get("CHANCERY_CRASH_AT", ""),
            shipped_authority=env.get("CHANCERY_SHIPPED_AUTHORITY", "1").lower() not in ("0", "no", "false"),
            ocr_mode=env.get("CHANCERY_OCR") or "auto",
            ocr_langs=env.get("CHANCERY_OCR_LANG") or "eng",
            ocr_cache=Path(env["CHANCERY_OCR_CACHE"]) if env.get("CHANCERY_OCR_CACHE") else None,
            ocr_timeout=float(env.get("CHANCERY_OCR_TIMEOUT") or 300),
            pages=Path(env["CHANCERY_PAGES"]) if env.get("CHANCERY_PAGES") else None,
            pages_per_folder=env.get("CHANCERY_PAGES_PER_FOLDER", "").lower() in ("1", "true", "yes"),
            model_cache=Path(env["CHANCERY_MODEL_CACHE"]) if env.get("CHANCERY_MODEL_CACHE") else None,
            embed_threads=max(1, int(env["CHANCERY_EMBED_THREADS"]))
            if env.get("CHANCERY_EMBED_THREADS")
            else None,
            base_url=env.get("CHANCERY_BASE_URL") or None,
        )

    def db_url(self, db: str | Path | None = None) -> str:
        """The database to use: the argument, else $CHANCERY_DB, else ./chancery.db."""
        return str(db or self.db or DEFAULT_DB)

    def index_path(self, db_url: str) -> Path:
        """Where the search index lives: $CHANCERY_INDEX, else beside a SQLite file, else in the
        user cache for PostgreSQL (one directory per database URL)."""
        if self.index:
            return self.index
        if db_url.startswith(POSTGRES_SCHEMES):
            digest = hashlib.sha256(db_url.encode()).hexdigest()[:12]
            return (self.cache_home or Path.home() / ".cache") / "chancery" / f"pg-{digest}"
        return Path(db_url + ".index")

    def pages_path(self, db_url: str) -> Path:
        """Where page images and original files live: $CHANCERY_PAGES, else beside a SQLite file
        (`<db>.pages`), else beside the search index for PostgreSQL (set $CHANCERY_PAGES to a
        folder every server can read)."""
        if self.pages:
            return self.pages
        if db_url.startswith(POSTGRES_SCHEMES):
            return Path(str(self.index_path(db_url)) + ".pages")
        return Path(db_url + ".pages")

    def user_cache(self, kind: str) -> Path:
        """A per-machine cache directory, $XDG_CACHE_HOME/chancery/KIND (default ~/.cache)."""
        return (self.cache_home or Path.home() / ".cache") / "chancery" / kind

    def authority_cache(self) -> Path:
        """Where the parsed authority files are cached (one per machine, keyed by the files' hash)."""
        return self.user_cache("authority")

    def reader_workers(self) -> int:
        """Ingest reader processes: $CHANCERY_WORKERS, else one per core up to 4."""
        return self.workers or max(1, min(4, os.cpu_count() or 1))


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    """A positive integer setting; unset or empty gives the default."""
    return max(1, int(env[name])) if env.get(name) else default
