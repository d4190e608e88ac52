"""Undoing entity judgments (issue 14): a merge, split, reject, confirm or set withdrawn gives the
documents and records re-enrichment gives without it, and the undo stays in the history with who
and when. On a tiny archive (three hand-made authority records, two text files) through the
Archive on SQLite and PostgreSQL; the command line once, on SQLite."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from test_change_feed import pg_url  # noqa: F401 (fixture)

from chancery.archive import Archive
from chancery.authority.names import normalize
from chancery.enrich.judgments import name_rows
from chancery.errors import JudgmentError, NotFound
from chancery.web.app import create_app
from chancery.workspace.viewer import Viewer

MOLOTOV, VYSHINSKY, GROMYKO = "person:test:molotov", "person:test:vyshinsky", "person:test:gromyko"
RECORDS = [
    {"id": MOLOTOV, "type": "person", "name": "Molotov, Vyacheslav", "variants": ["Molotov", "Skryabin"]},
    {"id": VYSHINSKY, "type": "person", "name": "Vyshinsky, Andrey", "variants": ["Vyshinsky"]},
    {"id": GROMYKO, "type": "person", "name": "Gromyko, Andrei", "variants": ["Gromyko"]},
]
TEXTS = {
    "moscow.txt": "Memorandum\n\nMoscow, June 16, 1945\n\nMolotov saw Gromyko. Skryabin, as Molotov "
    "was born, spoke of Poland.\n",
    "london.txt": "Memorandum\n\nLondon, June 20, 1945\n\nVyshinsky met Gromyko. Vyshinsky raised the "
    "question of the Lublin government.\n",
}
ANN = Viewer("ann", "researcher", frozenset())
BEN = Viewer("ben", "researcher", frozenset())


@pytest.fixture(params=["sqlite", "postgres"])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    db = str(tmp_path / "undo.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    folder = tmp_path / "src"
    folder.mkdir()
    for name, text in TEXTS.items():
        (folder / name).write_text(text)
    with Archive.open(db) as opened:
        opened.ingest([folder])
        opened.store.put_entities(RECORDS, [row for r in RECORDS for row in name_rows(r)])
        opened.reenrich()
        yield opened


def state(archive: Archive) -> dict[str, Any]:
    """What judgments change: every mention's entity, the records and the name index."""
    mentions = {
        d["id"]: [(m["text"], m["start"], m["entity_id"]) for m in d["mentions"]]
        for d in archive.store.iter_documents()
    }
    records = {e["id"]: (e["name"], sorted(e.get("variants") or [])) for e in archive.store.iter_entities()}
    names = {
        n: sorted(e["id"] for e in archive.store.entities_by_name(normalize(n)))
        for n in ("Vyshinsky", "Skryabin", "Molotov", "Gromyko")
    }
    return {"mentions": mentions, "records": records, "names": names}


def entity_of(archive: Archive, doc: str, text: str) -> set[str | None]:
    return {e for t, _, e in state(archive)["mentions"][doc] if t == text}


