"""The worker processes of a replay's expand phase (``projections.replay``): each projects the
campaigns it is given (``WorkerPool``: a campaign always by the same worker), so that a
campaign's events are applied in stream order by one runner, and reads those campaigns'
documents itself from the keys it is sent, so that nothing is decoded twice nor sent between
processes. At most ``MAX_PAGES_IN_FLIGHT`` pages of keys wait per worker; a worker's failure
stops the replay with its error.

Workers are forked from a server process that has imported this module and the store opener's
(``forkserver`` with a preload): each starts in milliseconds instead of importing the
projections again (0.36 s of CPU each), and none inherits the coordinator's threads. Given the
``live`` generation, each worker checks its own campaigns against it after its last share
(``projections.verification``: the rebuild's verify, on as many cores as workers), and reports
what it used (``WorkerUsage``), since it is not the rebuild's own child.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import resource
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from documentstore.port import EVENTS, DocumentStore
from domain.errors import OperationFailed
from projections.events import is_event_document, remember_tenant
from projections.runner import ProjectionRunner
from projections.tallies import PartialKey, PartialMoves
from projections.verification import CampaignCheck, check_campaign

MAX_PAGES_IN_FLIGHT = 8
"""Pages handed to a worker and not yet projected, at most (their keys: tens of KB each).
Enough that the coordinator, whom two busy workers leave little CPU, keeps them fed: with 2, a
worker waited up to 0.6 s of a 5 s replay for its next share, with 8 up to 0.5 s and mostly
under 0.1 s (the waits left are the hash's split of the campaigns, a few % apart)."""

StoreOpener = Callable[[], DocumentStore]
"""Opens the store anew in a worker process (picklable: a module-level callable or a partial
of one)."""

READ_MANY_IDS = 500
"""Ids a worker reads with one ``read_many`` (well within SQLite's bound on parameters)."""

Documents = list[dict[str, Any]]
Keys = list[tuple[str, str]]
"""``(partition key, id)`` of documents of ``events``, as the feed lists them."""


@dataclass(frozen=True)
class WorkerUsage:
    """What one replay worker process used: CPU seconds and its peak resident memory (KiB).
    Workers are not the rebuild's own children (``forkserver``), so they say it themselves."""

    cpu_seconds: float
    peak_kib: int


@dataclass(frozen=True)
class Projected:
    """What a share, or a page, projected: its events and those dead-lettered."""

    events: int
    dead_lettered: int


class WorkerPool:
    """Worker processes, each projecting the campaigns it is given, a campaign always by the
    same worker: the one with the fewest keys in hand when the campaign is first met (then
    remembered, as the replay remembers every campaign it meets). A hash of the campaign's id
    split the bench's 971 campaigns up to 8 % unevenly, the less loaded worker idle at the end."""

    def __init__(self, connections: list[Connection]) -> None:
        self._connections = connections
        self._in_hand: list[deque[int]] = [deque() for _ in connections]
        """The keys of each share sent to each worker and not answered yet, oldest first."""
        self._worker_of: dict[str, int] = {}

    def project(self, keys: Keys) -> list[Projected]:
        """Hand each worker the keys of its campaigns' documents of one page; the counts of
        the pages that finished meanwhile (waiting when a worker has too many in hand)."""
        finished = self._answered()
        shares: list[Keys] = [[] for _ in self._connections]
        for key in keys:
            worker = self._worker_of.get(key[0])
            if worker is None:
                worker = self._worker_of[key[0]] = self._least_loaded(shares)
            shares[worker].append(key)
        for index, share in enumerate(shares):
            if not share:
                continue
            while len(self._in_hand[index]) >= MAX_PAGES_IN_FLIGHT:
                finished.append(self._receive(index))
            try:
                self._connections[index].send(share)
            except OSError:  # the worker stopped: its last answer says why
                while True:
                    finished.append(self._receive(index))
            self._in_hand[index].append(len(share))
        return finished

    def _answered(self) -> list[Projected]:
        """The shares the workers have answered so far (without waiting), so that what each
        has in hand is what it has still to do."""
        finished: list[Projected] = []
        for index, connection in enumerate(self._connections):
            while self._in_hand[index] and connection.poll():
                finished.append(self._receive(index))
        return finished

    def _least_loaded(self, shares: list[Keys]) -> int:
        """The worker with the fewest keys in hand, this page's share counted."""
        return min(
            range(len(shares)), key=lambda index: sum(self._in_hand[index]) + len(shares[index])
        )

    def finish(self) -> list[Projected]:
        """Every page still in the workers' hands, projected."""
        finished: list[Projected] = []
        for index in range(len(self._connections)):
            while self._in_hand[index]:
                finished.append(self._receive(index))
        return finished

    def results(
        self,
    ) -> list[tuple[dict[PartialKey, Any], dict[str, str], list[CampaignCheck], WorkerUsage]]:
        """Each worker's sums of partial moves, campaigns met (with their tenants), checks of
        them and what it used; the workers stop. All are told first, so that they finish side
        by side."""
        for connection in self._connections:
            connection.send(None)
        return [self._answer(connection) for connection in self._connections]

    def _receive(self, index: int) -> Projected:
        answer = self._answer(self._connections[index])
        self._in_hand[index].popleft()
        events, dead_lettered = answer
        return Projected(events, dead_lettered)

    @staticmethod
    def _answer(connection: Connection) -> Any:
        try:
            answer = connection.recv()
        except (EOFError, OSError):
            raise OperationFailed("a replay worker stopped", code="replay-failed") from None
        if isinstance(answer, str):
            raise OperationFailed(f"a replay worker failed: {answer}", code="replay-failed")
        return answer


@contextmanager
def worker_pool(
    workers: int, open_store: StoreOpener, generation: int, live: int | None
) -> Iterator[WorkerPool]:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, _module_of(open_store)])
    connections: list[Connection] = []
    processes = []
    try:
        for _ in range(workers):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=_work, args=(theirs, open_store, generation, live), daemon=True
            )
            process.start()
            theirs.close()
            connections.append(ours)
            processes.append(process)
        yield WorkerPool(connections)
    finally:
        for connection in connections:  # a worker still waiting for a share stops on it
            connection.close()
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()


