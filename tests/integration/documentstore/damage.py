"""Embedded stores damaged the ways a disk, a crash or an operator damages them, for the tests of
the start-up check (``documentstore.sqlite.integrity``)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

from documentstore.port import EVENTS, Create
from documentstore.sqlite import SqliteDocumentStore

STORE_FILE = "ledger.sqlite3"


PARTITIONS = 7


def write_documents(store: SqliteDocumentStore, count: int = 300) -> None:
    """``count`` documents ``d<n>`` of half a kilobyte in partition ``p<n % 7>``, a batch of
    up to 50 per partition at a time."""
    batches: dict[str, list[Create]] = {}
    for number in range(count):
        partition = f"p{number % PARTITIONS}"
        document = {"id": f"d{number}", "partitionKey": partition, "body": "x" * 500}
        batches.setdefault(partition, []).append(Create(document))
    for partition, creates in batches.items():
        for start in range(0, len(creates), 50):
            store.execute_batch(EVENTS, partition, creates[start : start + 50])


def healthy_store(data_dir: Path) -> Path:
    """A closed store with a few hundred documents (all in the main file)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteDocumentStore(data_dir / STORE_FILE)
    store.initialise()
    write_documents(store)
    store.close()
    return data_dir / STORE_FILE


def crashed_store(data_dir: Path) -> Path:
    """The files of a store whose process died with transactions only in its write-ahead log:
    copied while the store is still open."""
    live_dir = data_dir.with_name(data_dir.name + "-live")
    live_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteDocumentStore(live_dir / STORE_FILE)
    store.initialise()
    write_documents(store, 50)
    data_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        shutil.copyfile(live_dir / (STORE_FILE + suffix), data_dir / (STORE_FILE + suffix))
    store.close()
    return data_dir / STORE_FILE


def emptied(data_dir: Path) -> Path:
    path = healthy_store(data_dir)
    path.write_bytes(b"")
    return path


def log_removed_after_a_crash(data_dir: Path) -> Path:
    path = crashed_store(data_dir)
    path.with_name(STORE_FILE + "-wal").unlink()
    return path


def pages_overwritten(data_dir: Path) -> Path:
    path = healthy_store(data_dir)
    with path.open("r+b") as file:
        page_size = int.from_bytes(file.read(18)[16:18], "big")  # the file header says it
        file.seek(page_size * 2)
        file.write(b"\xa5" * 3000)
    return path


def header_overwritten(data_dir: Path) -> Path:
    path = healthy_store(data_dir)
    with path.open("r+b") as file:
        file.write(b"not a database at all" * 4)
    return path


def tables_missing(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / STORE_FILE
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    connection.close()
    return path


DAMAGES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "emptied file": (emptied, "is empty"),
    "write-ahead log removed after a crash": (log_removed_after_a_crash, "write-ahead log"),
    "pages overwritten": (pages_overwritten, "is damaged"),
    "header overwritten": (header_overwritten, "not a database"),
    "tables missing": (tables_missing, "lacks the store's tables"),
}
"""Each damage: how to make it, and what the refusal says."""
