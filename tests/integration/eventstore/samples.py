"""Library events and snapshots for the event-store tests, mapped as an application maps them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)


@dataclass(frozen=True)
class VersionCreated(DomainEvent):
    metadata: dict[str, Any]
    version_id: str
    content: str


@dataclass(frozen=True)
class CampaignSnapshot(DomainEvent):
    topic: str
    state: dict[str, Any]


def new_mapper() -> Mapper[UUID]:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    return Mapper(transcoder=transcoder)


MAPPER = new_mapper()


def events(
    stream: UUID, first: int, count: int, *, command_id: str = "cmd-1", content: str = "text"
) -> list[StoredEvent]:
    return [
        MAPPER.to_stored_event(
            VersionCreated(
                originator_id=stream,
                originator_version=version,
                timestamp=DomainEvent.create_timestamp(),
                metadata={"commandId": command_id, "tenantId": "default"},
                version_id=str(uuid.uuid4()),
                content=content,
            )
        )
        for version in range(first, first + count)
    ]


def snapshot(stream: UUID, version: int, **state: Any) -> StoredEvent:
    return MAPPER.to_stored_event(
        CampaignSnapshot(
            originator_id=stream,
            originator_version=version,
            timestamp=DomainEvent.create_timestamp(),
            topic="domain.campaign:Campaign",
            state=state,
        )
    )
