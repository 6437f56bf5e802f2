"""Live notifications for a process that serves the SSE route but does not project: a worker of
``campaigns serve --workers N``, where the change-feed processor runs in another process.

The relay follows only the campaigns that have subscribers in this process's hub. Every poll it
reads each one's snapshot (one point read): when the snapshot's ``appliedVersion`` has moved,
the views are written up to it (the snapshot is written last), so the relay reads those events
from the log and publishes their notifications, exactly those the projecting process publishes
to its own hub. A campaign is followed from the version its first subscriber replays the log
after (``Subscription.resumes_after``), so nothing between that replay and the first poll is
missed; what a subscriber sees twice, its stream skips (docs/notifications.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from documentstore.port import VIEWS, DocumentStore
from domain.errors import LedgerError
from domain.recorded import RecordedEvent
from projections.events import parse_event_document, read_campaign_events
from projections.generations import ProjectionStateStore, stored_id
from projections.notification_hub import NotificationHub
from projections.notifications import notifications_of
from projections.projectors.documents import SNAPSHOT_ID

logger = logging.getLogger(__name__)

GENERATION_CACHE_SECONDS = 1.0


class NotificationRelay:
    """Publishes to ``hub`` what another process projected (module docstring)."""

    def __init__(
        self,
        store: DocumentStore,
        hub: NotificationHub,
        *,
        poll_interval: float = 0.05,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._hub = hub
        self._states = ProjectionStateStore(store)
        self._poll_interval = poll_interval
        self._monotonic = monotonic
        self._cursors: dict[str, int] = {}
        self._generation = 0
        self._generation_read_at = float("-inf")
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One poll of every followed campaign; the number of notifications published."""
        published = 0
        followed = self._hub.followed_campaigns()
        for campaign_id in [c for c in self._cursors if c not in followed]:
            del self._cursors[campaign_id]
        for campaign_id, resumes_after in followed.items():
            cursor = self._cursors.get(campaign_id, resumes_after)
            if cursor is None:
                continue  # its route has not replayed the log yet
            applied = self._applied_version(campaign_id)
            if applied > cursor:
                notifications = notifications_of(self._events(campaign_id, cursor, applied))
                self._hub.publish(campaign_id, notifications)
                published += len(notifications)
                cursor = applied
            self._cursors[campaign_id] = cursor
        return published

    def run(self) -> None:
        """Poll until ``stop``; a failing poll is logged and tried again at the next one."""
        while not self._stopping.wait(self._poll_interval):
            try:
                self.run_once()
            except Exception:
                logger.exception("notification relay failed; retrying")

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping.clear()
            self._thread = threading.Thread(target=self.run, name="notification-relay", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _applied_version(self, campaign_id: str) -> int:
        if self._monotonic() - self._generation_read_at > GENERATION_CACHE_SECONDS:
            self._generation = self._states.read().live
            self._generation_read_at = self._monotonic()
        snapshot = self._store.read(VIEWS, campaign_id, stored_id(self._generation, SNAPSHOT_ID))
        return 0 if snapshot is None else int(snapshot["appliedVersion"])

    def _events(self, campaign_id: str, after: int, up_to: int) -> list[RecordedEvent]:
        """The events the projection applied, as the runner parses them (an event it could
        not parse was dead-lettered, not applied: it announces nothing here either)."""
        events: list[RecordedEvent] = []
        for document in read_campaign_events(self._store, campaign_id, after=after, up_to=up_to):
            try:
                events.append(parse_event_document(document))
            except LedgerError:
                continue
        return events
