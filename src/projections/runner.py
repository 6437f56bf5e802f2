"""The projection runner: one piece of code behind both hosts (the Azure Functions change-feed
trigger and the local change-feed processor), written against the document-store port only.

Given a batch of change-feed documents of ``events`` it:

1. keeps the event documents (head documents and anything else are ignored) and groups them by
   campaign, in stream order, without duplicates;
2. per campaign, reads the snapshot, whose ``appliedVersion`` is the campaign's watermark:
   events at or below it are skipped (at-least-once delivery, exactly-once effect); a gap above
   it (a generation switch, a lost lease) is filled from the log with one partition query;
3. applies the events in memory to the documents they touch (``CampaignViews``); an event whose
   projector raises is dead-lettered and the rest still projected. So is an event that would
   make a document too large to write (``MAX_VIEW_DOCUMENT_BYTES``): when a document comes out
   too large, the events are applied again one by one and each event that makes a document too
   large is refused (``view-too-large``), so one campaign's oversized document never stalls
   the feed;
4. writes the campaign's changed documents with etag checks (create new, replace with
   ``if_match``) in atomic batches of at most 100 operations / 2 MB: entity documents first,
   then the tenant's list entry, then the batch holding the snapshot. The writes of every
   campaign of the call go to the store in one ``execute_batches`` call, campaign after
   campaign (the SQLite store commits them together: one turn at its write lock per call).
   Each document's watermark makes a retry after a crash between batches harmless; an etag
   conflict means another runner wrote meanwhile, so that campaign (and those after it) is
   read and applied again on its own. Each document is encoded once, when its size is
   checked, and that encoding is what the store writes;
5. derives the notifications of the events it applied (``projections.notifications``) and,
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
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from documentstore.port import (
    MAX_BATCH_BYTES,
    MAX_BATCH_OPERATIONS,
    VIEWS,
    BatchesResult,
    Create,
    Delete,
    DocumentStore,
    Operation,
    Replace,
    batch_size_bytes,
)
from domain.errors import (
    CommandTooLarge,
    ConfigurationError,
    DocumentConflict,
    DocumentNotFound,
    EtagMismatch,
    LedgerError,
    WriteContention,
)
from domain.recorded import RecordedEvent
from projections.campaign_views import (
    CampaignViews,
    Change,
    DocumentCheck,
    Failure,
    Loader,
    load_nothing,
)
from projections.dead_letters import DeadLetterBox
from projections.events import is_event_document, parse_event_document, read_campaign_events
from projections.generations import (
    ProjectionStateStore,
    lease_prefix_of,
    stored_id,
    to_logical,
    to_stored,
)
from projections.notifications import Notification, NotificationPublisher, notifications_of
from projections.projectors import ViewKey, snapshot_key
from projections.stored_views import Difference, compare, read_campaign_views, read_partition

Document = dict[str, Any]
RawEvent = Mapping[str, Any]

logger = logging.getLogger(__name__)

_CONFLICTS = (EtagMismatch, DocumentConflict, DocumentNotFound)

MAX_VIEW_DOCUMENT_BYTES = MAX_BATCH_BYTES - 4 * 1024
"""The most one view document may take, measured as the port measures a batch holding it alone
(ASCII-escaped JSON plus the operation's envelope). The 4 KiB left of the port's batch limit
are room for the fields the store adds to an item. An event that would make a document larger is
dead-lettered with code ``view-too-large``."""
VIEW_TOO_LARGE = "view-too-large"


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
    raw: Mapping[int | str, RawEvent]
    pending: Mapping[int | str, RawEvent]
    applied: list[RecordedEvent]
    dead_lettered: int
    tenant_id: str | None
    writes: list[tuple[str, Sequence[Operation]]]


@dataclass(frozen=True)
class Reprojection:
    """A campaign projected again from its whole log, compared with what was stored."""

    campaign_id: str
    events: int
    watermark: int
    differences: list[Difference]
    failures: list[Failure]
    written: bool
    tenant_id: str | None


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
        by_campaign: dict[str, dict[int | str, RawEvent]] = defaultdict(dict)
        for document in documents:
            if is_event_document(document):
                campaign = str(document.get("streamId") or document.get("partitionKey"))
                by_campaign[campaign][_position(document)] = document
        outcome = ProjectionOutcome()
        if not by_campaign:
            return outcome
        target = self._leased_live_generation() if generation is None else generation
        for campaign_outcome in self._project_together(target, by_campaign):
            outcome.add(campaign_outcome)
        return outcome

    def _project_together(
        self, generation: int, by_campaign: Mapping[str, Mapping[int | str, RawEvent]]
    ) -> list[ProjectionOutcome]:
        """Every campaign projected in memory, then all their writes in one ``execute_batches``
        call, in campaign order (the SQLite store commits them together: one turn at the write
        lock per batch of the feed rather than one per campaign). Campaigns written are
        finished as one by one (notifications published, in order); the one whose write was
        refused, and those after it, go through ``_project_campaign`` again, exactly as a
        campaign whose own write was refused; a fault is raised once the campaigns written
        before it are finished."""
        attempts = [
            self._attempt(generation, campaign_id, raw) for campaign_id, raw in by_campaign.items()
        ]
        writes = [
            batch
            for attempt in attempts
            if isinstance(attempt, _Attempt)
            for batch in attempt.writes
        ]
        result = self._store.execute_batches(VIEWS, writes) if writes else BatchesResult([])
        failed_at = len(result.applied) if result.error is not None else None
        outcomes: list[ProjectionOutcome] = []
        end = 0
        for attempt in attempts:
            if not isinstance(attempt, _Attempt):
                outcomes.append(attempt)
                continue
            start, end = end, end + len(attempt.writes)
            if failed_at is None or end <= failed_at:
                outcomes.append(self._finish(attempt))
            elif isinstance(result.error, CommandTooLarge) and start <= failed_at:
                outcomes.append(self._rejected(generation, attempt, result.error))
            elif isinstance(result.error, (*_CONFLICTS, CommandTooLarge)):
                if start <= failed_at:
                    logger.info(
                        "campaign %s changed while projecting (%s); again",
                        attempt.campaign_id,
                        result.error,
                    )
                outcomes.append(
                    self._project_campaign(generation, attempt.campaign_id, attempt.raw)
                )
            else:
                assert result.error is not None
                raise result.error
        return outcomes

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

    def _project_campaign(
        self, generation: int, campaign_id: str, raw: Mapping[int | str, RawEvent]
    ) -> ProjectionOutcome:
        """One campaign, projected and written on its own; again while its write meets a
        conflict (another runner wrote meanwhile)."""
        for _ in range(self._max_attempts):
            attempt = self._attempt(generation, campaign_id, raw)
            if not isinstance(attempt, _Attempt):
                return attempt
            try:
                self._store.execute_batches(VIEWS, attempt.writes).results()
            except _CONFLICTS as conflict:
                logger.info(
                    "campaign %s changed while projecting (%s); again", campaign_id, conflict
                )
                continue
            except CommandTooLarge as refusal:
                return self._rejected(generation, attempt, refusal)
            return self._finish(attempt)
        raise WriteContention(f"the views of campaign {campaign_id} kept changing under us")

    def _attempt(
        self, generation: int, campaign_id: str, raw: Mapping[int | str, RawEvent]
    ) -> _Attempt | ProjectionOutcome:
        """The campaign's pending events applied in memory, their failures dead-lettered, and
        its writes planned (``_Attempt``); or its outcome when nothing is pending."""
        outcome = ProjectionOutcome(events=len(raw), campaigns={campaign_id})
        views = CampaignViews(campaign_id, self._loader(generation, campaign_id))
        watermark = views.watermark
        pending = {
            position: document
            for position, document in raw.items()
            if not isinstance(position, int) or position > watermark
        }
        outcome.skipped = len(raw) - len(pending)
        if not pending:
            return outcome
        pending = self._fill_gaps(campaign_id, watermark, pending)
        events, unreadable = _parsed(pending)
        views, refused, measured = self._applied(generation, views, events)
        tenant_id = _tenant_of(views)
        self._dead_letter(generation, [*unreadable, *refused], pending, tenant_id)
        failed = {failure.event.version for failure in refused}
        return _Attempt(
            campaign_id=campaign_id,
            outcome=outcome,
            raw=raw,
            pending=pending,
            applied=[event for event in events if event.version not in failed],
            dead_lettered=len(unreadable) + len(refused),
            tenant_id=tenant_id,
            writes=self._planned(generation, campaign_id, views.changes(), measured),
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
        """The outcome of a campaign whose write the store refused as too large."""
        rejected = self._dead_letter_rejected_write(
            generation,
            attempt.campaign_id,
            attempt.applied,
            raw=attempt.pending,
            tenant_id=attempt.tenant_id,
            refusal=refusal,
        )
        attempt.outcome.dead_lettered = attempt.dead_lettered + rejected
        return attempt.outcome

    def _applied(
        self, generation: int, views: CampaignViews, events: Sequence[RecordedEvent]
    ) -> tuple[CampaignViews, list[Failure], dict[ViewKey, _Measured]]:
        """``events`` applied to ``views``: the working set, the events refused, and each
        changed document as stored, measured (``_measured``). When a document comes out too
        large to write, the events are applied again, one by one, to the documents as loaded,
        and each event that would make a document too large is refused like one whose
        projector raises."""
        failures = _apply_all(views, events)
        measured = _measured(generation, views.changes())
        oversized = sorted(
            key.id for key, each in measured.items() if each.size > MAX_VIEW_DOCUMENT_BYTES
        )
        if not oversized:
            return views, failures, measured
        logger.warning(
            "campaign %s: %s would exceed %d bytes; refusing the events that make them so",
            views.campaign_id,
            ", ".join(oversized),
            MAX_VIEW_DOCUMENT_BYTES,
        )
        checked = views.started_over(check=_size_check(generation))
        failures = _apply_all(checked, events)
        return checked, failures, _measured(generation, checked.changes())

    def _dead_letter_rejected_write(
        self,
        generation: int,
        campaign_id: str,
        events: Sequence[RecordedEvent],
        *,
        raw: Mapping[int | str, RawEvent],
        tenant_id: str | None,
        refusal: CommandTooLarge,
    ) -> int:
        """The store refused a write the size check let through (its measure and the port's
        differ): rather than stall the feed for every campaign in it, the events of this
        attempt are dead-lettered. Replaying them after a fix re-projects the campaign from its
        log. Returns how many were."""
        logger.error(
            "the store refused the views of campaign %s as too large: %s", campaign_id, refusal
        )
        error = LedgerError(
            f"the store refused the views of campaign {campaign_id} this event changes as too "
            f"large: {refusal.detail}",
            code=VIEW_TOO_LARGE,
        )
        self._dead_letter(generation, [Failure(event, error) for event in events], raw, tenant_id)
        return len(events)

    def _publish(self, campaign_id: str, notifications: Sequence[Notification]) -> None:
        """Hand the notifications over; the views are written, whatever the publisher does."""
        if self._publisher is None or not notifications:
            return
        try:
            self._publisher.publish(campaign_id, notifications)
        except Exception:
            logger.exception("publishing the notifications of campaign %s failed", campaign_id)

    def _fill_gaps(
        self, campaign_id: str, watermark: int, pending: dict[int | str, RawEvent]
    ) -> dict[int | str, RawEvent]:
        versions = sorted(position for position in pending if isinstance(position, int))
        if not versions or versions == list(range(watermark + 1, versions[-1] + 1)):
            return pending
        logger.info(
            "campaign %s: events %s..%s reach the views out of order; reading the log",
            campaign_id,
            watermark + 1,
            versions[-1],
        )
        filled = dict(pending)
        for document in read_campaign_events(
            self._store, campaign_id, after=watermark, up_to=versions[-1]
        ):
            filled.setdefault(_position(document), document)
        return dict(sorted(filled.items(), key=lambda item: _order(item[0])))

    def _dead_letter(
        self,
        generation: int,
        failures: Sequence[Failure],
        raw: Mapping[int | str, RawEvent],
        tenant_id: str | None,
    ) -> None:
        for failure in failures:
            document = (
                failure.document or raw.get(failure.event.version) or _as_document(failure.event)
            )
            logger.warning(
                "dead-lettered %s v%s of campaign %s: %s",
                failure.event.type,
                failure.event.version,
                failure.event.campaign_id,
                failure.error,
            )
            self.dead_letters.record(
                document, failure.error, generation=generation, tenant_id=tenant_id
            )

    def _loader(self, generation: int, campaign_id: str) -> Loader:
        """Point reads of the documents an event touches, except for a campaign that is new
        to ``generation`` (no snapshot yet: a new campaign, or any campaign during a rebuild):
        its partition is then read with one query, which finds the few documents a crash may
        have left, instead of one point read per document that does not exist yet."""
        prefetched: dict[str, Document] | None = None

        def load(key: ViewKey) -> tuple[Document | None, str | None]:
            nonlocal prefetched
            if prefetched is not None and key.partition_key == campaign_id:
                stored = prefetched.get(key.id)
            else:
                stored = self._store.read(VIEWS, key.partition_key, stored_id(generation, key.id))
                if stored is None and key == snapshot_key(campaign_id):
                    prefetched = {
                        to_logical(document)["id"]: document
                        for document in read_partition(self._store, campaign_id, generation)
                    }
            if stored is None:
                return None, None
            return to_logical(stored), stored.get("_etag")

        return load

    def _planned(
        self,
        generation: int,
        campaign_id: str,
        changes: Sequence[Change],
        measured: Mapping[ViewKey, _Measured],
    ) -> list[tuple[str, Sequence[Operation]]]:
        """The writes of ``changes``, in the order they must land: entity batches, then the
        list entry, then the batch that holds the snapshot (``measured``: the documents
        ``_measured`` encoded, reused for a change of the very same document)."""
        entity_operations: list[tuple[Operation, int]] = []
        snapshot_operation: tuple[Operation, int] | None = None
        elsewhere: list[tuple[str, Sequence[Operation]]] = []
        for change in changes:
            known = measured.get(change.key)
            if known is not None and known.source is change.document:
                stored, encoded = known.operation.document, known.operation.stored_json
            else:
                stored, encoded = to_stored(generation, change.document), None
            operation: Operation = (
                Create(stored, encoded=encoded)
                if change.etag is None
                else Replace(stored, if_match=change.etag, encoded=encoded)
            )
            sized = (operation, batch_size_bytes([operation]))
            if change.key == snapshot_key(campaign_id):
                snapshot_operation = sized
            elif change.key.partition_key != campaign_id:
                elsewhere.append((change.key.partition_key, [operation]))
            else:
                entity_operations.append(sized)
        batches = pack(entity_operations, last=snapshot_operation)
        planned: list[tuple[str, Sequence[Operation]]] = [
            (campaign_id, batch) for batch in batches[:-1]
        ]
        planned += elsewhere
        if batches:
            planned.append((campaign_id, batches[-1]))
        return planned

    def reproject_campaign(
        self, generation: int, campaign_id: str, *, write: bool = True
    ) -> Reprojection:
        """Project the campaign's whole log from scratch and (if ``write``) make ``generation``
        hold exactly that: changed documents replaced, missing ones created, extra ones removed,
        the snapshot last. Used to repair one campaign and to replay its dead letters."""
        for _ in range(self._max_attempts):
            raw = {_position(doc): doc for doc in read_campaign_events(self._store, campaign_id)}
            events, unreadable = _parsed(raw)
            fresh, refused, measured = self._applied(
                generation, CampaignViews(campaign_id, load_nothing), events
            )
            failures = [*unreadable, *refused]
            stored = read_campaign_views(self._store, generation, campaign_id)
            live_snapshot = stored.get(snapshot_key(campaign_id))
            last_read = max((p for p in raw if isinstance(p, int)), default=0)
            if (
                live_snapshot is not None
                and int(live_snapshot.document["appliedVersion"]) > last_read
            ):
                continue  # the log grew after we read it: read it again
            expected = fresh.documents()
            differences = compare(
                campaign_id, expected, {key: view.document for key, view in stored.items()}
            )
            snapshot = expected.get(snapshot_key(campaign_id))
            result = Reprojection(
                campaign_id=campaign_id,
                events=len(raw),
                watermark=fresh.watermark,
                differences=differences,
                failures=failures,
                written=write,
                tenant_id=None if snapshot is None else str(snapshot["tenantId"]),
            )
            if not write:
                return result
            self._dead_letter(generation, failures, raw, _tenant_of(fresh))
            changes = [
                Change(key, document, stored[key].etag if key in stored else None)
                for key, document in expected.items()
                if key not in stored or stored[key].document != document
            ]
            changes.sort(key=lambda change: _write_order(change.key, campaign_id))
            try:
                self._remove_unexpected(generation, campaign_id, expected, stored)
                planned = self._planned(generation, campaign_id, changes, measured)
                self._store.execute_batches(VIEWS, planned).results()
            except _CONFLICTS:
                continue
            return result
        raise WriteContention(f"the views of campaign {campaign_id} kept changing under us")

    def _remove_unexpected(
        self,
        generation: int,
        campaign_id: str,
        expected: Mapping[ViewKey, Document],
        stored: Mapping[ViewKey, Any],
    ) -> None:
        for key in sorted(set(stored) - set(expected)):
            self._store.execute_batch(
                VIEWS,
                key.partition_key,
                [Delete(stored_id(generation, key.id), if_match=stored[key].etag)],
            )


def pack(
    operations: Sequence[tuple[Operation, int]], *, last: tuple[Operation, int] | None = None
) -> list[list[Operation]]:
    """Operations, each with its size (``batch_size_bytes`` of it alone), cut into batches
    within the port's limits, ``last`` in the final batch."""
    batches: list[list[Operation]] = []
    current: list[Operation] = []
    size = 0
    for operation, operation_size in [*operations, *([last] if last is not None else [])]:
        if current and (
            len(current) + 1 > MAX_BATCH_OPERATIONS or size + operation_size > MAX_BATCH_BYTES
        ):
            batches.append(current)
            current, size = [], 0
        current.append(operation)
        size += operation_size
    if current:
        batches.append(current)
    return batches


def _apply_all(views: CampaignViews, events: Sequence[RecordedEvent]) -> list[Failure]:
    """Apply ``events`` in order; the failures of those that changed nothing."""
    failures = []
    for event in events:
        failure = views.apply(event)
        if failure is not None:
            failures.append(failure)
    return failures


def _stored_size(generation: int, document: Document) -> int:
    """A view document's size as the port measures a batch holding it alone."""
    return batch_size_bytes([Create(to_stored(generation, document))])


@dataclass(frozen=True)
class _Measured:
    """A changed document as stored (its ``Create``, which encoded it once) and its size as
    the port measures a batch holding it alone; ``source`` is the logical document."""

    source: Document
    operation: Create
    size: int


def _measured(generation: int, changes: Sequence[Change]) -> dict[ViewKey, _Measured]:
    measured = {}
    for change in changes:
        operation = Create(to_stored(generation, change.document))
        measured[change.key] = _Measured(change.document, operation, batch_size_bytes([operation]))
    return measured


def _size_check(generation: int) -> DocumentCheck:
    """Refuses a document larger than ``MAX_VIEW_DOCUMENT_BYTES`` once stored."""

    def check(key: ViewKey, document: Document) -> Exception | None:
        size = _stored_size(generation, document)
        if size <= MAX_VIEW_DOCUMENT_BYTES:
            return None
        return LedgerError(
            f"applying this event would make view document {key.id!r} (partition "
            f"{key.partition_key}) about {size:,} bytes, more than the "
            f"{MAX_VIEW_DOCUMENT_BYTES:,} a view document may hold",
            code=VIEW_TOO_LARGE,
        )

    return check


def _tenant_of(views: CampaignViews) -> str | None:
    """The campaign's tenant, from its snapshot (None before ``CampaignCreated`` applied)."""
    snapshot = views.snapshot
    tenant = None if snapshot is None else snapshot.get("tenantId")
    return tenant if isinstance(tenant, str) else None


def _write_order(key: ViewKey, campaign_id: str) -> tuple[int, str]:
    if key == snapshot_key(campaign_id):
        return (2, key.id)
    return (1 if key.partition_key != campaign_id else 0, key.id)


def _position(document: RawEvent) -> int | str:
    """An event's place in its stream: its version, or its id when the version is unreadable."""
    version = document.get("version")
    return version if isinstance(version, int) else f"id:{document.get('id')}"


def _order(position: int | str) -> tuple[int, int | str]:
    return (0, position) if isinstance(position, int) else (1, position)


def _parsed(raw: Mapping[int | str, RawEvent]) -> tuple[list[RecordedEvent], list[Failure]]:
    """Events in stream order, and the documents that could not even be read as events."""
    events: list[RecordedEvent] = []
    failures: list[Failure] = []
    for position in sorted(raw, key=_order):
        try:
            events.append(parse_event_document(raw[position]))
        except Exception as error:
            failures.append(Failure(_unreadable(raw[position]), error, raw[position]))
    return events, failures


def _unreadable(document: RawEvent) -> RecordedEvent:
    """A stand-in carrying what is known of an event document that could not be parsed."""
    version = document.get("version")
    return RecordedEvent(
        campaign_id=str(document.get("streamId") or document.get("partitionKey")),
        version=version if isinstance(version, int) else 0,
        type=str(document.get("type")),
        data={},
    )


def _as_document(event: RecordedEvent) -> Document:
    return {
        "partitionKey": event.campaign_id,
        "streamId": event.campaign_id,
        "docType": "event",
        "version": event.version,
        "type": event.type,
        "data": event.data,
        "metadata": event.metadata,
        "timestamp": event.timestamp,
    }