def test_undo_restores_what_reenrichment_gives_without_the_judgment(archive: Archive) -> None:
    before = state(archive)
    assert entity_of(archive, "text/london", "Vyshinsky") == {VYSHINSKY}  # the resolver found them
    assert entity_of(archive, "text/moscow", "Skryabin") == {MOLOTOV}

    # merges: Vyshinsky into Molotov, then Gromyko into Molotov; undo the first only
    first = archive.merge_entities(ANN, MOLOTOV, VYSHINSKY)
    second = archive.merge_entities(ANN, MOLOTOV, GROMYKO)
    assert entity_of(archive, "text/london", "Vyshinsky") == {MOLOTOV}
    undone = archive.undo_judgment(BEN, first.id or 0, "different men")
    assert (undone.kind, undone.undoes, undone.viewer, undone.note) == (
        "undo",
        first.id,
        "ben",
        "different men",
    )
    assert entity_of(archive, "text/london", "Vyshinsky") == {VYSHINSKY}
    assert entity_of(archive, "text/london", "Gromyko") == {MOLOTOV}  # the second merge holds
    assert archive.store.entity(VYSHINSKY) is not None and archive.entity(VYSHINSKY).id == VYSHINSKY
    assert "Vyshinsky" not in archive.store.entity(MOLOTOV)["variants"]  # type: ignore[index]
    archive.undo_judgment(ANN, second.id or 0)
    assert state(archive) == before

    # a split: Skryabin leaves Molotov as a new entity; undone, the new entity is gone
    split = archive.split_entity(ANN, MOLOTOV, ["Skryabin"])
    assert entity_of(archive, "text/moscow", "Skryabin") == {split.target}
    archive.undo_judgment(ANN, split.id or 0)
    assert state(archive) == before and archive.store.entity(split.target or "") is None

    # mention judgments: reject, set, confirm
    (reject,) = archive.judge_mention(ANN, "reject", "text/london", "Vyshinsky@46")
    (made,) = archive.judge_mention(ANN, "set", "text/moscow", "Gromyko", VYSHINSKY)
    (confirm,) = archive.judge_mention(ANN, "confirm", "text/moscow", "Skryabin")
    assert entity_of(archive, "text/london", "Vyshinsky") == {VYSHINSKY, None}
    assert entity_of(archive, "text/moscow", "Gromyko") == {VYSHINSKY}
    for judgment in (reject, made, confirm):
        archive.undo_judgment(BEN, judgment.id or 0)
    assert state(archive) == before
    archive.reenrich()  # re-enrichment with every judgment undone changes nothing
    assert state(archive) == before

    # the history keeps every judgment and every undo: who, when
    history = archive.entity_judgments()
    assert [j.kind for j in history] == [
        "merge", "merge", "undo", "undo", "split", "undo", "reject", "set", "confirm", "undo", "undo", "undo",
    ]  # fmt: skip
    assert all(j.undone_by and j.undone_at for j in history if j.kind != "undo")
    assert history[0].to_dict()["undone"]["viewer"] == "ben"
    assert [j.kind for j in archive.entity_judgments(VYSHINSKY)][:3] == ["merge", "undo", "reject"]
    audit = [(r["actor"], r["target"]) for r in archive.audit_log() if r["action"] == "judgment_undo"]
    assert audit[0] == ("ben", str(first.id))

    # refused: twice, an undo itself, a reader, an unknown id
    with pytest.raises(JudgmentError, match="undone already"):
        archive.undo_judgment(ANN, first.id or 0)
    with pytest.raises(JudgmentError, match="is an undo"):
        archive.undo_judgment(ANN, undone.id or 0)
    with pytest.raises(PermissionError):
        archive.undo_judgment(Viewer("rita", "reader", frozenset()), merge_again(archive))
    with pytest.raises(NotFound):
        archive.undo_judgment(ANN, 9999)


def merge_again(archive: Archive) -> int:
    return archive.merge_entities(ANN, MOLOTOV, VYSHINSKY).id or 0


def test_a_split_is_not_undone_under_a_judgment_that_names_its_entity(archive: Archive) -> None:
    split = archive.split_entity(ANN, MOLOTOV, ["Skryabin"])
    archive.merge_entities(ANN, split.target or "", GROMYKO)
    with pytest.raises(JudgmentError, match="undo it first"):
        archive.undo_judgment(ANN, split.id or 0)


def test_undo_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    folder = tmp_path / "src"
    folder.mkdir()
    for name, text in TEXTS.items():
        (folder / name).write_text(text)
    with Archive.open(db) as archive:
        archive.ingest([folder])
        archive.store.put_entities(RECORDS, [row for r in RECORDS for row in name_rows(r)])
        archive.reenrich()
        merged = archive.merge_entities(Viewer.local(), MOLOTOV, VYSHINSKY)

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "chancery", *args, "--db", db], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    made = orjson.loads(run("entity", "undo", str(merged.id), "--note", "not the same", "--json"))
    assert made[0]["kind"] == "undo" and made[0]["undoes"] == merged.id and made[0]["viewer"] == "local"
    assert orjson.loads(run("entity", VYSHINSKY, "--json"))["id"] == VYSHINSKY
    listed = run("entity", "judgments")
    assert "undo" in listed and "undone by local" in listed
    with Archive.open(db) as archive:
        assert entity_of(archive, "text/london", "Vyshinsky") == {VYSHINSKY}


