"""The authority files shipped with Chancery (package data in `chancery/authority/data/`).

Public-domain and CC0 files of the Office of the Historian (people, POCOM, Presidents' travels
and foreign leaders' visits) and the FRUS dateline cities; credits in `data/README.md`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from chancery.authority import AuthorityData, build_authority

SHIPPED = ("hsg-people.tar.gz", "pocom.tar.gz", "hsg-travels-visits.tar.gz", "cities-master.xml")
KINDS = ("hsg-people", "pocom", "travels", "cities")  # how build_authority recognises each file


def shipped_authority_paths() -> list[Path]:
    """File-system paths of the shipped authority files (an installed wheel has them too)."""
    data = resources.files("chancery.authority").joinpath("data")
    return [Path(str(data.joinpath(name))) for name in SHIPPED]


def _kind(path: str | Path) -> str | None:
    name = Path(path).name
    return next((k for k in KINDS if k in name), None)


def with_shipped(paths: list[str | Path]) -> list[str | Path]:
    """`paths` plus each shipped file whose kind `paths` does not bring a newer copy of."""
    given = {_kind(p) for p in paths}
    return [p for p in shipped_authority_paths() if _kind(p) not in given] + list(paths)


def build_shipped_authority(
    collections: list[dict[str, Any]] | None = None,
    cache_dir: str | Path | None = None,
    extra: list[str | Path] | None = None,
) -> AuthorityData:
    """`build_authority` over the shipped files (and `extra` sources, which replace a shipped
    file of the same kind), merged with the stored collections' FRUS persons lists."""
    return build_authority(with_shipped(list(extra or [])), collections, cache_dir=cache_dir)
