"""Who reads the files: listing a file only hashes it (the ingesting process never holds it), the
reader reads it and refuses one that changed since; symbolic links inside folders follow the
one setting, whether it comes from $CHANCERY_FOLLOW_SYMLINKS, `--follow-symlinks` or a Settings
given to the archive. Real files, real ingest processes."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import orjson
import pytest

from chancery.archive import Archive
from chancery.settings import Settings
from chancery.sources.files import SourceItem, iter_source_items

TEXT = "A memorandum\n\nThe minister agreed to the proposal.\n"


def test_a_listed_file_is_hashed_not_held(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(TEXT.encode()))
    items = [i for i in iter_source_items([tmp_path]) if isinstance(i, SourceItem)]
    assert [i.name for i in items] == ["a.txt", "b.txt"]
    for item in items:
        assert item._data is None  # nothing read into memory by listing
        assert item.size == len(TEXT.encode())
        assert item.sha256 == SourceItem("x", TEXT.encode(), "x").sha256  # the content's hash
        assert item.data == TEXT.encode()


def test_a_file_changed_after_listing_fails_by_name(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(TEXT)
    [item] = list(iter_source_items([path]))
    path.write_text(TEXT + "Added later.\n")
    with Archive.open(tmp_path / "a.db", settings=Settings(shipped_authority=False)) as archive:
        from chancery.ingest import read_and_enrich

        failure = read_and_enrich(item, None, archive.enrich_context())
    assert failure == f"{path}: the file changed while it was being ingested; run again"


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret notes\n\nNot for the archive.\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "inside.txt").write_text(TEXT)
    (folder / "secret.txt").symlink_to(outside / "secret.txt")
    return folder


def ids(db: Path) -> set[str]:
    with Archive.open(db, settings=Settings(shipped_authority=False)) as archive:
        return {d.id for d in archive.documents()}


@pytest.mark.parametrize("how", ["env", "flag", "none"])
def test_follow_symlinks_from_the_environment_or_the_flag(tmp_path: Path, linked: Path, how: str) -> None:
    env = {**os.environ, "CHANCERY_SHIPPED_AUTHORITY": "0", "CHANCERY_WORKERS": "2"}
    env.pop("CHANCERY_FOLLOW_SYMLINKS", None)
    args = [sys.executable, "-m", "chancery", "ingest", str(linked), "--db", str(tmp_path / "a.db"), "--json"]
    if how == "env":
        env["CHANCERY_FOLLOW_SYMLINKS"] = "1"
    elif how == "flag":
        args.append("--follow-symlinks")
    run = subprocess.run(args, env=env, capture_output=True, check=True)
    report = orjson.loads(run.stdout)
    expected = {"text/inside", "text/secret"} if how != "none" else {"text/inside"}
    assert ids(tmp_path / "a.db") == expected
    assert any("symbolic link" in w for w in report["warnings"]) == (how == "none")


def test_follow_symlinks_from_the_archive_settings(tmp_path: Path, linked: Path) -> None:
    for follow in (False, True):
        db = tmp_path / f"{follow}.db"
        settings = Settings(shipped_authority=False, follow_symlinks=follow)
        with Archive.open(db, settings=settings) as archive:
            archive.ingest([linked], workers=1)
        assert ids(db) == ({"text/inside", "text/secret"} if follow else {"text/inside"})


def _tar_gz(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_a_tar_gz_yields_its_members_by_name_whatever_their_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members stored in reverse order come out in name order, each with its own bytes, and a member
    over the cap fails by name in its place (read in one pass: no rewinding the gzip stream)."""
    members = [(f"vol/{n:03d}.md", f"document {n}\n".encode()) for n in range(40, 0, -1)]
    members.insert(5, ("vol/020b.md", b"x" * 200))
    tar = _tar_gz(tmp_path / "v.tar.gz", members)
    monkeypatch.setenv("CHANCERY_MAX_FILE_BYTES", "100")
    out = list(iter_source_items([tar]))
    names = [o.name if isinstance(o, SourceItem) else str(o.error) for o in out]
    assert names[:3] == ["001.md", "002.md", "003.md"] and len(names) == 41
    assert "020b.md" in names[20] and "100-byte limit" in names[20]
    texts = {o.name: o.data for o in out if isinstance(o, SourceItem)}
    assert texts["017.md"] == b"document 17\n" and texts["040.md"] == b"document 40\n"
