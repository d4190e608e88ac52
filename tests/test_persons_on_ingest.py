"""A FRUS volume whose editors' persons list the archive's authority does not hold yet (a volume newer
than the shipped files: here a real slice of frus1952-54Guat under a new volume id) is merged into
the person records by a plain ingest, as `authority load` merges it, with the stored judgments kept;
only that volume's documents are re-enriched, and a re-ingest does nothing new. SQLite and
PostgreSQL."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SEEDS, corpus_path
from lxml import etree
from test_store_contract import BACKENDS, PG_URL, pg_admin, pg_schema, with_schema  # noqa: F401  (fixtures)

from chancery.archive import Archive
from chancery.workspace.viewer import Viewer

VOLUME = "frus1952-54Guat"
NEW = "frus1952-54GuatNext"  # the same text under an id no shipped record cites
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def _slice(folder: Path, keep: int = 12) -> Path:
    """The volume's first `keep` documents (front matter and persons list kept), as volume NEW."""
    tree = etree.parse(gzip.open(corpus_path("frus", "volumes", f"{VOLUME}.xml.gz")))
    docs = [d for d in tree.iter("{http://www.tei-c.org/ns/1.0}div") if d.get("type") == "document"]
    for div in docs[keep:]:
        div.getparent().remove(div)
    tree.getroot().set(XML_ID, NEW)
    path = folder / f"{NEW}.xml.gz"
    path.write_bytes(gzip.compress(etree.tostring(tree, xml_declaration=True, encoding="utf-8")))
    return path


@pytest.fixture(params=BACKENDS)
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    db = str(tmp_path / "a.db")
    if request.param == "postgres":
        db = with_schema(PG_URL, request.getfixturevalue("pg_schema"))
    with Archive.open(db, index_path=tmp_path / "index") as opened:
        yield opened


def _people(archive: Archive) -> dict[str, dict[str, Any]]:
    """Person records citing NEW's persons list."""
    mark = f"/historicaldocuments/{NEW}/persons#"
    return {
        e["id"]: e
        for e in archive.store.iter_entities("person")
        if any(mark in s for s in e.get("sources") or [])
    }


def _person_mentions(archive: Archive) -> list[dict[str, Any]]:
    return [
        m
        for d in archive.export()
        if d["collection"]["id"] == NEW
        for m in d["mentions"]
        if m["type"] == "person"
    ]


def test_plain_ingest_merges_a_new_persons_list(archive: Archive, tmp_path: Path) -> None:
    volume = _slice(tmp_path)
    seeds = sorted(SEEDS.iterdir())[:1]
    archive.load_authority([])  # the shipped authority (tests start without it)
    assert archive.ingest(seeds).persons_lists == []  # no persons list yet
    # The volume stored but its list not merged (what an ingest stopped before merging leaves).
    archive.ingest([volume], context=archive.enrich_context())
    persons = archive.collection(NEW).persons
    assert len(persons) > 50 and not _people(archive)
    held = {e["id"] for e in archive.store.iter_entities("person")}
    dangling = [m for m in _person_mentions(archive) if m["entity_id"] and m["entity_id"] not in held]
    assert dangling  # tagged names point at persons-list keys no record has
    plain = next(m for m in _person_mentions(archive) if m["start"] >= 0)
    doc_id = next(d["id"] for d in archive.export() if plain in d["mentions"])
    archive.judge_mention(Viewer.local(), "reject", doc_id, f"{plain['text']}@{plain['start']}")

    position = archive.store.last_change()
    report = archive.ingest(seeds)  # unchanged file: the stored list is what is new
    assert report.unchanged == 1 and report.persons_lists == [NEW]
    changed = {doc_id for _, doc_id, _ in archive.store.changes_since(position)}
    assert changed and all(i.startswith(NEW) for i in changed)  # only the volume re-enriched

    people = _people(archive)
    assert len(people) >= len(persons) * 0.8  # a few entries share one person
    mentions = _person_mentions(archive)
    held = {e["id"] for e in archive.store.iter_entities("person")}
    assert not [m for m in mentions if m["entity_id"] and m["entity_id"] not in held]
    now = {(m["text"], m["start"]): m["entity_id"] for m in mentions}
    assert now[plain["text"], plain["start"]] is None  # the rejection still holds
    was = {(m["text"], m["start"]) for m in dangling} - {(plain["text"], plain["start"])}
    assert was and all(now[key] in people for key in was)  # each now names a record of the list

    exported = list(archive.export())
    position = archive.store.last_change()
    again = archive.ingest([volume, *seeds])
    assert again.unchanged == 2 and again.persons_lists == []
    assert archive.store.last_change() == position  # nothing new

    archive.load_authority([])  # the merge `authority load` makes: the same records, the same documents
    assert list(archive.export()) == exported
    assert _people(archive) == people


def _chancery(db: Path, *args: str, crash_at: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CHANCERY_SHIPPED_AUTHORITY": "1",  # what a user gets
        "CHANCERY_WORKERS": "1",
        "CHANCERY_CRASH_AT": crash_at,
    }
    command = [sys.executable, "-m", "chancery", *args, "--db", str(db)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The slice, and its export after one uninterrupted `chancery ingest` (shared by the kill points)."""
    folder = tmp_path_factory.mktemp("clean")
    volume = _slice(folder)
    assert _chancery(folder / "clean.db", "ingest", str(volume)).returncode == 0
    return volume, _chancery(folder / "clean.db", "export").stdout


@pytest.mark.parametrize("crash_at", ["persons-documents:1", "stored:1"])
def test_killed_ingest_then_rerun_merges_the_list_as_a_clean_run(
    crash_at: str, clean_run: tuple[Path, str], tmp_path: Path
) -> None:
    """Killed after the documents were re-enriched but before the records were written (or right
    after the volume was stored): the re-run of the same command gives the clean run's export."""
    volume, clean = clean_run
    killed = tmp_path / "killed.db"
    died = _chancery(killed, "ingest", str(volume), crash_at=crash_at)
    assert died.returncode == -signal.SIGKILL, died.stderr[-2000:]
    assert _chancery(killed, "ingest", str(volume)).returncode == 0
    assert _chancery(killed, "export").stdout == clean
    assert f'"entity_id":"{NEW}#' not in clean  # no mention left on a bare persons-list key
