"""A pickle of the authority built from files, keyed by the files' and the loader code's hash.

Parsing and merging the shipped files takes tens of seconds; loading the pickle takes about one.
The cache lives where the caller says (an archive's index directory): one file,
`authority-<key>.pickle`; older keys are removed when a new one is written. A pickle is only
read from a directory the caller owns, like the archive itself.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

PREFIX = "authority-"


def _hash_file(digest: Any, path: Path) -> None:
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)


def code_hash() -> str:
    """Hash of this package's Python sources: a changed loader or merge rule rebuilds the cache."""
    digest = hashlib.sha256()
    package = resources.files("chancery.authority")
    for entry in sorted(package.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py"):
            digest.update(entry.name.encode())
            digest.update(entry.read_bytes())
    return digest.hexdigest()


def authority_key(paths: list[str | Path]) -> str:
    """Hash of the content of every path (a directory: its files, sorted) and of the code."""
    digest = hashlib.sha256(code_hash().encode())
    for raw in paths:
        path = Path(raw)
        digest.update(b"\0" + path.name.encode())
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                digest.update(b"\0" + file.relative_to(path).as_posix().encode() if path.is_dir() else b"\0")
                _hash_file(digest, file)
    return digest.hexdigest()[:32]


def load_cached(cache_dir: str | Path, key: str) -> Any | None:
    """The object saved under `key`, or None when there is none or it cannot be read."""
    path = Path(cache_dir) / f"{PREFIX}{key}.pickle"
    enabled = gc.isenabled()
    gc.disable()  # a million small objects, none of them garbage: collection only slows loading
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    finally:
        if enabled:
            gc.enable()


def save_cached(cache_dir: str | Path, key: str, obj: Any) -> None:
    """Write atomically, then drop the pickles of other keys. Errors leave no cache, no failure."""
    directory = Path(cache_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".authority-", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(obj, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, directory / f"{PREFIX}{key}.pickle")
    except OSError:
        return
    for old in directory.glob(f"{PREFIX}*.pickle"):
        if old.name != f"{PREFIX}{key}.pickle":
            old.unlink(missing_ok=True)
