"""Out of the box: a fresh archive resolves people, offices at a date and places from the authority
files shipped inside the package, with no `authority load` (checked through the CLI, as a user runs it)."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest
from conftest import SEEDS

from chancery.authority.shipped import SHIPPED, shipped_authority_paths


def _chancery(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "chancery", *args], capture_output=True, env=env, check=True)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    home = tmp_path_factory.mktemp("fresh")
    env = {**os.environ, "XDG_CACHE_HOME": str(home / "cache")}
    env.pop("CHANCERY_SHIPPED_AUTHORITY", None)  # the default a user gets
    db = str(home / "fresh.db")
    _chancery("ingest", str(SEEDS), "--db", db, env=env)
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
