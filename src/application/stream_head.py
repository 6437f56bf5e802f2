"""The loading seam between the application and a persistence module that keeps stream heads.

A recorder that also implements ``StreamHeadReader`` lets ``CampaignApplication`` load a campaign
with one point read: the head holds the stream's current version and the latest aggregate
snapshot (stored by the same batch that appended the events). Recorders without heads (the
library's POPO and SQLite recorders) are loaded the library's way.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import StoredEvent


class StreamHeadLike(Protocol):
    """A stream's head: its current version and the latest snapshot, if any."""

    @property
    def version(self) -> int: ...

    @property
    def snapshot(self) -> StoredEvent | None: ...


@runtime_checkable
class StreamHeadReader(Protocol):
    """A recorder that can read a stream's head in one round trip."""

    def read_head(self, originator_id: UUID) -> StreamHeadLike | None:
        """The head of the stream, or None when the stream does not exist."""
        ...
