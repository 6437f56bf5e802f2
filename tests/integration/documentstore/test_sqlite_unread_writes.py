"""A rebuild's unread writes commit without waiting for the disk (``bulk.write_unchecked``),
and leave every pooled connection as durable as before for the writes that follow; a
checkpoint (``bulk.checkpoint``, the rebuild's coordinator's) keeps their log short."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from documentstore.port import VIEWS, Create
from documentstore.sqlite import SqliteDocumentStore, bulk
from tests.integration.documentstore.connection_classes import store_connecting_with

_FULL = 2


class _RecordingConnection(sqlite3.Connection):
    """A connection that remembers every statement it was given, in order."""

    statements: list[str] = []

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self.statements.append(sql)
        return super().execute(sql, parameters)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteDocumentStore]:
    _RecordingConnection.statements = []
    opened = store_connecting_with(_RecordingConnection, tmp_path, monkeypatch)
    yield opened
    opened.close()


def _view(number: int) -> Create:
    return Create({"id": f"v{number}", "partitionKey": "c1", "body": {"n": number}})


def test_an_unread_batch_commits_at_normal_sync_and_restores_full_sync_after(
    store: SqliteDocumentStore,
) -> None:
    _RecordingConnection.statements.clear()

    result = store.execute_unread_batches(VIEWS, [("c1", [_view(1), _view(2)])])

    assert result.error is None
    statements = _RecordingConnection.statements
    relaxed = statements.index("PRAGMA synchronous = NORMAL")
    begun = statements.index("BEGIN IMMEDIATE")
    committed = statements.index("COMMIT")
    restored = statements.index("PRAGMA synchronous = FULL", committed)
    assert relaxed < begun < committed < restored
    with store._pool.connection() as connection:  # as the next write will find it
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == _FULL
        assert connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000


def test_a_checked_batch_after_unread_ones_commits_at_full_sync(
    store: SqliteDocumentStore,
) -> None:
    store.execute_unread_batches(VIEWS, [("c1", [_view(1)])])
    _RecordingConnection.statements.clear()

    result = store.execute_batches(VIEWS, [("c1", [_view(2)])])

    assert result.error is None
    assert not any("synchronous" in sql for sql in _RecordingConnection.statements)
    assert store.read(VIEWS, "c1", "v1") is not None
    assert store.read(VIEWS, "c1", "v2") is not None


def _log_bytes(store: SqliteDocumentStore) -> int:
    return store.path.with_name(store.path.name + "-wal").stat().st_size


def _write_views(store: SqliteDocumentStore, first: int, count: int) -> None:
    for start in range(first, first + count, 50):
        batch = [
            Create({"id": f"v{n}", "partitionKey": f"c{n}", "text": "x" * 2_000})
            for n in range(start, start + 50)
        ]
        store.execute_unread_batches(
            VIEWS, [(str(op.document["partitionKey"]), [op]) for op in batch]
        )


def test_a_checkpoint_starts_a_long_log_over_once_its_readers_are_done(
    store: SqliteDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "RESTART_PAGES", 20)
    _write_views(store, 0, 200)
    grown = _log_bytes(store)
    reader = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM documents").fetchall()  # a snapshot in the log
    finished = threading.Timer(0.3, reader.execute, ["COMMIT"])
    finished.start()

    store.checkpoint()
    _write_views(store, 200, 200)

    finished.join()
    reader.close()
    assert _log_bytes(store) == grown, "the log was written again from its start"
    assert store.read(VIEWS, "c0", "v0") is not None
    assert store.read(VIEWS, "c399", "v399") is not None


def test_without_a_checkpoint_a_rebuild_s_log_keeps_growing(store: SqliteDocumentStore) -> None:
    _write_views(store, 0, 200)
    grown = _log_bytes(store)

    _write_views(store, 200, 200)

    assert _log_bytes(store) > grown
