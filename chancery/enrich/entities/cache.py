"""The resolver's pickle cache: a directory holding one pickled Resolver under a content key."""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from chancery.enrich.entities.dictionary import Resolver, no_gc

PACKAGE_DIR = Path(__file__).resolve().parent


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
    """Pickled resolvers in `directory`, one at a time: saving a new key removes the older pickles."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

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
            for old in self.directory.glob("resolver-*.pickle"):
                old.unlink(missing_ok=True)
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as f:
                pickle.dump(resolver, f, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)
        except OSError:
            return False
        return True


def load_resolver(entities: Iterable[dict[str, Any]], cache_dir: str | Path | None = None) -> Resolver:
    """A Resolver over `entities`, from the pickle in `cache_dir` when one was built for the same data.

    Building one takes a few seconds and leaves a pickle (a read-only directory: built each time);
    loading one is ~1 s.
    """
    entities = list(entities)
    if cache_dir is None:
        return Resolver(entities)
    cache = ResolverCache(cache_dir)
    key = cache_key(entities)
    resolver = cache.load(key)
    if resolver is None:
        resolver = Resolver(entities)
        cache.save(key, resolver)
    return resolver
