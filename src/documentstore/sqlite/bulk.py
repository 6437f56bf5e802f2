"""Statements of the SQLite store that touch many documents at once, outside the port's
batches: removing a retired projection generation (``DocumentStore.delete_id_range``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence


def delete_id_range(
    connection: sqlite3.Connection,
    container: str,
    partition_keys: Sequence[str],
    id_gt: str,
    id_lte: str,
) -> int:
    """Delete an id range in each partition, one statement each, in one transaction; how many
    rows went. Deleted documents leave the change feed (as a batch's deletes do)."""
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
    return removed
