"""The eventsourcing ``Application`` that stores campaigns, and how it loads and saves them.

Persistence is the infrastructure factory the composition root gives (``factory``: our event
store on the document store it opened), else the library's choice from the environment
(``PERSISTENCE_MODULE``; in-memory POPO when unset). Two seams serve a persistence module that
keeps one head document per stream:

* saving passes ``head_snapshot`` (the aggregate's snapshot after the new events, as a
  ``StoredEvent``) through ``Application.save`` to ``recorder.insert_events``, so the head is
  written in the same batch as the events (recorders without heads ignore it);
* loading asks a ``StreamHeadReader`` recorder for the head first: one point read when the
  snapshot is current, plus a tail query only when it is behind.

With a ``StreamStateReader`` recorder the aggregate's state is split (``Campaign``'s docstring):
a command loads the head's core snapshot and the states of the entities it names in one round
trip, and its append writes, beside the events and the head, only the entity states it changed
(each checked against the etag it was read with). A head written before the split is moved to
the split layout the first time it is loaded (``migrate_stream``: resumable and idempotent).

The library's separate snapshot store is not used.
"""

from __future__ import annotations

import contextlib
import copy
import weakref
from collections.abc import Callable, Collection, Iterable
from itertools import chain
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    ProjectorFunction,
    Repository,
)
from eventsourcing.domain import TDomainEvent, TMutableOrImmutableAggregate
from eventsourcing.persistence import InfrastructureFactory, IntegrityError, StoredEvent
from eventsourcing.utils import Environment, EnvType, strtobool

from application.stream_head import (
    PendingReadsLike,
    PipelinedStateReader,
    StoredStates,
    StreamHeadReader,
    StreamStateReader,
)
from domain.campaign import Campaign, EntityState
from domain.errors import CampaignNotFound, CampaignPurged, ConcurrencyConflict


class HeadFirstRepository(Repository[UUID]):
    """A repository that loads from the stream head when the recorder keeps heads whose
    snapshot holds the whole aggregate (layout 1); otherwise the library's way."""

    def _reconstruct_aggregate(
        self,
        aggregate_id: UUID,
        version: int | None,
        projector_func: ProjectorFunction[TMutableOrImmutableAggregate, TDomainEvent],
    ) -> TMutableOrImmutableAggregate:
        recorder = self.event_store.recorder
        if version is not None or not isinstance(recorder, StreamHeadReader):
            return super()._reconstruct_aggregate(aggregate_id, version, projector_func)
        head = recorder.read_head(aggregate_id)
        if head is None or head.purged:
            msg = f"Aggregate {aggregate_id!r} not found."
            raise AggregateNotFoundError(msg)
        if head.layout >= 2:  # a core snapshot: the entities are beside it, not in it
            return super()._reconstruct_aggregate(aggregate_id, version, projector_func)
        start: list[Any] = []
        after: int | None = None
        if head.snapshot is not None:
            snapshot = self.event_store.mapper.to_domain_event(head.snapshot)
            start = [snapshot]
            after = snapshot.originator_version
        tail: Iterable[Any] = (
            []
            if after is not None and after >= head.version
            else self.event_store.get(aggregate_id, gt=after)
        )
        aggregate = projector_func(None, cast("Iterable[TDomainEvent]", chain(start, tail)))
        if aggregate is None:
            msg = f"Aggregate {aggregate_id!r} not found."
            raise AggregateNotFoundError(msg)
        return aggregate


FactoryBuilder = Callable[[Environment], InfrastructureFactory[Any]]
"""Builds the application's infrastructure factory from its environment."""


