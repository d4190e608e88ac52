"""The DFAT reader against every volume of the shared corpus."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import corpus_path

from chancery.model import Party
from chancery.sources import dfat
from chancery.sources.files import SourceItem, iter_source_items

MARKER = re.compile(r"\[(\d{1,3})\](?:\(#f\d+\))?")


def _item(path: Path) -> SourceItem:
    return SourceItem(path=str(path), data=path.read_bytes(), name=path.name)


def test_volume_7_document_1() -> None:
    item = _item(corpus_path("dfat", "volume-7-1944", "1-commonwealth-government-to-cranborne.md"))
    assert dfat.sniff(item) == 9
    [doc] = dfat.read(item)
    assert doc.id == "dfat-v07/d1" and doc.n == "1" and doc.order == 1
    assert doc.collection.id == "dfat-v07"
    assert doc.collection.title == "Documents on Australian Foreign Policy, Volume 7: 1944"
    assert (doc.date.when, doc.date.basis, doc.date.precision) == ("1944-01-02", "metadata", "day")
    assert doc.title == "Commonwealth Government to Cranborne"
    assert doc.senders == [Party(name="Commonwealth Government")]
    assert doc.recipients == [Party(name="Cranborne")]
    assert doc.doc_type == "cablegram"
    assert doc.dateline == "Cablegram 2 CANBERRA, 2 January 1944"
    assert doc.archive_file == "AA:A989, 43-44/970/54"
    assert "[AA:" not in doc.text and "\\." not in doc.text and "[1]" not in doc.text
    assert doc.text.startswith("Cablegram 2 CANBERRA, 2 January 1944\n\nSECRET\n\nYour D.1190")
    assert "1. The Australian Government regards it as essential that there should be a frank" in doc.text
    assert "necessary to protect our interests.\n\n2. in the circumstances" in doc.text
    first, second = doc.footnotes
    assert first.n == "1" and first.text.startswith("Dispatched 29 and 28 December respectively.")
    assert doc.text[: first.offset].endswith("your No. 398.")
    assert second.text == "See Documents on Australian Foreign Policy 1937-49, vol. VI, Documents 233-4."
    assert doc.text[: second.offset].endswith("Trade and Communications.")
    assert "Dispatched 29" not in doc.text and not doc.text.rstrip().endswith("_")


def test_title_parties() -> None:
    senders, recipients = dfat.parse_title_parties(
        "Mr R. G. Casey, Minister to the United States, to Mr John Curtin, Prime Minister, "
        "and to Dr H. V. Evatt, Minister for External Affairs"
    )
    assert senders == [Party(name="Mr R. G. Casey", role="Minister to the United States")]
    assert recipients == [
        Party(name="Mr John Curtin", role="Prime Minister"),
        Party(name="Dr H. V. Evatt", role="Minister for External Affairs"),
    ]
    assert dfat.parse_title_parties("Minute, Plimsoll To Brennan, Bourchier And Greet")[1] == [
        Party(name="Brennan"),
        Party(name="Bourchier"),
        Party(name="Greet"),
    ]
    assert dfat.parse_title_parties("Note by Evans") == ([Party(name="Evans")], [])
    assert dfat.parse_title_parties("Cablegram to Canberra") == ([], [Party(name="Canberra")])


@pytest.fixture(scope="module")
def all_documents():
    paths = sorted(corpus_path("dfat").glob("volume-*.tar.gz"))
    assert len(paths) >= 27
    docs, errors, markers = [], [], {}
    for item in iter_source_items(paths):
        assert isinstance(item, SourceItem), item
        try:
            [doc] = dfat.read(item)
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            errors.append(f"{item.path}: {exc}")
            continue
        docs.append(doc)
        markers[doc.id] = item
    return docs, errors


def test_every_volume_reads(all_documents) -> None:
    docs, errors = all_documents
    assert errors == []
    assert len(docs) > 10_000
    assert len({d.collection.id for d in docs}) >= 27
    # The source reuses a few doc_num values inside a volume (e.g. two "484" in volume 20).
    assert len({d.id for d in docs}) >= 0.995 * len(docs)
    total = len(docs)
    assert sum(1 for d in docs if d.date.when) / total >= 0.99
    assert all(d.title for d in docs)
    assert sum(1 for d in docs if d.dateline) / total >= 0.95
    # Titles "X to Y" name the recipient; "Cablegram to Canberra" names no sender, and "Note by X",
    # "Record of Conversation between ...", the dated letters of vols 17-18 name no recipient.
    addressed = [d for d in docs if re.search(r"\bto\b", d.title, re.I)]
    assert sum(1 for d in addressed if d.recipients) / len(addressed) >= 0.95
    assert sum(1 for d in addressed if d.senders and d.recipients) / len(addressed) >= 0.9
    assert sum(1 for d in docs if d.senders) / total >= 0.75
    assert sum(1 for d in docs if d.recipients) / total >= 0.8


def test_footnotes_plausible(all_documents) -> None:
    docs, _ = all_documents
    with_notes = [d for d in docs if d.footnotes]
    assert len(with_notes) / len(docs) >= 0.8
    clean = [d for d in with_notes if not any("has no footnote text" in w for w in d.warnings)]
    assert len(clean) / len(with_notes) >= 0.9
    assert sum(1 for d in docs if MARKER.search(d.text)) <= 5
    for doc in with_notes:
        assert all(0 <= f.offset <= len(doc.text) and f.text for f in doc.footnotes)
        assert [int(f.n) for f in sorted(doc.footnotes, key=lambda f: int(f.n))] == list(
            range(1, len(doc.footnotes) + 1)
        )
