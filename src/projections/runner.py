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
   ``execute_batches`` call, campaign after campaign (``projections.writer``). A campaign
   whose write met an etag conflict (another runner wrote meanwhile), and those after it, are
   read and applied again on their own; a write the store refused as too large although the
   size check let it through is dead-lettered; a fault is raised once the campaigns written
   before it are finished;
4. derives the notifications of the events it applied (``projections.notifications``) and,
   only once the campaign's views are written, hands them to the publisher (if any) and lists
   them in the outcome: a client that reads the snapshot on a notification sees at least its
   version. A failing publisher is logged and never fails the projection.

A runner given a ``lease_prefix`` (the Azure Functions trigger's) projects only while that prefix
is the live generation's (``generations.lease_prefix_of``); otherwise it logs an error and raises
``ConfigurationError`` before writing anything, so the trigger retries the batch without moving
its leases until the operator sets the prefix the rebuild printed (docs/projections.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from documentstore.port import VIEWS, DocumentStore
from domain.errors import CommandTooLarge, ConfigurationError, WriteContention
from domain.recorded import RecordedEvent
from projections.campaign_views import CampaignViews, Failure, keys_ahead
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
from projections.view_size import apply_within_size_limit, refused_by_the_store
from projections.write_plan import Batch, plan_writes
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
    writes: list[Batch]


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
    ) -> None:
        self._store = store
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
        by_campaign = grouped_by_campaign(documents)
        outcome = ProjectionOutcome()
        if not by_campaign:
            return outcome
        target = self._leased_live_generation() if generation is None else generation
        for campaign_outcome in self._project_together(target, by_campaign):
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
        (``write_together``), then each campaign finished according to what became of its
        writes, in campaign order."""
        attempts = [
            self._attempt(generation, campaign_id, raw) for campaign_id, raw in by_campaign.items()
        ]
        planned = [attempt for attempt in attempts if isinstance(attempt, _Attempt)]
        writes = write_together(self._store, [attempt.writes for attempt in planned])
        write_of = {
            attempt.campaign_id: write for attempt, write in zip(planned, writes, strict=True)
        }
        return [
            self._after_write(generation, attempt, write_of[attempt.campaign_id])
            if isinstance(attempt, _Attempt)
            else attempt
            for attempt in attempts
        ]

    def _after_write(
        self, generation: int, attempt: _Attempt, write: CampaignWrite
    ) -> ProjectionOutcome:
        """A campaign's outcome once the call's writes are done: finished when written;
        dead-lettered when the store refused it as too large; projected again on its own when
        it met a conflict or was not tried; a fault is raised."""
        if write.status is WriteStatus.WRITTEN:
            return self._finish(attempt)
        if write.status is WriteStatus.NOT_TRIED:
            return self._project_campaign(generation, attempt.campaign_id, attempt.raw)
        if isinstance(write.error, CommandTooLarge):
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
                self._store.execute_batches(VIEWS, attempt.writes).results()
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
        loader = campaign_loader(self._store, generation, campaign_id)
        views = CampaignViews(campaign_id, loader)
        watermark = views.watermark
        pending: dict[Position, RawEvent] = above_watermark(raw, watermark)
        outcome.skipped = len(raw) - len(pending)
        if not pending:
            return outcome
        pending = with_gaps_filled(self._store, campaign_id, watermark, pending)
        events, unreadable = parsed(pending)
        loader.prefetch(keys_ahead(campaign_id, events, views.snapshot))
        applied = apply_within_size_limit(generation, views, events)
        tenant_id = applied.views.tenant_id
        self.dead_letters.record_failures(
            [*unreadable, *applied.refused], pending, generation=generation, tenant_id=tenant_id
        )
        refused = {failure.event.version for failure in applied.refused}
        return _Attempt(
            campaign_id=campaign_id,
            outcome=outcome,
            raw=raw,
            pending=pending,
            applied=[event for event in events if event.version not in refused],
            dead_lettered=len(unreadable) + len(applied.refused),
            tenant_id=tenant_id,
            writes=plan_writes(generation, campaign_id, applied.views.changes(), applied.measured),
        )

    def _finish(self, attempt: _Attempt) -> ProjectionOutcome:
        """The outcome of a campaign whose views are written; its notifications published."""
        outcome = attempt.outcome
        outcome.applied = len(attempt.applied)
        outcome.dead_lettered = attempt.dead_lettered
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
