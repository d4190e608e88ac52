"""Archive-level ingest: idempotence, replacement, transactions, bad input, index consistency."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from chancery import Archive

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
SMALL_VOLUME = FIXTURES / "small-volume.xml"


@pytest.fixture
def archive(tmp_path: Path):
    with Archive.open(tmp_path / "a.db") as archive:
        yield archive


def test_seeds_ingest_once_and_reingest_changes_nothing(archive: Archive, seeds: Path) -> None:
    first = archive.ingest([seeds])
    assert first.ok, first.failures
    assert first.added == 2
    before = {d.id: d for d in archive.documents()}
    second = archive.ingest([seeds])
    assert second.ok
    assert (second.unchanged, second.added, second.replaced) == (2, 0, 0)
    after = {d.id: d for d in archive.documents()}
    assert after == before
    assert archive.store.count_documents() == 2
    assert archive.index.count() == 2


def test_changed_file_replaces_its_documents(archive: Archive, tmp_path: Path) -> None:
    volume = tmp_path / "frus9999v01.xml"
    shutil.copy(SMALL_VOLUME, volume)
    assert archive.ingest([volume]).added == 2
    volume.write_text(
        SMALL_VOLUME.read_text()
        .replace("Agreed.", "Declined.")
        .replace(
            '<div type="document" xml:id="d1" n="1">', '<div type="document" xml:id="d1" n="1" subtype="x">'
        )
    )
    report = archive.ingest([volume])
    assert report.ok and report.replaced == 2 and report.added == 0
    assert "Declined." in archive.document("frus9999v01/d2").text
    assert archive.search("declined").total == 1
    assert archive.search("agreed").total == 0
    # a document that disappears from the file disappears from the archive and the index
    text = volume.read_text()
    start = text.index('<div type="document" xml:id="d2"')
    end = text.index("</div>", start) + len("</div>")
    volume.write_text(text[:start] + text[end:])
    report = archive.ingest([volume])
    assert report.removed == 1
    assert archive.store.count_documents() == 1
    assert archive.search("declined").total == 0


def test_failed_file_leaves_stored_documents_untouched(archive: Archive, tmp_path: Path) -> None:
    volume = tmp_path / "frus9999v01.xml"
    shutil.copy(SMALL_VOLUME, volume)
    archive.ingest([volume])
    stored = archive.document("frus9999v01/d1")
    volume.write_text(SMALL_VOLUME.read_text()[:900])  # cut off halfway
    report = archive.ingest([volume])
    assert not report.ok
    assert str(volume) in report.failures[0]
    assert archive.document("frus9999v01/d1") == stored
    assert archive.store.count_documents() == 2


BOMB = """<?xml version="1.0"?>
<!DOCTYPE TEI [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>
<div type="document" xml:id="d1" n="1"><head>Bomb</head><p>&lol9;</p></div>
</body></text></TEI>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE TEI [
 <!ENTITY secret SYSTEM "file:///etc/passwd">
 <!ENTITY remote SYSTEM "http://127.0.0.1:9/evil.dtd">
]>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>
<div type="document" xml:id="d1" n="1"><head>External</head><p>A &secret; B &remote; C</p></div>
</body></text></TEI>
"""


def _bad_inputs(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    files = {
        "malformed": folder / "malformed.xml",
        "truncated_gz": folder / "cut.xml.gz",
        "bomb": folder / "bomb.xml",
        "xxe": folder / "xxe.xml",
        "latin1": folder / "latin1.txt",
        "empty": folder / "empty.txt",
        "binary": folder / "binary.txt",
        "unknown": folder / "data.bin",
    }
    files["malformed"].write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>\n<div type="document">\n<p>oops</div>'
    )
    files["truncated_gz"].write_bytes(gzip.compress(SMALL_VOLUME.read_bytes())[:400])
    files["bomb"].write_text(BOMB)
    files["xxe"].write_text(XXE)
    files["latin1"].write_bytes("Telegram\n\nDéjà vu in Paris.\n".encode("latin-1"))
    files["empty"].write_bytes(b"")
    files["binary"].write_bytes(bytes(range(256)) * 8)
    files["unknown"].write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    return files


def test_bad_input_is_named_and_loses_nothing(archive: Archive, tmp_path: Path, seeds: Path) -> None:
    archive.ingest([seeds])
    before = {d.id: d for d in archive.documents()}
    files = _bad_inputs(tmp_path / "bad")
    report = archive.ingest([tmp_path / "bad"])
    failed = "\n".join(report.failures)
    for key in ("malformed", "truncated_gz", "latin1", "empty", "binary", "unknown"):
        assert str(files[key]) in failed, f"{key} not reported: {failed}"
    for line in report.failures:
        assert "\n" not in line and "Traceback" not in line
    assert f"{files['malformed']}:3" in failed  # the line of the error
    assert f"{files['latin1']}:3" in failed
    # hostile XML: refused, or read without expanding anything
    for doc in archive.documents():
        assert "root:" not in doc.text
        assert "lollollol" not in doc.text
    after = {d.id: d for d in archive.documents() if d.id in before}
    assert after == before


def test_cli_exit_codes_and_export(tmp_path: Path, seeds: Path) -> None:
    db = tmp_path / "cli.db"
    run = [sys.executable, "-m", "chancery"]
    ok = subprocess.run([*run, "ingest", str(seeds), "--db", str(db)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    failed = subprocess.run([*run, "ingest", str(bad), "--db", str(db)], capture_output=True, text=True)
    assert failed.returncode == 1
    assert str(bad) in failed.stderr
    exported = subprocess.run([*run, "export", "--db", str(db)], capture_output=True, check=True)
    docs = [orjson.loads(line) for line in exported.stdout.splitlines()]
    assert len(docs) == 2
    assert {d["source"]["format"] for d in docs} == {"frus-text", "wilson"}
    stats = subprocess.run([*run, "stats", "--db", str(db), "--json"], capture_output=True, check=True)
    assert orjson.loads(stats.stdout)["documents"] == 2
    missing = subprocess.run([*run, "show", "nope/d1", "--db", str(db)], capture_output=True, text=True)
    assert missing.returncode == 1 and "nope/d1" in missing.stderr


def test_index_catches_up_after_interrupted_ingest(tmp_path: Path) -> None:
    """Store writes queue index work in the same transaction; opening the archive replays it."""
    db = tmp_path / "q.db"
    with Archive.open(db) as archive:
        archive.ingest([SMALL_VOLUME])
        doc = archive.document("frus9999v01/d2")
        doc.text = "A wholly new sentence about zanzibar."
        archive.store.update_documents([doc.to_dict()])  # as if the process died before syncing the index
        assert archive.search("zanzibar").total == 0
    with Archive.open(db) as archive:
        assert archive.search("zanzibar").total == 1
        assert archive.stats()["pending_index"] == 0


def test_reused_number_in_two_files_keeps_both_documents(archive: Archive, tmp_path: Path) -> None:
    """Two files of one volume claiming the same id (as DFAT vol. 20 does for 484) both stay."""
    front = "---\ndoc_date: '1975-01-0{d}'\ndoc_num: 484\ndoc_order: {d}\ntitle: {t}\nvol_id: 20\nvol_title: 'Volume 20'\n---\n\n{body}\n"
    folder = tmp_path / "v20"
    folder.mkdir()
    (folder / "484-cabinet-minute.md").write_text(front.format(d=1, t="Cabinet Minute", body="Minute text."))
    (folder / "484-cablegram-to-canberra.md").write_text(
        front.format(d=2, t="Cablegram to Canberra", body="Cable text.")
    )
    report = archive.ingest([folder])
    assert report.ok, report.failures
    ids = sorted(d.id for d in archive.documents())
    assert ids == ["dfat-v20/d484", "dfat-v20/d484~484-cablegram-to-canberra"]
    assert any("already used" in w for w in report.warnings)
    # the renamed document is indexed under its new id, the first one under its own
    assert {h.id for h in archive.search("cable").hits} == {"dfat-v20/d484~484-cablegram-to-canberra"}
    assert {h.id for h in archive.search("minute").hits} == {"dfat-v20/d484"}
    assert archive.index.count() == 2
    again = archive.ingest([folder])
    assert again.unchanged == 2 and archive.store.count_documents() == 2


def test_same_file_in_two_places_is_stored_once(archive: Archive, tmp_path: Path) -> None:
    """A DFAT folder beside its own .tar.gz (as in the corpus) must not double the volume."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    shutil.copy(SMALL_VOLUME, a / "frus9999v01.xml")
    shutil.copy(SMALL_VOLUME, b / "frus9999v01.xml")
    report = archive.ingest([a, b])
    assert report.ok and report.added == 2 and report.unchanged == 1
    assert archive.store.count_documents() == 2
    assert any("same content" in w for w in report.warnings)
