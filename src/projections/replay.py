"""Replaying the change feed of ``events`` into one generation: a rebuild's expand phase and its
catch-up after the switch (``projections.rebuild``).

``FeedReplay`` reads the feed page by page and remembers its position and the campaigns it met
(with their tenants). Each page's trailing campaign is held back for the next page
(``held_back``), so a campaign cut by a page boundary is mostly written once.

The expand phase (``expand``) writes a generation nobody reads or writes yet, so it takes two
liberties the live runner cannot: the statistics contributions are written without their
partials, whose moves are summed in memory and added once at the end (``PartialMoves``: no
partial is read and rewritten per page, and workers never contend for one); and, given
``workers`` > 1 and a way to open the store again (``StoreOpener``), the pages' campaigns are
projected side by side in that many worker processes, each campaign always by the same worker
(a hash of its id), so that its events are applied in stream order by one runner. The replay
then reads the feed as keys only (``DocumentStore.read_feed_keys``) and each worker reads its
campaigns' documents itself, so that nothing is decoded twice nor sent between processes. At most
``MAX_PAGES_IN_FLIGHT`` pages wait per worker, so memory stays bounded by a few pages whatever
the log's length; a worker's failure stops the replay with its error. Workers are forked from
a server process that has imported this module and the opener's (``forkserver`` with a
preload): each starts in milliseconds instead of importing the projections again (0.36 s of
CPU each), and none inherits the coordinator's threads. Given the ``live``
generation, each worker then checks its own campaigns against it (``projections.verification``:
the rebuild's verify, on as many cores as workers) and the replay keeps what it found
(``checks``).
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import resource
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Protocol, TypeVar

from documentstore.port import EVENTS, DocumentStore, FeedKeysPage, FeedPage
from domain.errors import OperationFailed
from projections.events import campaign_of, is_event_document
from projections.runner import ProjectionRunner
from projections.tallies import PartialKey, PartialMoves
from projections.verification import CampaignCheck, check_campaign

REPLAY_PAGE_ITEMS = 1_000
"""Change-feed documents per page of a replay: a campaign's events mostly arrive in one page,
so its documents are read and written once rather than once per 100 events; memory stays
bounded by the page, whatever the log's length."""

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

Item = TypeVar("Item")


class _FeedPageOf(Protocol[Item]):
    """A page of the change feed as ``read_feed`` and ``read_feed_keys`` answer it."""

    @property
    def items(self) -> list[Item]: ...

    @property
    def continuation(self) -> str: ...


Documents = list[dict[str, Any]]
Keys = list[tuple[str, str]]
"""``(partition key, id)`` of documents of ``events``, as the feed lists them."""
ProgressNote = Callable[[int, int], None]
"""Told the events projected so far and the campaigns met so far."""


@dataclass(frozen=True)
class WorkerUsage:
    """What one replay worker process used: CPU seconds and its peak resident memory (KiB).
    Workers are not the rebuild's own children (``forkserver``), so they say it themselves."""

    cpu_seconds: float
    peak_kib: int


@dataclass(frozen=True)
class _Projected:
    events: int
    dead_lettered: int


