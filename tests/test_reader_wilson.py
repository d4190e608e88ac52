"""The Wilson Center reader: seed 001 page layout, the scraped CSV, the API JSON."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import corpus_path

from chancery.errors import SourceError
from chancery.model import Party
from chancery.sources import wilson
from chancery.sources.files import SourceItem


def _item(path: Path) -> SourceItem:
    return SourceItem(path=str(path), data=path.read_bytes(), name=path.name)


def test_seed_001(seeds: Path) -> None:
    item = _item(next(seeds.glob("001_*.txt")))
    assert wilson.sniff(item) >= 8
    [doc] = wilson.read(item)
    assert doc.id == "wilson/123402"
    assert doc.collection.id == "wilson" and doc.collection.archive == "wilson"
    assert (doc.date.when, doc.date.precision, doc.date.basis) == ("1945-07-01", "day", "metadata")
    assert doc.title == "Cable, Summary of Averell Harriman Meeting with T. V. Soong"
    assert doc.doc_type == "cable"
    assert doc.source.url.endswith("/document/123402")
    assert doc.citation.startswith(
        '"Cable, Summary of Averell Harriman Meeting with T. V. Soong", July 1, 1945'
    )
    assert doc.archive_file == "W. A. Harriman Papers, Library of Congress"
    assert doc.summary.startswith("Harriman reports on a conversation")
    assert doc.credits.startswith("This document was made possible")
    assert doc.original_language == "English"
    assert doc.text.startswith("PARAPHRASE OF NAVY CABLE")
    assert "Reference White House Message No. 307 June 29" in doc.text
    assert "Transcript - English" not in doc.text and "**" not in doc.text
    assert doc.dateline == "PARAPHRASE OF NAVY CABLE JULY 1, 1945 FROM MOSCOW"
    assert doc.place == "Moscow"
    assert doc.senders == [Party(name="Harriman")]
    assert doc.recipients == [
        Party(name="President", role="President"),
        Party(name="Acting Secretary of State", role="Acting Secretary of State"),
    ]


def test_csv_rows() -> None:
    item = _item(corpus_path("wilson", "wilson_archive.sample.csv"))
    assert wilson.sniff(item) == 9
    docs = wilson.read(item)
    assert len(docs) == 11
    assert all(d.title and d.date.when and d.text and d.id.startswith("wilson/") for d in docs)
    nehru = docs[0]
    assert nehru.id == "wilson/300653" and nehru.date.when == "1949-04-01"
    assert nehru.doc_type == "letter" and nehru.senders == [Party(name="Nehru, Jawaharlal")]
    assert nehru.original_language == "English" and nehru.markings.classification == "Secret"
    month_only = next(d for d in docs if d.id == "wilson/300638")
    assert (month_only.date.precision, month_only.date.not_after) == ("month", "1967-11-30")


def test_api_json() -> None:
    transcript = _item(corpus_path("wilson", "transcript.json"))
    assert wilson.sniff(transcript) == 9
    [doc] = wilson.read(transcript)
    assert doc.id == "wilson/transcript-33548"
    assert doc.text.startswith("По указанию министра")
    assert "<" not in doc.text and "cs366E2583" not in doc.text
    collection = _item(corpus_path("wilson", "collection.json"))
    assert wilson.sniff(collection) == 9
    assert wilson.read(collection) == []
    assert wilson.read_collection(collection).title.startswith("“Local Nationalism")


def test_html_to_text_skips_scripts() -> None:
    assert (
        wilson.html_to_text("<p>One &amp; two</p><script>alert(1)</script><p>Three</p>")
        == "One & two\n\nThree"
    )


def test_bad_json_names_file() -> None:
    with pytest.raises(SourceError, match="x.json:2"):
        wilson.read(SourceItem(path="x.json", data=b'{\n"a": }', name="x.json"))


def test_parse_date() -> None:
    assert wilson.parse_date("1967").precision == "year"
    assert wilson.parse_date("Febtember 3, 1967").when is None
