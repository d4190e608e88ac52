"""Turn user paths (files, directories, .gz, .tar.gz) into source items: named bytes."""

from __future__ import annotations

import hashlib
import os
import tarfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from chancery.errors import SourceError
from chancery.settings import Settings

MAX_BYTES = Settings.from_env().max_file_bytes  # $CHANCERY_MAX_FILE_BYTES
SKIP_NAMES = {".DS_Store", "Thumbs.db"}
SKIP_SUFFIXES = {".tsv", ".xlsx", ".gif", ".rnc", ".sch", ".py"}


@dataclass
class SourceItem:
    """One logical input file: its display path (with `!member` for archives) and bytes."""

    path: str
    data: bytes
    name: str  # the file's own name without compression suffix, e.g. "frus1949v07p1.xml"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()

    @property
    def stem(self) -> str:
        return Path(self.name).stem


@dataclass
class SourceFailure:
    """A path that could not even be opened or unpacked."""

    error: SourceError


def _gunzip(path: str, raw: bytes) -> bytes:
    """Decompress gzip data with a size cap, so a gzip bomb is refused, not expanded."""
    out = bytearray()
    decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
    view = memoryview(raw)
    step = 1 << 20
    try:
        for i in range(0, len(view), step):
            out += decomp.decompress(view[i : i + step], MAX_BYTES + 1 - len(out))
            if len(out) > MAX_BYTES or decomp.unconsumed_tail:
                raise SourceError(path, f"decompresses to more than {MAX_BYTES} bytes; refused")
        out += decomp.flush()
    except zlib.error as exc:
        raise SourceError(path, f"corrupt gzip data ({exc})") from None
    if not decomp.eof:
        raise SourceError(path, "gzip data is cut off (truncated file)")
    return bytes(out)


def _read_file(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SourceError(str(path), f"file is {size} bytes, more than the {MAX_BYTES}-byte limit")
    return path.read_bytes()


def _is_tar_name(name: str) -> bool:
    return name.endswith((".tar.gz", ".tgz", ".tar"))


def _iter_tar(path: Path) -> Iterator[SourceItem | SourceFailure]:
    try:
        with tarfile.open(path, "r:*") as tar:
            members = sorted((m for m in tar if m.isfile()), key=lambda m: m.name)
            for member in members:
                base = os.path.basename(member.name)
                if base in SKIP_NAMES or base.startswith("._") or Path(base).suffix.lower() in SKIP_SUFFIXES:
                    continue
                display = f"{path}!{member.name}"
                if member.size > MAX_BYTES:
                    yield SourceFailure(SourceError(display, "member larger than the size limit"))
                    continue
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                data = handle.read()
                yield from _item(display, base, data)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        yield SourceFailure(SourceError(str(path), f"cannot read tar archive ({exc})"))


def _item(display: str, name: str, data: bytes) -> Iterator[SourceItem | SourceFailure]:
    if name.endswith(".gz"):
        try:
            data = _gunzip(display, data)
        except SourceError as exc:
            yield SourceFailure(exc)
            return
        name = name[:-3]
    yield SourceItem(path=display, data=data, name=name)


def iter_source_items(paths: Iterable[str | Path]) -> Iterator[SourceItem | SourceFailure]:
    """Yield every source item under the given paths, in a stable order."""
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            yield SourceFailure(SourceError(str(path), "no such file or directory"))
            continue
        if path.is_dir():
            children = sorted(p for p in path.rglob("*") if p.is_file())
            files = [
                p
                for p in children
                if p.name not in SKIP_NAMES
                and not p.name.startswith(".")
                and p.suffix.lower() not in SKIP_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ]
            yield from iter_source_items(files)
            continue
        if _is_tar_name(path.name):
            yield from _iter_tar(path)
            continue
        try:
            data = _read_file(path)
        except SourceError as exc:
            yield SourceFailure(exc)
            continue
        except OSError as exc:
            yield SourceFailure(SourceError(str(path), f"cannot read ({exc.strerror})"))
            continue
        if path.name.endswith(".gz") and data[:2] == b"\x1f\x8b":
            yield from _item(str(path), path.name, data)
        else:
            yield SourceItem(path=str(path), data=data, name=path.name)


def count_source_files(paths: list[str | Path]) -> int:
    """A cheap count of files on disk (for progress bars), tar archives counted as one."""
    total = 0
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            total += sum(1 for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        elif path.exists():
            total += 1
    return total


def decode_text(item: SourceItem) -> str:
    """Decode a text item as UTF-8 (BOM allowed); bad bytes are an error naming the line."""
    data = item.data
    if b"\x00" in data[:8192]:
        raise SourceError(item.path, "binary file (contains NUL bytes), not a document")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            item.path, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})", line
        ) from None


__all__ = ["SourceItem", "SourceFailure", "iter_source_items", "decode_text", "count_source_files"]
