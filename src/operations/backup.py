"""``campaigns backup DIR``: a consistent online copy of the embedded store into a new data
directory (``LEDGER_DATA_DIR=DIR campaigns serve`` opens it). Only a store that can copy
itself while it serves offers it (the SQLite store); Cosmos DB has its own backups."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from documentstore.port import DocumentStore
from domain.errors import OperationFailed


@runtime_checkable
class OnlineBackup(Protocol):
    """A store that copies itself, consistently, while writers go on."""

    def backup_into(self, directory: Path) -> Path:
        """The copy's database file in ``directory`` (never overwriting one)."""
        ...


def take_backup(store: DocumentStore, directory: Path) -> Path:
    """Back ``store`` up into ``directory``; ``OperationFailed`` for a store that cannot."""
    if not isinstance(store, OnlineBackup):
        raise OperationFailed(
            f"campaigns backup copies the embedded store; this one is {store.kind} (Cosmos DB "
            "keeps its own backups: periodic or continuous, see the README)"
        )
    return store.backup_into(directory)
