"""FRUS pages copied as text without the archive-file line, recognised by their shape."""

from __future__ import annotations

import gzip
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import orjson
from conftest import ROOT, corpus_path

from chancery.model import Party
from chancery.sources import detect, frus_text, read_item, text
from chancery.sources.files import SourceItem

WEB_PAGE = """163. Telegram From the Ambassador in the Soviet Union (Harriman) to President Truman1

Moscow, June 16, 1945—9 a.m.

160900. Subsequent to the dispatch of my wire of last night2 I delivered your message to \
Marshal Stalin personally to Vice Commissar Vyshinski. He was satisfied with your message and \
[Page 906] that he was sending you a reply.3 The credit was $3,000,000 in all.

[Page 907] I am glad that Soong will arrive in Moscow before July 1.

[Harriman]

  1. Source: Moscow Embassy Files—710 Sino-Soviet Relations. Top Secret.
  2. Supra.
  3. This reply stated: "I have received your message."
"""

MEMO = """1. Introduction

This memo sets out the plan for the office move on June 3, 2024.

1. Pack the files.
2. Label the boxes.
"""


def _item(name: str, body: str) -> SourceItem:
    return SourceItem(path=f"/tmp/{name}", data=body.encode(), name=name)


def test_web_page_is_frus_by_its_shape() -> None:
    item = _item("harriman.txt", WEB_PAGE)
    assert detect(item) is frus_text
    [doc] = read_item(item)
    assert doc.id == "frus-text/harriman" and doc.collection.archive == "frus"
    assert doc.title == "163. Telegram From the Ambassador in the Soviet Union (Harriman) to President Truman"
    assert doc.n == "163" and doc.doc_type == "telegram"
    assert doc.senders == [Party(name="Harriman", role="Ambassador in the Soviet Union")]
    assert doc.recipients == [Party(name="Truman", role="President")]
    assert doc.dateline == "Moscow, June 16, 1945—9 a.m."
    assert "[Page" not in doc.text and "night2" not in doc.text and "reply.3" not in doc.text
    assert "$3,000,000 in all" in doc.text
    assert [p.n for p in doc.pages] == ["906", "907"]
    assert doc.text[doc.pages[0].offset :].startswith("that he was sending you a reply.")
    assert doc.text[doc.pages[1].offset :].startswith("I am glad")
    source, supra, reply = doc.footnotes
    assert (source.n, source.offset) == ("1", 0) and source.text.startswith("Source: Moscow Embassy")
    assert supra.n == "2" and doc.text[: supra.offset].endswith("wire of last night")
    assert reply.n == "3" and doc.text[: reply.offset].endswith("sending you a reply.")
    assert doc.text.rstrip().endswith("[Harriman]")


def test_volume_numbered_marks_and_a_mark_glued_to_a_year() -> None:
    page = (
        "12. The Secretary of State to the Ambassador in China (Hurley)\n\n"
        "Washington, May 4, 1945.\n\n"
        "Your telegram of May 1, 19457 was received. The Generalissimo agreed.8\n\n"
        "  1. Not printed.\n  2. See telegram 140, p. 305.\n"
    )
    [doc] = read_item(_item("hurley.txt", page))
    assert doc.source.format == "frus-text"
    assert [(f.n, f.text) for f in doc.footnotes] == [
        ("7", "Not printed."),
        ("8", "See telegram 140, p. 305."),
    ]
    assert doc.text[: doc.footnotes[0].offset].endswith("May 1, 1945")
    assert doc.recipients == [Party(name="Hurley", role="Ambassador in China")]


def test_a_memo_that_merely_has_a_number_is_not_frus() -> None:
    item = _item("memo.txt", MEMO)
    assert frus_text.sniff(item) == 0
    assert detect(item) is text
    [doc] = read_item(item)
    assert doc.title == "1. Introduction" and not doc.footnotes
    assert doc.text.endswith("1. Pack the files.\n2. Label the boxes.")


def test_generic_reader_keeps_page_markers_and_footnotes() -> None:
    [doc] = read_item(_item("notes.txt", WEB_PAGE), format="text")
    assert doc.source.format == "text"
    assert [p.n for p in doc.pages] == ["906", "907"]
    assert [f.n for f in doc.footnotes] == ["1", "2", "3"]
    assert doc.title and doc.title.endswith("President Truman")
    bracketed = "A note\n\nThe plan[1] was agreed [Page 2] at once.[2]\n\n[1] First.\n[2] Second.\n"
    [doc] = read_item(_item("bracketed.txt", bracketed), format="text")
    assert [(f.n, f.text) for f in doc.footnotes] == [("1", "First."), ("2", "Second.")]
    assert [p.n for p in doc.pages] == ["2"] and "[Page" not in doc.text


def _renderer():
    spec = importlib.util.spec_from_file_location(
        "frus_text_quality", ROOT / "benchmarks" / "frus_text_quality.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rendered_tei_documents_through_ingest_and_export(tmp_path: Path) -> None:
    """Documents of a tune-side volume, rendered as history.state.gov shows them, read back."""
    volume = corpus_path("frus", "volumes", "frus1955-57v02.xml.gz")
    bench = _renderer()
    from chancery.sources import frus_tei

    docs = frus_tei.read(
        SourceItem(path=str(volume), data=gzip.decompress(volume.read_bytes()), name="frus1955-57v02.xml")
    )
    chosen = [d for d in docs if d.footnotes and d.pages and d.date.when][10:16]
    folder = tmp_path / "docs"
    folder.mkdir()
    for doc in chosen:
        (folder / f"{bench.file_stem(doc)}.txt").write_text(bench.render(doc), encoding="utf-8")
    db, run = tmp_path / "a.db", [sys.executable, "-m", "chancery"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [*run, "ingest", str(folder), "--db", str(db)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    exported = subprocess.run([*run, "export", "--db", str(db)], capture_output=True, check=True, env=env)
    got = {Path(r["source"]["path"]).stem: r for r in map(orjson.loads, exported.stdout.splitlines())}
    for doc in chosen:
        record = got[bench.file_stem(doc)]
        assert record["source"]["format"] == "frus-text"
        assert bench.scores(doc, record) == dict.fromkeys(bench.FIELDS, True), doc.id
