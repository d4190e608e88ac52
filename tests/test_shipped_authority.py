"""Out of the box: a fresh archive resolves people, offices at a date and places from the authority
files shipped inside the package, with no `authority load` (checked through the CLI, as a user runs it)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import orjson
import pytest
from conftest import SEEDS

from chancery.authority.shipped import SHIPPED, shipped_authority_paths


def _chancery(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "chancery", *args], capture_output=True, env=env, check=True)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """A fresh archive of the seeds (path, environment), as a user makes it."""
    home = tmp_path_factory.mktemp("fresh")
    env = {**os.environ, "XDG_CACHE_HOME": str(home / "cache")}
    env.pop("CHANCERY_SHIPPED_AUTHORITY", None)  # the default a user gets
    db = str(home / "fresh.db")
    _chancery("ingest", str(SEEDS), "--db", db, env=env)
    return db, env


@pytest.fixture(scope="module")
def exported(fresh: tuple[str, dict[str, str]]) -> dict[str, dict]:
    db, env = fresh
    out = _chancery("export", "--db", db, env=env).stdout
    return {d["id"]: d for d in map(orjson.loads, out.splitlines())}


def test_shipped_files_are_package_data() -> None:
    paths = shipped_authority_paths()
    assert [p.name for p in paths] == list(SHIPPED)
    assert all(p.is_file() and p.stat().st_size > 10_000 for p in paths)


def test_seed_001_parties_resolve_to_the_office_holders_of_the_day(exported: dict[str, dict]) -> None:
    doc = exported["wilson/123402"]
    assert [p["entity_id"] for p in doc["senders"]] == ["person:harriman-william-averell"]
    # "the President" and "the Acting Secretary of State" on 1 July 1945: Truman and Grew.
    assert [p["entity_id"] for p in doc["recipients"]] == [
        "person:harry-s-truman",
        "person:grew-joseph-clark",
    ]


def test_seed_000_names_resolve_and_soong_is_not_chiang(exported: dict[str, dict]) -> None:
    mentions = {m["text"]: m["entity_id"] for m in exported["frus-text/000_e45dc6676497ee2e"]["mentions"]}
    assert mentions["Stalin"] == "person:joseph-stalin"
    assert mentions["Soong"] == "person:t-v-soong"
    assert mentions["Vyshinski"] == "person:andrey-yanuaryevich-vyshinsky"
    assert mentions["Moscow"] == "place:moscow"


def test_seed_000_is_dated_from_its_office_holders_and_its_people_resolve(exported: dict[str, dict]) -> None:
    """Issue 10's Done-when, with no authority command run: an interval within 12 April – 1 July
    1945 containing 16 June (President Truman, Harriman in Moscow, "before July 1", the 16th)."""
    doc = exported["frus-text/000_e45dc6676497ee2e"]
    date = doc["date"]
    assert "1945-04-12" <= date["not_before"] <= "1945-06-16" <= date["not_after"] <= "1945-07-01"
    assert date["basis"].startswith("inferred from") and "date-time group" in date["basis"]
    assert [p["entity_id"] for p in doc["senders"]] == ["person:harriman-william-averell"]
    assert [p["entity_id"] for p in doc["recipients"]] == ["person:harry-s-truman"]
    linked = {m["text"]: m["entity_id"] for m in doc["mentions"] if m["type"] == "person"}
    assert linked["Generalissimo"] == "person:chiang-kai-shek"
    assert linked["Roosevelt"] == "person:franklin-d-roosevelt"  # "President Roosevelt", dead by June 1945
    assert linked["Bohlen"] == "person:bohlen-charles-eustis"
    assert linked["Stalin"] == "person:joseph-stalin" and linked["Soong"] == "person:t-v-soong"


def test_molotov_resolves_in_1945(exported: dict[str, dict]) -> None:
    linked = {
        m["text"]: m["entity_id"] for m in exported["wilson/123402"]["mentions"] if m["type"] == "person"
    }
    assert linked["Molotov"] == "person:vyacheslav-mikhailovich-molotov"
    assert linked["Ambassador to China"] is None  # "the Soviet Ambassador to China": no American office


def test_authority_load_shows_a_re_enrich_progress_bar_on_a_terminal(
    fresh: tuple[str, dict[str, str]], exported: dict[str, dict]
) -> None:
    """`chancery authority load` re-enriches every stored document behind a progress bar on stderr
    when that is a terminal (a pseudo-terminal here); piped, it prints only its summary."""
    db, env = fresh
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "chancery", "authority", "load", "--db", db],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env={**env, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert proc.wait() == 0
    os.close(master)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "re-enrich" in screen and "2/2" in screen
    assert "2 documents re-enriched" in " ".join(screen.split())  # the summary wraps at the width
    piped = _chancery("authority", "load", "--db", db, env=env).stderr.decode()
    assert "2 documents re-enriched" in piped and "re-enrich\x1b" not in piped and "2/2" not in piped
