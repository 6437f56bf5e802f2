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

The library's separate snapshot store is not used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProjectorFunction,
    Repository,
)
from eventsourcing.domain import TDomainEvent, TMutableOrImmutableAggregate
from eventsourcing.persistence import InfrastructureFactory, IntegrityError, StoredEvent
from eventsourcing.utils import Environment, EnvType, strtobool

from application.stream_head import StreamHeadReader
from domain.campaign import Campaign
from domain.errors import CampaignNotFound, ConcurrencyConflict


class HeadFirstRepository(Repository[UUID]):
    """A repository that loads from the stream head when the recorder keeps heads."""

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
        if head is None:
            msg = f"Aggregate {aggregate_id!r} not found."
            raise AggregateNotFoundError(msg)
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

    def load_campaign(self, campaign_id: UUID) -> Campaign:
        """The campaign at its latest version; ``CampaignNotFound`` if there is none."""
        try:
            aggregate: object = self.repository.get(campaign_id)
        except AggregateNotFoundError:
            raise CampaignNotFound(f"campaign {campaign_id} not found") from None
        if not isinstance(aggregate, Campaign):
            raise CampaignNotFound(f"campaign {campaign_id} not found")
        return aggregate

    def head_snapshot_of(self, campaign: Campaign) -> StoredEvent:
        """The stored form of the campaign's snapshot, pending events included."""
        return self.mapper.to_stored_event(Campaign.Snapshot.take(campaign))

    def save_campaign(self, campaign: Campaign) -> None:
        """Append the pending events, with the head snapshot for recorders that keep heads.

        A concurrent writer that got there first makes the recorder raise the library's
        ``IntegrityError``; it becomes ``ConcurrencyConflict`` here, the one place that calls the
        library's ``save``, and the service decides whether to retry.
        """
        try:
            self.save(campaign, head_snapshot=self.head_snapshot_of(campaign))
        except IntegrityError:
            raise ConcurrencyConflict(
                f"another writer appended to campaign {campaign.id} first"
            ) from None
