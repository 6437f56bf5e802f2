"""The in-process notification hub: fans the runner's notifications out to the live subscribers
of each campaign (the SSE route of the embedded service), across threads.

The change-feed processor publishes on its own thread; subscribers live on an asyncio event loop
(uvicorn's). ``publish`` never waits: under a lock it looks up the campaign's subscriptions and
hands each the items with ``loop.call_soon_threadsafe``. On the loop, a subscription queues them
up to its capacity; one that would overflow (a client that does not read) is ended instead, so a
slow client never holds up commands or projections. Its stream closes, and the client resumes
with ``Last-Event-ID``, replaying what it missed from the log. Subscriptions are bounded per
process and per tenant, so that one tenant cannot take every slot: past either bound
``subscribe`` answers None (the route answers 503 for the process, 429 for the tenant).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence

from projections.notifications import Notification

logger = logging.getLogger(__name__)

OVERFLOW = "overflow"
"""Ended because the subscriber fell more than its capacity behind."""
HUB_CLOSED = "hub-closed"
"""Ended because the service is shutting down."""
UNSUBSCRIBED = "unsubscribed"
"""Ended by its own consumer (the client left)."""


class Subscription:
    """One subscriber's bounded queue of one campaign's notifications, owned by an event loop.

    Only ``NotificationHub`` hands items in (from any thread); ``receive``, ``close`` and
    ``on_end`` belong to the loop that subscribed.
    """

    def __init__(
        self,
        hub: NotificationHub,
        campaign_id: str,
        loop: asyncio.AbstractEventLoop,
        capacity: int,
        tenant_id: str | None = None,
    ) -> None:
        self.campaign_id = campaign_id
        self.tenant_id = tenant_id
        self.capacity = capacity
        self.ended_because: str | None = None
        self.resumes_after: int | None = None
        """The stream version this subscriber's replay from the log starts after, once its
        route knows it: a ``NotificationRelay`` starts a campaign's live items there."""
        self._hub = hub
        self._loop = loop
        self._items: deque[Notification] = deque()
        self._ready = asyncio.Event()
        self._end_callbacks: list[Callable[[], None]] = []

    # --- the consumer's side (the subscribing loop) ---------------------------------------

    async def receive(self, timeout: float) -> list[Notification] | None:
        """Everything queued, waiting up to ``timeout`` seconds for something; ``[]`` when
        nothing came in time; None once the subscription has ended."""
        if not self._items and self.ended_because is None:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return []
        if self.ended_because is not None:
            return None
        items = list(self._items)
        self._items.clear()
        return items

    def on_end(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` on the loop when the subscription ends (overflow, hub closed);
        at once if it has ended already."""
        if self.ended_because is not None:
            callback()
            return
        self._end_callbacks.append(callback)

    def close(self) -> None:
        """End the subscription (the consumer is done); idempotent."""
        self._end(UNSUBSCRIBED)

    # --- the hub's side ---------------------------------------------------------------------

    def hand_over(self, notifications: Sequence[Notification]) -> bool:
        """Queue ``notifications`` on the subscriber's loop, from any thread, without waiting;
        False when the loop is gone."""
        return self._call_on_loop(self._receive, tuple(notifications))

    def end_soon(self, reason: str) -> bool:
        """End the subscription on its loop, from any thread; False when the loop is gone."""
        return self._call_on_loop(self._end, reason)

    def _call_on_loop(self, callback: Callable[..., None], *args: object) -> bool:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop was closed
            return False
        return True

    def _receive(self, notifications: tuple[Notification, ...]) -> None:
        if self.ended_because is not None:
            return
        if len(self._items) + len(notifications) > self.capacity:
            logger.info(
                "a subscriber of campaign %s fell %d notifications behind; disconnecting it",
                self.campaign_id,
                self.capacity,
            )
            self._end(OVERFLOW)
            return
        self._items.extend(notifications)
        self._ready.set()

    def _end(self, reason: str) -> None:
        if self.ended_because is not None:
            return
        self.ended_because = reason
        self._items.clear()
        self._hub.forget(self)
        self._ready.set()
        callbacks, self._end_callbacks = self._end_callbacks, []
        for callback in callbacks:
            callback()


class NotificationHub:
    """Publishes each campaign's notifications to its live subscriptions (a
    ``NotificationPublisher`` for the runner); thread-safe, never blocking the publisher."""

    def __init__(
        self,
        *,
        max_subscribers: int = 1000,
        max_per_tenant: int | None = None,
        queue_size: int = 256,
    ) -> None:
        self.max_subscribers = max_subscribers
        self.max_per_tenant = max_subscribers if max_per_tenant is None else max_per_tenant
        self.queue_size = queue_size
        self._lock = threading.Lock()
        self._by_campaign: dict[str, set[Subscription]] = {}
        self._by_tenant: dict[str | None, int] = {}
        self._count = 0
        self._closed = False

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return self._count

    def subscribe(self, campaign_id: str, tenant_id: str | None = None) -> Subscription | None:
        """A subscription of the running event loop to ``campaign_id`` for ``tenant_id``; None
        when the hub holds ``max_subscribers`` already, or ``max_per_tenant`` of the tenant's
        (``tenant_is_full``), or is closed."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if (
                self._closed
                or self._count >= self.max_subscribers
                or self._by_tenant.get(tenant_id, 0) >= self.max_per_tenant
            ):
                return None
            subscription = Subscription(self, campaign_id, loop, self.queue_size, tenant_id)
            self._by_campaign.setdefault(campaign_id, set()).add(subscription)
            self._by_tenant[tenant_id] = self._by_tenant.get(tenant_id, 0) + 1
            self._count += 1
            return subscription

    def tenant_is_full(self, tenant_id: str | None) -> bool:
        """Whether ``tenant_id`` holds as many subscriptions as one tenant may."""
        with self._lock:
            return self._by_tenant.get(tenant_id, 0) >= self.max_per_tenant

    def followed_campaigns(self) -> dict[str, int | None]:
        """Every campaign with subscribers, and the earliest version one of them replays from
        the log after (None while no route has said yet)."""
        with self._lock:
            followed = {c: list(subscriptions) for c, subscriptions in self._by_campaign.items()}
        starts: dict[str, int | None] = {}
        for campaign_id, subscriptions in followed.items():
            known = [s.resumes_after for s in subscriptions if s.resumes_after is not None]
            starts[campaign_id] = min(known) if known else None
        return starts

    def publish(self, campaign_id: str, notifications: Sequence[Notification]) -> None:
        """Hand ``notifications`` to every subscription of the campaign; never waits."""
        if not notifications:
            return
        with self._lock:
            subscriptions = list(self._by_campaign.get(campaign_id, ()))
        for subscription in subscriptions:
            if not subscription.hand_over(notifications):
                self.forget(subscription)

    def forget(self, subscription: Subscription) -> None:
        """Drop ``subscription`` from the hub (it ended); idempotent."""
        with self._lock:
            siblings = self._by_campaign.get(subscription.campaign_id)
            if siblings is None or subscription not in siblings:
                return
            siblings.discard(subscription)
            if not siblings:
                del self._by_campaign[subscription.campaign_id]
            self._count -= 1
            held = self._by_tenant[subscription.tenant_id] - 1
            if held:
                self._by_tenant[subscription.tenant_id] = held
            else:
                del self._by_tenant[subscription.tenant_id]

    def close(self) -> None:
        """End every subscription and accept no more (the service is shutting down)."""
        with self._lock:
            self._closed = True
            subscriptions = [s for siblings in self._by_campaign.values() for s in siblings]
        for subscription in subscriptions:
            if not subscription.end_soon(HUB_CLOSED):
                self.forget(subscription)
