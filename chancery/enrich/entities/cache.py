"""The resolver's pickle cache: a directory holding one pickled Resolver under a content key."""

from __future__ import annotations

import hashlib
import json
import pickle
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from chancery.enrich.entities.dictionary import Resolver, no_gc

PACKAGE_DIR = Path(__file__).resolve().parent
SHARED_KEEP = 3  # resolvers kept in the machine-wide cache (about 10 MB each with the shipped authority)


def cache_key(entities: Iterable[dict[str, Any]]) -> str:
    """A hash of the entity dicts and of this package's code and word lists: a changed entity table
    or a changed matcher gives a new key."""
    digest = hashlib.sha256()
    for path in sorted(p for p in PACKAGE_DIR.rglob("*") if p.suffix in (".py", ".txt")):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    for ent in entities:
        digest.update(json.dumps(ent, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:20]


class ResolverCache:
    """Pickled resolvers in `directory`, the newest `keep` of them: saving a new key removes the
    older pickles beyond that (an archive's own cache keeps one; the machine's cache, shared by
    every archive of the user, keeps a few)."""

    def __init__(self, directory: str | Path, keep: int = 1) -> None:
        self.directory = Path(directory)
        self.keep = keep

    def path(self, key: str) -> Path:
        return self.directory / f"resolver-{key}.pickle"

    def load(self, key: str) -> Resolver | None:
        """The resolver saved under `key`, or None when there is none or it cannot be read."""
        try:
            with self.path(key).open("rb") as f, no_gc():
                resolver = pickle.load(f)  # millions of small objects: the cyclic GC only slows this
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None
        return resolver if isinstance(resolver, Resolver) else None

    def save(self, key: str, resolver: Resolver) -> bool:
        """Write `resolver` under `key` (atomically) in place of older pickles; False when the
        directory cannot be written."""
        path = self.path(key)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            older = sorted(self.directory.glob("resolver-*.pickle"), key=_mtime, reverse=True)
            for old in older[self.keep - 1 :]:
                old.unlink(missing_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=self.directory, suffix=".tmp", delete=False) as f:
                pickle.dump(resolver, f, protocol=pickle.HIGHEST_PROTOCOL)
            Path(f.name).replace(path)
        except OSError:
            return False
        return True


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def load_resolver(
    entities: Iterable[dict[str, Any]],
    cache_dir: str | Path | None = None,
    shared_dir: str | Path | None = None,
) -> Resolver:
    """A Resolver over `entities`, from the pickle in `cache_dir` when one was built for the same data,
    else from `shared_dir` (the user's machine-wide cache: every new archive with the shipped
    authority has the same entities, so only the first one builds).

    Building one takes a few seconds and leaves a pickle in both (a read-only directory: built each
    time); loading one is ~1 s. The key is a hash of the entities and the matcher's code, so a pickle
    found under it in either place was built from the same data.
    """
    entities = list(entities)
    if cache_dir is None:
        return Resolver(entities)
    cache = ResolverCache(cache_dir)
    key = cache_key(entities)
    resolver = cache.load(key)
    if resolver is not None:
        return resolver
    shared = ResolverCache(shared_dir, keep=SHARED_KEEP) if shared_dir is not None else None
    resolver = shared.load(key) if shared is not None else None
    if resolver is None:
        resolver = Resolver(entities)
        if shared is not None:
            shared.save(key, resolver)
    cache.save(key, resolver)
    return resolver
