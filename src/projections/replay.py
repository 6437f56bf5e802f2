"""Replaying the change feed of ``events`` into one generation: a rebuild's expand phase and its
catch-up after the switch (``projections.rebuild``).

``FeedReplay`` reads the feed page by page and remembers its position and the campaigns it met
(with their tenants). It projects each page itself, or, given ``workers`` and a way to open the
store again (``StoreOpener``), hands the page's campaigns to that many worker processes, each
campaign always to the same worker (by a hash of its id), so that every campaign's events are
applied in stream order by one runner while the campaigns are projected side by side on every
core. At most ``MAX_PAGES_IN_FLIGHT`` pages wait for the workers, so memory stays bounded by
a few pages whatever the log's length; a worker's failure stops the replay with its error.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from documentstore.port import EVENTS, DocumentStore
from domain.errors import OperationFailed
from projections.events import campaign_of, is_event_document
from projections.runner import ProjectionRunner

REPLAY_PAGE_ITEMS = 1_000
"""Change-feed documents per page of a replay: a campaign's events mostly arrive in one page,
so its documents are read and written once rather than once per 100 events; memory stays
bounded by the page, whatever the log's length."""

MAX_PAGES_IN_FLIGHT = 2
"""Pages handed to the workers and not yet projected, at most, per worker."""

StoreOpener = Callable[[], DocumentStore]
"""Opens the store anew in a worker process (picklable: a module-level callable or a partial
of one)."""

Documents = list[dict[str, Any]]
ProgressNote = Callable[[int, int], None]
"""Told the events projected so far and the campaigns met so far."""


@dataclass(frozen=True)
class _Projected:
    events: int
    dead_lettered: int


class FeedReplay:
    """Drains the feed of ``events`` into one generation, remembering its position."""

    def __init__(self, store: DocumentStore, runner: ProjectionRunner, generation: int) -> None:
        self._store = store
        self._runner = runner
        self._generation = generation
        self._positions: dict[str, str | None] = {}
        self.campaigns: dict[str, str] = {}
        self.events = 0
        self.dead_letters = 0

    def drain(
        self,
        note: ProgressNote,
        *,
        workers: int = 1,
        open_store: StoreOpener | None = None,
    ) -> None:
        """Project the feed page by page, each page's trailing campaign held back for the
        next page (``held_back``), so that a campaign cut by a page boundary is written once;
        with ``workers`` > 1 and ``open_store``, in that many worker processes."""
        if workers > 1 and open_store is not None:
            with _worker_pool(workers, open_store, self._generation) as pool:
                self._drain(pool.project, note)
                self._count(pool.finish())
            note(self.events, len(self.campaigns))
            return
        self._drain(self._project_here, note)

    def _project_here(self, documents: Documents) -> list[_Projected]:
        outcome = self._runner.project(documents, generation=self._generation)
        return [_Projected(outcome.events, outcome.dead_lettered)]

    def _drain(
        self, project: Callable[[Documents], list[_Projected]], note: ProgressNote
    ) -> None:
        for feed_range in self._store.feed_ranges(EVENTS):
            position = self._positions.get(feed_range)
            carried: Documents = []
            while True:
                page = self._store.read_feed(
                    EVENTS, feed_range, position, max_items=REPLAY_PAGE_ITEMS
                )
                position = page.continuation
                for document in page.items:
                    if is_event_document(document):
                        self._remember(document)
                documents, carried = (
                    held_back([*carried, *page.items]) if page.items else (carried, [])
                )
                if documents:
                    self._count(project(documents))
                    note(self.events, len(self.campaigns))
                if not page.items:
                    break
            self._positions[feed_range] = position

    def _count(self, projected: list[_Projected]) -> None:
        for done in projected:
            self.events += done.events
            self.dead_letters += done.dead_lettered

    def _remember(self, document: dict[str, object]) -> None:
        campaign = campaign_of(document)
        data = document.get("data")
        metadata = document.get("metadata")
        tenant = None
        if document.get("type") == "CampaignCreated" and isinstance(data, dict):
            tenant = data.get("tenantId")
        if tenant is None and isinstance(metadata, dict):
            tenant = metadata.get("tenantId")
        if campaign not in self.campaigns or document.get("type") == "CampaignCreated":
            self.campaigns[campaign] = str(tenant or "default")


