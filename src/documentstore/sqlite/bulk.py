"""Statements of the SQLite store that touch many documents at once, outside the port's
batches: removing a retired projection generation (``DocumentStore.delete_id_range``),
writing a generation nobody reads yet (``DocumentStore.execute_unread_batches``) and
checkpointing the log alongside those writes (``DocumentStore.checkpoint``)."""

from __future__ import annotations

import itertools
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from documentstore.port import Delete
from documentstore.sqlite.batches import UPSERT_ROW, Prepared
from documentstore.sqlite.connections import ConnectionPool


def delete_id_range(
    connection: sqlite3.Connection,
    container: str,
    partition_keys: Sequence[str],
    id_gt: str,
    id_lte: str,
) -> int:
    """Delete an id range in each partition, one statement each, in one transaction; how many
    rows went. Deleted documents leave the change feed (as a batch's deletes do).

    ``secure_delete`` is ``FAST`` meanwhile (SQLite zeroes deleted content only where that costs
    no extra write): zeroing every freed page of a retired generation, copies of views the live
    one holds, took 5 times the delete itself. The connection's setting is restored after; the
    log is then checkpointed and truncated, so that it does not keep the deleted rows' pages."""
    (secure,) = connection.execute("PRAGMA secure_delete").fetchone()
    connection.execute("PRAGMA secure_delete = FAST")
    try:
        connection.execute("BEGIN IMMEDIATE")
        try:
            before = connection.total_changes
            connection.executemany(
                "DELETE FROM documents WHERE container = ? AND partition_key = ? AND id > ? "
                "AND id <= ?",
                [(container, partition_key, id_gt, id_lte) for partition_key in partition_keys],
            )
            removed = connection.total_changes - before
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
    finally:
        connection.execute(f"PRAGMA secure_delete = {'FAST' if secure == 2 else int(secure)}")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    return removed


CHECKPOINT_PAGES = 1_000
"""SQLite's default: a commit that leaves more pages than this in the log checkpoints it."""

UNREAD_CHECKPOINT_PAGES = 8_192
"""The same for unread writes (a rebuild's generation), as a bound only: with replay workers,
the rebuild's coordinator checkpoints the log while they write (``checkpoint``), so that no
worker checkpoints while it holds the write lock (each waited about 0.3 s for the other's
checkpoints before); a one-process rebuild checkpoints every 8,192 pages (128 MiB of 16 KiB)."""

RESTART_PAGES = 2_048
"""Pages in the log past which ``checkpoint``, having copied them all into the file, starts the
log over (about 32 MiB: otherwise readers, always some during a replay, keep SQLite from
starting it over, and it grew to 200 MB)."""


def checkpoint(pool: ConnectionPool) -> None:
    """Copy the log's committed pages into the file without waiting for any writer or reader
    (``PASSIVE``: the writers go on meanwhile); once it holds ``RESTART_PAGES`` pages, all of
    them copied, start it over in the writers' turn (``RESTART``: the pages written since the
    copy only, and the file synced once)."""
    with pool.connection() as connection:
        _, pages, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    if pages >= RESTART_PAGES and copied == pages:
        with pool.writer() as connection:
            connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()


def unread_etags() -> Iterator[str]:
    """Etags for one call's unread writes: one new uuid with each write's number after it, so
    each is new (as a uuid each would be) at the cost of one uuid per call."""
    base = str(uuid.uuid4())
    return (f"{base}.{number}" for number in itertools.count(1))


@dataclass(frozen=True)
class UnreadRows:
    """What one call's unread writes leave, each document as the last operation on it leaves
    it, in the order of those last operations: the rows ``written`` (``((partition key, id),
    (text, etag))``) and the rows ``deleted`` (``(container, partition key, id)``). Worked out
    before the writer's turn (``unread_rows``), so that the turn holds the write only."""

    written: list[tuple[tuple[str, str], tuple[str, str]]]
    deleted: list[tuple[str, str, str]]


def unread_rows(container: str, batches: Sequence[tuple[str, Sequence[Prepared]]]) -> UnreadRows:
    """The rows the batches' operations leave (``UnreadRows``)."""
    final: dict[tuple[str, str], tuple[str, str] | None] = {}
    for partition_key, operations in batches:
        for operation, body, etag in operations:
            document_id = (
                operation.id if isinstance(operation, Delete) else str(operation.document["id"])
            )
            final.pop((partition_key, document_id), None)  # its place: the last operation's
            final[(partition_key, document_id)] = None if body is None else (body, etag)
    return UnreadRows(
        written=[(key, row) for key, row in final.items() if row is not None],
        deleted=[(container, *key) for key, row in final.items() if row is None],
    )


def write_unchecked(connection: sqlite3.Connection, container: str, rows: UnreadRows) -> None:
    """The rows of one call of unread writes in one transaction, unchecked against the stored
    documents: a written row is an upsert of its already encoded text, a deleted one is
    removed, the written rows moved to the container's next feed positions in order (one
    counter update for the call), as ``batches.apply_batch`` does for the checked path;
    nothing is decoded or read back.

    The commit does not wait for the disk (``synchronous = NORMAL`` for this transaction, and
    larger checkpoints: ``UNREAD_CHECKPOINT_PAGES``; the connection's settings restored after):
    in WAL mode a crash of the machine may lose such a commit but never leaves the file
    inconsistent, and the next ``FULL`` commit of any connection syncs the log, and with it
    every commit written before it (the rebuild's partial sums and switch). In a 100,000-event
    rebuild each of two workers waited about 1.6 s in some 200 syncs (commits and
    checkpoints), a quarter of the replay; now 15-20 syncs, 0.2-0.5 s."""
    ts = int(time.time())
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(f"PRAGMA wal_autocheckpoint = {UNREAD_CHECKPOINT_PAGES}")
    try:
        _write_rows(connection, container, rows.written, rows.deleted, ts)
    finally:
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")


def _write_rows(
    connection: sqlite3.Connection,
    container: str,
    written: list[tuple[tuple[str, str], tuple[str, str]]],
    deleted: list[tuple[str, str, str]],
    ts: int,
) -> None:
    connection.execute("BEGIN IMMEDIATE")
    try:
        position = 0
        if written:
            (last,) = connection.execute(
                "UPDATE feed_positions SET last_position = last_position + ? "
                "WHERE container = ? RETURNING last_position",
                (len(written), container),
            ).fetchone()
            position = last - len(written)
        if deleted:
            connection.executemany(
                "DELETE FROM documents WHERE container = ? AND partition_key = ? AND id = ?",
                deleted,
            )
        connection.executemany(
            UPSERT_ROW,
            [
                (container, partition_key, document_id, body, etag, ts, at)
                for at, ((partition_key, document_id), (body, etag)) in enumerate(
                    written, start=position + 1
                )
            ],
        )
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
