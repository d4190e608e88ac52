"""`chancery serve --auth` as a real process over SQLite and PostgreSQL: login (API and, in Chromium,
the page), API tokens, CSRF refusal, the failed-login limit, the audit log; and private material
never reaching an anonymous visitor or a reader outside the group on ANY route of the app (the
routes are read from the app itself, so a new route is walked without editing this test)."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastapi.routing
import httpx
import orjson
import psycopg
import pytest
from conftest import free_port
from playwright.sync_api import Browser, expect
from private_archive import ENTITY, GROUP, MARKER, PASSWORD, PRIVATE, PRIVATE_TITLE, PUBLIC, build, chancery
from starlette.routing import Mount
from test_server_hardening import _cmdline, _parent_of
from test_store_contract import PG_URL, with_schema

from chancery.archive import Archive
from chancery.web.app import create_app
from chancery.workspace.accounts import token_hash
from chancery.workspace.viewer import Viewer

SECRETS = (MARKER, PRIVATE, PRIVATE_TITLE)  # none of these may reach anonymous or rita


@dataclass
class Site:
    base: str
    db: str
    env: dict[str, str]
    tokens: dict[str, str]

    @contextmanager
    def client(self, who: str | None = None) -> Iterator[httpx.Client]:
        """A client as `who` (a user name: logged in with its password) or anonymous."""
        with httpx.Client(base_url=self.base, timeout=30) as client:
            if who:
                reply = client.post("/api/login", json={"username": who, "password": PASSWORD})
                assert reply.status_code == 200, reply.text
            yield client

    def audit(self) -> list[dict[str, Any]]:
        with Archive.open(self.db) as archive:
            return archive.audit_log()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp(f"auth-{request.param}")
    env = {**os.environ, "CHANCERY_INDEX": str(folder / "index"), "CHANCERY_PAGES": str(folder / "pages")}
    schema = None
    if request.param == "postgres":
        schema = f"chancery_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        db = with_schema(PG_URL, schema)
    else:
        db = str(folder / "archive.db")
    old = {k: os.environ.get(k) for k in ("CHANCERY_INDEX", "CHANCERY_PAGES")}
    os.environ.update({k: env[k] for k in old})  # Archive.open in this process finds the same index
    tokens = build(db, folder / "volumes", env)
    port = free_port()
    log = (folder / "serve.log").open("w")
    command = [sys.executable, "-m", "chancery", "serve", "--db", db, "--port", str(port), "--auth"]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(base + "/api/collections", timeout=2)
            break
        except httpx.HTTPError:
            assert process.poll() is None and time.monotonic() < deadline, (folder / "serve.log").read_text()
            time.sleep(0.2)
    try:
        yield Site(base, db, env, tokens)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if schema:
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


# -- login, tokens, CSRF, rate limit, audit ------------------------------------------------------
def test_login_sets_a_secure_session_and_is_audited(site: Site) -> None:
    with httpx.Client(base_url=site.base) as client:
        assert client.get("/api/me").json() == {"user": None, "role": "anonymous", "groups": []}
        reply = client.post("/api/login", json={"username": "sam", "password": PASSWORD})
        assert reply.status_code == 200
        assert reply.json() == {"user": "sam", "role": "researcher", "groups": [GROUP]}
        cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith("chancery_session="))
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Secure" not in cookie
        assert client.get("/api/me").json()["user"] == "sam"
        bad = client.post("/api/login", json={"username": "sam", "password": "wrong password"})
        assert bad.status_code == 401
        assert client.post("/api/login", json={"username": "nobody", "password": "x"}).status_code == 401
    rows = site.audit()
    actions = {(r["action"], r["target"]) for r in rows}
    assert {("user_add", "sam"), ("token_create", "sam"), ("visibility", PRIVATE)} <= actions
    assert {("login", "sam"), ("login_failed", "sam"), ("login_failed", "nobody")} <= actions
    login = next(r for r in rows if r["action"] == "login")
    assert login["ip"] == "127.0.0.1" and login["actor"] == "sam"


def test_login_issues_a_new_session_and_logout_ends_it_on_the_server(site: Site) -> None:
    """Session fixation: a session id the client brings (planted, or its own earlier one) is never
    the one valid after a login, by the API or the form; the CSRF token is new too; logout deletes
    the server's session, so a copy of the cookie is worthless afterwards."""
    planted = "planted-by-an-attacker-" + "x" * 20

    def me(session: str) -> str | None:
        reply = httpx.get(site.base + "/api/me", headers={"cookie": f"chancery_session={session}"})
        return reply.json()["user"]  # type: ignore[no-any-return]

    with httpx.Client(base_url=site.base) as client:
        client.get("/")
        client.cookies.set("chancery_session", planted, domain="127.0.0.1")
        assert me(planted) is None
        csrf_before = client.cookies["chancery_csrf"]
        assert client.post("/api/login", json={"username": "sam", "password": PASSWORD}).status_code == 200
        first = client.cookies["chancery_session"]
        assert first != planted and client.cookies["chancery_csrf"] != csrf_before
        assert me(first) == "sam" and me(planted) is None
        # logging in again (as someone else) over a live session: a new id, the old one ended
        assert client.post("/api/login", json={"username": "rita", "password": PASSWORD}).status_code == 200
        second = client.cookies["chancery_session"]
        assert second != first and me(second) == "rita" and me(first) is None
        # the login form rotates too (its CSRF field is the token the page showed)
        token = client.cookies["chancery_csrf"]
        form = {"username": "sam", "password": PASSWORD, "next": "/", "csrf_token": token}
        assert client.post("/login", data=form).status_code == 303
        third = client.cookies["chancery_session"]
        assert third != second and me(third) == "sam" and me(second) is None
        assert client.cookies["chancery_csrf"] != token
        # logout: the cookie is dropped and the server forgets the session
        reply = client.post("/api/logout", headers={"x-csrf-token": client.cookies["chancery_csrf"]})
        assert reply.status_code == 200 and "chancery_session" not in client.cookies
    assert me(third) is None
    with Archive.open(site.db) as archive:
        assert all(archive.store.session_user(token_hash(s), "0") is None for s in (first, second, third))
    assert [r["target"] for r in site.audit() if r["action"] == "logout"][-1:] == ["sam"]