def held_back(documents: Documents) -> tuple[Documents, Documents]:
    """``(to project now, to carry to the next page)``: the event documents of the campaign
    the page ends with are carried (its next events are likely on the next page), unless they
    are a page's worth already (memory stays bounded by two pages)."""
    last = next((d for d in reversed(documents) if is_event_document(d)), None)
    if last is None:
        return documents, []
    campaign = campaign_of(last)
    carried = [d for d in documents if is_event_document(d) and campaign_of(d) == campaign]
    if len(carried) >= REPLAY_PAGE_ITEMS:
        return documents, []
    kept = [d for d in documents if not (is_event_document(d) and campaign_of(d) == campaign)]
    return kept, carried


class _WorkerPool:
    """Worker processes, each projecting the campaigns whose id hashes to it."""

    def __init__(self, connections: list[Connection]) -> None:
        self._connections = connections
        self._waiting = [0] * len(connections)

    def project(self, documents: Documents) -> list[_Projected]:
        """Hand each worker its campaigns' event documents of one page; the counts of the
        pages that finished meanwhile (waiting when a worker has too many in hand)."""
        shares: list[Documents] = [[] for _ in self._connections]
        for document in documents:
            if is_event_document(document):
                shares[zlib.crc32(campaign_of(document).encode()) % len(shares)].append(document)
        finished: list[_Projected] = []
        for index, share in enumerate(shares):
            if not share:
                continue
            while self._waiting[index] >= MAX_PAGES_IN_FLIGHT:
                finished.append(self._receive(index))
            try:
                self._connections[index].send(share)
            except OSError:  # the worker stopped: its last answer says why
                while True:
                    finished.append(self._receive(index))
            self._waiting[index] += 1
        return finished

    def finish(self) -> list[_Projected]:
        """Every page still in the workers' hands, projected."""
        finished: list[_Projected] = []
        for index in range(len(self._connections)):
            while self._waiting[index]:
                finished.append(self._receive(index))
        return finished

    def _receive(self, index: int) -> _Projected:
        try:
            answer = self._connections[index].recv()
        except (EOFError, OSError):
            raise OperationFailed("a replay worker stopped", code="replay-failed") from None
        self._waiting[index] -= 1
        if isinstance(answer, str):
            raise OperationFailed(f"a replay worker failed: {answer}", code="replay-failed")
        events, dead_lettered = answer
        return _Projected(events, dead_lettered)


@contextmanager
def _worker_pool(workers: int, open_store: StoreOpener, generation: int) -> Iterator[_WorkerPool]:
    context = multiprocessing.get_context("spawn")
    connections: list[Connection] = []
    processes = []
    try:
        for _ in range(workers):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=_work, args=(theirs, open_store, generation), daemon=True
            )
            process.start()
            theirs.close()
            connections.append(ours)
            processes.append(process)
        yield _WorkerPool(connections)
    finally:
        for connection in connections:
            with contextlib.suppress(OSError):  # a worker that is gone already
                connection.send(None)
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
        for connection in connections:
            connection.close()


def _work(connection: Connection, open_store: StoreOpener, generation: int) -> None:
    """A worker process: project each share it is sent until it is sent None; answer each
    with ``(events, dead-lettered)``, or with the error that stopped it."""
    store = open_store()
    try:
        runner = ProjectionRunner(store)
        while (documents := connection.recv()) is not None:
            try:
                outcome = runner.project(documents, generation=generation)
            except Exception as error:
                connection.send(f"{type(error).__name__}: {error}")
                return
            connection.send((outcome.events, outcome.dead_lettered))
    finally:
        store.close()
