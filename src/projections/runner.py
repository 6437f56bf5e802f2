"""The projection runner: one piece of code behind both hosts (the Azure Functions change-feed
trigger and the local change-feed processor), written against the document-store port only.

Given a batch of change-feed documents of ``events`` it:

1. groups the event documents by campaign, in stream order, without duplicates; per campaign,
   reads the snapshot, whose ``appliedVersion`` is the campaign's watermark, keeps the events
   above it and fills a gap from the log (``projections.feed``);
2. applies the events in memory to the documents they touch (``CampaignViews``), within the
   size limit of a view document (``projections.view_size``); an event whose projector raises,
   or that would make a document too large, or whose document cannot even be read, is
   dead-lettered and the rest still projected, so one campaign never stalls the feed;
3. plans the campaign's writes (``projections.write_plan``: etag-checked, in atomic batches,
   the snapshot last) and writes the plans of every campaign of the call in one
   ``execute_batches`` call, campaign after campaign (``projections.writer``). Campaigns whose
   statistics contributions move the same partial (their tenant's, for their feed range:
   ``projections.tallies``) are written as one, the contributions and the partial in one
   batch, since each write of a partial is checked against the etag it was read with. A
   campaign whose write met an etag conflict (another runner wrote meanwhile), and those after
   it, are read and applied again on their own; a write the store refused as too large although
   the size check let it through is dead-lettered; a fault is raised once the campaigns written
   before it are finished. A call takes at most ``MAX_TALLIES_PER_BATCH`` campaigns of one
   tenant at a time (rounds), so that a partial's batch stays within the port's limits;
4. derives the notifications of the events it applied (``projections.notifications``) and,
   only once the campaign's views are written, hands them to the publisher (if any) and lists
   them in the outcome: a client that reads the snapshot on a notification sees at least its
   version. A failing publisher is logged and never fails the projection.

A runner given a ``lease_prefix`` (the Azure Functions trigger's) projects only while that prefix
is the live generation's (``generations.lease_prefix_of``); otherwise it logs an error and raises
``ConfigurationError`` before writing anything, so the trigger retries the batch without moving
its leases until the operator sets the prefix the rebuild printed (docs/projections.md).

A runner given ``PartialMoves`` (a rebuild's replay) writes the contributions without their
partials and sums what they move there; the replay adds the sums to the partials once at its end.
Such a runner writes into a generation nobody else reads or writes yet, so its calls go through
``DocumentStore.execute_unread_batches`` (no etag round trip on SQLite). That generation held
nothing when the replay began (a new number: ``ProjectionState.next_generation``) and each of
a campaign's documents is written by the one runner projecting the campaign, so a campaign
this runner has not tried to write yet has no documents there: it reads none for it (four
queries saved per campaign, its list entry and contribution included).

A runner given a ``BatchObserver`` (the composition root's telemetry) runs each batch through
it, so that a batch can be traced and linked to the commands whose events it applies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from documentstore.port import EVENTS, VIEWS, DocumentStore
from domain.errors import CommandTooLarge, ConfigurationError, WriteContention
from domain.recorded import RecordedEvent
from projections.campaign_views import CampaignViews, Failure, Loader, load_nothing
from projections.dead_letters import DeadLetterBox
from projections.feed import (
    Position,
    RawEvent,
    RawEvents,
    above_watermark,
    grouped_by_campaign,
    parsed,
    with_gaps_filled,
)
from projections.generations import ProjectionStateStore, lease_prefix_of
from projections.notifications import Notification, NotificationPublisher, notifications_of
from projections.stored_views import campaign_loader
from projections.tallies import (
    MAX_TALLIES_PER_BATCH,
    PartialMoves,
    Tally,
    contribution_batches,
    rounds_of,
    tally_batches,
)
from projections.view_size import apply_within_size_limit, refused_by_the_store
from projections.write_plan import Batch, WritePlan, plan_writes, together
from projections.writer import CONFLICTS, CampaignWrite, WriteStatus, write_together

logger = logging.getLogger(__name__)


@dataclass
class ProjectionOutcome:
    """What one call did, for logs, progress bars and tests."""

    events: int = 0
    applied: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    campaigns: set[str] = field(default_factory=set)
    notifications: list[Notification] = field(default_factory=list)
    """Of the events applied, in stream order per campaign; derived after the views were
    written (the Azure Functions trigger sends these through SignalR)."""

    def add(self, other: ProjectionOutcome) -> None:
        self.events += other.events
        self.applied += other.applied
        self.skipped += other.skipped
        self.dead_lettered += other.dead_lettered
        self.campaigns |= other.campaigns
        self.notifications.extend(other.notifications)


class BatchObserver(Protocol):
    """Runs one change-feed batch: ``run`` projects ``documents`` and answers the outcome (or
    raises, and the observer lets the error through)."""

    def observe(
        self, documents: Sequence[RawEvent], run: Callable[[], ProjectionOutcome]
    ) -> ProjectionOutcome: ...


@dataclass
class _Attempt:
    """One campaign projected in memory with its writes planned (``writes``, in order), not
    written yet; ``raw``: the change-feed documents it was given, ``pending``: those it
    applied (gaps filled from the log)."""

    campaign_id: str
    outcome: ProjectionOutcome
    raw: RawEvents
    pending: RawEvents
    applied: list[RecordedEvent]
    dead_lettered: int
    tenant_id: str | None
    writes: WritePlan
    tally: Tally | None
    """The campaign's statistics contribution, written with its partial (None: unchanged)."""


