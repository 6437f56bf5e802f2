"""The loading seams between the application and a persistence module that keeps stream heads.

A recorder that implements ``StreamHeadReader`` lets ``CampaignApplication`` load a campaign
with one point read: the head holds the stream's current version and the latest aggregate
snapshot (stored by the same batch that appended the events). One that also implements
``StreamStateReader`` keeps the aggregate's state split (docs/architecture.md, "Growth"): the
head holds the core snapshot and each entity's state is a document beside it, so a command
reads the head and the entities it names in one round trip, and its append writes back only
what changed. Recorders without heads (the library's POPO and SQLite recorders) are loaded the
library's way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import StoredEvent

StoredStates = Mapping[str, tuple[Mapping[str, Any], str | None]]
"""Entity states by entity id, each with its document's etag (None: no document yet)."""


class StreamHeadLike(Protocol):
    """A stream's head: its current version and the latest snapshot, if any."""

    @property
    def version(self) -> int: ...

    @property
    def snapshot(self) -> StoredEvent | None: ...

    @property
    def layout(self) -> int: ...

    @property
    def purged(self) -> bool:
        """The stream was purged (its head is a tombstone): it exists no more, for good."""
        ...


@runtime_checkable
class StreamHeadReader(Protocol):
    """A recorder that can read a stream's head in one round trip."""

    def read_head(self, originator_id: UUID) -> StreamHeadLike | None:
        """The head of the stream, or None when the stream does not exist."""
        ...


@runtime_checkable
class StreamStateReader(StreamHeadReader, Protocol):
    """A recorder that keeps entity states beside the head (``SPLIT_LAYOUT``)."""

    def read_stream(
        self, originator_id: UUID, entity_ids: Collection[str]
    ) -> tuple[StreamHeadLike | None, StoredStates]:
        """The head and the stored states of these entities, in one round trip."""
        ...

    def migrate_stream(
        self,
        originator_id: UUID,
        *,
        version: int,
        core_snapshot: StoredEvent,
        entity_states: Mapping[str, Mapping[str, Any]],
    ) -> None:
        """Split a head whose snapshot holds the whole aggregate (resumable, idempotent)."""
        ...


class PendingReadsLike(Protocol):
    """The queued, uncommitted appends a load took documents from."""

    def committed(self) -> bool:
        """Wait until each has settled; whether every one was committed."""
        ...


@runtime_checkable
class PipelinedStateReader(StreamStateReader, Protocol):
    """A split-state recorder that lets a command load through the appends this process has
    queued for the stream and not yet committed (``eventstore.pending_writes``), so that the
    campaign's next command is decided before its predecessor's commit."""

    def read_stream_pending(
        self, originator_id: UUID, entity_ids: Collection[str]
    ) -> tuple[StreamHeadLike | None, StoredStates, PendingReadsLike]:
        """``read_stream`` through the queued documents, with the appends it read from."""
        ...
