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
(the least loaded when the campaign is first met), so that its events are applied in stream
order by one runner. The replay
then reads the feed as keys only (``DocumentStore.read_feed_keys``) and hands each worker the
keys of its campaigns (``projections.replay_workers``), so memory stays bounded by a few pages
of keys whatever the log's length; the coordinator checkpoints the store's log after each page
(``DocumentStore.checkpoint``), so that no worker does while holding the write lock. Given the
``live`` generation, each worker then checks its own campaigns against it and the replay keeps
what it found (``checks``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

from documentstore.port import EVENTS, DocumentStore, FeedKeysPage, FeedPage
from projections.events import campaign_of, is_event_document, remember_tenant
from projections.replay_workers import (
    Documents,
    Keys,
    Projected,
    StoreOpener,
    WorkerPool,
    WorkerUsage,
    worker_pool,
)
from projections.runner import ProjectionRunner
from projections.tallies import PartialMoves
from projections.verification import CampaignCheck

REPLAY_PAGE_ITEMS = 1_000
"""Change-feed documents per page of a replay: a campaign's events mostly arrive in one page,
so its documents are read and written once rather than once per 100 events; memory stays
bounded by the page, whatever the log's length."""

Item = TypeVar("Item")


class _FeedPageOf(Protocol[Item]):
    """A page of the change feed as ``read_feed`` and ``read_feed_keys`` answer it."""

    @property
    def items(self) -> list[Item]: ...

    @property
    def continuation(self) -> str: ...


ProgressNote = Callable[[int, int], None]
"""Told the events projected so far and the campaigns met so far."""


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
            with worker_pool(workers, open_store, self._generation, live) as pool:
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

    def _projecting_with(self, runner: ProjectionRunner) -> Callable[[Documents], list[Projected]]:
        def project(documents: Documents) -> list[Projected]:
            outcome = runner.project(documents, generation=self._generation)
            return [Projected(outcome.events, outcome.dead_lettered)]

        return project

    def _drain(self, project: Callable[[Documents], list[Projected]], note: ProgressNote) -> None:
        def read(feed_range: str, position: str | None) -> FeedPage:
            return self._store.read_feed(EVENTS, feed_range, position, max_items=REPLAY_PAGE_ITEMS)

        for page, documents in self._pages(read, held_back):
            for document in page:
                if is_event_document(document):
                    self._remember(document)
            if documents:
                self._count(project(documents))
                note(self.events, len(self.campaigns))

    def _hand_out(self, pool: WorkerPool, note: ProgressNote) -> None:
        """``_drain`` for workers: the feed read as keys only (``read_feed_keys``), each
        partition's keys of a page handed to its worker, which reads the documents itself;
        after each page the store's log is checkpointed here (``DocumentStore.checkpoint``),
        alongside the workers' writes, rather than by a worker holding the write lock."""

        def read(feed_range: str, position: str | None) -> FeedKeysPage:
            return self._store.read_feed_keys(
                EVENTS, feed_range, position, max_items=REPLAY_PAGE_ITEMS
            )

        met: set[str] = set()
        for page, keys in self._pages(read, _keys_held_back):
            met.update(partition for partition, _ in page)
            if keys:
                self._count(pool.project(keys))
                self._store.checkpoint()
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

    def _count(self, projected: list[Projected]) -> None:
        for done in projected:
            self.events += done.events
            self.dead_letters += done.dead_lettered

    def _remember(self, document: dict[str, object]) -> None:
        remember_tenant(self.campaigns, document)


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
