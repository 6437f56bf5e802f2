"""The SQLite store's connections: a pool shared by threads, the schema, and the writers' turns.

Errors here are ``sqlite3``'s own (a writer that waited too long for its turn raises
``sqlite3.OperationalError`` as SQLite's busy handler would): the store translates them, once.
"""

from __future__ import annotations

import fcntl
import os
import queue
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from documentstore.port import CONTAINERS
from documentstore.sqlite.fair_lock import FairLock
from domain.errors import StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    container TEXT NOT NULL,
    partition_key TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    etag TEXT NOT NULL,
    ts INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (container, partition_key, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS documents_by_position ON documents (container, position);
CREATE TABLE IF NOT EXISTS feed_positions (
    container TEXT PRIMARY KEY,
    last_position INTEGER NOT NULL
);
"""
"""Every container in one table; ``feed_positions`` holds each container's last feed position."""

PAGE_SIZE = 16_384
"""Bytes per page of a new store file (SQLite's default is 4,096). Documents of about a KB, as
the events and views mostly are, overflow a 4 KiB page of this table (whose rows live in its
key's tree: a row's bytes beyond about 1,000 go to pages of their own), so that a 100,000-event
log with one generation of views took 604 MB in 4 KiB pages and 354 MB in 16 KiB pages; and a
commit writes a page per two system calls to the log. A rebuild of those 100,000 events took
10-15 % less time and CPU (8 KiB: no better than 4; 32 and 64 KiB: no better than 16;
docs/performance.md, "Rebuild, round 2")."""

_INCREMENTAL_VACUUM = 2
"""``PRAGMA auto_vacuum``'s answer for a file that frees pages on request."""


def reclaim_space(connection: sqlite3.Connection) -> None:
    """Return the free pages of the file to the file system. A file created before stores were
    made incremental is rewritten once (``VACUUM``), which makes it so."""
    if connection.execute("PRAGMA auto_vacuum").fetchall()[0][0] == _INCREMENTAL_VACUUM:
        connection.executescript("PRAGMA incremental_vacuum;")  # to the end, not one page
    else:
        connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        connection.execute("VACUUM")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def create_schema(connection: sqlite3.Connection) -> None:
    """Create the tables and each container's feed counter if missing (idempotent)."""
    connection.executescript(SCHEMA)
    connection.executemany(
        "INSERT OR IGNORE INTO feed_positions (container, last_position) VALUES (?, 0)",
        [(name,) for name in CONTAINERS],
    )


class ConnectionPool:
    """Connections to one database file (created with its directory if missing), reused
    across threads, and the turns of this process's writers."""

    def __init__(self, path: Path, *, busy_timeout: float) -> None:
        self.path = path
        self._busy_timeout = busy_timeout
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._writers = FairLock()
        self._closed = False
        self._lock_file: int | None = None
        self._lock_file_guard = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """An idle connection or a new one, back to the pool afterwards (rolled back if its
        transaction was left open)."""
        if self._closed:
            raise StoreError("the SQLite store is closed")
        try:
            connection = self._idle.get_nowait()
        except queue.Empty:
            connection = self._connect()
        try:
            yield connection
        finally:
            if connection.in_transaction:
                connection.rollback()
            if self._closed:
                connection.close()
            else:
                self._idle.put(connection)

    @contextmanager
    def writer(self) -> Iterator[sqlite3.Connection]:
        """A connection in this process's writers' turn (``_turn``)."""
        with self.connection() as connection, self._turn():
            yield connection

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's writers one at a time, first come first served: a writer waiting
        longer than the busy timeout gives up as SQLite's busy handler would. Then the
        writers of every process of this machine (the workers of ``campaigns serve
        --workers N``, a ``campaigns follow``) one at a time through an exclusive ``flock`` of
        a file beside the database: the kernel hands it over as soon as it is free, where
        SQLite's busy handler would sleep and poll."""
        if not self._writers.acquire(timeout=self._busy_timeout):
            raise sqlite3.OperationalError(
                f"database is locked (waited {self._busy_timeout:g} s for this process's writers)"
            )
        try:
            lock_file = self._process_lock()
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
        finally:
            self._writers.release()

    def _process_lock(self) -> int:
        """The open lock file shared by the writers of every process (``<file>-writer``)."""
        with self._lock_file_guard:
            if self._lock_file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._lock_file = os.open(
                    self.path.with_name(f"{self.path.name}-writer"), os.O_RDWR | os.O_CREAT, 0o644
                )
            return self._lock_file

    def close(self) -> None:
        """Close the idle connections; those in use close when they come back."""
        self._closed = True
        with self._lock_file_guard:
            if self._lock_file is not None:
                os.close(self._lock_file)
                self._lock_file = None
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        # A new file has pages of ``PAGE_SIZE`` and frees the pages of deleted documents on
        # request (``reclaim_space``); both can only be chosen before the file's first page is
        # written (by the WAL switch): an existing file keeps its own.
        connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        connection.execute("PRAGMA journal_mode = WAL").fetchall()  # to the end, as every read
        connection.execute("PRAGMA synchronous = FULL")
        return connection