def test_failed_logins_are_limited_per_user_and_address(site: Site) -> None:
    chancery(site.db, "user", "add", "lim", "--role", "reader", stdin=PASSWORD + "\n", env=site.env)
    with httpx.Client(base_url=site.base) as client:
        statuses = [
            client.post("/api/login", json={"username": "lim", "password": f"guess {i}"}).status_code
            for i in range(5)
        ]
        assert statuses == [401] * 5
        refused = client.post("/api/login", json={"username": "lim", "password": PASSWORD})
        assert refused.status_code == 429 and refused.headers["retry-after"]
        # another user from the same address is not held back
        assert client.post("/api/login", json={"username": "rita", "password": PASSWORD}).status_code == 200
    assert any(r["action"] == "login_refused" and r["target"] == "lim" for r in site.audit())


def test_api_tokens(site: Site) -> None:
    query = {"q": MARKER}
    with httpx.Client(base_url=site.base) as client:
        assert client.get("/api/search", params=query).json()["total"] == 0
        sam = {"authorization": f"Bearer {site.tokens['sam']}"}
        assert client.get("/api/search", params=query, headers=sam).json()["total"] == 2
        assert client.get("/api/me", headers=sam).json()["user"] == "sam"
        rita = {"authorization": f"Bearer {site.tokens['rita']}"}
        assert client.get("/api/search", params=query, headers=rita).json()["total"] == 0
        wrong = client.get("/api/search", params=query, headers={"authorization": "Bearer chy_not-a-token"})
        assert wrong.status_code == 401 and MARKER not in wrong.text
    with Archive.open(site.db) as archive:  # only hashes are stored
        assert archive.store.api_token_user(site.tokens["sam"]) is None


def test_csrf_refuses_state_changes_without_the_token(site: Site) -> None:
    with site.client("sam") as client:
        _csrf_checks(site, client)


