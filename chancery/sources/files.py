"""Turn user paths (files, directories, .gz, .tar.gz) into source items: named bytes."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from chancery.errors import SourceError
from chancery.settings import Settings

SKIP_NAMES = {".DS_Store", "Thumbs.db"}
SKIP_SUFFIXES = {".tsv", ".xlsx", ".gif", ".rnc", ".sch", ".py"}
PACK_COMMENT = b"chancery: page images of one folder"  # marks the ZIP of a --pages-per-folder folder
PAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}  # grouped by folder under --pages-per-folder


class SourceItem:
    """One logical input file: its display path (with `!member` for archives) and bytes.

    A file on disk is read lazily (`SourceItem.of_file`): listing it only streams it through
    sha256, and its bytes are read where `data` is first used (in an ingest's reader process),
    so the process that lists and stores files never holds whole files.
    """

    def __init__(
        self,
        path: str,
        data: bytes | None = None,
        name: str = "",
        *,
        file: Path | None = None,
        sha256: str | None = None,
        size: int | None = None,
    ) -> None:
        self.path, self.name = path, name  # name: without compression suffix, "frus1949v07p1.xml"
        self._data, self._file, self._sha256 = data, file, sha256
        self.size = len(data) if data is not None else size or 0  # bytes (decompressed)

    @classmethod
    def of_file(cls, path: Path) -> SourceItem:
        """A plain or gzipped file, hashed now (limits checked) and read when `data` is used."""
        digest = hashlib.sha256()
        size = 0
        for chunk in _file_chunks(path):
            digest.update(chunk)
            size += len(chunk)
        name = path.name[:-3] if _is_gzip(path) else path.name
        return cls(str(path), None, name, file=path, sha256=digest.hexdigest(), size=size)

    @property
    def data(self) -> bytes:
        if self._data is None:
            assert self._file is not None
            data = b"".join(_file_chunks(self._file))
            if hashlib.sha256(data).hexdigest() != self._sha256:
                raise SourceError(self.path, "the file changed while it was being ingested; run again")
            self._data = data
        return self._data

    @property
    def sha256(self) -> str:
        if self._sha256 is None:
            self._sha256 = hashlib.sha256(self.data).hexdigest()
        return self._sha256

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()

    @property
    def stem(self) -> str:
        return Path(self.name).stem


@dataclass
class SourceFailure:
    """A path that could not even be opened or unpacked (or, with `warning`, was skipped on purpose)."""

    error: SourceError
    warning: bool = False


def limits() -> Settings:
    """The resource limits in force ($CHANCERY_MAX_* and $CHANCERY_FOLLOW_SYMLINKS), read at call time."""
    return Settings.from_env()


def _gunzip_stream(path: str, read: Callable[[int], bytes], cap: int) -> bytes:
    """Decompress gzip data read in chunks, stopping at `cap` bytes: a gzip bomb is refused, not expanded."""
    return b"".join(_gunzip_chunks(path, read, cap))


def _gunzip_chunks(path: str, read: Callable[[int], bytes], cap: int) -> Iterator[bytes]:
    """`_gunzip_stream` a chunk at a time (hashing a file needs no more than a chunk in memory)."""
    size = 0
    decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
    step = 1 << 20
    try:
        while not decomp.eof:
            raw = decomp.unconsumed_tail or read(step)
            if not raw:
                break
            chunk = decomp.decompress(raw, cap + 1 - size)
            size += len(chunk)
            if size > cap:
                raise SourceError(path, f"decompresses to more than {cap} bytes (the limit); refused")
            yield chunk
        if not decomp.eof:
            raise SourceError(path, "gzip data is cut off (truncated file)")
    except zlib.error as exc:
        raise SourceError(path, f"corrupt gzip data ({exc})") from None


def _gunzip(path: str, raw: bytes, cap: int | None = None) -> bytes:
    """Decompress in-memory gzip data with a size cap (default $CHANCERY_MAX_DECOMPRESSED_BYTES)."""
    cap = cap or limits().max_decompressed_bytes
    pos = 0

    def read(n: int) -> bytes:
        nonlocal pos
        pos += n
        return raw[pos - n : pos]

    return _gunzip_stream(path, read, cap)


def _is_tar_name(name: str) -> bool:
    return name.endswith((".tar.gz", ".tgz", ".tar"))


TAR_BUFFER_BYTES = 256 * 1024 * 1024  # members of a tar read in one pass and yielded in name order


def _wanted_member(name: str) -> bool:
    base = os.path.basename(name)
    return not (base in SKIP_NAMES or base.startswith("._") or Path(base).suffix.lower() in SKIP_SUFFIXES)


def _iter_tar(path: Path) -> Iterator[SourceItem | SourceFailure]:
    settings = limits()
    try:
        with tarfile.open(path, "r:*") as tar:
            compressed = not path.name.endswith(".tar")
            cap = (
                min(settings.max_file_bytes, settings.max_decompressed_bytes)
                if compressed
                else settings.max_file_bytes
            )
            members = []
            failures: dict[str, SourceFailure] = {}
            for count, member in enumerate(tar, 1):
                if count > settings.max_archive_members:
                    raise SourceError(
                        str(path), f"more than {settings.max_archive_members} members (the limit); refused"
                    )
                if member.isfile():
                    members.append(member)
            wanted = [m for m in members if _wanted_member(m.name)]
            # A compressed tar is one stream: reading members out of order rewinds and decompresses
            # it again from the start for each (quadratic). So read in archive order and yield by
            # name when the members fit in TAR_BUFFER_BYTES; a bigger archive yields in archive order.
            fits = sum(min(m.size, cap + 1) for m in wanted) <= TAR_BUFFER_BYTES
            read: dict[str, bytes] = {}
            for member in sorted(wanted, key=lambda m: m.offset):
                display = f"{path}!{member.name}"
                if member.size > cap:
                    failure = SourceFailure(
                        SourceError(display, f"member is {member.size} bytes, more than the {cap}-byte limit")
                    )
                    if not fits:
                        yield failure
                    else:
                        failures[member.name] = failure
                    continue
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                data = handle.read(cap + 1)
                if fits:
                    read[member.name] = data
                else:
                    yield from _item(display, os.path.basename(member.name), data)
            for name in sorted(read.keys() | failures.keys()):
                if name in failures:
                    yield failures[name]
                else:
                    yield from _item(f"{path}!{name}", os.path.basename(name), read[name])
    except SourceError as exc:
        yield SourceFailure(exc)
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


def _walk(root: Path, follow: bool) -> Iterator[Path | SourceFailure]:
    """Files under `root` (hidden ones left out); symbolic links are skipped with a warning unless `follow`."""
    seen = {root.resolve()}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(folder.iterdir())
        except OSError as exc:
            yield SourceFailure(SourceError(str(folder), f"cannot list folder ({exc.strerror})"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                if not follow:
                    reason = f"symbolic link (to {os.readlink(entry)}) not followed; use --follow-symlinks"
                    yield SourceFailure(SourceError(str(entry), reason), warning=True)
                    continue
                if entry.is_dir():
                    real = entry.resolve()
                    if real in seen:  # a loop, or a folder read already
                        continue
                    seen.add(real)
            if entry.is_dir():
                stack.append(entry)
            elif entry.is_file():
                yield entry


def iter_source_items(
    paths: Iterable[str | Path], settings: Settings | None = None
) -> Iterator[SourceItem | SourceFailure]:
    """Yield every source item under the given paths, in a stable order.

    With `settings.pages_per_folder` (ingest --pages-per-folder), the JPEG, PNG and TIFF files of
    each folder become one item: a pack of its pages (`pack`).
    Paths named here are read even when they are links; links found inside folders are
    skipped with a warning unless `settings.follow_symlinks` ($CHANCERY_FOLLOW_SYMLINKS).
    """
    settings = settings or limits()
    follow, pages_per_folder = settings.follow_symlinks, settings.pages_per_folder
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            yield SourceFailure(SourceError(str(path), "no such file or directory"))
            continue
        if path.is_dir():
            folders: dict[Path, list[Path]] = {}  # --pages-per-folder: image files by folder
            for found in sorted(_walk(path, follow), key=_walk_order(path)):
                if isinstance(found, SourceFailure):
                    yield found
                elif found.name not in SKIP_NAMES and found.suffix.lower() not in SKIP_SUFFIXES:
                    if pages_per_folder and found.suffix.lower() in PAGE_SUFFIXES:
                        folders.setdefault(found.parent, []).append(found)
                    else:
                        yield from _iter_file(found)
            for folder, files in folders.items():
                yield _page_folder(folder, files)
            continue
        yield from _iter_file(path)


def _page_folder(folder: Path, files: list[Path]) -> SourceItem | SourceFailure:
    """One item holding a folder's page images, in natural order (see `chancery.sources.images`)."""
    cap = limits().max_file_bytes
    if sum(f.stat().st_size for f in files) > cap:
        return SourceFailure(SourceError(str(folder), f"page images over the {cap}-byte limit together"))
    try:
        data = pack([(f.name, f.read_bytes()) for f in files])
    except OSError as exc:
        return SourceFailure(SourceError(str(folder), f"cannot read ({exc.strerror})"))
    return SourceItem(path=str(folder), data=data, name=folder.name + ".zip")


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting "page-2.jpg" before "page-10.jpg" (numbers compared as numbers)."""
    return tuple((0, int(part)) if part.isdigit() else (1, part.lower()) for part in re.split(r"(\d+)", name))


def pack(files: list[tuple[str, bytes]]) -> bytes:
    """The page files of one folder, in natural order, as an uncompressed ZIP (fixed timestamps:
    the same pages always give the same bytes, hence the same hash)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
        for name, data in sorted(files, key=lambda f: natural_key(f[0])):
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
        archive.comment = PACK_COMMENT
    return buf.getvalue()


def is_pack(data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04") and data.endswith(PACK_COMMENT)


def _walk_order(root: Path) -> Callable[[Path | SourceFailure], tuple[str, ...]]:
    """Sort key: the path's parts under `root` (as the old sorted rglob listing had it)."""

    def key(found: Path | SourceFailure) -> tuple[str, ...]:
        path = Path(found.error.path) if isinstance(found, SourceFailure) else found
        return path.relative_to(root).parts

    return key


def _iter_file(path: Path) -> Iterator[SourceItem | SourceFailure]:
    if _is_tar_name(path.name):
        yield from _iter_tar(path)
        return
    try:
        item = _read_single(path)
    except SourceError as exc:
        yield SourceFailure(exc)
        return
    except OSError as exc:
        yield SourceFailure(SourceError(str(path), f"cannot read ({exc.strerror})"))
        return
    yield item


def _read_single(path: Path) -> SourceItem:
    """One plain or gzipped file (a `.gz` that is not gzip is read as it is), read lazily."""
    return SourceItem.of_file(path)


def _is_gzip(path: Path) -> bool:
    if not path.name.endswith(".gz"):
        return False
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _file_chunks(path: Path) -> Iterator[bytes]:
    """The content of a plain or gzipped file in chunks, within the size limits."""
    if _is_gzip(path):
        with path.open("rb") as handle:
            yield from _gunzip_chunks(str(path), handle.read, limits().max_decompressed_bytes)
        return
    size = path.stat().st_size
    cap = limits().max_file_bytes
    if size > cap:
        raise SourceError(str(path), f"file is {size} bytes, more than the {cap}-byte limit")
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            yield chunk


def count_source_files(paths: list[str | Path]) -> int:
    """A cheap count of files on disk (for progress bars), tar archives counted as one."""
    total = 0
    per_folder = limits().pages_per_folder
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = [p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")]
            pages = {p.parent for p in found if per_folder and p.suffix.lower() in PAGE_SUFFIXES}
            total += len(pages) + sum(
                1 for p in found if p.parent not in pages or p.suffix.lower() not in PAGE_SUFFIXES
            )
        elif path.exists():
            total += 1
    return total


def decode_text(item: SourceItem, lines: bool = True) -> str:
    """Decode a text item as UTF-8 (BOM allowed); bad bytes are an error naming the line.

    Refuses a text bigger than $CHANCERY_MAX_DOCUMENT_BYTES and, when `lines` (line-oriented
    formats; not JSON), a line longer than $CHANCERY_MAX_LINE_BYTES, naming its number.
    """
    data = item.data
    if b"\x00" in data[:8192]:
        raise SourceError(item.path, "binary file (contains NUL bytes), not a document")
    settings = limits()
    if len(data) > settings.max_document_bytes:
        raise SourceError(
            item.path, f"text is {len(data)} bytes, more than the {settings.max_document_bytes}-byte limit"
        )
    if lines:
        check_line_lengths(item.path, data, settings.max_line_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            item.path, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})", line
        ) from None


def check_line_lengths(path: str, data: bytes, cap: int) -> None:
    """Raise a SourceError naming the first line longer than `cap` bytes (scans in C, cap bytes a step)."""
    start = 0
    while len(data) - start > cap:
        newline = data.rfind(b"\n", start, start + cap + 1)
        if newline < 0:
            line = data.count(b"\n", 0, start) + 1
            raise SourceError(path, f"line longer than {cap} bytes (the limit); refused", line)
        start = newline + 1


__all__ = ["SourceItem", "SourceFailure", "iter_source_items", "decode_text", "count_source_files", "limits"]
