"""One `chancery ingest --ocr auto` of a folder with a scanned PDF, a born-digital PDF and page photos."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pagemaker as pm
import pytest
from conftest import SEEDS, corpus_path

from chancery.archive import Archive
from chancery.sources import ocr

DPI = 200
HEAD = 26  # lines typed on each test page (the head and first paragraphs: fewer to OCR, same fields)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scans")
    seed = pm.seed_transcript(SEEDS)
    scans = [pm.degrade(pm.render_page(p[:HEAD], dpi=DPI), "mild", seed=i) for i, p in enumerate(seed.pages)]
    (root / "scan.pdf").write_bytes(pm.scanned_pdf(scans, dpi=DPI))
    (root / "born.pdf").write_bytes(pm.text_pdf(pm.dfat_cablegram(corpus_path()).pages))
    photos = root / "photos"
    photos.mkdir()
    telegram = pm.frus_telegram(corpus_path())
    for n, page in enumerate(telegram.pages, start=1):
        pm.degrade(pm.render_page(page[:HEAD], dpi=DPI), "mild", seed=10 + n).save(
            photos / f"frus-{n}.jpg", quality=85, dpi=(DPI, DPI)
        )
    return root


def _chancery(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chancery", *args], capture_output=True, text=True, check=False
    )


def test_folder_ingests_in_one_command_and_reingest_does_no_ocr(folder: Path, tmp_path: Path):
    db = str(tmp_path / "a.db")
    run = _chancery("ingest", str(folder), "--db", db, "--ocr", "auto", "--json")
    assert run.returncode == 0, run.stderr
    report = orjson.loads(run.stdout)
    assert report["files"] == 4 and report["documents"] == 4 and not report["failures"]
    out = _chancery("export", "--db", db)
    docs = {d["id"]: d for d in map(orjson.loads, out.stdout.splitlines())}
    assert sorted(docs) == ["images/frus-1", "images/frus-2", "pdf/born", "pdf/scan"]

    scan = docs["pdf/scan"]
    sha = scan["source"]["sha256"]
    assert scan["source"]["format"] == "pdf" and scan["pages"] == [
        {"n": "1", "offset": 0, "image": f"{sha}/1.webp", "thumbnail": f"{sha}/1.thumb.webp"}
    ]
    assert "OCR of 1 of 1 pages" in scan["credits"]
    typed = "\n".join(pm.seed_transcript(SEEDS).pages[0][:HEAD])
    assert pm.cer(typed, scan["text"]) < 0.03
    assert scan["date"]["when"] == "1945-07-01"
    assert [p["name"] for p in scan["senders"]] == ["Harriman"]
    assert scan["markings"]["classification"].lower() == "top secret"

    born = docs["pdf/born"]
    assert born["credits"] is None  # its text layer was used, no OCR
    assert born["date"]["when"] == "1939-11-09"
    assert (
        born["senders"][0]["name"] == "Mr S.M. Bruce" and born["recipients"][0]["name"] == "Mr R.G. Menzies"
    )

    photo = docs["images/frus-1"]
    assert photo["source"]["format"] == "image" and photo["doc_type"] == "telegram"
    assert photo["date"]["when"].startswith("1962-10-23")  # the dateline, not the NARA stamp's 1998
    assert [p["name"] for p in photo["senders"]] == ["Embassy in the Soviet Union"]
    assert [p["name"] for p in photo["recipients"]] == ["Department of State"]
    assert photo["markings"]["classification"].lower() == "secret"
    assert "Kohler" in docs["images/frus-2"]["text"]

    cache = Path(db + ".index.ocr")
    entries = sorted(cache.rglob("*.json"))
    assert len(entries) == 3  # one per OCR'd page, beside the archive
    stamps = [p.stat().st_mtime_ns for p in entries]

    # Unchanged files are not even read again.
    again = orjson.loads(_chancery("ingest", str(folder), "--db", db, "--json").stdout)
    assert again["unchanged"] == 4

    # Files whose bytes changed but whose pages did not are re-read from the OCR cache.
    for name in ("scan.pdf", "photos/frus-1.jpg", "photos/frus-2.jpg"):
        with (folder / name).open("ab") as handle:
            handle.write(b"\n")
    with Archive.open(db) as archive:
        ocr.configure_for_archive(archive, "auto", "eng")
        before = ocr.COUNTERS.ocr, ocr.COUNTERS.cached
        report2 = archive.ingest([folder], workers=1)
        assert report2.replaced == 3 and not report2.failures
        assert ocr.COUNTERS.ocr == before[0]  # no page was OCR'd again
        assert ocr.COUNTERS.cached == before[1] + 3
        assert archive.document("pdf/scan").text == scan["text"]
    assert [p.stat().st_mtime_ns for p in sorted(cache.rglob("*.json"))] == stamps


def test_bad_ocr_option_is_refused(tmp_path: Path):
    run = _chancery("ingest", str(tmp_path), "--db", str(tmp_path / "x.db"), "--ocr", "sometimes")
    assert run.returncode == 2 and "auto, force, never" in run.stderr
