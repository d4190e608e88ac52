"""The web server under hostile input and concurrency, over the shared web-test archive (real SQLite):
nesting and length limits, bounded offsets, the semantic extra missing, canonical links from
configuration (never the Host header), security headers, and searches that never block the loop
(a real `chancery serve` subprocess, also with --workers 2)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port
from fastapi.testclient import TestClient
from test_api import error_of, web_archive_path

from chancery.archive import Archive
from chancery.errors import QueryError
from chancery.search.query import MAX_DEPTH, MAX_QUERY_CHARS, parse
from chancery.search.schema import MAX_OFFSET
from chancery.web import create_app
from chancery.web.app import CSP

BASE = "https://archive.example.org/chancery"
DOC = "/documents/webtest/d1"
DEEP_PARENS = "(" * 300 + "stalin" + ")" * 300
MINUSES = "-" * 1000 + "stalin"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    opened = Archive.open(web_archive_path(tmp_path_factory))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(archive: Archive) -> Iterator[TestClient]:
    with TestClient(create_app(archive, base_url=BASE + "/")) as test_client:
        yield test_client


# -- nesting and length ---------------------------------------------------------------------
def test_parser_refuses_deep_nesting_and_long_queries() -> None:
    for query in (DEEP_PARENS, MINUSES, "NOT " * 40 + "stalin", "(NOT " * 20 + "stalin" + ")" * 20):
        with pytest.raises(QueryError, match="nested too deeply"):
            parse(query)
    with pytest.raises(QueryError, match="too long"):
        parse("stalin " * (MAX_QUERY_CHARS // 7 + 1))
    parse("(" * MAX_DEPTH + "stalin" + ")" * MAX_DEPTH)  # the limit itself still parses
    parse("-" * (MAX_DEPTH - 1) + "x stalin")


@pytest.mark.parametrize("query", [DEEP_PARENS, MINUSES, "a " * 1500])
def test_api_answers_400_with_a_message(client: TestClient, query: str) -> None:
    for path in ("/api/search", "/api/timeline", "/api/correspondence"):
        message = error_of(client.get(path, params={"q": query}), 400)
        assert "nested too deeply" in message or "too long" in message


@pytest.mark.parametrize("query", [DEEP_PARENS, MINUSES])
def test_pages_show_the_message_with_400(client: TestClient, query: str) -> None:
    for path in ("/", "/timeline"):
        response = client.get(path, params={"q": query})
        assert response.status_code == 400
        assert "nested too deeply" in response.text
        assert 'name="q"' in response.text  # the search form is still there to fix the query


def test_semantic_without_the_extra_is_503_with_the_install_hint(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANCERY_DISABLE_SEMANTIC", "1")
    for mode in ("semantic", "hybrid"):
        message = error_of(client.get("/api/search", params={"q": "stalin", "mode": mode}), 503)
        assert "pip install" in message
        page = client.get("/", params={"q": "stalin", "mode": mode})
        assert page.status_code == 503
        assert "pip install" in page.text


# -- offsets --------------------------------------------------------------------------------
def test_offsets_are_bounded_in_the_archive(archive: Archive) -> None:
    with pytest.raises(QueryError, match="offset must be between 0 and 10,000"):
        archive.search("stalin", offset=2_000_000_000)
    with pytest.raises(QueryError, match="limit"):
        archive.search("stalin", limit=10**9)
    assert archive.search("stalin", offset=MAX_OFFSET).hits == []


def test_offsets_are_bounded_in_api_and_page(client: TestClient) -> None:
    for offset in (MAX_OFFSET + 1, 2_000_000_000):
        message = error_of(client.get("/api/search", params={"q": "stalin", "offset": offset}), 422)
        assert "offset" in message and "10000" in message
        page = client.get("/", params={"q": "stalin", "offset": offset})
        assert page.status_code == 422 and "offset" in page.text
    body = client.get("/api/search", params={"q": "the", "offset": MAX_OFFSET - 5, "limit": 10}).json()
    assert body["pagination"]["next_offset"] is None  # never a link past the bound


def test_cli_search_refuses_a_huge_offset(tmp_path_factory: pytest.TempPathFactory) -> None:
    db = web_archive_path(tmp_path_factory)
    run = subprocess.run(
        [sys.executable, "-m", "chancery", "search", "stalin", "--db", str(db), "--offset", "2000000000"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stderr
    assert "offset must be between 0 and 10,000" in run.stderr
    assert "Traceback" not in run.stderr


# -- canonical URL --------------------------------------------------------------------------
def test_canonical_link_comes_from_configuration_not_host(client: TestClient) -> None:
    response = client.get(DOC, headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert f'<link rel="canonical" href="{BASE}{DOC}">' in response.text
    assert "evil.example" not in response.text
    # webtest/d2 has no source URL: its citations link to the permalink
    cite = client.get(
        "/api/documents/webtest/d2/cite", params={"format": "csl-json"}, headers={"Host": "x.evil"}
    )
    assert cite.json()[0]["URL"] == BASE + "/documents/webtest/d2"


def test_base_url_from_the_environment_and_refused_when_malformed(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANCERY_BASE_URL", "http://reading-room.example:8080")
    with TestClient(create_app(archive)) as env_client:
        text = env_client.get(DOC, headers={"Host": "evil.example"}).text
    assert f'href="http://reading-room.example:8080{DOC}"' in text and "evil.example" not in text
    with pytest.raises(ValueError, match="base URL"):
        create_app(archive, base_url="javascript:alert(1)")


# -- security headers -----------------------------------------------------------------------
def assert_security_headers(response: Any) -> None:
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


def test_security_headers_on_every_kind_of_response(archive: Archive, client: TestClient) -> None:
    for path, status in [
        ("/", 200),
        ("/?q=stalin", 200),
        (DOC, 200),
        ("/api/search?q=stalin", 200),
        ("/static/chancery.css", 200),
        ("/robots.txt", 200),
        ("/documents/no/such", 404),
        ("/api/search?q=(", 400),
        ("/api/search?q=x&limit=0", 422),
    ]:
        response = client.get(path)
        assert response.status_code == status, path
        assert_security_headers(response)
        if response.headers["content-type"].startswith(("text/html", "application/json")):
            assert response.headers["content-security-policy"] == CSP

    app = create_app(archive, base_url=BASE)

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as failing:
        response = failing.get("/boom")
    assert response.status_code == 500
    assert_security_headers(response)


def test_pages_need_no_inline_script_or_style(client: TestClient) -> None:
    """The CSP allows scripts and styles from /static only: no page may rely on inline ones."""
    for path in ("/", "/?q=stalin", "/timeline?q=stalin", DOC, "/collections", "/collections/webtest"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"<style|<[a-z][^>]*\s(style|on[a-z]+)=", html, re.IGNORECASE), path
    bars = client.get("/timeline", params={"q": "stalin"}).text
    heights = re.findall(r'class="bar h(\d+)"', bars)
    assert heights and "100" in heights
    css = client.get("/static/chancery.css").text
    assert all(f".h{h} {{ height: {h}%; }}" in css for h in set(heights))


def test_api_docs_allow_exactly_their_inline_script(client: TestClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    scripts = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert scripts
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy


# -- a real server: searches in threads, --workers -------------------------------------------


def start_server(db: Path, log_path: Path, *extra: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "chancery", "serve", "--db", str(db), "--port", str(port), *extra],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=2).read()
            return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"chancery serve did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_robots_answers_while_slow_searches_run(tmp_path_factory: pytest.TempPathFactory) -> None:
    db = web_archive_path(tmp_path_factory)
    process, port = start_server(db, tmp_path_factory.mktemp("serve") / "serve.log")
    try:
        done: list[str] = []
        lock = threading.Lock()
        sent = threading.Barrier(7)

        def slow(i: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            conn.request("GET", f"/timeline?q=the+OR+of+OR+government+OR+{i}")
            sent.wait()
            response = conn.getresponse()
            response.read()
            with lock:
                done.append(f"slow {response.status}")

        threads = [threading.Thread(target=slow, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        sent.wait()  # all six slow requests are on the wire
        robots = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        robots.request("GET", "/robots.txt")
        body = robots.getresponse().read()
        with lock:
            done.append("robots")
        for thread in threads:
            thread.join()
        assert body.startswith(b"User-agent")
        assert done.count("slow 200") == 6, done
        # the event loop answered robots.txt before the thread pool finished a single slow search
        assert done.index("robots") == 0, done
    finally:
        stop(process)


def test_serve_with_two_workers(tmp_path_factory: pytest.TempPathFactory) -> None:
    db = web_archive_path(tmp_path_factory)
    process, port = start_server(
        db, tmp_path_factory.mktemp("serve") / "workers.log", "--workers", "2", "--base-url", BASE
    )
    try:
        children = [
            pid
            for pid in os.listdir("/proc")
            if pid.isdigit() and _parent_of(pid) == process.pid and "spawn_main" in _cmdline(pid)
        ]
        assert len(children) >= 2, children  # uvicorn's worker processes
        for _ in range(6):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{DOC}", timeout=60) as response:
                html = response.read().decode()
                assert response.headers["X-Frame-Options"] == "DENY"
            assert f'href="{BASE}{DOC}"' in html
    finally:
        stop(process)
    assert process.returncode is not None


def _parent_of(pid: str) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def _open_index_repeatedly(path: str, times: int) -> int:
    from chancery.search.index import SearchIndex

    return min(SearchIndex(path).count() for _ in range(times))


def test_processes_opening_one_index_never_wipe_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each uvicorn worker opens the index at start: none may see a half-written version file and
    delete the index (it did: the version file was rewritten, truncated first, at every open)."""
    import multiprocessing

    db = web_archive_path(tmp_path_factory)
    index = tmp_path_factory.mktemp("race") / "index"
    shutil.copytree(Path(str(db) + ".index"), index)
    with Archive.open(db, index_path=index) as opened:
        documents = opened.index.count()
    assert documents > 0
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        seen = pool.starmap(_open_index_repeatedly, [(str(index), 150)] * 4)
    assert seen == [documents] * 4


def test_worker_socket_has_nodelay() -> None:
    """uvicorn binds the workers' shared socket without TCP_NODELAY (a 40 ms delayed-ACK stall per
    response); the config `serve --workers` uses sets it, and accepted connections inherit it."""
    from chancery.web.app import NoDelayConfig

    sock = NoDelayConfig(
        "chancery.web.app:app_from_env", factory=True, host="127.0.0.1", port=0
    ).bind_socket()
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        sock.listen()
        with socket.create_connection(sock.getsockname()[:2]) as client:
            accepted, _ = sock.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
            assert client
    finally:
        sock.close()