def _csrf_checks(site: Site, client: httpx.Client) -> None:
    token = client.cookies["chancery_csrf"]
    assert client.post("/api/logout").status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/api/logout", headers={"x-csrf-token": "x" * 43}).status_code == 403
    assert client.get("/api/me").json()["user"] == "sam"  # still logged in
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/").text)
    assert meta and meta.group(1) == token
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/api/me").json()["user"] is None
    bearer = {"authorization": f"Bearer {site.tokens['sam']}"}  # exempt: not sent by browsers on their own
    assert httpx.post(site.base + "/api/logout", headers=bearer).status_code == 200


def test_login_page_in_chromium(site: Site, chromium: Browser) -> None:
    context = chromium.new_context(base_url=site.base)
    page = context.new_page()
    page.goto(f"/?q={MARKER}")
    expect(page.locator("ol.hits li.hit")).to_have_count(0)
    page.click("text=Log in")
    page.fill("#username", "sam")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    expect(page.locator("section.login [role=alert]")).to_contain_text("wrong user name or password")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("header.site")).to_contain_text("Log out sam")
    page.goto(f"/?q={MARKER}")
    expect(page.locator("ol.hits li.hit")).to_have_count(2)
    page.click("text=Log out sam")
    expect(page.locator("header.site")).to_contain_text("Log in")
    page.goto(f"/?q={MARKER}")
    expect(page.locator("ol.hits li.hit")).to_have_count(0)
    context.close()


# -- private means private, on every route ---------------------------------------------------------
def _route_values(site: Site) -> dict[str, list[str]]:
    """A value for every path parameter the app has: public and private ones where they differ."""
    with site.client("ada") as admin:
        private_doc = admin.get(f"/api/documents/{PRIVATE}/d1").json()
    workspace = _group_workspace(site)
    return {
        "doc_id": [f"{PUBLIC}/d1", f"{PRIVATE}/d1", f"{PRIVATE}/d2"],
        "collection_id": [PUBLIC, PRIVATE],
        "entity_id": [ENTITY],
        "sha": [private_doc["source"]["sha256"] or "0" * 64],
        "name": ["1.webp", "1.thumb.webp"],
        "annotation_id": [workspace["annotation_id"], "no-such-annotation"],
        "list_id": [str(workspace["list_id"]), "999999"],
        "judgment_id": ["999999"],  # none made here: an undo walked must not change the archive
    }


def _group_workspace(site: Site) -> dict[str, Any]:
    """The group member's note on a private document and list holding it, both shared with the
    group (made once per site): what the walk must never show to anyone outside it."""
    with site.client("sam") as sam:
        headers = {"x-csrf-token": sam.cookies.get("chancery_csrf") or ""}
        lists = sam.get("/api/lists").json()["lists"]
        found = next((x for x in lists if x["name"] == "group reading"), None)
        if found is None:
            found = sam.post(
                "/api/lists", json={"name": "group reading", "group": GROUP}, headers=headers
            ).json()
            reply = sam.post(
                f"/api/lists/{found['id']}/items",
                json={"doc_ids": [f"{PUBLIC}/d1", f"{PRIVATE}/d1"]},
                headers=headers,
            )
            assert reply.status_code == 200, reply.text
            note = {"kind": "note", "value": f"{MARKER} noted", "shared_with": GROUP}
            made = sam.post(f"/api/documents/{PRIVATE}/d1/annotations", json=note, headers=headers)
            assert made.status_code in (200, 201), made.text
        notes = sam.get(f"/api/documents/{PRIVATE}/d1/annotations").json()
        items = notes.get("items") or notes.get("first", {}).get("items") or []
        assert items, notes
        return {"list_id": found["id"], "annotation_id": str(items[0]["id"]).rsplit("/", 1)[-1]}