def _module_of(open_store: StoreOpener) -> str:
    """The module holding the opener's function (a partial's own function), which a worker
    imports to unpickle it."""
    function = open_store.func if isinstance(open_store, functools.partial) else open_store
    return str(getattr(function, "__module__", __name__))


def _work(
    connection: Connection, open_store: StoreOpener, generation: int, live: int | None
) -> None:
    """A worker process: project each share it is sent, answering ``(events, dead-lettered)``,
    until it is sent None, then answer its sums of partial moves, its campaigns and, given
    ``live``, their checks against it; on an error, answer it and stop."""
    store = open_store()
    moves = PartialMoves()
    campaigns: dict[str, str] = {}
    try:
        runner = ProjectionRunner(store, partial_moves=moves)
        while (keys := _next_share(connection)) is not None:
            try:
                documents = _event_documents(store, keys)
                for document in documents:
                    remember_tenant(campaigns, document)
                outcome = runner.project(documents, generation=generation)
            except Exception as error:
                connection.send(f"{type(error).__name__}: {error}")
                return
            connection.send((outcome.events, outcome.dead_lettered))
        try:
            checks = [] if live is None else _checked(store, campaigns, live, generation)
        except Exception as error:
            connection.send(f"{type(error).__name__}: {error}")
            return
        usage = resource.getrusage(resource.RUSAGE_SELF)
        spent = WorkerUsage(usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
        with contextlib.suppress(OSError):  # the replay went away
            connection.send((moves.moves, campaigns, checks, spent))
    finally:
        with contextlib.suppress(OSError):
            connection.close()
        store.close()


def _checked(
    store: DocumentStore, campaigns: dict[str, str], live: int, generation: int
) -> list[CampaignCheck]:
    """The worker's campaigns checked against the ``live`` generation: no other process
    writes their documents of ``generation``, so they are final once its last share is
    projected."""
    return [
        check_campaign(store, campaign_id, live=live, generation=generation)
        for campaign_id in sorted(campaigns)
    ]


def _event_documents(store: DocumentStore, keys: Keys) -> Documents:
    """The event documents of a share's keys, read partition by partition with queries of
    known ids (``read_many``)."""
    by_partition: dict[str, list[str]] = {}
    for partition, document_id in keys:
        by_partition.setdefault(partition, []).append(document_id)
    documents: Documents = []
    for partition, ids in by_partition.items():
        for start in range(0, len(ids), READ_MANY_IDS):
            found = store.read_many(EVENTS, partition, ids[start : start + READ_MANY_IDS])
            documents += [document for document in found if is_event_document(document)]
    return documents


def _next_share(connection: Connection) -> Keys | None:
    """The next share to project; None when sent None or when the replay went away."""
    try:
        share: Keys | None = connection.recv()
    except (EOFError, OSError):
        return None
    return share
