"""HTTP downloads for `chancery fetch`: polite rate, resume from `.part` files, sha256, clear offline errors.

Only the standard library's urllib is used. A download goes to `.NAME.part` and is renamed
when complete; an interrupted one resumes with an HTTP Range request. Each finished file's
sha256 is written to `.SHA256SUMS` in its folder, and a file whose recorded sum still matches is
not fetched again. Requests are spaced by `interval` seconds (one at a time).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chancery import __version__
from chancery.errors import ChanceryError

USER_AGENT = f"chancery/{__version__} (research archive; polite fetch)"
CHUNK = 1 << 16
SUMS = ".SHA256SUMS"  # hidden, so ingesting the folder does not read it


class FetchError(ChanceryError):
    """A download that failed, with a message a user can act on."""


@dataclass
class Downloaded:
    path: Path
    sha256: str
    bytes: int
    status: str  # fetched | resumed | unchanged


Progress = Callable[[str, int, int | None], None]  # (name, bytes so far, total or None)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_blob_sha1(path: Path) -> str:
    """The git blob id of a file (what GitHub's tree listing gives as `sha`)."""
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def read_sums(folder: Path) -> dict[str, str]:
    sums: dict[str, str] = {}
    try:
        for line in (folder / SUMS).read_text().splitlines():
            digest, _, name = line.partition("  ")
            if name:
                sums[name] = digest
    except OSError:
        pass
    return sums


def write_sum(folder: Path, name: str, digest: str) -> None:
    sums = read_sums(folder)
    sums[name] = digest
    tmp = folder / f"{SUMS}.part"
    tmp.write_text("".join(f"{d}  {n}\n" for n, d in sorted(sums.items())))
    os.replace(tmp, folder / SUMS)


class Fetcher:
    """Downloads one URL at a time, at most one request per `interval` seconds."""

    def __init__(self, interval: float = 1.0, timeout: float = 60.0, retries: int = 2) -> None:
        self.interval, self.timeout, self.retries = interval, timeout, retries
        self._last = 0.0

    def _wait_turn(self) -> None:
        pause = self._last + self.interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self._last = time.monotonic()

    def open(self, url: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        """GET `url` (retrying server errors and rate limits); a FetchError when offline or refused."""
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
        host = urllib.parse.urlsplit(url).netloc
        for attempt in range(self.retries + 1):
            self._wait_turn()
            try:
                return urllib.request.urlopen(request, timeout=self.timeout)
            except urllib.error.HTTPError as exc:
                if exc.code in (429, 500, 502, 503, 504) and attempt < self.retries:
                    time.sleep(float(exc.headers.get("Retry-After") or 2 * (attempt + 1)))
                    continue
                if exc.code == 416:
                    raise
                raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, socket.gaierror):
                    raise FetchError(
                        f"cannot resolve {host}: this machine looks offline (no DNS); nothing was fetched"
                    ) from None
                if isinstance(reason, TimeoutError) and attempt < self.retries:
                    continue
                if isinstance(reason, OSError):
                    raise FetchError(f"cannot reach {host} ({reason}); are you offline?") from None
                raise FetchError(f"{url}: {reason}") from None
            except TimeoutError:
                if attempt < self.retries:
                    continue
                raise FetchError(
                    f"{url}: timed out after {self.timeout:.0f} s (slow or offline network)"
                ) from None
        raise FetchError(f"{url}: gave up after {self.retries + 1} tries")

    def get_bytes(self, url: str) -> bytes:
        with self.open(url) as response:
            return response.read()

    def download(
        self, url: str, dest: Path, progress: Progress | None = None, git_sha1: str | None = None
    ) -> Downloaded:
        """Fetch `url` to `dest` (resuming `dest.part`), record its sha256; skip it when already complete.

        `git_sha1`, when known (GitHub's tree listing), is checked against the finished file.
        """
        dest.parent.mkdir(parents=True, exist_ok=True)
        recorded = read_sums(dest.parent).get(dest.name)
        if dest.exists() and (
            (git_sha1 and git_blob_sha1(dest) == git_sha1) or (not git_sha1 and recorded == sha256_file(dest))
        ):
            digest = recorded or sha256_file(dest)
            if not recorded:
                write_sum(dest.parent, dest.name, digest)
            return Downloaded(dest, digest, dest.stat().st_size, "unchanged")
        part = dest.with_name(f".{dest.name}.part")  # hidden until complete
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            response = self.open(url, headers)
        except urllib.error.HTTPError as exc:  # 416: the .part already holds the whole file
            if exc.code != 416:
                raise FetchError(f"{url}: HTTP {exc.code}") from None
            response = None
        status = "fetched"
        if response is not None:
            with response:
                resumed = have and response.status == 206
                mode = "ab" if resumed else "wb"
                status = "resumed" if resumed else "fetched"
                done = have if resumed else 0
                length = response.headers.get("Content-Length")
                total = done + int(length) if length and length.isdigit() else None
                with part.open(mode) as out:
                    while block := response.read(CHUNK):
                        out.write(block)
                        done += len(block)
                        if progress:
                            progress(dest.name, done, total)
                if total is not None and done != total:
                    raise FetchError(
                        f"{url}: connection closed after {done} of {total} bytes; run again to resume"
                    )
        if git_sha1 and git_blob_sha1(part) != git_sha1:
            part.unlink()
            raise FetchError(
                f"{url}: checksum mismatch (expected git blob {git_sha1}); the partial file was removed"
            )
        os.replace(part, dest)
        digest = sha256_file(dest)
        write_sum(dest.parent, dest.name, digest)
        return Downloaded(dest, digest, dest.stat().st_size, status)
