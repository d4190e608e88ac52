"""DFAT volumes as published by the wragge/dfat-documents-web project: `_volumes/volume-N-slug/*.md`.

The list of a volume's documents comes from GitHub's tree listing of the repository (which also
gives each file's git blob id, checked after download). A mirror given with `--from` is read
through its directory listings instead (`{base}/_volumes/` and `{base}/_volumes/volume-N-slug/`),
as any static file server with listings serves them.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from pathlib import Path

import orjson

from chancery.fetch.http import Downloaded, Fetcher, FetchError, Progress

DEFAULT_BASE = "https://raw.githubusercontent.com/wragge/dfat-documents-web/master"
DEFAULT_TREE = "https://api.github.com/repos/wragge/dfat-documents-web/git/trees/master?recursive=1"
_HREF = re.compile(r'href="([^"]+)"', re.I)


def _volume_dir(n: str) -> re.Pattern[str]:
    return re.compile(rf"^volume-{re.escape(n)}-[a-z0-9-]+$")


def list_from_tree(tree: dict, volume: str) -> list[tuple[str, str | None]]:
    """(path, git blob id) of every document of volume `volume` in a GitHub tree listing."""
    pattern = _volume_dir(volume)
    found = []
    for entry in tree.get("tree") or []:
        parts = str(entry.get("path", "")).split("/")
        if (
            entry.get("type") == "blob"
            and len(parts) == 3
            and parts[0] == "_volumes"
            and parts[2].endswith(".md")
        ):
            if pattern.match(parts[1]):
                found.append(("/".join(parts), entry.get("sha")))
    return sorted(found)


def _links(page: bytes) -> list[str]:
    names = []
    for href in _HREF.findall(page.decode("utf-8", "replace")):
        name = urllib.parse.unquote(html.unescape(href)).rstrip("/").rsplit("/", 1)[-1]
        if name and not name.startswith((".", "?", "#")):
            names.append(name)
    return names


def list_from_index(fetcher: Fetcher, base: str, volume: str) -> list[tuple[str, str | None]]:
    """The same list read from a mirror's directory listings."""
    pattern = _volume_dir(volume)
    dirs = sorted({n for n in _links(fetcher.get_bytes(f"{base}/_volumes/")) if pattern.match(n)})
    found = []
    for folder in dirs:
        for name in _links(fetcher.get_bytes(f"{base}/_volumes/{folder}/")):
            if name.endswith(".md"):
                found.append((f"_volumes/{folder}/{name}", None))
    return sorted(set(found))


def fetch_dfat(
    volumes: list[str],
    dest: Path,
    base: str = DEFAULT_BASE,
    tree_url: str | None = None,
    fetcher: Fetcher | None = None,
    progress: Progress | None = None,
) -> list[Downloaded]:
    """Download every document of each volume number to `dest/dfat/volume-N-slug/`."""
    fetcher = fetcher or Fetcher()
    base = base.rstrip("/")
    tree = None
    if tree_url or base == DEFAULT_BASE:
        tree = orjson.loads(fetcher.get_bytes(tree_url or DEFAULT_TREE))
        if tree.get("truncated"):
            raise FetchError(
                "the repository's file listing came back truncated; fetch from a mirror with --from"
            )
    done: list[Downloaded] = []
    for volume in volumes:
        if not volume.isdigit():
            raise FetchError(f"{volume!r} is not a DFAT volume number (1 to 28)")
        files = list_from_tree(tree, volume) if tree is not None else list_from_index(fetcher, base, volume)
        if not files:
            raise FetchError(f"no DFAT volume {volume} at {base}")
        for path, blob in files:
            url = f"{base}/{urllib.parse.quote(path)}"
            done.append(fetcher.download(url, dest / "dfat" / Path(*path.split("/")[1:]), progress, blob))
    return done
