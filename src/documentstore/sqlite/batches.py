"""Applying batches to the SQLite store inside a transaction (``documentstore.sqlite.
group_commit`` opens and commits it): a savepoint per caller and per batch, each operation
checked against the documents as the earlier ones leave them.

Runs on a connection in this process's writers' turn; ``sqlite3`` errors pass through to the
store, which translates them.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Sequence

from documentstore.port import Create, Delete, Document, Operation, Replace, without_system_fields
from domain.errors import DocumentConflict, DocumentNotFound, EtagMismatch, OperationRefused

UPSERT_ROW = (
    "INSERT INTO documents (container, partition_key, id, body, etag, ts, position) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (container, partition_key, id) DO UPDATE SET "
    "body = excluded.body, etag = excluded.etag, ts = excluded.ts, "
    "position = excluded.position"
)
"""A document row written whole: ``(container, partition_key, id, body, etag, ts, position)``."""
Prepared = tuple[Operation, str | None, str]
"""An operation, its document's stored JSON (None for deletes) and the etag it will have."""


def prepare(operation: Operation, etag: str | None = None) -> Prepared:
    """The operation and its document's stored JSON, encoded up front, with the etag its write
    will have (chosen now, so that a batch can tell what it will write before it is applied:
    ``written``; a new uuid unless given); a document JSON cannot hold (NaN, an infinity) is a
    ValueError."""
    etag = str(uuid.uuid4()) if etag is None else etag
    if isinstance(operation, Delete):
        return operation, None, etag
    encoded = operation.stored_json
    if not encoded.strict:
        raise ValueError("Out of range float values are not JSON compliant")
    return operation, encoded.text, etag


def written(prepared: Sequence[Prepared]) -> list[Document | None]:
    """What a batch of these operations answers once applied (their ``_ts`` is now's)."""
    ts = int(time.time())
    return [
        None if isinstance(operation, Delete) else _written(operation.document, etag, ts)
        for operation, _, etag in prepared
    ]


def apply_request(
    connection: sqlite3.Connection,
    container: str,
    prepared: Sequence[tuple[str, Sequence[Prepared]]],
) -> tuple[list[list[Document | None]], OperationRefused | None]:
    """One caller's batches inside the open transaction, behind a savepoint of their own: the
    results of the batches applied and the refusal that stopped them, if any (the caller
    raises it after the commit).

    A refused batch is rolled back to its own savepoint and those before it stay (a refused
    lone batch thus leaves nothing); any other error is raised with the transaction left for
    the caller to roll back.
    """
    results: list[list[Document | None]] = []
    connection.execute("SAVEPOINT request")
    for partition_key, operations in prepared:
        if not operations:
            results.append([])
            continue
        connection.execute("SAVEPOINT batch")
        try:
            results.append(apply_batch(connection, container, partition_key, operations))
        except OperationRefused as refusal:
            connection.execute("ROLLBACK TO batch")
            connection.execute("RELEASE batch")
            connection.execute("RELEASE request")
            return results, refusal
        connection.execute("RELEASE batch")
    connection.execute("RELEASE request")
    return results, None


def apply_batch(
    connection: sqlite3.Connection,
    container: str,
    partition_key: str,
    prepared: Sequence[Prepared],
) -> list[Document | None]:
    """Check every operation against the documents as the earlier ones leave them, then write
    the outcome: each document written moves to the container's next feed position, in the
    order of the operations (one counter update for the batch)."""
    ids = [
        operation.id if isinstance(operation, Delete) else str(operation.document["id"])
        for operation, _, _ in prepared
    ]
    current = _current_etags(connection, container, partition_key, ids)
    writes = sum(1 for operation, _, _ in prepared if not isinstance(operation, Delete))
    position = 0
    if writes:
        [(last,)] = connection.execute(
            "UPDATE feed_positions SET last_position = last_position + ? WHERE container = ? "
            "RETURNING last_position",
            (writes, container),
        ).fetchall()  # to the end: no statement left open on the connection
        position = last - writes
    ts = int(time.time())
    outcome: dict[str, tuple[str, str, int] | None] = {}
    results: list[Document | None] = []
    for index, ((operation, body, etag), document_id) in enumerate(zip(prepared, ids, strict=True)):
        current_etag = current[document_id]
        if_match = None if isinstance(operation, Create) else operation.if_match
        if isinstance(operation, Create) and current_etag is not None:
            raise DocumentConflict(
                f"document {document_id!r} already exists", operation_index=index
            )
        if isinstance(operation, Replace | Delete) and current_etag is None:
            raise DocumentNotFound(
                f"document {document_id!r} does not exist", operation_index=index
            )
        if if_match is not None and current_etag is not None and if_match != current_etag:
            raise EtagMismatch(
                f"document {document_id!r} changed since etag {if_match}", operation_index=index
            )
        if isinstance(operation, Delete):
            current[document_id] = None
            outcome[document_id] = None
            results.append(None)
            continue
        assert body is not None
        position += 1
        current[document_id] = etag
        outcome[document_id] = (body, etag, position)
        results.append(_written(operation.document, etag, ts))
    deleted = [(container, partition_key, key) for key, row in outcome.items() if row is None]
    if deleted:
        connection.executemany(
            "DELETE FROM documents WHERE container = ? AND partition_key = ? AND id = ?", deleted
        )
    stored = [
        (container, partition_key, key, body, etag, ts, position)
        for key, row in outcome.items()
        if row is not None
        for body, etag, position in [row]
    ]
    if stored:
        connection.executemany(
            UPSERT_ROW,
            stored,
        )
    return results


def _current_etags(
    connection: sqlite3.Connection, container: str, partition_key: str, ids: Sequence[str]
) -> dict[str, str | None]:
    """The etag of each id (None: no such document), one query for the whole batch."""
    unique = list(dict.fromkeys(ids))
    current: dict[str, str | None] = dict.fromkeys(unique)
    marks = ", ".join("?" * len(unique))
    for document_id, etag in connection.execute(
        "SELECT id, etag FROM documents WHERE container = ? AND partition_key = ? "
        f"AND id IN ({marks})",
        (container, partition_key, *unique),
    ):
        current[document_id] = etag
    return current


def _written(document: Document, etag: str, ts: int) -> Document:
    """The document a write stored, as a read would give it, without decoding what was
    encoded: a new top-level dict (nested values are the caller's)."""
    written = without_system_fields(document)
    written["_etag"] = etag
    written["_ts"] = ts
    return written
