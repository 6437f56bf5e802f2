"""The SQLite store: the port's methods on a connection pool, every ``sqlite3`` error translated
once (``_run``) and transient faults retried by the store's ``RetryPolicy``."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from documentstore.backoff import RetryPolicy
from documentstore.batch_rules import check_batch, check_container
from documentstore.paging import open_page
from documentstore.port import (
    BatchesResult,
    BatchQueued,
    Document,
    DocumentStore,
    FeedKeysPage,
    FeedPage,
    JsonScalar,
    Operation,
    Page,
    Query,
    TextPage,
    batch_queued,
)
from documentstore.scanning import check_scan, scan_position, scan_token
from documentstore.sqlite import bulk, queries
from documentstore.sqlite.backup import back_up
from documentstore.sqlite.batches import Prepared, prepare, written
from documentstore.sqlite.connections import ConnectionPool, create_schema, reclaim_space
from documentstore.sqlite.faults import translate_error
from documentstore.sqlite.group_commit import GroupCommit
from documentstore.sqlite.queries import FEED_RANGE, QUERY_TOKENS, document

Result = TypeVar("Result")


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
        self._pool = ConnectionPool(self.path, busy_timeout=busy_timeout)
        self._writes = GroupCommit(self._pool)
        self._retry = retry or RetryPolicy(attempts=3, initial_delay=0.05, max_delay=0.5)
        self._lock = threading.Lock()
        self._initialised = False

    def initialise(self) -> None:
        with self._lock:
            if self._initialised:
                return

            def create() -> None:
                with self._pool.writer() as connection:
                    create_schema(connection)

            self._run(create, what="initialise")
            self._initialised = True

    def read(self, container: str, partition_key: str, document_id: str) -> Document | None:
        check_container(container)

        def read_row() -> Document | None:
            with self._pool.connection() as connection:
                # Every row fetched: a statement left unfinished (its cursor not yet freed)
                # would keep its read snapshot open on the pooled connection, and the next
                # read on it would see the past.
                rows = connection.execute(
                    queries.READ, (container, partition_key, document_id)
                ).fetchall()
            return document(*rows[0]) if rows else None

        return self._run(read_row, what="read")

    def read_many(
        self, container: str, partition_key: str, document_ids: Sequence[str]
    ) -> list[Document]:
        check_container(container)
        wanted = list(dict.fromkeys(document_ids))
        if not wanted:
            return []

        def read_rows() -> list[Document]:
            with self._pool.connection() as connection:
                rows = connection.execute(
                    queries.read_many_sql(len(wanted)), (container, partition_key, *wanted)
                ).fetchall()
            return [document(*row) for row in rows]

        return self._run(read_rows, what="read_many")

    def query(
        self,
        container: str,
        query: Query,
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        request = open_page(
            container, query, page_size=page_size, continuation=continuation, tokens=QUERY_TOKENS
        )

        sql, parameters = queries.page_sql(container, request)

        def select_rows() -> list[Any]:
            with self._pool.connection() as connection:
                return list(connection.execute(sql, parameters).fetchall())

        def fetch() -> tuple[list[Document], list[Any] | None]:
            rows = self._run(select_rows, what="query")
            more = len(rows) > request.size
            rows = rows[: request.size]
            items = [document(body, etag, ts) for body, etag, ts, *_ in rows]
            return items, list(rows[-1][3:]) if more and rows else None

        return request.answer(fetch)

    def query_texts(
        self,
        container: str,
        query: Query,
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> TextPage:
        """The query's page as stored: each body is the text written, not decoded."""
        request = open_page(
            container, query, page_size=page_size, continuation=continuation, tokens=QUERY_TOKENS
        )
        sql, parameters = queries.page_sql(container, request, columns="id, body, ts")

        def select_rows() -> list[Any]:
            with self._pool.connection() as connection:
                return list(connection.execute(sql, parameters).fetchall())

        def fetch() -> tuple[list[Any], list[Any] | None]:
            rows = self._run(select_rows, what="query")
            more = len(rows) > request.size
            rows = rows[: request.size]
            texts = [(str(row[0]), str(row[1])) for row in rows]
            return texts, list(rows[-1][3:]) if more and rows else None

        page = request.answer(fetch)  # the page's items are (id, text) pairs here
        return TextPage(cast("list[tuple[str, str]]", page.items), page.continuation)

    def delete_id_range(
        self, container: str, partition_keys: Sequence[str], id_gt: str, id_lte: str
    ) -> int:
        """One statement per partition, all in one transaction."""
        check_container(container)

        def delete() -> int:
            with self._pool.writer() as connection:
                return bulk.delete_id_range(connection, container, partition_keys, id_gt, id_lte)

        return self._run(delete, what="delete range")

    def scan(
        self,
        container: str,
        equals: Mapping[str, JsonScalar],
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        check_scan(container, equals, page_size)
        sql, parameters = queries.scan_sql(
            container, equals, scan_position(continuation), page_size
        )

        def select_rows() -> list[Any]:
            with self._pool.connection() as connection:
                return list(connection.execute(sql, parameters).fetchall())

        rows = self._run(select_rows, what="scan")
        more = len(rows) > page_size
        rows = rows[:page_size]
        items = [document(body, etag, ts) for body, etag, ts, _, _ in rows]
        token = scan_token(rows[-1][3], rows[-1][4]) if more and rows else None
        return Page(items=items, continuation=token)

    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        queued = batch_queued.get()
        [results] = self._execute_batches(
            container, [(partition_key, operations)], queued=queued
        ).results()
        return results

    def execute_batches(
        self, container: str, batches: Sequence[tuple[str, Sequence[Operation]]]
    ) -> BatchesResult:
        """The batches in one transaction, a savepoint each: a refused batch is rolled back
        to its savepoint and the ones before it committed; a fault rolls back everything.
        Other writers' batches of this process may share the transaction (``GroupCommit``)."""
        return self._execute_batches(container, batches)

    def _execute_batches(
        self,
        container: str,
        batches: Sequence[tuple[str, Sequence[Operation]]],
        *,
        queued: BatchQueued | None = None,
    ) -> BatchesResult:
        """The batches applied in the next group; ``queued`` (a lone batch's writer, see
        ``documentstore.port.batch_queued``) is told once what the batch will write, when it
        has its place in the queue (a retried transient fault does not tell it again)."""
        prepared: list[tuple[str, list[Prepared]]] = []
        refused: Exception | None = None
        for partition_key, operations in batches:
            try:
                check_batch(container, partition_key, operations)
                prepared.append((partition_key, [prepare(operation) for operation in operations]))
            except Exception as error:  # the batches before it are applied all the same
                refused = error
                break
        if not any(operations for _, operations in prepared):
            return BatchesResult([[] for _ in prepared], refused)

        told: list[bool] = []

        def tell() -> None:
            if queued is not None and not told and len(prepared) == 1:
                told.append(True)
                queued(written(prepared[0][1]))

        def apply() -> tuple[list[list[Document | None]], Exception | None]:
            return self._writes.apply(container, prepared, on_queued=tell)

        try:
            applied, failure = self._run(apply, what="batch")
        except Exception as fault:  # rolled back: nothing of this call is applied
            return BatchesResult([], fault)
        return BatchesResult(applied, failure if failure is not None else refused)

    def execute_unread_batches(
        self, container: str, batches: Sequence[tuple[str, Sequence[Operation]]]
    ) -> BatchesResult:
        """Every write upserted in one transaction with no etag read (``bulk.write_unchecked``);
        batches a rule refuses (too large, not JSON) go the checked way, as before. The etags
        are one new uuid for the call with each write's number after it: as new as a uuid
        each, without drawing one per document (≈ 2 µs each, 123,000 in a 100k rebuild)."""
        prepared: list[tuple[str, list[Prepared]]] = []
        etags = bulk.unread_etags()
        try:
            for partition_key, operations in batches:
                check_batch(container, partition_key, operations)
                prepared.append(
                    (partition_key, [prepare(operation, next(etags)) for operation in operations])
                )
        except Exception:  # the checked path answers the refusal as it always has
            return self._execute_batches(container, batches)

        rows = bulk.unread_rows(container, prepared)

        def write() -> None:
            with self._pool.writer() as connection:
                bulk.write_unchecked(connection, container, rows)

        try:
            self._run(write, what="batch")
        except Exception as fault:  # rolled back: nothing of this call is applied
            return BatchesResult([], fault)
        return BatchesResult([[] for _ in prepared])

    def checkpoint(self) -> None:
        """``bulk.checkpoint``: the log copied into the file alongside the writers."""
        self._run(lambda: bulk.checkpoint(self._pool), what="checkpoint")

    def feed_ranges(self, container: str) -> list[str]:
        check_container(container)
        return [FEED_RANGE]

    def read_feed(
        self,
        container: str,
        feed_range: str,
        continuation: str | None,
        *,
        max_items: int = 100,
    ) -> FeedPage:
        check_container(container)
        if feed_range != FEED_RANGE:
            raise ValueError(f"unknown feed range {feed_range!r}; SQLite has only {FEED_RANGE!r}")
        after = queries.feed_position(continuation)

        def select_changes() -> list[tuple[Any, ...]]:
            with self._pool.connection() as connection:
                return list(
                    connection.execute(queries.FEED, (container, after, max_items)).fetchall()
                )

        rows = self._run(select_changes, what="read feed")
        items = [document(body, etag, ts) for body, etag, ts, _ in rows]
        last = rows[-1][3] if rows else after
        return FeedPage(items=items, continuation=str(last))

    def read_feed_keys(
        self,
        container: str,
        feed_range: str,
        continuation: str | None,
        *,
        max_items: int = 100,
    ) -> FeedKeysPage:
        """From the feed's index alone: no body is read."""
        check_container(container)
        if feed_range != FEED_RANGE:
            raise ValueError(f"unknown feed range {feed_range!r}; SQLite has only {FEED_RANGE!r}")
        after = queries.feed_position(continuation)

        def select_keys() -> list[tuple[Any, ...]]:
            with self._pool.connection() as connection:
                return list(
                    connection.execute(queries.FEED_KEYS, (container, after, max_items)).fetchall()
                )

        rows = self._run(select_keys, what="read feed")
        last = rows[-1][2] if rows else after
        return FeedKeysPage([(row[0], row[1]) for row in rows], str(last))

    def backup_into(self, directory: Path) -> Path:
        """A consistent copy of the database, taken while writers go on, as the database of
        a new data directory (``documentstore.sqlite.backup``); returns its path."""

        def copy() -> Path:
            with self._pool.connection() as connection:
                return back_up(connection, self.path.name, directory)

        return self._run(copy, what="backup")

    def transient_retries(self) -> dict[str, int]:
        return self._retry.tally.as_dict()

    def reclaim_space(self) -> None:
        def reclaim() -> None:
            with self._pool.writer() as connection:
                reclaim_space(connection)

        self._run(reclaim, what="reclaim space")

    def close(self) -> None:
        with self._lock:
            self._pool.close()

    def _run(self, action: Callable[[], Result], *, what: str) -> Result:
        """``action`` with its ``sqlite3`` errors translated, transient ones retried."""

        def translated() -> Result:
            try:
                return action()
            except sqlite3.Error as error:
                raise translate_error(error, what) from error

        return self._retry.run(translated, what=what)