def test_a_researcher_outside_the_group_cannot_list_private_documents(site: Site) -> None:
    with site.client("olga") as olga:
        headers = {"x-csrf-token": olga.cookies.get("chancery_csrf") or ""}
        made = olga.post("/api/lists", json={"name": "probe"}, headers=headers).json()
        olga.post(
            f"/api/lists/{made['id']}/items",
            json={"doc_ids": [f"{PRIVATE}/d1", f"{PUBLIC}/d1"]},
            headers=headers,
        )
        for url in (
            f"/api/lists/{made['id']}",
            f"/lists/{made['id']}",
            f"/api/lists/{made['id']}/export?format=ris",
        ):
            body = olga.get(url).text
            leaked = [s for s in (MARKER, PRIVATE_TITLE) if s in body]
            assert not leaked, f"{url} shows {leaked}"
        note = {"kind": "note", "value": "probe"}
        assert (
            olga.post(f"/api/documents/{PRIVATE}/d1/annotations", json=note, headers=headers).status_code
            == 404
        )


QUERIES = [
    {},
    {"q": MARKER},
    {"q": "Harriman"},
    {"q": f"collection:{PRIVATE}"},
    {"q": "Harriman", "mode": "bm25"},
]


def _requests(site: Site, tmp_path: Path) -> list[tuple[str, str]]:
    """(method, url) for every route of the app (read from the app), every parameter value and query."""
    app = create_app(tmp_path / "routes.db", auth=True)  # the same routes, over an empty archive
    app.state.archive.close()
    values = _route_values(site)
    requests: list[tuple[str, str]] = []
    for path_format, methods, route in _app_routes(app):
        if isinstance(route, Mount):
            continue  # /static, /api/docs-assets: the app's own files
        names = re.findall(r"\{(\w+)(?::\w+)?\}", path_format)
        missing = [n for n in names if n not in values]
        assert not missing, f"{path_format}: give the leak test values for {missing}"
        paths = [path_format]
        for name in names:
            paths = [
                re.sub(r"\{" + name + r"(:\w+)?\}", urllib.parse.quote(v, safe="/:"), p)
                for p in paths
                for v in values[name]
            ]
        for method in sorted(set(methods or {"GET"}) - {"HEAD"}):
            for path in paths:
                for query in QUERIES:
                    requests.append((method, path + ("?" + urllib.parse.urlencode(query) if query else "")))
    return requests


