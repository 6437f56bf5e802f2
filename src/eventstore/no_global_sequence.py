"""The global notification sequence the event log does not have: none exists across Cosmos DB
partitions and none is faked with a hot counter document; projections follow the change feed."""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.persistence import (
    ApplicationRecorder,
    Notification,
    NotSupportedError,
    Subscription,
)

NO_GLOBAL_SEQUENCE = (
    "the event log has no global notification sequence: Cosmos DB orders events only within "
    "a partition (one campaign), and a counter document shared by every append would be a hot "
    "spot. Projections follow the change feed instead (see docs/storage.md)."
)


class NoGlobalSequence:
    """The ``ApplicationRecorder`` methods of a global sequence, each refused."""

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        raise NotSupportedError(NO_GLOBAL_SEQUENCE)

    def max_notification_id(self) -> int | None:
        raise NotSupportedError(NO_GLOBAL_SEQUENCE)

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        raise NotSupportedError(NO_GLOBAL_SEQUENCE)