class FeedReplay:
    """Drains the feed of ``events`` into one generation, remembering its position."""

    def __init__(self, store: DocumentStore, generation: int) -> None:
        self._store = store
        self._generation = generation
        self._positions: dict[str, str | None] = {}
        self.campaigns: dict[str, str] = {}
        self.checks: dict[str, CampaignCheck] = {}
        self.workers: list[WorkerUsage] = []
        self.events = 0
        self.dead_letters = 0

    def expand(
        self,
        note: ProgressNote,
        *,
        workers: int = 1,
        open_store: StoreOpener | None = None,
        live: int | None = None,
    ) -> None:
        """The first drain, into a generation nobody else writes (see the module docstring):
        with ``workers`` > 1 and ``open_store``, in that many worker processes, which check
        their campaigns against the ``live`` generation when given."""
        moves = PartialMoves()
        if workers > 1 and open_store is not None:
            with _worker_pool(workers, open_store, self._generation, live) as pool:
                self._hand_out(pool, note)
                self._count(pool.finish())
                for worker_moves, campaigns, checks, usage in pool.results():
                    moves.absorb(worker_moves)
                    self.campaigns.update(campaigns)
                    self.checks.update((check.campaign_id, check) for check in checks)
                    self.workers.append(usage)
        else:
            runner = ProjectionRunner(self._store, partial_moves=moves)
            self._drain(self._projecting_with(runner), note)
        moves.write(self._store, self._generation)
        note(self.events, len(self.campaigns))

    def drain(self, note: ProgressNote) -> None:
        """Project what the feed holds past the position reached, as the live runner does."""
        self._drain(self._projecting_with(ProjectionRunner(self._store)), note)

    def _projecting_with(self, runner: ProjectionRunner) -> Callable[[Documents], list[_Projected]]:
        def project(documents: Documents) -> list[_Projected]:
            outcome = runner.project(documents, generation=self._generation)
            return [_Projected(outcome.events, outcome.dead_lettered)]

        return project

    def _drain(self, project: Callable[[Documents], list[_Projected]], note: ProgressNote) -> None:
        def read(feed_range: str, position: str | None) -> FeedPage:
            return self._store.read_feed(EVENTS, feed_range, position, max_items=REPLAY_PAGE_ITEMS)

        for page, documents in self._pages(read, held_back):
            for document in page:
                if is_event_document(document):
                    self._remember(document)
            if documents:
                self._count(project(documents))
                note(self.events, len(self.campaigns))

    def _hand_out(self, pool: _WorkerPool, note: ProgressNote) -> None:
        """``_drain`` for workers: the feed read as keys only (``read_feed_keys``), each
        partition's keys of a page handed to its worker, which reads the documents itself."""

        def read(feed_range: str, position: str | None) -> FeedKeysPage:
            return self._store.read_feed_keys(
                EVENTS, feed_range, position, max_items=REPLAY_PAGE_ITEMS
            )

        met: set[str] = set()
        for page, keys in self._pages(read, _keys_held_back):
            met.update(partition for partition, _ in page)
            if keys:
                self._count(pool.project(keys))
                note(self.events, len(met))

    def _pages(
        self,
        read: Callable[[str, str | None], _FeedPageOf[Item]],
        hold_back: Callable[[list[Item]], tuple[list[Item], list[Item]]],
    ) -> Iterator[tuple[list[Item], list[Item]]]:
        """Each page of every feed range past the position reached, with what to project of
        it (its items and the ones carried from the page before, less the trailing
        campaign's, carried on: ``hold_back``); the position is remembered per range once it
        is drained."""
        for feed_range in self._store.feed_ranges(EVENTS):
            position = self._positions.get(feed_range)
            carried: list[Item] = []
            while True:
                page = read(feed_range, position)
                position = page.continuation
                ready, carried = hold_back([*carried, *page.items]) if page.items else (carried, [])
                yield page.items, ready
                if not page.items:
                    break
            self._positions[feed_range] = position

    def _count(self, projected: list[_Projected]) -> None:
        for done in projected:
            self.events += done.events
            self.dead_letters += done.dead_lettered

    def _remember(self, document: dict[str, object]) -> None:
        remember_tenant(self.campaigns, document)


def remember_tenant(campaigns: dict[str, str], document: dict[str, object]) -> None:
    """Note the campaign of an event document with its tenant (its creation's, else the one
    its events name, else ``default``)."""
    campaign = campaign_of(document)
    data = document.get("data")
    metadata = document.get("metadata")
    tenant = None
    if document.get("type") == "CampaignCreated" and isinstance(data, dict):
        tenant = data.get("tenantId")
    if tenant is None and isinstance(metadata, dict):
        tenant = metadata.get("tenantId")
    if campaign not in campaigns or document.get("type") == "CampaignCreated":
        campaigns[campaign] = str(tenant or "default")


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


def _keys_held_back(keys: Keys) -> tuple[Keys, Keys]:
    """``held_back`` for the keys of a page: those of the partition it ends with are carried,
    unless they are a page's worth already."""
    last = keys[-1][0]
    carried = [key for key in keys if key[0] == last]
    if len(carried) >= REPLAY_PAGE_ITEMS:
        return keys, []
    return [key for key in keys if key[0] != last], carried


class _WorkerPool:
    """Worker processes, each projecting the campaigns whose id hashes to it."""

    def __init__(self, connections: list[Connection]) -> None:
        self._connections = connections
        self._waiting = [0] * len(connections)

    def project(self, keys: Keys) -> list[_Projected]:
        """Hand each worker the keys of its campaigns' documents of one page; the counts of
        the pages that finished meanwhile (waiting when a worker has too many in hand)."""
        shares: list[Keys] = [[] for _ in self._connections]
        for key in keys:
            shares[zlib.crc32(key[0].encode()) % len(shares)].append(key)
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

    def results(
        self,
    ) -> list[tuple[dict[PartialKey, Any], dict[str, str], list[CampaignCheck], WorkerUsage]]:
        """Each worker's sums of partial moves, campaigns met (with their tenants), checks of
        them and what it used; the workers stop. All are told first, so that they finish side
        by side."""
        for connection in self._connections:
            connection.send(None)
        return [self._answer(connection) for connection in self._connections]

    def _receive(self, index: int) -> _Projected:
        answer = self._answer(self._connections[index])
        self._waiting[index] -= 1
        events, dead_lettered = answer
        return _Projected(events, dead_lettered)

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
def _worker_pool(
    workers: int, open_store: StoreOpener, generation: int, live: int | None
) -> Iterator[_WorkerPool]:
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
        yield _WorkerPool(connections)
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
