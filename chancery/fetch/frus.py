"""FRUS TEI volumes, laid out as in HistoryAtState's `frus` repository: `{base}/volumes/{ID}.xml`."""

from __future__ import annotations

import re
from pathlib import Path

from chancery.fetch.http import Downloaded, Fetcher, FetchError, Progress

DEFAULT_BASE = "https://raw.githubusercontent.com/HistoryAtState/frus/master"
VOLUME_ID = re.compile(r"^frus[0-9A-Za-z-]+$")


def volume_url(base: str, volume_id: str) -> str:
    return f"{base.rstrip('/')}/volumes/{volume_id}.xml"


def fetch_frus(
    ids: list[str],
    dest: Path,
    base: str = DEFAULT_BASE,
    fetcher: Fetcher | None = None,
    progress: Progress | None = None,
) -> list[Downloaded]:
    """Download each FRUS volume to `dest/frus/ID.xml` (resuming, skipping complete ones)."""
    fetcher = fetcher or Fetcher()
    done = []
    for volume_id in ids:
        if not VOLUME_ID.match(volume_id):
            raise FetchError(f"{volume_id!r} is not a FRUS volume id (like frus1945v07 or frus1961-63v06)")
        result = fetcher.download(volume_url(base, volume_id), dest / "frus" / f"{volume_id}.xml", progress)
        head = result.path.read_bytes()[:4096]
        if b"<TEI" not in head:
            raise FetchError(
                f"{result.path}: downloaded, but not a TEI volume (no <TEI> element at the start)"
            )
        done.append(result)
    return done
