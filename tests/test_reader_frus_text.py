"""The history.state.gov plain-text reader on seed 000."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chancery.errors import SourceError
from chancery.model import Party
from chancery.sources import frus_text
from chancery.sources.files import SourceItem


def _item(path: Path) -> SourceItem:
    return SourceItem(path=str(path), data=path.read_bytes(), name=path.name)


@pytest.fixture
def seed000(seeds: Path):
    path = next(seeds.glob("000_*.txt"))
    return _item(path)


def test_seed_000_structure(seed000: SourceItem) -> None:
    assert frus_text.sniff(seed000) > 1
    [doc] = frus_text.read(seed000)
    assert doc.id == f"frus-text/{Path(seed000.name).stem}"
    assert doc.archive_file == "Moscow Embassy Files—710 Sino-Soviet Relations"
    assert doc.doc_type == "telegram"
    assert doc.title == "The Ambassador in the Soviet Union (Harriman) to President Truman"
    assert doc.senders == [Party(name="Harriman", role="Ambassador in the Soviet Union")]
    assert doc.recipients == [Party(name="Truman", role="President")]
    assert doc.markings.paraphrase is True
    assert "[Paraphrase]" not in doc.text
    assert doc.date.when is None  # left to the date enricher


def test_seed_000_pages_and_footnotes(seed000: SourceItem) -> None:
    [doc] = frus_text.read(seed000)
    assert "[Page" not in doc.text
    assert not re.search(r"[A-Za-z.](63|64)\b", doc.text)
    assert [p.n for p in doc.pages] == ["906"]
    assert doc.text[doc.pages[0].offset :].startswith("that he was sending you a reply")
    assert "message and that he was" in doc.text
    first, second = doc.footnotes
    assert (first.n, first.text) == ("63", "Supra.")
    assert doc.text[: first.offset].endswith("last night")
    assert second.n == "64" and second.text.startswith("This reply stated:")
    assert doc.text[: second.offset].endswith("sending you a reply.")
    assert doc.text.rstrip().endswith("[Harriman]")
    assert "Supra." not in doc.text


def test_title_parties() -> None:
    senders, recipients = frus_text.parse_title_parties(
        "The Secretary of State to the Ambassador in China (Hurley)"
    )
    assert senders == [Party(name="Secretary of State", role="Secretary of State")]
    assert recipients == [Party(name="Hurley", role="Ambassador in China")]
    senders, recipients = frus_text.parse_title_parties("Memorandum by the Acting Secretary of State (Grew)")
    assert senders == [Party(name="Grew", role="Acting Secretary of State")] and recipients == []


def test_empty_file_is_an_error() -> None:
    with pytest.raises(SourceError, match="empty.txt.*empty file"):
        frus_text.read(SourceItem(path="empty.txt", data=b"  \n", name="empty.txt"))
