"""SQLite adapter of the document-store port: the embedded default.

One database file holds every container in one table. WAL mode lets readers run beside the one
writer; each batch is one ``BEGIN IMMEDIATE`` transaction, so it applies entirely or not at all,
and writers queue on SQLite's busy timeout. Connections come from a small pool, so the HTTP
service and the change-feed processor can share one store across threads.

The change feed of a container is a sequence number (``position``) that every write of a
document moves to the container's next value: a document written twice appears once, at its
latest position, and a reader resumes after the position its continuation names. The whole
container is one feed range.
"""

from __future__ import annotations

import base64
import binascii
import json
import queue
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from documentstore.backoff import RetryPolicy
from documentstore.port import (
    CONTAINERS,
    Create,
    Delete,
    Document,
    DocumentStore,
    FeedPage,
    JsonScalar,
    Operation,
    Page,
    Query,
    Replace,
    check_batch,
    check_field_name,
    without_system_fields,
)
from domain.errors import (
    DocumentConflict,
    DocumentNotFound,
    EtagMismatch,
    InvalidInput,
    StoreError,
    StoreUnavailable,
)

Result = TypeVar("Result")

FEED_RANGE = "all"
"""The one feed range of every SQLite container."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    container TEXT NOT NULL,
    partition_key TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    etag TEXT NOT NULL,
    ts INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (container, partition_key, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS documents_by_position ON documents (container, position);
CREATE TABLE IF NOT EXISTS feed_positions (
    container TEXT PRIMARY KEY,
    last_position INTEGER NOT NULL
);
"""


