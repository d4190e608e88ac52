"""Shared test fixtures: the real corpus (required, never skipped), seed records, and the test lanes
(markers `corpus`, `pg`, `browser`, `slow`, applied here at collection; see pyproject.toml)."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("CHANCERY_CORPUS", ROOT.parent / "shared" / "corpus"))
SEEDS = ROOT / "examples" / "seeds"
# Test archives start without the shipped authority unless a test asks for it (tests/test_shipped_authority.py
# runs the out-of-the-box path): most tests check readers and search, and the resolver costs seconds each.
os.environ.setdefault("CHANCERY_SHIPPED_AUTHORITY", "0")


def corpus_path(*parts: str) -> Path:
    """A path in the shared corpus; fails the test loudly when the corpus is missing."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"shared corpus file missing: {path} (set CHANCERY_CORPUS)", pytrace=False)
    return path


@pytest.fixture
def corpus() -> Path:
    return corpus_path()


@pytest.fixture
def seeds() -> Path:
    return SEEDS


def authority_paths() -> list[Path]:
    """The authority files the entity tests and benchmarks build their resolver from."""
    return [
        corpus_path("authority", "hsg-people.tar.gz"),
        corpus_path("authority", "pocom.tar.gz"),
        corpus_path("authority", "hsg-travels-visits.tar.gz"),
        corpus_path("frus", "dates-project", "cities-master.xml"),
        corpus_path("cfpf-ner", "ontology"),
    ]


@pytest.fixture(scope="session")
def resolver():
    """One gazetteer resolver over the real authority files, shared by the entity tests."""
    from chancery.authority import build_authority
    from chancery.enrich.entities import Resolver

    return Resolver(build_authority(authority_paths()).entities)