class CampaignApplication(Application[UUID]):
    """Stores and loads ``Campaign`` aggregates; library errors end here."""

    def __init__(
        self, env: EnvType | None = None, *, factory: FactoryBuilder | None = None
    ) -> None:
        self._build_factory = factory
        self._conformances: dict[tuple[type, type], bool] = {}
        self._loaded_states: dict[int, StoredStates] = {}
        """The stored entity states each loaded campaign object was built from, by the
        object's id, dropped with the object (aggregates are not hashable)."""
        self._loaded_pending: dict[int, PendingReadsLike] = {}
        """The queued appends each campaign object loaded ``pipelined`` was built on, likewise."""
        super().__init__(env)

    def construct_factory(self, env: Environment) -> InfrastructureFactory[Any]:
        """The factory the composition root gave, else the one ``PERSISTENCE_MODULE`` names."""
        if self._build_factory is None:
            return super().construct_factory(env)
        return self._build_factory(env)

    def construct_repository(self) -> Repository[UUID]:
        cache_maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return HeadFirstRepository(
            event_store=self.events,
            cache_maxsize=int(cache_maxsize) if cache_maxsize else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(
                self.env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")
            ),
            deepcopy_from_cache=strtobool(self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")),
        )

    def load_campaign(
        self, campaign_id: UUID, entity_ids: Collection[str] = (), *, pipelined: bool = False
    ) -> Campaign:
        """The campaign at its latest version, holding the entities ``entity_ids`` names that
        exist (with a split-state recorder; otherwise every entity); ``CampaignNotFound`` if
        there is no such campaign (``CampaignPurged``, one of them, if it was purged).

        ``pipelined`` (a command's load, under its campaign's turn): through the appends this
        process has queued and not yet committed, where the recorder keeps them; a decision
        made on those stands only once ``confirm_loaded`` says they were committed."""
        recorder = self.events.recorder
        if self._reads_split_state(recorder):
            return self._load_split(
                cast("StreamStateReader", recorder), campaign_id, entity_ids, pipelined
            )
        return self._load_whole(campaign_id)

    def confirm_loaded(self, campaign: Campaign) -> None:
        """Wait until the queued appends ``campaign`` was loaded on have settled;
        ``ConcurrencyConflict`` (decide again) if one of them was not committed."""
        pending = self._loaded_pending.get(id(campaign))
        if pending is not None and not pending.committed():
            raise ConcurrencyConflict(f"an append campaign {campaign.id} was loaded on failed")

    def _reads_split_state(self, recorder: object) -> bool:
        return self._conforms(recorder, StreamStateReader)

    def _reads_pending(self, recorder: object) -> bool:
        return self._conforms(recorder, PipelinedStateReader)

    def _conforms(self, recorder: object, protocol: type) -> bool:
        """Whether ``recorder`` implements the runtime ``protocol``, checked once per recorder
        type (a runtime Protocol check inspects the type's attributes on every call)."""
        key = (type(recorder), protocol)
        known = self._conformances.get(key)
        if known is None:
            known = self._conformances[key] = isinstance(recorder, protocol)
        return known

    def recorded_ids(self, campaign_id: UUID, version: int) -> tuple[str | None, str | None]:
        """The command and correlation ids the event at ``version`` was recorded under (what a
        repeated create answers): one read of the log, paid by a repeat only."""
        for event in self.events.get(campaign_id, gt=version - 1, limit=1):
            metadata = getattr(event, "metadata", None)
            if isinstance(metadata, dict):
                return metadata.get("commandId"), metadata.get("correlationId")
        return None, None

    def head_snapshot_of(self, campaign: Campaign) -> StoredEvent:
        """The stored form of the campaign's (core) snapshot, pending events included."""
        return self.mapper.to_stored_event(Campaign.Snapshot.take(campaign))

    def save_campaign(
        self, campaign: Campaign, *, on_queued: Callable[[], None] | None = None
    ) -> None:
        """Append the pending events, with the head snapshot for recorders that keep heads and
        the changed entity states for recorders that keep them.

        A concurrent writer that got there first makes the recorder raise the library's
        ``IntegrityError``; it becomes ``ConcurrencyConflict`` here, the one place that calls the
        library's saving (``_save_aggregate``), and the service decides whether to retry (once
        the queued appends the campaign was loaded on have settled). ``on_queued`` is called
        when a store that commits in groups has queued the append, before its commit.
        """
        extra = {} if on_queued is None else {"on_queued": on_queued}
        try:
            self._save_aggregate(
                campaign,
                head_snapshot=self.head_snapshot_of(campaign),
                entity_states=self._changed_states(campaign),
                **extra,
            )
        except IntegrityError:
            pending = self._loaded_pending.get(id(campaign))
            if pending is not None:
                pending.committed()
            raise ConcurrencyConflict(
                f"another writer appended to campaign {campaign.id} first"
            ) from None

    def _save_aggregate(self, campaign: Campaign, **kwargs: Any) -> None:
        """What ``Application.save(campaign, **kwargs)`` does, for an object known to be an
        aggregate: the library's ``save`` first asks of each object whether it is an event or
        an aggregate with runtime Protocol checks, which inspect the class on every call."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        processing_event.events.extend(campaign.collect_events())
        processing_event.aggregates[campaign.id] = campaign
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's deprecated hook, as save calls it

    def _load_whole(self, campaign_id: UUID) -> Campaign:
        try:
            aggregate: object = self.repository.get(campaign_id)
        except AggregateNotFoundError:
            raise CampaignNotFound(f"campaign {campaign_id} not found") from None
        if not isinstance(aggregate, Campaign):
            raise CampaignNotFound(f"campaign {campaign_id} not found")
        return aggregate

    def _load_split(
        self,
        recorder: StreamStateReader,
        campaign_id: UUID,
        entity_ids: Collection[str],
        pipelined: bool = False,
    ) -> Campaign:
        pending: PendingReadsLike | None = None
        if pipelined and self._reads_pending(recorder):
            reader = cast("PipelinedStateReader", recorder)
            head, states, pending = reader.read_stream_pending(campaign_id, entity_ids)
        else:
            head, states = recorder.read_stream(campaign_id, entity_ids)
        if head is None:
            raise CampaignNotFound(f"campaign {campaign_id} not found")
        if head.purged:
            raise CampaignPurged(f"campaign {campaign_id} not found")
        if head.layout < 2 or head.snapshot is None:
            self._split(recorder, campaign_id)
            head, states = recorder.read_stream(campaign_id, entity_ids)
            pending = None
            if head is None or head.layout < 2 or head.snapshot is None:
                # Never decide on a whole snapshot: its append would write a core head and
                # leave the entities it did not change behind. Retry from a fresh load.
                raise ConcurrencyConflict(f"campaign {campaign_id} changed while loading")
        snapshot = self.mapper.to_domain_event(head.snapshot)
        campaign = cast("Campaign.Snapshot", snapshot).mutate(None)
        if not isinstance(campaign, Campaign) or campaign.version != head.version:
            raise CampaignNotFound(f"campaign {campaign_id} not found")
        campaign.admit(
            {entity_id: _entity_state(state) for entity_id, (state, _) in states.items()}
        )
        key = id(campaign)
        self._loaded_states[key] = states
        weakref.finalize(campaign, self._loaded_states.pop, key, None)
        if pending is not None:
            self._loaded_pending[key] = pending
            weakref.finalize(campaign, self._loaded_pending.pop, key, None)
        return campaign

    def _split(self, recorder: StreamStateReader, campaign_id: UUID) -> None:
        """Move a campaign stored whole in its head (before the split) to the split layout."""
        whole = self._load_whole(campaign_id)
        # Another writer may split it or append meanwhile: the next read shows which.
        with contextlib.suppress(IntegrityError):
            recorder.migrate_stream(
                campaign_id,
                version=whole.version,
                core_snapshot=self.head_snapshot_of(whole),
                entity_states=whole.entity_states(),
            )

    def _changed_states(self, campaign: Campaign) -> dict[str, tuple[EntityState, str | None]]:
        """The entity states the pending events created or changed, each with the etag its
        document was read with (None for a new one)."""
        loaded = self._loaded_states.get(id(campaign), {})
        changed: dict[str, tuple[EntityState, str | None]] = {}
        for entity_id, state in campaign.entity_states().items():
            before = loaded.get(entity_id)
            if before is None:
                changed[entity_id] = (state, None)
            elif before[0] != state:
                changed[entity_id] = (state, before[1])
        return changed


def _entity_state(stored: Any) -> EntityState:
    """A stored entity state as the aggregate takes it in (a copy: the aggregate changes it)."""
    state: EntityState = copy.deepcopy(stored)
    return state
