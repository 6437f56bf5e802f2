"""Group commit: the batches that this process's writers hand in at the same time are applied
in one SQLite transaction and made durable by one commit (one fsync with
``synchronous = FULL``), while each caller keeps its own checks and its own outcome.

Writers queue their requests; the first one finding nobody at work leads: it takes the writers'
turn, opens ``BEGIN IMMEDIATE``, applies every queued request behind a savepoint of its own
(``batches.apply_request``: a refused batch is rolled back to its savepoint, the other requests
are untouched), commits once, and only then tells each caller its outcome, so that nothing is
answered before it is on disk. Requests that arrive while a group commits wait for the next
group, which the first of them leads. A fault that is not a refusal (a SQLite error) rolls the
group back and its requests are applied again one per transaction, so that only the request
that meets the fault fails; a failed commit fails every request of its group, none of which is
applied (the store's retry policy then retries each).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from documentstore.port import Document
from documentstore.sqlite.batches import Prepared, apply_request
from documentstore.sqlite.connections import ConnectionPool
from domain.errors import OperationRefused

MAX_GROUP = 64
"""At most this many requests share a transaction; the rest wait for the next one."""

Outcome = tuple[list[list[Document | None]], OperationRefused | None]
"""The results of a request's batches applied, and the refusal that stopped them, if any."""


@dataclass(eq=False)
class _Request:
    container: str
    prepared: Sequence[tuple[str, Sequence[Prepared]]]
    woken: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    outcome: Outcome | None = None
    error: BaseException | None = None

    def answer(self) -> Outcome:
        if self.error is not None:
            raise self.error
        assert self.outcome is not None
        return self.outcome


class GroupCommit:
    """This process's writers of one SQLite file, committed together (module docstring)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._guard = threading.Lock()
        self._queue: list[_Request] = []
        self._leading = False
        self.commits = 0
        """Transactions committed so far (with ``requests``: how well writes are grouped)."""
        self.requests = 0

    def apply(
        self,
        container: str,
        prepared: Sequence[tuple[str, Sequence[Prepared]]],
        *,
        on_queued: Callable[[], None] | None = None,
    ) -> Outcome:
        """Apply one caller's batches in the next group's transaction and answer once that
        transaction is committed; a fault of the transaction is raised (nothing applied).
        ``on_queued`` is called once the request has its place in the queue, before it is
        applied: requests queued later are applied after it, in the same group or a later
        one."""
        request = _Request(container, prepared)
        with self._guard:
            self._queue.append(request)
            leads = not self._leading
            self._leading = True
        if on_queued is not None:
            on_queued()
        if not leads:
            request.woken.wait()
            if not request.leads:
                return request.answer()
        self._lead()
        return request.answer()

    def _lead(self) -> None:
        """Once in the writers' turn, commit the requests queued by then as one group, then
        hand the lead to the next waiter."""
        group: list[_Request] = []
        try:
            with self._pool.writer() as connection:
                with self._guard:
                    group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
                self._commit(connection, group)
        except BaseException as error:  # the group is not applied: each of its callers says so
            with self._guard:
                if not group:  # the turn never came: the leader's own request fails
                    group, self._queue = self._queue[:1], self._queue[1:]
            for request in group:
                if request.outcome is None and request.error is None:
                    request.error = error
        finally:
            with self._guard:
                if self._queue:
                    successor = self._queue[0]
                    successor.leads = True
                    successor.woken.set()
                else:
                    self._leading = False
            for request in group:
                request.woken.set()

    def _commit(self, connection: sqlite3.Connection, group: list[_Request]) -> None:
        self.requests += len(group)
        outcomes = _apply_together(connection, group)
        if outcomes is not None:
            self.commits += 1
            for request, outcome in zip(group, outcomes, strict=True):
                request.outcome = outcome
            return
        for request in group:  # a fault: each request alone, in a transaction of its own
            try:
                alone = _apply_together(connection, [request])
            except sqlite3.Error as error:
                request.error = error
                continue
            assert alone is not None
            request.outcome = alone[0]
            self.commits += 1


def _apply_together(connection: sqlite3.Connection, group: list[_Request]) -> list[Outcome] | None:
    """The group's requests in one committed transaction, their outcomes in order; None when a
    fault rolled it back and the group has several requests (a lone request's fault is raised).
    A failed ``COMMIT`` is raised: nothing of the group is applied."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        outcomes = [
            apply_request(connection, request.container, request.prepared) for request in group
        ]
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        if len(group) == 1:
            raise
        return None
    try:
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return outcomes
