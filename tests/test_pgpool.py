"""The PostgreSQL store's connection pool, on a real server: threads do not queue behind one
connection, a full pool is a clear error after a bounded wait, a dropped connection is replaced,
and the entity count a search keys on follows this store's writes at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest
from test_change_feed import pg_url  # noqa: F401 (fixture)
from test_store_contract import PG_URL

from chancery.store.pgpool import StoreBusy
from chancery.store.postgres import PostgresStore

BOUND = 60  # seconds a thread is given before the test fails (a bound on hanging, not a timing)


@pytest.fixture
def holding() -> Iterator[threading.Event]:
    release = threading.Event()
    yield release
    release.set()


def hold_a_connection(store: PostgresStore, release: threading.Event) -> threading.Event:
    """Start a thread holding one of `store`'s connections in a transaction until `release`;
    returns the event it sets on leaving the transaction."""
    held, left = threading.Event(), threading.Event()

    def run() -> None:
        with store._transaction() as cur:
            cur.execute("SELECT 1")
            held.set()
            release.wait(BOUND)
        left.set()

    threading.Thread(target=run, daemon=True).start()
    assert held.wait(BOUND)
    return left


def test_a_query_runs_while_another_thread_holds_a_transaction(pg_url: str, holding: threading.Event) -> None:
    store = PostgresStore(pg_url, connections=2)
    try:
        left = hold_a_connection(store, holding)
        assert store.document_ids() == []  # with one connection under a lock, this waited
        assert not left.is_set()
    finally:
        holding.set()
        store.close()


def test_a_full_pool_is_a_clear_error_after_its_wait(pg_url: str, holding: threading.Event) -> None:
    store = PostgresStore(pg_url, connections=1, wait=0.2)
    try:
        hold_a_connection(store, holding)
        with pytest.raises(StoreBusy, match="all 1 connections to PostgreSQL .* stayed busy"):
            store.document_ids()
        holding.set()
        assert store.document_ids() == []
    finally:
        store.close()


def test_a_thread_reuses_its_own_connection_inside_a_transaction(pg_url: str) -> None:
    store = PostgresStore(pg_url, connections=1, wait=0.2)
    try:
        with store._transaction() as cur:
            cur.execute("CREATE TEMP TABLE seen (x int)")
            assert store.conn.execute("SELECT count(*) FROM seen").fetchone() == (0,)
    finally:
        store.close()


def test_a_dropped_connection_is_replaced(pg_url: str) -> None:
    store = PostgresStore(pg_url, connections=1)
    try:
        pid = store.conn.execute("SELECT pg_backend_pid()").fetchone()
        assert pid is not None
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", pid)
        with pytest.raises(psycopg.OperationalError):
            store.document_ids()
        assert store.document_ids() == []
        assert store.conn.execute("SELECT pg_backend_pid()").fetchone() != pid
    finally:
        store.close()


def test_the_entity_count_follows_this_stores_writes_at_once(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    other = PostgresStore(pg_url)
    try:
        assert store.count_entities() == 0
        store.put_entities([{"id": "person:a", "type": "person", "name": "A"}], [("a", "person:a")])
        assert store.count_entities() == 1  # its own write: counted again, not the cached 0
        other.put_entities([{"id": "person:b", "type": "person", "name": "B"}], [("b", "person:b")])
        assert other.count_entities() == 2
    finally:
        store.close()
        other.close()
