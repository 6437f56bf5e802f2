"""SQLite adapter of the document-store port: the embedded default.

One database file holds every container in one table. WAL mode lets readers run beside the one
writer; each batch is one ``BEGIN IMMEDIATE`` transaction, so it applies entirely or not at all
(``execute_batches`` puts several batches in one transaction, a savepoint each). The writers of
one process take turns through a first-come, first-served lock (``FairLock``) rather than
spinning on SQLite's busy handler; writers of other processes still queue on its busy timeout.
Connections come from a small pool, so the HTTP service and the change-feed processor can share
one store across threads.

A document is encoded once per write (``documentstore.port.stored_json``, shared with the size
check) and the written document is answered without decoding it again.

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
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from documentstore.backoff import RetryPolicy
from documentstore.port import (
    CONTAINERS,
    BatchesResult,
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

_REFUSALS = (DocumentConflict, DocumentNotFound, EtagMismatch)
"""What refuses one batch of several (``execute_batches``) without undoing those before it."""

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
        self._writers = FairLock()
        self._closed = False
        self._initialised = False

    # --- the port -------------------------------------------------------------------------

    def initialise(self) -> None:
        with self._lock:
            if self._initialised:
                return

            def create_schema() -> None:
                with self._connection() as connection, self._writing():
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
        [results] = self._execute_batches(container, [(partition_key, operations)]).results()
        return results

    def execute_batches(
        self, container: str, batches: Sequence[tuple[str, Sequence[Operation]]]
    ) -> BatchesResult:
        """The batches in one transaction, a savepoint each: a refused batch is rolled back
        to its savepoint and the ones before it committed; a fault rolls back everything.

        A subclass that overrides ``execute_batch`` (to watch or interrupt writes) gets every
        batch through it, one by one, as the port's default does."""
        if type(self).execute_batch is not SqliteDocumentStore.execute_batch:
            return super().execute_batches(container, batches)
        return self._execute_batches(container, batches)

    def _execute_batches(
        self, container: str, batches: Sequence[tuple[str, Sequence[Operation]]]
    ) -> BatchesResult:
        prepared: list[tuple[str, list[tuple[Operation, str | None]]]] = []
        refused: Exception | None = None
        for partition_key, operations in batches:
            try:
                check_batch(container, partition_key, operations)
                prepared.append((partition_key, [_prepare(operation) for operation in operations]))
            except Exception as error:  # the batches before it are applied all the same
                refused = error
                break
        if not any(operations for _, operations in prepared):
            return BatchesResult([[] for _ in prepared], refused)
        try:
            applied, failure = self._run(
                lambda: self._apply_batches(container, prepared), what="batch"
            )
        except Exception as fault:  # rolled back: nothing of this call is applied
            return BatchesResult([], fault)
        return BatchesResult(applied, failure if failure is not None else refused)

    def _apply_batches(
        self,
        container: str,
        prepared: Sequence[tuple[str, Sequence[tuple[Operation, str | None]]]],
    ) -> tuple[list[list[Document | None]], StoreError | None]:
        """One transaction; the results of the batches applied and the refusal that stopped
        them, if any (raised by the caller after the commit)."""
        savepoints = len(prepared) > 1
        results: list[list[Document | None]] = []
        with self._connection() as connection, self._writing():
            connection.execute("BEGIN IMMEDIATE")
            try:
                for partition_key, operations in prepared:
                    if not operations:
                        results.append([])
                        continue
                    if savepoints:
                        connection.execute("SAVEPOINT batch")
                    try:
                        results.append(
                            _apply_batch(connection, container, partition_key, operations)
                        )
                    except _REFUSALS as refusal:
                        if not savepoints:
                            raise
                        connection.execute("ROLLBACK TO batch")
                        connection.execute("RELEASE batch")
                        connection.execute("COMMIT")
                        return results, refusal
                    if savepoints:
                        connection.execute("RELEASE batch")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        return results, None

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

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """This process's writers one at a time, first come first served: a writer waiting
        longer than the busy timeout gives up as SQLite's busy handler would."""
        if not self._writers.acquire(timeout=self._busy_timeout):
            raise sqlite3.OperationalError(
                f"database is locked (waited {self._busy_timeout:g} s for this process's writers)"
            )
        try:
            yield
        finally:
            self._writers.release()

    def _run(self, action: Callable[[], Result], *, what: str) -> Result:
        def translated() -> Result:
            try:
                return action()
            except sqlite3.Error as error:
                raise _translate(error, what) from error

        return self._retry.run(translated, what=what)


class FairLock:
    """A lock its waiters get in the order they asked for it (a FIFO of hand-overs).

    ``release`` hands the lock straight to the longest waiter, so a thread that releases and
    asks again at once queues behind the others instead of overtaking them, and nobody spins.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self, timeout: float | None = None) -> bool:
        with self._guard:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            return True
        with self._guard:
            try:
                self._waiters.remove(turn)
            except ValueError:  # handed over while we gave up: ours after all
                return True
            return False

    def release(self) -> None:
        with self._guard:
            if not self._held:
                raise RuntimeError("release of an unheld FairLock")
            if self._waiters:
                self._waiters.popleft().release()  # the lock stays held, by the next waiter
            else:
                self._held = False


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


def _written(document: Document, etag: str, ts: int) -> Document:
    """The document a write stored, as a read would give it, without decoding what was
    encoded: a new top-level dict (nested values are the caller's)."""
    written = without_system_fields(document)
    written["_etag"] = etag
    written["_ts"] = ts
    return written


def _prepare(operation: Operation) -> tuple[Operation, str | None]:
    """The operation and its document's stored JSON (None for deletes), encoded up front."""
    if isinstance(operation, Delete):
        return operation, None
    encoded = operation.stored_json
    if not encoded.strict:
        raise ValueError("Out of range float values are not JSON compliant")
    return operation, encoded.text


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


def _apply_batch(
    connection: sqlite3.Connection,
    container: str,
    partition_key: str,
    prepared: Sequence[tuple[Operation, str | None]],
) -> list[Document | None]:
    """Check every operation against the documents as the earlier ones leave them, then write
    the outcome: each document written moves to the container's next feed position, in the
    order of the operations (one counter update for the batch)."""
    ids = [
        operation.id if isinstance(operation, Delete) else str(operation.document["id"])
        for operation, _ in prepared
    ]
    current = _current_etags(connection, container, partition_key, ids)
    writes = sum(1 for operation, _ in prepared if not isinstance(operation, Delete))
    position = 0
    if writes:
        (last,) = connection.execute(
            "UPDATE feed_positions SET last_position = last_position + ? WHERE container = ? "
            "RETURNING last_position",
            (writes, container),
        ).fetchone()
        position = last - writes
    ts = int(time.time())
    outcome: dict[str, tuple[str, str, int] | None] = {}
    results: list[Document | None] = []
    for index, ((operation, body), document_id) in enumerate(zip(prepared, ids, strict=True)):
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
        etag = str(uuid.uuid4())
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
            "INSERT INTO documents (container, partition_key, id, body, etag, ts, position) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (container, partition_key, id) DO UPDATE SET "
            "body = excluded.body, etag = excluded.etag, ts = excluded.ts, "
            "position = excluded.position",
            stored,
        )
    return results


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
