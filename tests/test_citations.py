"""Citations from export-contract dicts: every format, escaping, and missing fields left out."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from chancery.citations import all_citations, bibtex, chicago_bibliography, chicago_note, cite, csl_json, ris

TELEGRAM: dict[str, Any] = {
    "id": "frus1945v07/d135",
    "collection": {
        "id": "frus1945v07",
        "title": "Foreign Relations of the United States, 1945, The Far East, China, Volume VII",
    },
    "source": {
        "format": "frus-tei",
        "path": "frus1945v07.xml",
        "url": "https://history.state.gov/historicaldocuments/frus1945v07/d135",
    },
    "title": "The Ambassador in the Soviet Union (Harriman) to President Truman",
    "doc_type": "telegram",
    "date": {"when": "1945-07-01T09:00", "not_before": "1945-07-01", "precision": "minute"},
    "place": "Moscow",
    "senders": [{"name": "Harriman", "role": None, "entity_id": None}],
    "recipients": [{"name": "Truman", "role": None, "entity_id": None}],
    "archive_file": "Moscow Embassy Files—710",
    "n": "135",
}
BARE: dict[str, Any] = {
    "id": "text/notes",
    "collection": {"id": "text", "title": None},
    "source": {"format": "text", "path": "n.txt"},
}


def test_chicago_note() -> None:
    assert chicago_note(TELEGRAM) == (
        "Harriman to Truman, telegram, Moscow, July 1, 1945, \u201cThe Ambassador in the Soviet Union (Harriman) "
        "to President Truman,\u201d in Foreign Relations of the United States, 1945, The Far East, China, Volume VII, "
        "doc. 135, Moscow Embassy Files—710, https://history.state.gov/historicaldocuments/frus1945v07/d135."
    )


def test_chicago_bibliography() -> None:
    entry = chicago_bibliography(TELEGRAM)
    assert entry.startswith(
        "Harriman. \u201cThe Ambassador in the Soviet Union (Harriman) to President Truman.\u201d"
    )
    assert "Telegram to Truman, Moscow, July 1, 1945. In Foreign Relations" in entry
    assert entry.endswith("frus1945v07/d135.")


def test_bibtex_fields_and_escaping() -> None:
    entry = bibtex({**TELEGRAM, "title": "Costs {50%} & #1_b $x", "senders": [{"name": "A & B"}]})
    assert entry.startswith("@misc{frus1945v07_d135,\n")
    assert r"title = {Costs \{50\%\} \& \#1\_b \$x}," in entry
    assert r"author = {{A \& B}}," in entry
    assert "month = jul," in entry and "year = {1945}," in entry and "date = {1945-07-01}," in entry
    assert entry.rstrip().endswith("}")


def test_csl_json_item() -> None:
    item = csl_json(TELEGRAM)
    assert item["type"] == "document" and item["issued"] == {"date-parts": [[1945, 7, 1]]}
    assert item["author"] == [{"literal": "Harriman"}] and item["recipient"] == [{"literal": "Truman"}]
    assert item["archive"] == "Foreign Relations of the United States" and item["number"] == "135"
    assert orjson.loads(cite(TELEGRAM, "csl-json")) == [item]


def test_ris_record() -> None:
    lines = ris(TELEGRAM).splitlines()
    assert lines[0] == "TY  - GOVDOC" and lines[-1] == "ER  - "
    assert "DA  - 1945/07/01/" in lines and "AU  - Harriman" in lines and "N1  - To Truman" in lines


def test_month_precision_and_undated() -> None:
    monthly = {**TELEGRAM, "date": {"when": "1945-07", "precision": "month"}}
    assert "July 1945" in chicago_note(monthly)
    assert csl_json(monthly)["issued"] == {"date-parts": [[1945, 7]]}
    assert "DA  - 1945/07//" in ris(monthly)
    assert "n.d." in chicago_note(BARE) and "issued" not in csl_json(BARE)
    assert "year" not in bibtex(BARE) and "PY  -" not in ris(BARE)


def test_missing_fields_are_left_out_and_permalink_used() -> None:
    note = chicago_note(BARE, permalink="http://127.0.0.1:8000/documents/text/notes")
    assert note == "n.d., \u201ctext/notes,\u201d in text, http://127.0.0.1:8000/documents/text/notes."
    assert csl_json(BARE, permalink="http://x/documents/text/notes")["URL"] == "http://x/documents/text/notes"
    assert ris(BARE).splitlines()[0] == "TY  - GEN"


def test_all_formats_and_unknown_format() -> None:
    assert set(all_citations(TELEGRAM)) == {
        "chicago-note",
        "chicago-bibliography",
        "bibtex",
        "csl-json",
        "ris",
    }
    with pytest.raises(ValueError, match="unknown citation format"):
        cite(TELEGRAM, "mla")
