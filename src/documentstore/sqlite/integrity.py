"""The embedded store's start-up check: the file must be a whole Campaign Ledger store, or the
service does not start (``StoreDamaged``, one sentence saying what is wrong and what to do).

A store that lost data must not start as if nothing happened: SQLite would open an emptied file
as a new, empty database (and the service would create its tables again over the loss), and a
write-ahead log removed after a crash takes the last transactions with it silently. Checked,
before the store is opened:

- the file, if it exists, is not empty (a store this service created is never empty: SQLite
  writes its header when the write-ahead log is switched on);
- the write-ahead log's index (``-shm``) is not left without its log (``-wal``): after a clean
  shutdown SQLite removes both, after a crash it keeps both; an index alone means the log,
  and the transactions in it, were removed;
- SQLite reads the file as a database, and ``PRAGMA quick_check`` (``LEDGER_INTEGRITY_CHECK=
  quick``, the default) or ``integrity_check`` (``full``) finds its pages consistent;
- the store's tables are there.

A missing file is a new store, created by the service as before.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

from domain.errors import StoreDamaged

CheckLevel = Literal["quick", "full", "off"]
TABLES = ("documents", "feed_positions")
_PRAGMA = {"quick": "PRAGMA quick_check", "full": "PRAGMA integrity_check"}
_SHOWN_FINDING = 160
_RESTORE = "restore it from a backup, or move it away to start an empty store"


def companion(path: Path, suffix: str) -> Path:
    """SQLite's ``-wal`` or ``-shm`` file of the database at ``path``."""
    return path.with_name(path.name + suffix)


def check_store_file(path: Path, level: CheckLevel = "quick") -> None:
    """Raise ``StoreDamaged`` unless the file at ``path`` is absent (a new store) or a whole
    store (see the module docstring)."""
    if level == "off":
        return
    wal, index = companion(path, "-wal"), companion(path, "-shm")
    if not path.exists():
        if wal.exists():
            raise StoreDamaged(
                f"The store file {path} is missing but its write-ahead log is not; {_RESTORE}."
            )
        return
    if path.stat().st_size == 0:
        raise StoreDamaged(f"The store file {path} is empty: its data is lost; {_RESTORE}.")
    if index.exists() and index.stat().st_size > 0 and not wal.exists():
        raise StoreDamaged(
            f"The write-ahead log of {path} was removed after an unclean shutdown, and the "
            f"transactions in it with it; {_RESTORE}."
        )
    try:
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    except sqlite3.Error as error:
        raise StoreDamaged(f"The store file {path} cannot be opened ({error}); {_RESTORE}.") from (
            None
        )
    try:
        findings = [row[0] for row in connection.execute(_PRAGMA[level]).fetchall()]
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    except sqlite3.Error as error:
        raise StoreDamaged(f"The store file {path} is damaged ({error}); {_RESTORE}.") from None
    finally:
        connection.close()
    if findings != ["ok"]:
        first = " ".join(str(findings[0]).split())[:_SHOWN_FINDING] if findings else "no answer"
        raise StoreDamaged(f"The store file {path} is damaged ({first}); {_RESTORE}.")
    missing = [table for table in TABLES if table not in tables]
    if missing:
        raise StoreDamaged(
            f"The store file {path} lacks the store's tables ({', '.join(missing)}): its data "
            f"is lost or it is not a Campaign Ledger store; {_RESTORE}."
        )