def _app_routes(app: Any) -> list[tuple[str, set[str] | None, Any]]:
    """(path, methods, route) of every route, routers included (flattened)."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if contexts is not None:
        return [(c.path, c.methods, c.route) for c in contexts(app.routes)]
    return [(r.path, getattr(r, "methods", None), r) for r in app.routes]


def _walk(client: httpx.Client, requests: list[tuple[str, str]]) -> dict[tuple[str, str], httpx.Response]:
    token = client.get("/api/me").cookies.get("chancery_csrf") or client.cookies.get("chancery_csrf") or ""
    replies = {}
    for method, url in requests:
        if url.split("?")[0] in ("/logout", "/api/logout"):
            continue  # would end the walker's own session (their bodies hold no archive data)
        headers = {"x-csrf-token": token}
        replies[(method, url)] = client.request(
            method, url, headers=headers, json={} if method != "GET" else None
        )
    return replies


def test_private_collection_never_leaks_on_any_route(site: Site, tmp_path: Path) -> None:
    requests = _requests(site, tmp_path)
    assert any(url.startswith("/api/openapi.json") for _, url in requests)
    walks = {}
    for who in (None, "rita", "sam"):
        with site.client(who) as client:
            walks[who or "anonymous"] = _walk(client, requests)
    for who in ("anonymous", "rita"):
        for (method, url), reply in walks[who].items():
            body = reply.text
            leaked = [s for s in SECRETS if s in body and s not in urllib.parse.unquote(url)]
            assert not leaked, f"{who}: {method} {url} shows {leaked}"
            if PRIVATE in url.split("?")[0]:  # a private id in the path: as if it did not exist
                assert reply.status_code == 404, f"{who}: {method} {url} answered {reply.status_code}"
    seen = walks["sam"]
    shown = [key for key, reply in seen.items() if MARKER in reply.text and MARKER not in key[1]]
    assert shown, "the group member sees the private documents somewhere"
    assert seen[("GET", f"/api/documents/{PRIVATE}/d1")].status_code == 200
    assert seen[("GET", f"/documents/{PRIVATE}/d1")].status_code == 200
    assert seen[("GET", f"/collections/{PRIVATE}")].status_code == 200


def test_totals_and_counts_differ_only_by_the_private_collection(site: Site) -> None:

    def numbers(who: str | None) -> dict[str, Any]:
        with site.client(who) as client:
            search = client.get("/api/search", params={"q": "Harriman"}).json()
            timeline = client.get("/api/timeline").json()
            collections = client.get("/api/collections").json()["collections"]
            return {
                "total": search["total"],
                "collections": {f["value"]: f["count"] for f in search["facets"]["collection"]},
                "years": {h["year"]: h["count"] for h in search["histogram"]},
                "timeline": timeline["total"],
                "listed": sorted(c["id"] for c in collections),
                "entity": client.get(f"/api/entities/{ENTITY}").json()["total"],
            }

    public = {
        "total": 2,
        "collections": {PUBLIC: 2},
        "years": {1945: 2},
        "timeline": 2,
        "listed": [PUBLIC],
        "entity": 2,
    }
    assert numbers(None) == public
    assert numbers("rita") == public
    assert numbers("sam") == {
        "total": 4,
        "collections": {PUBLIC: 2, PRIVATE: 2},
        "years": {1943: 2, 1945: 2},
        "timeline": 4,
        "listed": [PRIVATE, PUBLIC],
        "entity": 4,
    }
    assert numbers("ada") == numbers("sam")


# -- serve --auth --workers 2: a session is the store's, not a worker's ----------------------------
def _worker_of(port: int, client_port: int, workers: list[int]) -> int | None:
    """The worker process holding the server side of our connection from `client_port` (found
    through /proc: the socket's inode in /proc/net/tcp, then the process with that socket open)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) == client_port:
            inode = fields[9]
    for pid in workers:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def _ask_each_worker(port: int, workers: list[int], cookie: str) -> dict[int, list[Any]]:
    """GET /api/me with `cookie` over fresh connections until every worker answered (at most 200
    tries); the users each worker answered, by worker."""
    seen: dict[int, list[Any]] = {}
    for _ in range(200):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/api/me", headers={"cookie": cookie})
        reply = conn.getresponse()
        user = orjson.loads(reply.read())["user"]
        worker = _worker_of(port, conn.sock.getsockname()[1], workers)
        conn.close()
        if worker is not None:
            seen.setdefault(worker, []).append(user)
        if len(seen) == len(workers) and min(len(v) for v in seen.values()) >= 2:
            break
    return seen


def test_a_session_holds_on_every_worker_and_a_logout_ends_it_on_all(tmp_path: Path) -> None:
    db = str(tmp_path / "workers.db")
    with Archive.open(db) as archive:
        archive.add_user(Viewer.local(), "sam", "researcher", PASSWORD)
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    command = [
        sys.executable,
        "-m",
        "chancery",
        "serve",
        "--db",
        db,
        "--port",
        str(port),
        "--auth",
        "--workers",
        "2",
    ]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while len(workers) < 2:
            assert process.poll() is None and time.monotonic() < deadline, (
                tmp_path / "serve.log"
            ).read_text()
            time.sleep(0.2)
            workers = [
                int(p)
                for p in os.listdir("/proc")
                if p.isdigit() and _parent_of(p) == process.pid and "spawn_main" in _cmdline(p)
            ]  # uvicorn's worker processes
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/me", timeout=2)
                break
            except httpx.HTTPError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            assert (
                client.post("/api/login", json={"username": "sam", "password": PASSWORD}).status_code == 200
            )
            cookie = f"chancery_session={client.cookies['chancery_session']}"
            seen = _ask_each_worker(port, workers, cookie)
            assert sorted(seen) == sorted(workers), seen  # both workers answered
            assert all(users == ["sam"] * len(users) for users in seen.values()), seen
            reply = client.post("/api/logout", headers={"x-csrf-token": client.cookies["chancery_csrf"]})
            assert reply.status_code == 200
        after = _ask_each_worker(port, workers, cookie)
        assert sorted(after) == sorted(workers), after
        assert all(users == [None] * len(users) for users in after.values()), after
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
