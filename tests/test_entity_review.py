"""Entity review (issue 14): merge, split, reject, confirm and set, stored with who and when, and
holding across `authority load` re-enrichment and re-ingest of a changed file. The pure step on
hand-made documents; the store on real SQLite and PostgreSQL; the product through `chancery`
processes (with the shipped authority). Chromium on a real server: test_entity_review_web.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from test_store_contract import open_backend, pg_admin, pg_schema  # noqa: F401 (fixtures)

from chancery.enrich.judgments import Judgment, Judgments, apply_judgments, edit_authority, name_keys
from chancery.model import Collection, Document, Mention, Party, Source

MOLOTOV = "person:vyacheslav-mikhailovich-molotov"
VYSHINSKY = "person:andrey-yanuaryevich-vyshinsky"
TRUMAN = "person:harry-s-truman"
STETTINIUS = "person:stettinius-edward-reilly"
MOLOTOV_TEXT = (
    "Memorandum of Conversation\n\nMoscow, June 16, 1945\n\nAmbassador Harriman called on Mr. Molotov "
    "this afternoon. Molotov said that the answer on Poland would come soon.\n"
)
VYSHINSKY_TEXT = (
    "Memorandum of Conversation\n\nWashington, June 20, 1945\n\nMr. Vyshinsky met Secretary Stettinius. "
    "Vyshinsky raised the question of the Lublin government.\n"
)


# -- the pure step ------------------------------------------------------------------------------
def _doc(text: str, mentions: list[tuple[str, int, str | None]]) -> Document:
    return Document(
        id="d1",
        collection=Collection("c"),
        source=Source("text", "d1.txt"),
        text=text,
        mentions=[Mention("person", t, s, s + len(t), e, e) for t, s, e in mentions],
        senders=[Party("Vyshinsky", entity_id="v")],
    )


def test_merge_redirects_mentions_and_parties_chains_followed() -> None:
    doc = _doc("Vyshinsky and Molotov", [("Vyshinsky", 0, "v"), ("Molotov", 14, "m")])
    judged = Judgments.of(
        [Judgment("merge", subject="v", target="m", id=1), Judgment("merge", subject="m", target="x", id=2)],
        {"x": "X Person"},
    )
    out = apply_judgments(doc, judged)
    assert [(m.entity_id, m.entity_name) for m in out.mentions] == [("x", "X Person"), ("x", "X Person")]
    assert out.senders[0].entity_id == "x"
    assert doc.mentions[0].entity_id == "v"  # the input is left as it was
    assert apply_judgments(out, judged) is out  # applying again changes nothing


def test_mention_judgments_find_their_mention_by_text_and_nearest_offset() -> None:
    judged = Judgments.of(
        [
            Judgment("reject", subject="m", doc_id="d1", start=20, end=27, text="Molotov", id=1),
            Judgment("set", subject="m", target="t", doc_id="d1", start=40, end=47, text="Molotov", id=2),
            Judgment("confirm", subject="h", target="h", doc_id="d1", start=0, end=8, text="Harriman", id=3),
        ],
        {"t": "Truman"},
    )
    # the text was edited: every offset moved by 6
    doc = _doc(
        "Edit: Harriman saw Molotov; then Molotov left",
        [("Harriman", 6, "other"), ("Molotov", 19, "m"), ("Molotov", 33, "m")],
    )
    out = apply_judgments(doc, judged)
    assert [(m.text, m.entity_id) for m in out.mentions] == [
        ("Harriman", "h"),  # confirmed: held whatever resolution found
        ("Molotov", None),  # rejected: unresolved
        ("Molotov", "t"),  # set by hand
    ]
    assert out.mentions[2].entity_name == "Truman"


def test_split_moves_mentions_written_as_the_moved_names_unless_kept() -> None:
    judged = Judgments.of([Judgment("split", subject="h", target="h2", names=("Pamela Harriman",), id=1)])
    judged.keep_names("h", ["Harriman, W. Averell"])
    doc = _doc(
        "Pamela Harriman and Harriman",
        [("Pamela Harriman", 0, "h"), ("Harriman", 20, "h")],
    )
    out = apply_judgments(doc, judged)
    assert [m.entity_id for m in out.mentions] == ["h2", "h"]  # the shared surname stays
    assert "pamela harriman" in name_keys(["Harriman, Pamela"])


def test_edit_authority_folds_and_splits_records() -> None:
    records = [
        {
            "id": "a",
            "type": "person",
            "name": "Averell Harriman",
            "variants": ["Harriman, W. A."],
            "merged_from": [],
        },
        {"id": "b", "type": "person", "name": "Pamela Harriman", "variants": [], "sources": ["s"]},
    ]
    merged = edit_authority(records, [("pamela harriman", "b")], [Judgment("merge", subject="b", target="a")])
    (kept,) = merged.entities
    assert kept["variants"] == ["Harriman, W. A.", "Pamela Harriman"] and kept["merged_from"] == ["b"]
    assert merged.removed == ["b"] and ("pamela harriman", "a") in merged.names
    assert not any(r[1] == "b" for r in merged.names)
    assert records[0]["variants"] == ["Harriman, W. A."]  # records are copied
    split = edit_authority(
        merged.entities,
        merged.names,
        [Judgment("split", subject="a", target="a2", names=("Pamela Harriman",))],
    )
    by_id = {e["id"]: e for e in split.entities}
    assert by_id["a"]["variants"] == ["Harriman, W. A."] and by_id["a2"]["name"] == "Pamela Harriman"
    assert ("pamela harriman", "a2") in split.names and ("pamela harriman", "a") not in split.names


# -- the store ---------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_store_keeps_judgments_and_rewrites_entities(
    backend: str,
    open_backend: Callable[[str], Any],  # noqa: F811
) -> None:
    store = open_backend(backend)
    a = {"id": "person:a", "type": "person", "name": "A One", "variants": []}
    b = {"id": "person:b", "type": "person", "name": "B Two", "variants": []}
    store.put_entities([a, b], [("a one", "person:a"), ("b two", "person:b")])
    judgment = Judgment(
        "merge", subject="person:b", target="person:a", viewer="ann", at="2026-01-01T00:00:00+00:00"
    )
    folded = {**a, "variants": ["B Two"]}
    new_id = store.add_entity_judgment(
        judgment.row(), ["person:a", "person:b"], [folded], [("a one", "person:a"), ("b two", "person:a")]
    )
    assert store.entity("person:b") is None
    assert [e["id"] for e in store.entities_by_name("b two")] == ["person:a"]
    rows = store.entity_judgments()
    assert [r["id"] for r in rows] == [new_id]
    assert Judgment.from_row(rows[0]) == Judgment(**{**judgment.__dict__, "id": new_id})
    store.rewrite_entities(["person:a"], [], [])
    assert store.count_entities() == 0 and store.entities_by_name("a one") == []


# -- the product: chancery processes -------------------------------------------------------------
def _env() -> dict[str, str]:
    return {**os.environ, "CHANCERY_SHIPPED_AUTHORITY": "1", "CHANCERY_WORKERS": "1"}


def _run(db: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "chancery", *args, "--db", db], env=_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _json(db: str, *args: str) -> Any:
    return orjson.loads(_run(db, *args, "--json"))


def _mentions(db: str) -> dict[str, list[tuple[str, int, str | None]]]:
    docs = [orjson.loads(line) for line in _run(db, "export").splitlines() if line.strip()]
    return {d["id"]: [(m["text"], m["start"], m["entity_id"]) for m in d["mentions"]] for d in docs}


def _found(db: str, query: str) -> set[str]:
    return {hit["id"] for hit in _json(db, "search", query)["hits"]}


def _sources(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "molotov.txt").write_text(MOLOTOV_TEXT)
    (folder / "vyshinsky.txt").write_text(VYSHINSKY_TEXT)
    return folder


@pytest.fixture
def db(tmp_path: Path) -> str:
    """The CLI path on SQLite (local use, where the CLI is the tool); the same judgments on
    PostgreSQL are covered at the store level above and through the web in test_entity_review_web."""
    return str(tmp_path / "review.db")


def test_judgments_through_the_cli_hold_across_authority_load_and_reingest(db: str, tmp_path: Path) -> None:
    sources = _sources(tmp_path / "src")
    _run(db, "ingest", str(sources))
    before = _mentions(db)
    assert {e for _, _, e in before["text/molotov"]} >= {MOLOTOV}
    assert {e for _, _, e in before["text/vyshinsky"]} >= {VYSHINSKY, STETTINIUS}
    first_molotov = next(s for t, s, _ in before["text/molotov"] if t == "Molotov")
    vyshinsky_record = _json(db, "entity", VYSHINSKY)

    _run(db, "entity", "reject", "text/molotov", f"Molotov@{first_molotov}", "--note", "not him")
    _run(db, "entity", "set", "text/molotov", "Harriman", TRUMAN)
    _run(db, "entity", "confirm", "text/vyshinsky", "Stettinius")
    merged = _json(db, "entity", "merge", MOLOTOV, VYSHINSKY, "--note", "same man")
    assert (
        merged[0]["kind"] == "merge" and merged[0]["viewer"] == "local" and merged[0]["at"].endswith("+00:00")
    )

    # the merge: the old id leads to the survivor, either name finds both documents
    assert _json(db, "entity", VYSHINSKY)["id"] == MOLOTOV
    both = {"text/molotov", "text/vyshinsky"}
    assert _found(db, 'person:"Andrey Vyshinsky"') == both
    assert _found(db, 'person:"Vyacheslav Molotov"') == both
    assert _found(db, f"person:{MOLOTOV}") == both

    def judged(mentions: dict[str, list[tuple[str, int, str | None]]], shift: int = 0) -> None:
        molotov = mentions["text/molotov"]
        assert ("Molotov", first_molotov + shift, None) in molotov  # rejected
        assert [e for t, _, e in molotov if t == "Molotov"].count(MOLOTOV) == 1  # the other one stays
        assert [e for t, _, e in molotov if t == "Harriman"] == [TRUMAN]  # set by hand
        assert [e for t, _, e in mentions["text/vyshinsky"] if t == "Stettinius"] == [STETTINIUS]

    judged(_mentions(db))
    assert {e for t, _, e in _mentions(db)["text/vyshinsky"] if t == "Vyshinsky"} == {MOLOTOV}

    # a split: Vyshinsky's names (and the mentions so written) leave the merged entity again
    names = ";".join([vyshinsky_record["name"], *vyshinsky_record["variants"]])
    split = _json(db, "entity", "split", MOLOTOV, "--names", names)[0]
    new_id = split["target"]
    assert {e for t, _, e in _mentions(db)["text/vyshinsky"] if t == "Vyshinsky"} == {new_id}
    assert _found(db, f"person:{MOLOTOV}") == {"text/molotov"}

    kinds = [j["kind"] for j in _json(db, "entity", "judgments")]
    assert kinds == ["reject", "set", "confirm", "merge", "split"]

    # authority load re-enriches every document: every judgment holds
    _run(db, "authority", "load")
    judged(_mentions(db))
    assert {e for t, _, e in _mentions(db)["text/vyshinsky"] if t == "Vyshinsky"} == {new_id}
    assert _json(db, "entity", VYSHINSKY)["id"] == MOLOTOV
    assert _json(db, "entity", new_id)["name"] == vyshinsky_record["name"]
    assert vyshinsky_record["name"] not in _json(db, "entity", MOLOTOV)["variants"]

    # re-ingest of the file after a small edit: the mentions moved, the judgments followed them
    edited = MOLOTOV_TEXT.replace("Ambassador Harriman", "Yesterday Ambassador Harriman")
    (sources / "molotov.txt").write_text(edited)
    _run(db, "ingest", str(sources))
    judged(_mentions(db), shift=len("Yesterday "))
