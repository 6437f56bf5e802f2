"""A SQLite store whose every connection is of a class a test chooses, to watch what the store
does on its connections (statements given, cursors kept)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from documentstore.sqlite import SqliteDocumentStore
from documentstore.sqlite import connections as connections_module


def store_connecting_with(
    factory: type[sqlite3.Connection], directory: Path, monkeypatch: pytest.MonkeyPatch
) -> SqliteDocumentStore:
    """A new store in ``directory``, initialised, its connections made by ``factory``."""
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return real_connect(*args, factory=factory, **kwargs)

    monkeypatch.setattr(connections_module.sqlite3, "connect", connect)
    store = SqliteDocumentStore(directory / "ledger.sqlite3")
    store.initialise()
    return store