def test_undo_on_the_entity_page_and_the_api(archive: Archive) -> None:
    """The Undo button is a form with the CSRF field; it posts, then returns to the entity page,
    which shows who undid what; the JSON API undoes too and refuses twice; no token, no undo."""
    merged = archive.merge_entities(ANN, MOLOTOV, VYSHINSKY)
    (reject,) = archive.judge_mention(ANN, "reject", "text/moscow", "Gromyko")
    app = create_app(archive)
    with TestClient(app, follow_redirects=False) as client:
        html = client.get(f"/entities/{MOLOTOV}").text
        token = client.cookies["chancery_csrf"]
        form = re.search(
            rf'<form method="post" action="/review/judgments/{merged.id}/undo".*?</form>', html, re.S
        )
        assert form and f'name="csrf_token" value="{token}"' in form.group(0)
        refused = client.post(f"/review/judgments/{merged.id}/undo", data={"next": f"/entities/{MOLOTOV}"})
        assert refused.status_code == 403 and len(archive.entity_judgments()) == 2
        reply = client.post(
            f"/review/judgments/{merged.id}/undo", data={"next": f"/entities/{MOLOTOV}", "csrf_token": token}
        )
        assert reply.status_code == 303 and reply.headers["location"] == f"/entities/{MOLOTOV}"
        page = client.get(f"/entities/{VYSHINSKY}").text  # a page of its own again, not a redirect
        assert f'undid <a href="#judgment-{merged.id}">judgment #{merged.id}</a>' in page
        assert "undone by local" in page and f'action="/review/judgments/{merged.id}/undo"' not in page
        headers = {"x-csrf-token": token}
        done = client.post(
            f"/api/review/judgments/{reject.id}/undo", json={"note": "he was there"}, headers=headers
        )
        assert done.status_code == 200 and done.json()["judgment"]["undoes"] == reject.id
        again = client.post(f"/api/review/judgments/{reject.id}/undo", headers=headers)
        assert again.status_code == 400 and "undone already" in again.json()["error"]["message"]
        assert client.post("/api/review/judgments/9999/undo", headers=headers).status_code == 404
    assert entity_of(archive, "text/moscow", "Gromyko") == {GROMYKO}


def test_split_form_on_the_entity_page(archive: Archive) -> None:
    """The split form lists the entity's other names as checkboxes and carries the CSRF field; the
    checked names become a new entity, whose page the post leads to."""
    with TestClient(create_app(archive), follow_redirects=False) as client:
        html = client.get(f"/entities/{MOLOTOV}").text
        token = client.cookies["chancery_csrf"]
        form = re.search(r'<form method="post" action="/review/split".*?</form>', html, re.S)
        assert form and f'name="csrf_token" value="{token}"' in form.group(0)
        boxes = re.findall(r'<input type="checkbox" name="names" value="([^"]+)"', form.group(0))
        assert boxes == ["Molotov", "Skryabin"]
        fields = {"entity_id": MOLOTOV, "names": ["Skryabin"], "csrf_token": token}
        reply = client.post("/review/split", data=fields)
        assert reply.status_code == 303
        new_id = reply.headers["location"].rsplit("/entities/", 1)[1]
        assert new_id.startswith(MOLOTOV + ":split:") and archive.entity(new_id).name == "Skryabin"
        assert client.get(reply.headers["location"]).status_code == 200
        none = client.post("/review/split", data={"entity_id": MOLOTOV, "csrf_token": token})
        assert none.status_code == 400
    assert entity_of(archive, "text/moscow", "Skryabin") == {new_id}


def test_judgments_and_mentions_on_private_documents_stay_private(archive: Archive) -> None:
    """With the documents' collection private, what was judged on them (document ids, mention
    texts) and their mentions are not shown to a viewer outside; an undo of such a judgment by
    that viewer is as if there were none."""
    merged = archive.merge_entities(ANN, MOLOTOV, VYSHINSKY)
    (reject,) = archive.judge_mention(ANN, "reject", "text/moscow", "Gromyko")
    (collection,) = {d["collection"]["id"] for d in archive.store.iter_documents()}
    archive.set_visibility(Viewer.local(), collection, "private", "fellows")
    outsider, member = ANN, Viewer("fay", "researcher", frozenset({"fellows"}))
    assert [j.id for j in archive.entity_judgments(viewer=outsider)] == [merged.id]
    assert [j.id for j in archive.entity_judgments(viewer=member)] == [merged.id, reject.id]
    assert [j.id for j in archive.for_viewer(outsider).entity_judgments()] == [merged.id]  # as the web asks
    assert archive.entity_mentions(MOLOTOV, viewer=outsider) == []
    assert {m["doc_id"] for m in archive.entity_mentions(MOLOTOV, viewer=member)} == {
        "text/moscow",
        "text/london",
    }
    with pytest.raises(NotFound):
        archive.undo_judgment(outsider, reject.id or 0)
    archive.undo_judgment(member, reject.id or 0)
    assert entity_of(archive, "text/moscow", "Gromyko") == {GROMYKO}
