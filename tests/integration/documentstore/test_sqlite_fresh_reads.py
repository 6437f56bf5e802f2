"""A pooled SQLite connection never keeps a read snapshot open after a read: the next read on
it sees what other connections committed since, even when a cursor outlives its call (held by
a traceback, or on an interpreter that does not free it at once)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from documentstore.port import EVENTS, Create, Replace
from documentstore.sqlite import SqliteDocumentStore
from tests.integration.documentstore.connection_classes import store_connecting_with


class _KeepingCursors(sqlite3.Connection):
    """A connection that keeps every cursor it opens alive, as a late collection would."""

    kept: list[sqlite3.Cursor] = []

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        cursor = super().execute(sql, parameters)
        self.kept.append(cursor)
        return cursor


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteDocumentStore]:
    opened = store_connecting_with(_KeepingCursors, tmp_path, monkeypatch)
    yield opened
    opened.close()
    _KeepingCursors.kept.clear()


def test_a_point_read_leaves_no_snapshot_open_on_its_pooled_connection(
    store: SqliteDocumentStore,
) -> None:
    [written] = store.execute_batch(EVENTS, "p", [Create({"id": "a", "partitionKey": "p", "n": 0})])
    assert written is not None
    first = store.read(EVENTS, "p", "a")
    assert first is not None
    assert first["n"] == 0

    store.execute_batch(
        EVENTS,
        "p",
        [Replace({"id": "a", "partitionKey": "p", "n": 1}, if_match=str(written["_etag"]))],
    )

    again = store.read(EVENTS, "p", "a")
    assert again is not None
    assert again["n"] == 1


def test_reads_of_several_documents_leave_no_snapshot_open_either(
    store: SqliteDocumentStore,
) -> None:
    [written] = store.execute_batch(EVENTS, "p", [Create({"id": "a", "partitionKey": "p", "n": 0})])
    assert written is not None
    assert [document["n"] for document in store.read_many(EVENTS, "p", ["a"])] == [0]

    store.execute_batch(
        EVENTS,
        "p",
        [Replace({"id": "a", "partitionKey": "p", "n": 1}, if_match=str(written["_etag"]))],
    )

    assert [document["n"] for document in store.read_many(EVENTS, "p", ["a"])] == [1]
    again = store.read(EVENTS, "p", "a")
    assert again is not None
    assert again["n"] == 1
