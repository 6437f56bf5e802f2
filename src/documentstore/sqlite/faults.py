"""SQLite's errors in the domain's terms: the SQLite store translates every one here, once."""

from __future__ import annotations

import sqlite3

from domain.errors import StoreError, StoreUnavailable


def translate_error(error: sqlite3.Error, what: str) -> StoreError:
    """The domain error for a SQLite error: busy/locked is transient, the rest is not."""
    message = str(error)
    if isinstance(error, sqlite3.OperationalError):
        if "locked" in message or "busy" in message:
            return StoreUnavailable(f"SQLite {what}: {message}", retry_after=1.0)
        if "no such table" in message:
            return StoreError(f"SQLite {what}: the store is not initialised ({message})")
    return StoreError(f"SQLite {what} failed: {message}")