class ProjectionRunner:
    """Applies change-feed batches of ``events`` to the views (see the module docstring)."""

    def __init__(
        self,
        store: DocumentStore,
        *,
        dead_letters: DeadLetterBox | None = None,
        max_attempts: int = 8,
        publisher: NotificationPublisher | None = None,
        lease_prefix: str | None = None,
        observer: BatchObserver | None = None,
        partial_moves: PartialMoves | None = None,
    ) -> None:
        self._store = store
        self._partial_moves = partial_moves
        self._tried: set[str] = set()
        """A replay's campaigns whose writes this runner has tried (see the module docstring)."""
        self._observer = observer
        self._state = ProjectionStateStore(store)
        self.dead_letters = dead_letters or DeadLetterBox(store)
        self._max_attempts = max_attempts
        self._publisher = publisher
        self._lease_prefix = lease_prefix

    @property
    def store(self) -> DocumentStore:
        return self._store

    def live_generation(self) -> int:
        return self._state.read().live

    def project(
        self, documents: Iterable[RawEvent], *, generation: int | None = None
    ) -> ProjectionOutcome:
        """Project a change-feed batch into ``generation`` (default: the live one, read now)."""
        if self._observer is None:
            return self._project(documents, generation)
        batch = list(documents)
        return self._observer.observe(batch, lambda: self._project(batch, generation))

    def _project(self, documents: Iterable[RawEvent], generation: int | None) -> ProjectionOutcome:
        by_campaign = grouped_by_campaign(documents)
        outcome = ProjectionOutcome()
        if not by_campaign:
            return outcome
        target = self._leased_live_generation() if generation is None else generation
        for round_of_campaigns in rounds_of(by_campaign):
            for campaign_outcome in self._project_together(target, round_of_campaigns):
                outcome.add(campaign_outcome)
        return outcome

    def _leased_live_generation(self) -> int:
        """The live generation, when this runner's lease prefix (if any) belongs to it."""
        live = self.live_generation()
        if self._lease_prefix is not None and self._lease_prefix != lease_prefix_of(live):
            message = (
                f"the trigger's lease prefix {self._lease_prefix!r} does not belong to the live "
                f"projection generation {live}: set LEDGER_LEASE_PREFIX={lease_prefix_of(live)} "
                "(docs/projections.md); nothing is projected and no lease moves until then"
            )
            logger.error(message)
            raise ConfigurationError(message)
        return live

    def _project_together(
        self, generation: int, by_campaign: Mapping[str, RawEvents]
    ) -> list[ProjectionOutcome]:
        """Every campaign projected in memory, then all their writes in one call
        (``write_together``; campaigns that move the same partial as one plan), then each
        campaign finished according to what became of its writes, in campaign order."""
        attempts = [
            self._attempt(generation, campaign_id, raw) for campaign_id, raw in by_campaign.items()
        ]
        planned = [attempt for attempt in attempts if isinstance(attempt, _Attempt)]
        if self._partial_moves is not None:
            self._tried.update(attempt.campaign_id for attempt in planned)
        groups = _sharing_partials(planned)
        writes = write_together(
            self._store,
            [self._group_batches(generation, group) for group in groups],
            unread=self._partial_moves is not None,  # a replay's generation nobody reads yet
        )
        write_of = {
            attempt.campaign_id: (write, len(group))
            for group, write in zip(groups, writes, strict=True)
            for attempt in group
        }
        # The written ones first: a fault raised for another must not keep them unfinished.
        finished = {
            attempt.campaign_id: self._finish(attempt)
            for attempt in planned
            if write_of[attempt.campaign_id][0].status is WriteStatus.WRITTEN
        }
        outcomes: list[ProjectionOutcome] = []
        for attempt in attempts:
            if not isinstance(attempt, _Attempt):
                outcomes.append(attempt)
            elif attempt.campaign_id in finished:
                outcomes.append(finished[attempt.campaign_id])
            else:
                write, written_with = write_of[attempt.campaign_id]
                outcomes.append(self._after_write(generation, attempt, write, written_with))
        return outcomes

    def _group_batches(self, generation: int, group: Sequence[_Attempt]) -> list[Batch]:
        """The batches of campaigns written as one (their partial read now)."""
        tallies = [attempt.tally for attempt in group if attempt.tally is not None]
        if self._partial_moves is not None:
            return together(
                [attempt.writes for attempt in group], contribution_batches(generation, tallies)
            )
        return together(
            [attempt.writes for attempt in group],
            tally_batches(self._store, generation, tallies),
        )

    def _after_write(
        self, generation: int, attempt: _Attempt, write: CampaignWrite, written_with: int = 1
    ) -> ProjectionOutcome:
        """A campaign's outcome once the call's writes are done: finished when written;
        dead-lettered when the store refused it, alone, as too large; projected again on its
        own when it met a conflict, was not tried, or was refused with others (``written_with``
        campaigns shared its plan); a fault is raised."""
        if write.status is WriteStatus.WRITTEN:
            return self._finish(attempt)
        if write.status is WriteStatus.NOT_TRIED:
            return self._project_campaign(generation, attempt.campaign_id, attempt.raw)
        if isinstance(write.error, CommandTooLarge):
            if written_with > 1:
                return self._project_campaign(generation, attempt.campaign_id, attempt.raw)
            return self._rejected(generation, attempt, write.error)
        if isinstance(write.error, CONFLICTS):
            logger.info(
                "campaign %s changed while projecting (%s); again", attempt.campaign_id, write.error
            )
            return self._project_campaign(generation, attempt.campaign_id, attempt.raw)
        assert write.error is not None
        raise write.error

    def _project_campaign(
        self, generation: int, campaign_id: str, raw: RawEvents
    ) -> ProjectionOutcome:
        """One campaign, projected and written on its own; again while its write meets a
        conflict (another runner wrote meanwhile)."""
        for _ in range(self._max_attempts):
            attempt = self._attempt(generation, campaign_id, raw)
            if not isinstance(attempt, _Attempt):
                return attempt
            try:
                batches = self._group_batches(generation, [attempt])
                self._store.execute_batches(VIEWS, batches).results()
            except CONFLICTS as conflict:
                logger.info(
                    "campaign %s changed while projecting (%s); again", campaign_id, conflict
                )
                continue
            except CommandTooLarge as refusal:
                return self._rejected(generation, attempt, refusal)
            return self._finish(attempt)
        raise WriteContention(f"the views of campaign {campaign_id} kept changing under us")

    def _attempt(
        self, generation: int, campaign_id: str, raw: RawEvents
    ) -> _Attempt | ProjectionOutcome:
        """The campaign's pending events applied in memory, their failures dead-lettered, and
        its writes planned (``_Attempt``); or its outcome when nothing is pending."""
        outcome = ProjectionOutcome(events=len(raw), campaigns={campaign_id})
        views = CampaignViews(campaign_id, self._loader(generation, campaign_id))
        watermark = views.watermark
        pending: dict[Position, RawEvent] = above_watermark(raw, watermark)
        outcome.skipped = len(raw) - len(pending)
        if not pending:
            return outcome
        pending = with_gaps_filled(self._store, campaign_id, watermark, pending)
        events, unreadable = parsed(pending)
        applied = apply_within_size_limit(generation, views, events)
        tenant_id = applied.views.tenant_id
        self.dead_letters.record_failures(
            [*unreadable, *applied.refused], pending, generation=generation, tenant_id=tenant_id
        )
        refused = {failure.event.version for failure in applied.refused}
        plan = plan_writes(generation, campaign_id, applied.views.changes(), applied.measured)
        return _Attempt(
            campaign_id=campaign_id,
            outcome=outcome,
            raw=raw,
            pending=pending,
            applied=[event for event in events if event.version not in refused],
            dead_lettered=len(unreadable) + len(applied.refused),
            tenant_id=tenant_id,
            writes=plan,
            tally=self._tally_of(campaign_id, plan, applied.views),
        )

    def _loader(self, generation: int, campaign_id: str) -> Loader:
        """How the campaign's documents are read: none for a replay's campaign this runner
        has not tried to write yet (see the module docstring)."""
        if self._partial_moves is not None and campaign_id not in self._tried:
            return load_nothing
        return campaign_loader(self._store, generation, campaign_id)

    def _tally_of(self, campaign_id: str, plan: WritePlan, views: CampaignViews) -> Tally | None:
        """The campaign's contribution change, for the partial of its feed range."""
        if not plan.tallies:
            return None
        [change] = plan.tallies
        return Tally(
            key=change.key,
            before=views.original(change.key),
            etag=change.etag,
            after=change.document,
            feed_range=self._store.feed_range_of(EVENTS, campaign_id),
        )

    def _finish(self, attempt: _Attempt) -> ProjectionOutcome:
        """The outcome of a campaign whose views are written; its notifications published
        (none for a replay's expand: nobody reads its generation, so nobody listens to it)."""
        outcome = attempt.outcome
        if self._partial_moves is not None and attempt.tally is not None:
            self._partial_moves.add(attempt.tally)
        outcome.applied = len(attempt.applied)
        outcome.dead_lettered = attempt.dead_lettered
        if self._partial_moves is None:  # a replay's generation has no subscribers yet
            outcome.notifications = notifications_of(attempt.applied)
            self._publish(attempt.campaign_id, outcome.notifications)
        return outcome

    def _rejected(
        self, generation: int, attempt: _Attempt, refusal: CommandTooLarge
    ) -> ProjectionOutcome:
        """The outcome of a campaign whose write the store refused as too large although the
        size check let it through (its measure and the port's differ): rather than stall the
        feed for every campaign in it, the events of this attempt are dead-lettered. Replaying
        them after a fix re-projects the campaign from its log."""
        logger.error(
            "the store refused the views of campaign %s as too large: %s",
            attempt.campaign_id,
            refusal,
        )
        error = refused_by_the_store(attempt.campaign_id, refusal)
        self.dead_letters.record_failures(
            [Failure(event, error) for event in attempt.applied],
            attempt.pending,
            generation=generation,
            tenant_id=attempt.tenant_id,
        )
        attempt.outcome.dead_lettered = attempt.dead_lettered + len(attempt.applied)
        return attempt.outcome

    def _publish(self, campaign_id: str, notifications: Sequence[Notification]) -> None:
        """Hand the notifications over; the views are written, whatever the publisher does."""
        if self._publisher is None or not notifications:
            return
        try:
            self._publisher.publish(campaign_id, notifications)
        except Exception:
            logger.exception("publishing the notifications of campaign %s failed", campaign_id)


def _sharing_partials(attempts: Sequence[_Attempt]) -> list[list[_Attempt]]:
    """The attempts in groups written as one: those moving the same partial together (at most
    ``MAX_TALLIES_PER_BATCH``; any further one alone, to meet a conflict and go again on its
    own), every other alone; in the order of their first member."""
    groups: list[list[_Attempt]] = []
    by_partial: dict[tuple[str, str], list[_Attempt]] = {}
    for attempt in attempts:
        tally = attempt.tally
        shared = None if tally is None else by_partial.get(tally.partial)
        if shared is not None and len(shared) < MAX_TALLIES_PER_BATCH:
            shared.append(attempt)
            continue
        group = [attempt]
        groups.append(group)
        if tally is not None and shared is None:
            by_partial[tally.partial] = group
    return groups
