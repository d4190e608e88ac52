"""Hostile input is refused with an error naming the file, in bounded memory, losing nothing stored."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import time
import zlib
from pathlib import Path

import orjson
import pytest

from chancery import Archive
from chancery.errors import SourceError
from chancery.settings import Settings
from chancery.sources.files import SourceItem, check_line_lengths, iter_source_items

RSS_BOUND_KB = 500 * 1024  # peak resident memory of one ingest, any process of it
GOOD_TEXT = "A good memorandum\n\nThe ambassador called on 3 March 1948 about the treaty.\n"
TEI_HEAD = '<?xml version="1.0"?>{prolog}<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="frus9999v01">'
TEI_DOC = '<text><body><div type="document" xml:id="d1" n="1"><head>Memo</head><p>Hello {body}</p></div>'
TEI_TAIL = "</body></text></TEI>\n"

# Runs `python -m chancery ...` as its own child and reports the peak RSS of its process tree.
RUNNER = """
import resource, subprocess, sys
code = subprocess.run([sys.executable, "-m", "chancery", *sys.argv[1:]]).returncode
sys.stderr.write(f"\\nPEAK_RSS_KB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n")
sys.exit(code)
"""


class Run:
    def __init__(self, proc: subprocess.CompletedProcess[str], seconds: float) -> None:
        self.code = proc.returncode
        self.seconds = seconds
        self.stderr = proc.stderr
        head, _, rss = proc.stderr.rpartition("PEAK_RSS_KB=")
        self.peak_kb = int(rss.strip())
        self.report = orjson.loads(proc.stdout) if proc.stdout.strip() else {}


def ingest(db: Path, *paths: Path, env: dict[str, str] | None = None, extra: tuple[str, ...] = ()) -> Run:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, "ingest", "--db", str(db), "--json", *extra, *map(str, paths)],
        capture_output=True,
        text=True,
        env={**os.environ, "CHANCERY_WORKERS": "2", **(env or {})},
        timeout=300,
    )
    return Run(proc, time.perf_counter() - started)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """An archive holding one good document, ingested by the real command."""
    good = tmp_path / "good" / "good.txt"
    good.parent.mkdir()
    good.write_text(GOOD_TEXT)
    path = tmp_path / "a.db"
    run = ingest(path, good)
    assert run.code == 0, run.stderr
    assert run.report["added"] == 1
    return path


def assert_refused(db: Path, run: Run, bad: Path | str, reason: str, line: int | None = None) -> str:
    """Exit code 1, one failure naming the file (and line), the good document still stored."""
    assert run.code == 1, run.stderr
    failures = run.report["failures"]
    assert len(failures) == 1, failures
    where = f"{bad}:{line}: " if line else f"{bad}: "
    assert failures[0].startswith(where), failures[0]
    assert reason in failures[0], failures[0]
    assert run.peak_kb < RSS_BOUND_KB, f"peak RSS {run.peak_kb} KB"
    with Archive.open(db) as archive:
        assert archive.document("text/good").text.startswith("The ambassador called")
        assert archive.search("treaty").total == 1
        assert archive.store.count_documents() == 1
    return failures[0]


def _gzip_of_repeats(chunk: bytes, total: int) -> bytes:
    """Gzip of `chunk` repeated to `total` bytes, made in 1 MB steps (never held whole)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = chunk * ((1 << 20) // len(chunk))
    parts = [comp.compress(block) for _ in range(total // len(block))]
    return b"".join(parts) + comp.flush()


# ------------------------------------------------------------------ decompression


def test_gzip_bomb_is_stopped_at_the_cap(db: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.txt.gz"
    bomb.write_bytes(_gzip_of_repeats(b"all work and no play\n", 400 << 20))  # 400 MB of short lines
    assert bomb.stat().st_size < 1 << 20
    run = ingest(db, bomb)
    assert_refused(db, run, bomb, f"decompresses to more than {128 << 20} bytes")


def test_gzip_cap_is_configurable(db: Path, tmp_path: Path) -> None:
    small = tmp_path / "small.txt.gz"
    small.write_bytes(_gzip_of_repeats(b"a short line\n", 2 << 20))
    run = ingest(db, small, env={"CHANCERY_MAX_DECOMPRESSED_BYTES": str(1 << 20)})
    assert_refused(db, run, small, f"decompresses to more than {1 << 20} bytes")


def test_tar_gz_member_bomb_is_refused(db: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.tar.gz"
    size = 300 << 20
    with tarfile.open(bomb, "w:gz", compresslevel=1) as tar:
        info = tarfile.TarInfo("volume/huge.txt")
        info.size = size
        tar.addfile(info, _Repeat(b"x" * 99 + b"\n", size))
        nested = _gzip_of_repeats(b"nested line\n", 200 << 20)
        info = tarfile.TarInfo("volume/nested.txt.gz")
        info.size = len(nested)
        tar.addfile(info, io.BytesIO(nested))
    run = ingest(db, bomb)
    assert run.code == 1 and len(run.report["failures"]) == 2, run.report
    huge, nested_failure = sorted(run.report["failures"])
    assert huge.startswith(f"{bomb}!volume/huge.txt: member is {size} bytes, more than the")
    assert nested_failure.startswith(f"{bomb}!volume/nested.txt.gz: decompresses to more than")
    assert run.peak_kb < RSS_BOUND_KB, run.peak_kb
    with Archive.open(db) as archive:
        assert archive.store.count_documents() == 1 and archive.document("text/good")


class _Repeat(io.RawIOBase):
    """A file object of `chunk` repeated to `size` bytes, read without holding it."""

    def __init__(self, chunk: bytes, size: int) -> None:
        self.chunk, self.left = chunk * (65536 // len(chunk)), size

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        out = (self.chunk * (n // len(self.chunk) + 1))[:n]
        self.left -= n
        return out


def test_tar_with_too_many_members_is_refused(db: Path, tmp_path: Path) -> None:
    many = tmp_path / "many.tar.gz"
    with tarfile.open(many, "w:gz") as tar:
        for i in range(30):
            info = tarfile.TarInfo(f"m/{i}.txt")
            data = f"Title {i}\n\nbody\n".encode()
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    run = ingest(db, many, env={"CHANCERY_MAX_ARCHIVE_MEMBERS": "20"})
    assert_refused(db, run, many, "more than 20 members")


# ------------------------------------------------------------------ lines and documents


def test_long_line_names_its_line(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "long.txt"
    bad.write_bytes(b"Title\n\nshort\n" + b"y" * ((1 << 20) + 1) + b"\nafter\n")
    run = ingest(db, bad)
    assert_refused(db, run, bad, f"line longer than {1 << 20} bytes", line=4)


def test_long_line_in_dfat_markdown(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "1-long.md"
    bad.write_bytes(b"---\nvol_id: 7\ndoc_num: 1\ntitle: T\n---\n\nok\n" + b"z" * 5000 + b"\n")
    run = ingest(db, bad, env={"CHANCERY_MAX_LINE_BYTES": "4096"})
    assert_refused(db, run, bad, "line longer than 4096 bytes", line=8)


def test_200_mb_single_line_in_bounded_memory(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "one-line.txt"
    with bad.open("wb") as out:
        for _ in range(200):
            out.write(b"w" * (1 << 20))
    run = ingest(db, bad)
    assert_refused(db, run, bad, "more than the")  # the document cap comes first: 200 MB > 32 MB


def test_document_size_cap(db: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("Title\n\n" + "a sentence of the document.\n" * 100)
    run = ingest(db, big, env={"CHANCERY_MAX_DOCUMENT_BYTES": "2000"})
    assert_refused(db, run, big, "more than the 2000-byte limit")


def test_document_text_cap_applies_to_xml_documents(db: Path, tmp_path: Path) -> None:
    volume = tmp_path / "frus9999v01.xml"
    volume.write_text(TEI_HEAD.format(prolog="") + TEI_DOC.format(body="word " * 100) + TEI_TAIL)
    run = ingest(db, volume, env={"CHANCERY_MAX_DOCUMENT_BYTES": "300"})
    assert_refused(db, run, volume, "document frus9999v01/d1 has 50")


def test_xml_tag_flood_is_refused(db: Path, tmp_path: Path) -> None:
    volume = tmp_path / "frus9999v01.xml"
    volume.write_text(TEI_HEAD.format(prolog="") + TEI_DOC.format(body="<lb/>" * 4_000_000) + TEI_TAIL)
    run = ingest(db, volume)  # 19 MB: parsed, it would take over 1 GB
    assert_refused(db, run, volume, "more than 2000000 XML tags")


def test_line_check_finds_the_first_long_line() -> None:
    data = b"a\n" * 10 + b"b" * 11 + b"\n" + b"c" * 50
    with pytest.raises(SourceError) as info:
        check_line_lengths("f.txt", data, 10)
    assert info.value.line == 11
    check_line_lengths("f.txt", b"0123456789\n0123456789\n0123456789", 10)  # exactly at the cap


# ------------------------------------------------------------------ YAML front matter


def _alias_bomb() -> bytes:
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    return ("---\nvol_id: 7\ndoc_num: 1\n" + "\n".join(levels) + "\ntitle: *i\n---\n\nBody.\n").encode()


def test_yaml_alias_bomb_is_refused_fast(db: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "1-bomb.md"
    bomb.write_bytes(_alias_bomb())
    assert len(bomb.read_bytes()) < 700
    run = ingest(db, bomb)
    assert_refused(db, run, bomb, "anchors and aliases are not allowed", line=4)
    assert run.seconds < 60


def test_front_matter_size_cap(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "1-fat.md"
    padding = "".join(f"k{i}: value number {i}\n" for i in range(5000))
    bad.write_text(f"---\nvol_id: 7\ndoc_num: 1\n{padding}title: T\n---\n\nBody.\n")
    run = ingest(db, bad)
    assert_refused(db, run, bad, f"front matter is longer than {64 * 1024} characters", line=1)


def test_plain_front_matter_still_reads(tmp_path: Path) -> None:
    from chancery.sources import dfat

    data = b"---\nvol_id: 7\ndoc_num: 3\ntitle: Evatt to Bruce\ndoc_date: 1944-05-01\n---\n\nText.\n"
    [doc] = dfat.read(SourceItem(path="3-x.md", data=data, name="3-x.md"))
    assert doc.id == "dfat-v07/d3" and doc.title == "Evatt to Bruce" and doc.date.when == "1944-05-01"


# ------------------------------------------------------------------ symbolic links


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """A folder with one document and a link to a file outside it (and a link loop)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret notes\n\nNot for the archive.\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "inside.txt").write_text("Inside title\n\nA document in the folder.\n")
    (folder / "secret.txt").symlink_to(outside / "secret.txt")
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    return folder, outside


def test_symlinks_are_skipped_with_a_warning(db: Path, linked: tuple[Path, Path]) -> None:
    folder, outside = linked
    run = ingest(db, folder)
    assert run.code == 0 and run.report["failures"] == [], run.report
    assert run.report["added"] == 1
    warnings = [w for w in run.report["warnings"] if "symbolic link" in w]
    assert sorted(w.split(":")[0] for w in warnings) == [str(folder / "loop"), str(folder / "secret.txt")]
    assert f"to {outside / 'secret.txt'}" in " ".join(warnings)
    with Archive.open(db) as archive:
        assert archive.search("archive").total == 0
        assert {d.id for d in archive.documents()} == {"text/good", "text/inside"}


def test_follow_symlinks_when_asked(db: Path, linked: tuple[Path, Path]) -> None:
    folder, _ = linked
    run = ingest(db, folder, extra=("--follow-symlinks",))
    assert run.code == 0, run.report
    assert run.report["added"] == 2  # the loop is read once, not forever
    with Archive.open(db) as archive:
        assert {d.id for d in archive.documents()} == {"text/good", "text/inside", "text/secret"}


def test_walk_without_links_matches_sorted_listing(tmp_path: Path) -> None:
    for name in ("b/2.txt", "a/1.txt", "a/c/3.txt", "z.txt", ".hidden/4.txt", "a/.5.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("Title\n\nx\n")
    items = list(iter_source_items([tmp_path], Settings()))
    paths = [item.path for item in items if isinstance(item, SourceItem)]
    assert len(paths) == len(items)
    expected = ["a/1.txt", "a/c/3.txt", "b/2.txt", "z.txt"]
    assert paths == [str(tmp_path / p) for p in expected]


# ------------------------------------------------------------------ XML entities


def test_external_entity_is_refused(db: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\n")
    volume = tmp_path / "frus9999v01.xml"
    prolog = f'\n<!DOCTYPE TEI [\n<!ENTITY xxe SYSTEM "file://{secret}">\n]>\n'
    volume.write_text(TEI_HEAD.format(prolog=prolog) + TEI_DOC.format(body="&xxe;") + TEI_TAIL)
    run = ingest(db, volume)
    message = assert_refused(db, run, volume, "external entity 'xxe'", line=3)
    assert "refused" in message


def test_external_parameter_entity_is_refused(db: Path, tmp_path: Path) -> None:
    volume = tmp_path / "frus9999v01.xml"
    prolog = '<!DOCTYPE TEI [<!ENTITY % remote PUBLIC "-//X//Y" "http://127.0.0.1:9/x.dtd">]>'
    volume.write_text(TEI_HEAD.format(prolog=prolog) + TEI_DOC.format(body="world") + TEI_TAIL)
    run = ingest(db, volume)
    assert_refused(db, run, volume, "external entity 'remote'", line=1)


def test_internal_dtd_still_reads(db: Path, tmp_path: Path) -> None:
    volume = tmp_path / "frus9999v01.xml"
    prolog = '<!DOCTYPE TEI [<!ENTITY greeting "hi"><!ATTLIST TEI n CDATA #IMPLIED>]>'
    volume.write_text(TEI_HEAD.format(prolog=prolog) + TEI_DOC.format(body="world") + TEI_TAIL)
    run = ingest(db, volume)
    assert run.code == 0 and run.report["added"] == 1, run.report
    with Archive.open(db) as archive:
        assert archive.document("frus9999v01/d1").text == "Hello world"


def test_billion_laughs_is_not_expanded(db: Path, tmp_path: Path) -> None:
    lols = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    volume = tmp_path / "frus9999v01.xml"
    prolog = f'<!DOCTYPE TEI [<!ENTITY lol0 "lol">{lols}]>'
    volume.write_text(TEI_HEAD.format(prolog=prolog) + TEI_DOC.format(body="&lol9;") + TEI_TAIL)
    run = ingest(db, volume)
    assert run.peak_kb < RSS_BOUND_KB and run.seconds < 60
    with Archive.open(db) as archive:
        stored = [d for d in archive.documents() if d.id.startswith("frus9999v01")]
        assert all("lollol" not in d.text for d in stored)
        assert archive.document("text/good")


# ------------------------------------------------------------------ settings


def test_limits_are_settings_with_env_overrides() -> None:
    settings = Settings.from_env(
        {
            "CHANCERY_MAX_DECOMPRESSED_BYTES": "10",
            "CHANCERY_MAX_DOCUMENT_BYTES": "20",
            "CHANCERY_MAX_LINE_BYTES": "30",
            "CHANCERY_MAX_FRONT_MATTER_BYTES": "40",
            "CHANCERY_MAX_ARCHIVE_MEMBERS": "50",
            "CHANCERY_MAX_XML_TAGS": "60",
            "CHANCERY_FOLLOW_SYMLINKS": "1",
        }
    )
    assert (
        settings.max_decompressed_bytes,
        settings.max_document_bytes,
        settings.max_line_bytes,
        settings.max_front_matter_bytes,
        settings.max_archive_members,
        settings.max_xml_tags,
        settings.follow_symlinks,
    ) == (10, 20, 30, 40, 50, 60, True)
    defaults = Settings.from_env({})
    assert defaults.max_decompressed_bytes == 128 << 20 and defaults.max_line_bytes == 1 << 20
    assert not defaults.follow_symlinks