class SqliteDocumentStore(DocumentStore):
    """The port on one SQLite file (created with its directory if missing)."""

    kind = "sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout: float = 30.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.path = Path(path)
        self._busy_timeout = busy_timeout
        self._retry = retry or RetryPolicy(attempts=3, initial_delay=0.05, max_delay=0.5)
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._initialised = False

    # --- the port -------------------------------------------------------------------------

    def initialise(self) -> None:
        with self._lock:
            if self._initialised:
                return

            def create_schema() -> None:
                with self._connection() as connection:
                    connection.executescript(_SCHEMA)
                    connection.executemany(
                        "INSERT OR IGNORE INTO feed_positions (container, last_position) "
                        "VALUES (?, 0)",
                        [(name,) for name in CONTAINERS],
                    )

            self._run(create_schema, what="initialise")
            self._initialised = True

    def read(self, container: str, partition_key: str, document_id: str) -> Document | None:
        _check_container(container)

        def read_row() -> Document | None:
            with self._connection() as connection:
                row = connection.execute(
                    "SELECT body, etag, ts FROM documents "
                    "WHERE container = ? AND partition_key = ? AND id = ?",
                    (container, partition_key, document_id),
                ).fetchone()
            return None if row is None else _document(*row)

        return self._run(read_row, what="read")

    def query(
        self,
        container: str,
        query: Query,
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        _check_container(container)
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        keys = _sort_keys(query)
        position = _QueryPosition.parse(continuation, len(keys), query.limit)
        remaining = position.remaining
        if remaining is not None and remaining <= 0:
            return Page(items=[], continuation=None)
        wanted = page_size if remaining is None else min(page_size, remaining)

        where, parameters = _filters(container, query)
        if position.after is not None:
            clause, values = _after(keys, position.after)
            where.append(clause)
            parameters.extend(values)
        order = ", ".join(
            f"{_expression(name)} {'DESC' if descending else 'ASC'}" for name, descending in keys
        )
        selected = ", ".join(_expression(name) for name, _ in keys)
        sql = (
            f"SELECT body, etag, ts, {selected} FROM documents WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT ?"
        )
        parameters.append(wanted + 1)

        def select_page() -> list[tuple[Any, ...]]:
            with self._connection() as connection:
                return list(connection.execute(sql, parameters).fetchall())

        rows = self._run(select_page, what="query")
        more = len(rows) > wanted
        rows = rows[:wanted]
        items = [_document(body, etag, ts) for body, etag, ts, *_ in rows]
        left = None if remaining is None else remaining - len(items)
        if not more or not rows or (left is not None and left <= 0):
            return Page(items=items, continuation=None)
        last_keys = list(rows[-1][3:])
        return Page(items=items, continuation=_QueryPosition(last_keys, left).token())

    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        check_batch(container, partition_key, operations)
        if not operations:
            return []
        prepared = [_prepare(operation) for operation in operations]

        def apply_all() -> list[Document | None]:
            with self._connection() as connection:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    results = [
                        _apply(
                            connection,
                            container=container,
                            partition_key=partition_key,
                            index=index,
                            operation=operation,
                            body=body,
                        )
                        for index, (operation, body) in enumerate(prepared)
                    ]
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
                return results

        return self._run(apply_all, what="batch")

    def feed_ranges(self, container: str) -> list[str]:
        _check_container(container)
        return [FEED_RANGE]

    def read_feed(
        self,
        container: str,
        feed_range: str,
        continuation: str | None,
        *,
        max_items: int = 100,
    ) -> FeedPage:
        _check_container(container)
        if feed_range != FEED_RANGE:
            raise ValueError(f"unknown feed range {feed_range!r}; SQLite has only {FEED_RANGE!r}")
        after = _feed_position(continuation)

        def select_changes() -> list[tuple[Any, ...]]:
            with self._connection() as connection:
                return list(
                    connection.execute(
                        "SELECT body, etag, ts, position FROM documents "
                        "WHERE container = ? AND position > ? ORDER BY position LIMIT ?",
                        (container, after, max_items),
                    ).fetchall()
                )

        rows = self._run(select_changes, what="read feed")
        items = [_document(body, etag, ts) for body, etag, ts, _ in rows]
        last = rows[-1][3] if rows else after
        return FeedPage(items=items, continuation=str(last))

    def close(self) -> None:
        with self._lock:
            self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    # --- connections and errors -----------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        return connection

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise StoreError("the SQLite store is closed")
        try:
            connection = self._idle.get_nowait()
        except queue.Empty:
            connection = self._connect()
        try:
            yield connection
        finally:
            if connection.in_transaction:
                connection.rollback()
            if self._closed:
                connection.close()
            else:
                self._idle.put(connection)

    def _run(self, action: Callable[[], Result], *, what: str) -> Result:
        def translated() -> Result:
            try:
                return action()
            except sqlite3.Error as error:
                raise _translate(error, what) from error

        return self._retry.run(translated, what=what)


def _translate(error: sqlite3.Error, what: str) -> StoreError:
    """The domain error for a SQLite error: busy/locked is transient, the rest is not."""
    message = str(error)
    if isinstance(error, sqlite3.OperationalError):
        if "locked" in message or "busy" in message:
            return StoreUnavailable(f"SQLite {what}: {message}", retry_after=1.0)
        if "no such table" in message:
            return StoreError(f"SQLite {what}: the store is not initialised ({message})")
    return StoreError(f"SQLite {what} failed: {message}")


def _check_container(container: str) -> None:
    if container not in CONTAINERS:
        raise ValueError(f"unknown container {container!r}")


# --- documents ---------------------------------------------------------------------------


def _document(body: str, etag: str, ts: int) -> Document:
    document: Document = json.loads(body)
    document["_etag"] = etag
    document["_ts"] = ts
    return document


def _prepare(operation: Operation) -> tuple[Operation, str | None]:
    """The operation and its document's stored JSON (None for deletes), encoded up front."""
    if isinstance(operation, Delete):
        return operation, None
    body = json.dumps(
        without_system_fields(operation.document),
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return operation, body


def _apply(
    connection: sqlite3.Connection,
    *,
    container: str,
    partition_key: str,
    index: int,
    operation: Operation,
    body: str | None,
) -> Document | None:
    document_id = operation.id if isinstance(operation, Delete) else operation.document["id"]
    row = connection.execute(
        "SELECT etag FROM documents WHERE container = ? AND partition_key = ? AND id = ?",
        (container, partition_key, document_id),
    ).fetchone()
    current_etag: str | None = None if row is None else row[0]
    if_match = None if isinstance(operation, Create) else operation.if_match

    if isinstance(operation, Create) and current_etag is not None:
        raise DocumentConflict(f"document {document_id!r} already exists", operation_index=index)
    if isinstance(operation, Replace | Delete) and current_etag is None:
        raise DocumentNotFound(f"document {document_id!r} does not exist", operation_index=index)
    if if_match is not None and current_etag is not None and if_match != current_etag:
        raise EtagMismatch(
            f"document {document_id!r} changed since etag {if_match}", operation_index=index
        )

    if isinstance(operation, Delete):
        connection.execute(
            "DELETE FROM documents WHERE container = ? AND partition_key = ? AND id = ?",
            (container, partition_key, document_id),
        )
        return None

    assert body is not None
    etag = str(uuid.uuid4())
    ts = int(time.time())
    (position,) = connection.execute(
        "UPDATE feed_positions SET last_position = last_position + 1 WHERE container = ? "
        "RETURNING last_position",
        (container,),
    ).fetchone()
    connection.execute(
        "INSERT INTO documents (container, partition_key, id, body, etag, ts, position) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (container, partition_key, id) DO UPDATE SET "
        "body = excluded.body, etag = excluded.etag, ts = excluded.ts, "
        "position = excluded.position",
        (container, partition_key, document_id, body, etag, ts, position),
    )
    return _document(body, etag, ts)


# --- queries -----------------------------------------------------------------------------


def _expression(name: str) -> str:
    """The SQL expression of a top-level field (``id`` is a column)."""
    if name == "id":
        return "id"
    return f"json_extract(body, '$.\"{check_field_name(name)}\"')"


def _json_type(name: str) -> str:
    return f"json_type(body, '$.\"{check_field_name(name)}\"')"


def _filters(container: str, query: Query) -> tuple[list[str], list[Any]]:
    where = ["container = ?", "partition_key = ?"]
    parameters: list[Any] = [container, query.partition_key]
    for name, value in query.equals.items():
        clause, values = _equals(name, value)
        where.append(clause)
        parameters.extend(values)
    if query.id_gt is not None:
        where.append("id > ?")
        parameters.append(query.id_gt)
    if query.id_lte is not None:
        where.append("id <= ?")
        parameters.append(query.id_lte)
    return where, parameters


def _equals(name: str, value: JsonScalar) -> tuple[str, list[Any]]:
    """Cosmos DB equality: the JSON type must match too (true is not 1, null is not absent)."""
    if name == "id":
        return "id = ?", [value]
    kind = _json_type(name)
    if value is None:
        return f"{kind} = 'null'", []
    if isinstance(value, bool):
        return f"{kind} = '{'true' if value else 'false'}'", []
    if isinstance(value, str):
        return f"({kind} = 'text' AND {_expression(name)} = ?)", [value]
    return f"({kind} IN ('integer', 'real') AND {_expression(name)} = ?)", [value]


def _sort_keys(query: Query) -> list[tuple[str, bool]]:
    """The query's order, made total by ``id`` (unique within a partition) when it lacks it."""
    keys = [(check_field_name(name), descending) for name, descending in query.order_by]
    if all(name != "id" for name, _ in keys):
        keys.append(("id", False))
    return keys


def _after(keys: list[tuple[str, bool]], last: list[Any]) -> tuple[str, list[Any]]:
    """Rows strictly after ``last`` in the order of ``keys`` (NULLs first ascending)."""
    alternatives: list[str] = []
    parameters: list[Any] = []
    for position, (name, descending) in enumerate(keys):
        terms: list[str] = []
        values: list[Any] = []
        for earlier_index in range(position):
            terms.append(f"{_expression(keys[earlier_index][0])} IS ?")
            values.append(last[earlier_index])
        value = last[position]
        expression = _expression(name)
        if value is None:
            terms.append("0" if descending else f"{expression} IS NOT NULL")
        elif descending:
            terms.append(f"({expression} < ? OR {expression} IS NULL)")
            values.append(value)
        else:
            terms.append(f"{expression} > ?")
            values.append(value)
        alternatives.append("(" + " AND ".join(terms) + ")")
        parameters.extend(values)
    return "(" + " OR ".join(alternatives) + ")", parameters


class _QueryPosition:
    """Where a paged query resumes: the sort keys of the last item and how many may follow."""

    def __init__(self, after: list[Any] | None, remaining: int | None) -> None:
        self.after = after
        self.remaining = remaining

    def token(self) -> str:
        raw = json.dumps({"after": self.after, "remaining": self.remaining}).encode()
        return base64.urlsafe_b64encode(raw).decode()

    @classmethod
    def parse(cls, token: str | None, key_count: int, limit: int | None) -> _QueryPosition:
        if token is None:
            return cls(None, limit)
        try:
            state = json.loads(base64.urlsafe_b64decode(token.encode()))
            after, remaining = state["after"], state["remaining"]
            valid = (
                isinstance(after, list)
                and len(after) == key_count
                and (remaining is None or isinstance(remaining, int))
            )
        except (binascii.Error, ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            raise InvalidInput("the continuation token is not valid", code="invalid-continuation")
        return cls(after, remaining)


def _feed_position(continuation: str | None) -> int:
    if continuation is None:
        return 0
    if not continuation.isdigit():
        raise ValueError(f"not a SQLite change-feed continuation: {continuation!r}")
    return int(continuation)
