"""Lists, exports and batch search through the product (issue 14, items 4 and 5): a fresh archive
made by `chancery ingest` on SQLite and on PostgreSQL, then the `chancery list`, `export` and
`batch` commands as a user runs them. RIS is read back with rispy, BibTeX with bibtexparser (real
parsers from PyPI); CSL-JSON is checked for the shape citeproc reads."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bibtexparser
import psycopg
import pytest
import rispy
from conftest import SEEDS, corpus_path
from test_store_contract import PG_URL, with_schema

from chancery.citations import EXPORT_FORMATS


def sources() -> list[Path]:
    return [SEEDS, corpus_path("wilson", "wilson_archive.sample.csv")]


def chancery(*args: str, stdin: str | None = None) -> str:
    """Run the CLI in a fresh process; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "chancery", *args], capture_output=True, text=True, input=stdin, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh archive of the seeds and the Wilson sample, ingested by `chancery ingest`."""
    if request.param == "sqlite":
        url = str(tmp_path_factory.mktemp("exports") / "exports.db")
        schema = None
    else:
        schema = f"chancery_test_{uuid.uuid4().hex[:12]}"
        url = with_schema(PG_URL, schema)
    chancery("ingest", *map(str, sources()), "--db", url)
    yield url
    if schema:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def search_json(db: str, query: str, *args: str) -> dict[str, Any]:
    return json.loads(chancery("search", query, "--db", db, "--json", *args))


def test_list_built_in_the_cli_exports_as_ris_that_parses(db: str) -> None:
    hits = search_json(db, "soviet", "--limit", "4")["hits"]
    assert len(hits) >= 3
    ids = [hits[2]["id"], hits[0]["id"], hits[1]["id"]]
    chancery("list", "create", "Soviet talks", "--db", db)
    chancery("list", "add", "Soviet talks", *ids, ids[0], "--db", db)
    shown = json.loads(chancery("list", "show", "Soviet talks", "--db", db, "--json"))
    assert [i["doc_id"] for i in shown["items"]] == ids and shown["count"] == 3

    records = rispy.loads(chancery("list", "export", "Soviet talks", "--format", "ris", "--db", db))
    assert [r["id"] for r in records] == ids
    titles = {h["id"]: h["title"] for h in hits}
    for record in records:
        assert record["type_of_reference"] in ("GOVDOC", "MANSCPT", "GEN")
        assert record["title"] == titles[record["id"]].strip().rstrip(".")
    dated = [r for r in records if "year" in r]
    assert dated and all(re.fullmatch(r"\d{4}", r["year"]) for r in dated)


def test_search_exports_in_every_format_agree(db: str) -> None:
    query = "harriman"
    total = search_json(db, query)["total"]
    assert total >= 2
    by_format = {f: chancery("export", "--db", db, "--query", query, "--format", f) for f in EXPORT_FORMATS}

    # JSON Lines stays the export contract: the same bytes as `chancery export` without --format
    assert by_format["jsonl"] == chancery("export", "--db", db, "--query", query)
    docs = [json.loads(line) for line in by_format["jsonl"].splitlines()]
    ids = [d["id"] for d in docs]
    assert len(ids) == total == len(set(ids))

    rows = list(csv.DictReader(io.StringIO(by_format["csv"])))
    assert [r["id"] for r in rows] == ids
    assert [r["title"] for r in rows] == [" ".join((d["title"] or "").split()) for d in docs]

    library = bibtexparser.parse_string(by_format["bibtex"])
    assert not library.failed_blocks
    assert len(library.entries) == total
    assert len({e.key for e in library.entries}) == total
    for entry, doc in zip(library.entries, docs, strict=True):
        assert entry.entry_type == "misc"
        assert entry.fields_dict["title"].value.strip("{}").replace("\\", "") == " ".join(
            doc["title"].split()
        ).rstrip(".")

    items = json.loads(by_format["csl-json"])
    assert [i["id"] for i in items] == ids
    for item, doc in zip(items, docs, strict=True):
        assert item["type"] == "document" and item["title"]
        for part in item.get("issued", {}).get("date-parts", []):
            assert 1 <= len(part) <= 3 and all(isinstance(p, int) for p in part)
        for author in item.get("author", []):
            assert isinstance(author, dict) and author.get("literal")
        senders = [p["name"] for p in doc.get("senders") or [] if p.get("name", "").strip()]
        assert [a["literal"] for a in item.get("author", [])] == [s.strip() for s in senders]

    records = rispy.loads(by_format["ris"])
    assert [r["id"] for r in records] == ids


def test_unknown_format_is_refused(db: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chancery", "export", "--db", db, "--format", "endnote"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "unknown export format" in done.stderr


def test_batch_search_from_a_csv(db: str, tmp_path: Path) -> None:
    queries = tmp_path / "officials.csv"
    queries.write_text(
        'label,query\nHarriman,harriman\nSoong,"soong"\nNobody,zzyzxnotaname\n', encoding="utf-8"
    )
    out = tmp_path / "hits.csv"
    chancery("batch", str(queries), "--db", db, "-o", str(out), "--top", "2")
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [r["label"] for r in rows] == ["Harriman", "Soong", "Nobody"]
    for row in rows:
        found = search_json(db, row["query"], "--limit", "2")
        assert int(row["count"]) == found["total"]
        assert [row["id_1"], row["id_2"]][: len(found["hits"])] == [h["id"] for h in found["hits"]]
        if found["total"]:
            oldest = search_json(db, row["query"], "--sort", "date", "--limit", "20")["hits"]
            newest = search_json(db, row["query"], "--sort", "-date", "--limit", "20")["hits"]
            first = next(
                d["when"] or d["not_before"] for h in oldest if (d := h["date"])["when"] or d["not_before"]
            )
            last = next(
                d["when"] or d["not_before"] for h in newest if (d := h["date"])["when"] or d["not_before"]
            )
            assert (row["first_date"], row["last_date"]) == (first, last)
            assert row["first_date"] <= row["last_date"]
    assert rows[2]["count"] == "0" and rows[2]["id_1"] == ""

    # one name a line, no header, to standard output
    plain = tmp_path / "names.txt"
    plain.write_text("harriman\nsoong\n", encoding="utf-8")
    again = list(csv.DictReader(io.StringIO(chancery("batch", str(plain), "--db", db, "--top", "1"))))
    assert [(r["query"], r["count"]) for r in again] == [(r["query"], r["count"]) for r in rows[:2]]
