"""An online backup of the SQLite store (``campaigns backup DIR``): SQLite's backup API copies
the database as one read transaction saw it, while the service goes on writing (WAL mode lets
writers commit beside a reader), into a new data directory.

The copy is written beside its final name (``.partial``), checked (``PRAGMA quick_check``),
flushed to disk, then renamed, so a data directory never holds half a backup. An existing
database in the directory is never overwritten.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from domain.errors import OperationFailed

PARTIAL_SUFFIX = ".partial"


def back_up(source: sqlite3.Connection, file_name: str, directory: Path) -> Path:
    """Copy the database ``source`` is connected to into ``directory/file_name``; returns that
    path. ``OperationFailed`` when the directory holds a database already or the copy is
    unsound."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / file_name
    if target.exists():
        raise OperationFailed(f"{target} exists: a backup goes into a new data directory")
    partial = directory / f"{file_name}{PARTIAL_SUFFIX}"
    partial.unlink(missing_ok=True)
    copy = sqlite3.connect(partial, isolation_level=None)
    try:
        source.backup(copy)  # one step: one consistent read of the whole database
        verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise OperationFailed(f"the backup did not check out: {verdict}")
        copy.execute("PRAGMA journal_mode = WAL")
        copy.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        copy.close()
    _flush(partial)
    os.replace(partial, target)
    _flush(directory)
    return target


def _flush(path: Path) -> None:
    """fsync a file or a directory (the rename), so the backup survives a power cut."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
