"""A small pool of PostgreSQL connections for one process: each used by one thread at a time.

A server runs requests on many threads; over one shared connection (under a lock) every query of
every request queues behind the others, so one slow query stalls them all. The pool opens up to
`size` connections as threads need them, hands an idle one to a thread for one query or one
transaction, and makes a thread that finds them all busy wait at most `wait` seconds before
raising `StoreBusy`, a clear error, rather than queueing without end. A thread that already holds
a connection gets the same one again (nested use, e.g. a query inside a transaction). A broken
connection (the server restarted, the network dropped) is closed and replaced on the next use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg.pq import TransactionStatus

from chancery.errors import ChanceryError


class StoreBusy(ChanceryError):
    """Every connection to the database stayed busy for the whole wait."""


class Pool:
    """Up to `size` connections made by `connect`, lent one thread at a time (see module)."""

    def __init__(
        self,
        connect: Callable[[], psycopg.Connection],
        size: int,
        wait: float,
        shown: str,
        first: psycopg.Connection | None = None,
    ) -> None:
        if size < 1:
            raise ValueError(f"a connection pool needs at least one connection, not {size}")
        self.size = size
        self.wait = wait
        self._connect = connect
        self._shown = shown
        self._idle: list[psycopg.Connection] = [first] if first else []
        self._open = len(self._idle)  # connections open or being opened
        self._closed = False
        self._cond = threading.Condition()
        self._held = threading.local()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A connection for this thread alone until the block ends."""
        held: psycopg.Connection | None = getattr(self._held, "conn", None)
        if held is not None:  # nested: the thread's own connection
            yield held
            return
        conn = self._take()
        self._held.conn = conn
        try:
            yield conn
        finally:
            self._held.conn = None
            self._give(conn)

    def close(self) -> None:
        """Close the idle connections now and each lent one when it comes back."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            conn.close()

    def _take(self) -> psycopg.Connection:
        with self._cond:
            if not self._cond.wait_for(
                lambda: self._closed or self._idle or self._open < self.size, self.wait
            ):
                raise StoreBusy(
                    f"all {self.size} connections to PostgreSQL at {self._shown} stayed busy for "
                    f"{self.wait:g} s (more connections: $CHANCERY_PG_CONNECTIONS)"
                )
            if self._closed:
                raise ChanceryError(f"the store at {self._shown} is closed")
            if self._idle:
                return self._idle.pop()
            self._open += 1
        try:
            return self._connect()
        except BaseException:
            with self._cond:
                self._open -= 1
                self._cond.notify()
            raise

    def _give(self, conn: psycopg.Connection) -> None:
        broken = conn.closed or conn.info.transaction_status != TransactionStatus.IDLE
        with self._cond:
            keep = not broken and not self._closed
            if keep:
                self._idle.append(conn)
            else:
                self._open -= 1
            self._cond.notify()
        if not keep:
            conn.close()
