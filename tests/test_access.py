"""Accounts and private collections through `Archive`, on SQLite and PostgreSQL: who sees what in
search (hits, totals, facets, histogram), export, related, citations, entities and statistics;
password logins with their limit, tokens and the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from private_archive import (
    ENTITY,
    GROUP,
    MARKER,
    PASSWORD,
    PERSONS_URL,
    PRIVATE,
    PUBLIC,
    add_entity,
    write_volumes,
)
from test_store_contract import PG_URL, pg_admin, pg_schema, with_schema  # noqa: F401  (fixtures)

from chancery.archive import Archive
from chancery.errors import LoginRefused, NotFound, TooManyAttempts
from chancery.settings import Settings
from chancery.workspace.viewer import Viewer

ANONYMOUS = Viewer.anonymous()
OUTSIDER = Viewer("rita", "reader")
MEMBER = Viewer("sam", "researcher", frozenset({GROUP}))


@pytest.fixture(params=["sqlite", "postgres"])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    if request.param == "postgres":
        db = with_schema(PG_URL, request.getfixturevalue("pg_schema"))
    else:
        db = str(tmp_path / "archive.db")
    settings = Settings.from_env(
        {"CHANCERY_SHIPPED_AUTHORITY": "0", "CHANCERY_INDEX": str(tmp_path / "index")}
    )
    with Archive.open(db, settings=settings) as opened:
        opened.ingest([write_volumes(tmp_path / "volumes", cross_reference=True)], workers=1)
    add_entity(db, settings)
    with Archive.open(db, settings=settings) as opened:
        opened.set_visibility(Viewer.local(), PRIVATE, "private", GROUP)
        yield opened


def test_hidden_collections_follow_role_and_group(archive: Archive) -> None:
    assert archive.hidden(ANONYMOUS) == archive.hidden(OUTSIDER) == {PRIVATE}
    assert archive.hidden(MEMBER) == archive.hidden(Viewer("ada", "admin")) == frozenset()
    assert archive.hidden(None) == archive.hidden(Viewer.local()) == frozenset()
    assert archive.hidden(Viewer("x", "researcher", frozenset({"other"}))) == {PRIVATE}
    archive.set_visibility(Viewer.local(), PRIVATE, "private")  # admins only
    assert archive.hidden(MEMBER) == {PRIVATE}
    archive.set_visibility(Viewer.local(), PRIVATE, "public")
    assert archive.hidden(ANONYMOUS) == frozenset()
    with pytest.raises(PermissionError):
        archive.set_visibility(MEMBER, PUBLIC, "private")
    with pytest.raises(NotFound):
        archive.set_visibility(Viewer.local(), "no-such-collection", "private")


def test_search_export_related_and_counts_leave_hidden_collections_out(archive: Archive) -> None:
    for viewer in (ANONYMOUS, OUTSIDER):
        seen = archive.for_viewer(viewer)
        result = seen.search("Harriman")
        assert result.total == 2 and {h.id.split("/")[0] for h in result.hits} == {PUBLIC}
        assert result.facets is not None and [f.value for f in result.facets["collection"]] == [PUBLIC]
        assert [y.year for y in result.histogram or []] == [1945]
        assert seen.search(MARKER).total == 0
        assert seen.search(f"collection:{PRIVATE}").total == 0
        assert {d["id"].split("/")[0] for d in seen.export()} == {PUBLIC}
        assert list(seen.export(MARKER)) == []
        assert [c.id for c in seen.collections()] == [PUBLIC]
        assert seen.stats()["documents"] == 2 and seen.stats()["collections"] == 1
        assert all(PRIVATE not in h["id"] for h in seen.related(f"{PUBLIC}/d1"))
        assert seen.matches("Harriman")[1] == 2
        assert seen.titles([f"{PRIVATE}/d1", f"{PUBLIC}/d1"]).keys() == {f"{PUBLIC}/d1"}
        private = f"{PRIVATE}/d1"
        for method, args in (
            ("document", (private,)),
            ("related", (private,)),
            ("cite", (private, "chicago")),
            ("collection", (PRIVATE,)),
            ("original", (private,)),
        ):
            with pytest.raises(NotFound):
                getattr(seen, method)(*args)
        entity = seen.entity(ENTITY).to_dict()
        assert PERSONS_URL not in str(entity) and "Harriman" not in entity["variants"]
    member = archive.for_viewer(MEMBER)
    assert member.search("Harriman").total == 4 and member.search(MARKER).total == 2
    assert len(list(member.export())) == 4 and member.document(f"{PRIVATE}/d1").collection.id == PRIVATE
    assert PERSONS_URL in member.entity(ENTITY).sources
    assert archive.search("Harriman").total == 4  # local use: everything


def test_links_into_hidden_collections_are_unresolved(archive: Archive) -> None:
    private = f"{PRIVATE}/d1"
    assert private in [r.target_id for r in archive.document(f"{PUBLIC}/d2").references]
    assert f"{PUBLIC}/d2" in [c.id for c in archive.cited_by(private)]
    for viewer in (ANONYMOUS, OUTSIDER):
        seen = archive.for_viewer(viewer)
        assert private not in [r.target_id for r in seen.document(f"{PUBLIC}/d2").references]
        exported = next(d for d in seen.export() if d["id"] == f"{PUBLIC}/d2")
        assert private not in [r["target_id"] for r in exported["references"]]
        with pytest.raises(NotFound):
            seen.cited_by(private)
        assert all(c.id.startswith(PUBLIC) for c in seen.cited_by(f"{PUBLIC}/d1"))
    member = archive.for_viewer(MEMBER)
    assert private in [r.target_id for r in member.document(f"{PUBLIC}/d2").references]


def test_logins_tokens_and_audit(archive: Archive) -> None:
    admin = Viewer.local()
    archive.add_user(admin, "sam", "researcher", PASSWORD, (GROUP,))
    with pytest.raises(PermissionError):
        archive.add_user(MEMBER, "eve", "admin", PASSWORD)
    with pytest.raises(ValueError):
        archive.add_user(admin, "eve", "emperor", PASSWORD)
    viewer, session = archive.login("sam", PASSWORD, "10.0.0.1")
    assert viewer == MEMBER and archive.viewer_for_session(session) == MEMBER
    archive.logout(session)
    assert archive.viewer_for_session(session) == ANONYMOUS
    token = archive.create_token(admin, "sam")
    assert archive.viewer_for_token(token) == MEMBER and archive.viewer_for_token(token + "x") == ANONYMOUS
    assert archive.store.api_token_user(token) is None  # only the hash is kept
    for _ in range(5):
        with pytest.raises(LoginRefused):
            archive.login("sam", "wrong password", "10.0.0.2")
    with pytest.raises(TooManyAttempts):
        archive.login("sam", PASSWORD, "10.0.0.2")
    assert archive.login("sam", PASSWORD, "10.0.0.3")[0] == MEMBER  # another address
    actions = [(r["action"], r["target"]) for r in archive.audit_log()]
    assert ("visibility", PRIVATE) in actions and ("user_add", "sam") in actions
    assert actions.count(("login_failed", "sam")) == 5 and ("login_refused", "sam") in actions
    assert ("logout", "sam") in actions and ("token_create", "sam") in actions