@pytest.fixture(scope="session", autouse=True)
def _caches_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Anything that would write under ~/.cache (the PostgreSQL archive's default index place) writes
    into this session's temporary directory instead: tests write only to temporary directories."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


# -- test lanes ---------------------------------------------------------------------------------
# `slow`: chosen from CPU seconds per test (setup included) measured on the shared 2-core machine. A whole module
# is slow when its module-scoped fixture is the cost (every test there waits for it); otherwise the
# single test is named. Fast lane: `bash scripts/test.sh --fast` (-m "not slow and not browser").
SLOW_MODULES = {
    "test_quality_product.py",  # ingest + export of a FRUS slice and cables through the CLI
    "test_web_modes.py",  # chromium over a served archive, with and without vectors
    "test_web_browser.py",  # a chancery serve subprocess and chromium over the web-test archive
    "test_related.py",  # a module archive of seeds and real volumes
    "test_embed_resume.py",  # a real chancery embed process killed, then resumed
    "test_timeline.py",  # a served archive and chromium
    "test_deploy.py",
    "test_auth_web.py",  # chancery serve --auth processes, every route walked, chromium login
    "test_knn.py",  # int8 scans of clustered matrices against the exact scan
    "test_entity_review.py",  # chancery processes with the shipped authority, both stores
    "test_entity_review_web.py",  # chromium over a served archive, both stores
    "test_exports.py",  # exports of real volumes in every format, both stores
    "test_web_lists.py",  # a served archive
    "test_web_lists_browser.py",  # chromium over a served archive, both stores
    "test_annotations_browser.py",  # chromium over a served archive, then a re-ingest  # compaction, backup/restore, pg_dump/pg_restore, two serving nodes
    "test_semantic.py",  # an ingest, then embedding with the MiniLM weights
    "test_shipped_authority.py",  # the shipped authority built from its files on a fresh machine
    "test_web_phone.py",  # chromium at phone width over a served archive
    "test_crash.py",  # ingests killed with SIGKILL and re-run, servers through a reindex
    "test_persons_on_ingest.py",  # the shipped authority loaded and rebuilt, both stores
    "test_change_feed.py",  # several nodes, real serve processes on PostgreSQL
    "test_hostile_input.py",  # a real ingest subprocess per hostile file, peak memory measured
    "test_web_newuser.py",  # the demo archive with the authority files, piped CLI runs
    "test_embedder.py",  # the int8 model built and loaded in fresh processes
    "test_fetch.py",  # fetch and ingest against a loopback server
    "test_reader_pages.py",  # OCR ingests of scans and photos, then chromium over the served archive
}
# Costly fixtures: every test using one is slow (the authority build, whole-corpus reads, ingests).
SLOW_FIXTURES = {
    "resolver",  # conftest: the gazetteer over the real authority files
    "authority",  # test_authority: the same build
    "all_documents",  # test_reader_dfat: all 27 DFAT volumes
    "client",  # test_api: the web-test archive (real volumes ingested)
    "ingested",  # test_ingest_index: real FRUS volumes ingested
}
SLOW_TESTS = {
    "test_annotations.py::test_cli_note_tag_star_and_notes",  # several chancery processes
    "test_frus_tei.py::test_every_volume_counts_match",  # all 92 FRUS volumes
    "test_frus_text_shape.py::test_rendered_tei_documents_through_ingest_and_export",  # a chancery ingest process
    "test_inference.py::test_containment_on_a_real_frus_volume",
    "test_entities.py::test_archive_load_authority",
    "test_entities_cables.py::test_gold_entity_lists_in_both_layouts",
    "test_pdf_ingest.py::test_folder_ingests_in_one_command_and_reingest_does_no_ocr",  # OCR of a folder
}
BROWSER_MODULES = {
    "test_web_browser.py",
    "test_web_phone.py",
    "test_reader_pages.py",
    "test_web_modes.py",
    "test_timeline.py",
}
# Parametrized whole-corpus tests whose cases are spread over the xdist workers instead of one worker.
SPREAD_TESTS = {"test_frus_tei.py::test_every_volume_counts_match"}
# Fixtures that reach PostgreSQL; a test parametrized with "postgres" does too.
PG_FIXTURES = {"pg_admin", "pg_schema"}
CORPUS_FIXTURES = {"corpus", "resolver"}
# Names whose mention in a test module means it reads the shared corpus.
CORPUS_NAMES = ("corpus_path", "authority_paths", "CORPUS")


def _reads_corpus(module: ModuleType, seen: set[str] | None = None) -> bool:
    """Whether a test module reads the shared corpus, directly or through helpers it imports from
    another test module (test_web_browser uses test_api's archive)."""
    seen = set() if seen is None else seen
    if module.__name__ in seen:
        return False
    seen.add(module.__name__)
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return False
    if any(name in source for name in CORPUS_NAMES):
        return True
    for value in vars(module).values():
        origin = sys.modules.get(getattr(value, "__module__", "") or "")
        origin_file = getattr(origin, "__file__", None) or ""
        if origin is not None and origin is not module and Path(origin_file).parent == Path(__file__).parent:
            if Path(origin_file).name != "conftest.py" and _reads_corpus(origin, seen):
                return True
    return False


def _uses_postgres(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    if PG_FIXTURES & fixtures:
        return True
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "postgres" in callspec.params.values():
        return True
    # test_store_contract's open_backend opens PostgreSQL on request: a test using it without the
    # backend-parametrized `store` fixture compares both backends.
    return "open_backend" in fixtures and "store" not in fixtures


# With pytest-xdist (`-n 2 --dist loadgroup`), each module runs on one worker, so its module fixtures
# are built once; modules sharing a costly session fixture run on the same worker too.
XDIST_GROUPS = {
    "test_api.py": "web-archive",
    "test_web_browser.py": "web-archive",
    "test_entities.py": "resolver",
    "test_entities_cables.py": "resolver",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    corpus_modules: dict[str, bool] = {}
    xdist = config.pluginmanager.hasplugin("xdist")
    for item in items:
        module = getattr(item, "module", None)
        name = item.path.name
        fixtures = set(getattr(item, "fixturenames", ()))
        if module is not None and module.__name__ not in corpus_modules:
            corpus_modules[module.__name__] = _reads_corpus(module)
        if CORPUS_FIXTURES & fixtures or (module is not None and corpus_modules[module.__name__]):
            item.add_marker(pytest.mark.corpus)
        if _uses_postgres(item):
            item.add_marker(pytest.mark.pg)
        if name in BROWSER_MODULES:
            item.add_marker(pytest.mark.browser)
        if name in SLOW_MODULES or _base_id(item) in SLOW_TESTS or SLOW_FIXTURES & fixtures:
            item.add_marker(pytest.mark.slow)
        if xdist:
            group = XDIST_GROUPS.get(name, name)
            if _base_id(item) in SPREAD_TESTS:  # one test per volume: both workers share them
                group = item.nodeid
            item.add_marker(pytest.mark.xdist_group(group))


def _base_id(item: pytest.Item) -> str:
    """`file.py::test_name` without parameters, so a slow test is slow for every parameter."""
    return f"{item.path.name}::{getattr(item, 'originalname', item.name)}"


# -- the browser -------------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"  # Debian's chromium, never a downloaded browser build
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """One headless Chromium per test process, shared by every browser test module (Playwright's sync
    API allows one running instance per thread)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: apt-get install -y chromium (scripts/test.sh does)", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(db: Path, log_path: Path) -> Iterator[str]:
    """`chancery serve` over `db` on a free loopback port (a real process); yields its base URL."""
    port = free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "chancery", "serve", "--db", str(db), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/api/collections", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail(f"chancery serve did not start (see {log_path})")
                time.sleep(0.2)
        try:
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)
