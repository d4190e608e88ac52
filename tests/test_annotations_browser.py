"""Annotating in the reader (issue 14, Done when): Chromium against a real `chancery serve` on
SQLite and on PostgreSQL. Select a passage, add a note, reload and see it highlighted; change the
file, `chancery ingest` again, and the note is still on its passage (and one whose passage was
removed is shown as such); star a document."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest
from conftest import served
from playwright.sync_api import Browser, Page, expect
from test_store_contract import BACKENDS, PG_URL, pg_admin, pg_schema, with_schema  # noqa: F401

FIRST = """Telegram from the Ambassador in Moscow

The Ambassador met the Foreign Minister on Tuesday. They discussed the treaty draft at length
and the minister promised a written reply by Friday. The Ambassador saw no sign of haste.
"""
CHANGED = """Telegram from the Ambassador in Moscow

A courier arrived late on Monday with new instructions for the talks. The Ambassador met the
Foreign Minister on Tuesday. They discussed the treaty draft at length. The Ambassador saw no
sign of haste.
"""
PASSAGE = "discussed the treaty draft"
REMOVED = "a written reply by Friday"


def chancery(db: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "chancery", *args, "--db", db], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(params=BACKENDS)
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """(db, the source file, its document id) after `chancery ingest` of one text file."""
    db = str(tmp_path / "notes.db")
    if request.param == "postgres":
        db = with_schema(PG_URL, request.getfixturevalue("pg_schema"))
    source = tmp_path / "files" / "moscow.txt"
    source.parent.mkdir()
    source.write_text(FIRST)
    chancery(db, "ingest", str(source))
    doc_id = orjson.loads(chancery(db, "search", "treaty", "--json"))["hits"][0]["id"]
    yield db, source, doc_id


def select(page: Page, passage: str) -> None:
    """Select `passage` in the document's text as a reader's drag does (then the mouse is released)."""
    page.evaluate(
        """(passage) => {
            const text = document.querySelector(".doc-text");
            const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(passage);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + passage.length);
                const selection = window.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
                text.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
                return;
            }
            throw new Error("passage not in the text: " + passage);
        }""",
        passage,
    )


def test_a_note_on_a_passage_survives_reingest_of_the_changed_file(
    archive: tuple[str, Path, str], chromium: Browser, tmp_path: Path
):
    db, source, doc_id = archive
    with served(db, tmp_path / "serve.log") as base:
        url = f"{base}/documents/{quote(doc_id, safe='/:')}"
        page = chromium.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url)
        for passage, note in ((PASSAGE, "Ask London for the draft"), (REMOVED, "Did the reply come?")):
            select(page, passage)
            expect(page.locator(".annotate-quote")).to_contain_text(passage)
            page.fill("#annotate-text", note)
            with page.expect_navigation():  # saved, the reader reloads
                page.click("button[value=note]")
            expect(page.locator(".annotation-note", has_text=note)).to_be_visible()

        page.reload()
        marks = page.locator("mark.annotated")
        expect(marks).to_have_count(2)
        expect(marks.first).to_have_text(PASSAGE)
        expect(page.locator(".annotation-note").first).to_contain_text("Ask London for the draft")
        before = orjson.loads(page.request.get(f"{base}/api/documents/{doc_id}/annotations").body())
        assert before["type"] == "AnnotationCollection" and before["total"] == 2

        source.write_text(CHANGED)
        chancery(db, "ingest", str(source))  # while the server runs
        page.reload()
        expect(page.locator("mark.annotated")).to_have_count(1)
        expect(page.locator("mark.annotated")).to_have_text(PASSAGE)
        kept = page.locator(".annotation-note", has_text="Ask London for the draft")
        expect(kept).not_to_have_class("orphaned")
        orphan = page.locator(".annotation-note.orphaned", has_text="Did the reply come?")
        expect(orphan).to_contain_text("passage no longer in the text")
        after = orjson.loads(page.request.get(f"{base}/api/documents/{doc_id}/annotations").body())
        moved = {a["body"]["value"]: a for a in after["first"]["items"]}["Ask London for the draft"]
        position = moved["target"]["selector"][1]
        assert position["start"] > before["first"]["items"][0]["target"]["selector"][1]["start"]
        assert CHANGED and moved["target"]["selector"][0]["exact"] == PASSAGE


def test_star_and_tag_from_the_reader_then_search_them(
    archive: tuple[str, Path, str], chromium: Browser, tmp_path: Path
):
    db, _, doc_id = archive
    with served(db, tmp_path / "serve.log") as base:
        page = chromium.new_page()
        page.goto(f"{base}/documents/{quote(doc_id, safe='/:')}")
        star = page.locator(".star-button")
        expect(star).to_have_attribute("aria-pressed", "false")
        star.click()
        expect(star).to_have_attribute("aria-pressed", "true")
        page.fill("#annotate-text", "Moscow talks")
        with page.expect_navigation():
            page.click("button[value=tag]")
        expect(page.locator(".star-button")).to_have_attribute("aria-pressed", "true")
        tag = page.locator(".annotation-tag a.tag")
        expect(tag).to_have_text("#moscow talks")
        tag.click()  # the tag links to its search
        expect(page.locator(".hit")).to_have_count(1)
        found = orjson.loads(page.request.get(f"{base}/api/search?q=starred:true").body())
        assert [h["id"] for h in found["hits"]] == [doc_id]
