"""The in-process hub: bounded subscriptions, overflow disconnects, and the handoff from the
projection's thread to the subscriber's event loop."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from projections.notification_hub import HUB_CLOSED, OVERFLOW, UNSUBSCRIBED, NotificationHub
from projections.notifications import Notification

CAMPAIGN = "campaign-a"
OTHER = "campaign-b"
WAIT = 5.0

T = TypeVar("T")


def run(test: Callable[[], Awaitable[T]]) -> T:
    """Run an async test body on a fresh event loop, bounded in time."""

    async def bounded() -> T:
        return await asyncio.wait_for(test(), timeout=20)

    return asyncio.run(bounded())


def notification(version: int, campaign_id: str = CAMPAIGN) -> Notification:
    return Notification(
        type="ArtifactGenerated",
        campaign_id=campaign_id,
        version=version,
        occurred_at="2026-03-01T09:00:00+00:00",
    )


def test_a_published_notification_reaches_the_subscribers_of_its_campaign_only() -> None:
    async def body() -> None:
        hub = NotificationHub()
        mine, other = hub.subscribe(CAMPAIGN), hub.subscribe(OTHER)
        assert mine is not None
        assert other is not None
        hub.publish(CAMPAIGN, [notification(3), notification(4)])
        assert await mine.receive(WAIT) == [notification(3), notification(4)]
        assert await other.receive(0.05) == []

    run(body)


def test_receive_answers_nothing_after_its_timeout_when_nothing_was_published() -> None:
    async def body() -> None:
        subscription = NotificationHub().subscribe(CAMPAIGN)
        assert subscription is not None
        started = time.monotonic()
        assert await subscription.receive(0.1) == []
        assert 0.09 <= time.monotonic() - started < 2

    run(body)


def test_notifications_published_on_another_thread_are_handed_to_the_loop_in_order() -> None:
    async def body() -> None:
        hub = NotificationHub(queue_size=10_000)
        subscription = hub.subscribe(CAMPAIGN)
        assert subscription is not None
        loop_thread = threading.get_ident()
        delivered_on: set[int] = set()
        original = subscription._receive

        def recording_receive(items: tuple[Notification, ...]) -> None:
            delivered_on.add(threading.get_ident())
            original(items)

        setattr(subscription, "_receive", recording_receive)  # noqa: B010 - spying on the handoff

        def publish_in_order() -> None:
            for version in range(1, 501):
                hub.publish(CAMPAIGN, [notification(version)])

        publisher = threading.Thread(target=publish_in_order)
        publisher.start()
        received: list[int] = []
        while len(received) < 500:
            items = await subscription.receive(WAIT)
            assert items, "the publisher's notifications did not arrive"
            received.extend(item.version for item in items)
        publisher.join(WAIT)
        assert received == list(range(1, 501))
        assert delivered_on == {loop_thread}

    run(body)


def test_publishing_never_waits_for_a_subscriber_whose_loop_is_busy() -> None:
    async def body() -> None:
        hub = NotificationHub(queue_size=10)
        subscription = hub.subscribe(CAMPAIGN)
        assert subscription is not None
        finished = threading.Event()

        def publish_a_lot() -> None:
            for version in range(1, 2001):
                hub.publish(CAMPAIGN, [notification(version)])
            finished.set()

        publisher = threading.Thread(target=publish_a_lot)
        publisher.start()
        # The loop is blocked (nothing is consumed) while the publisher runs: it still finishes.
        assert finished.wait(WAIT), "publish blocked on a subscriber"
        publisher.join(WAIT)
        assert await subscription.receive(WAIT) is None
        assert subscription.ended_because == OVERFLOW

    run(body)


def test_a_subscriber_that_falls_more_than_its_queue_behind_is_disconnected_and_forgotten() -> None:
    async def body() -> None:
        hub = NotificationHub(queue_size=3)
        slow = hub.subscribe(CAMPAIGN)
        fast = hub.subscribe(CAMPAIGN)
        assert slow is not None
        assert fast is not None
        ended: list[str | None] = []
        slow.on_end(lambda: ended.append(slow.ended_because))

        hub.publish(CAMPAIGN, [notification(1), notification(2)])
        assert await fast.receive(WAIT) == [notification(1), notification(2)]
        hub.publish(CAMPAIGN, [notification(3), notification(4)])
        assert await fast.receive(WAIT) == [notification(3), notification(4)]

        assert await slow.receive(WAIT) is None  # four waiting: one more than its queue holds
        assert ended == [OVERFLOW]
        assert hub.subscriber_count == 1
        hub.publish(CAMPAIGN, [notification(5)])
        assert await fast.receive(WAIT) == [notification(5)]
        assert await slow.receive(0.05) is None

    run(body)


def test_subscriptions_are_bounded_and_a_closed_one_frees_its_place() -> None:
    async def body() -> None:
        hub = NotificationHub(max_subscribers=2)
        first, second = hub.subscribe(CAMPAIGN), hub.subscribe(OTHER)
        assert first is not None
        assert second is not None
        assert hub.subscribe(CAMPAIGN) is None
        first.close()
        first.close()  # idempotent: frees one place, not two
        assert first.ended_because == UNSUBSCRIBED
        assert hub.subscriber_count == 1
        third = hub.subscribe(CAMPAIGN)
        assert third is not None
        assert hub.subscribe(OTHER) is None

    run(body)


def test_one_tenant_cannot_take_every_place() -> None:
    async def body() -> None:
        hub = NotificationHub(max_subscribers=5, max_per_tenant=2)
        greedy = [hub.subscribe(CAMPAIGN, "greedy") for _ in range(2)]
        assert all(subscription is not None for subscription in greedy)
        assert hub.subscribe(OTHER, "greedy") is None
        assert hub.tenant_is_full("greedy")
        assert not hub.tenant_is_full("modest")
        assert hub.subscribe(CAMPAIGN, "modest") is not None
        first = greedy[0]
        assert first is not None
        first.close()
        assert not hub.tenant_is_full("greedy")
        assert hub.subscribe(OTHER, "greedy") is not None
        assert hub.subscriber_count == 3

    run(body)


def test_closing_the_hub_ends_every_subscription_and_refuses_new_ones() -> None:
    async def body() -> None:
        hub = NotificationHub()
        subscription = hub.subscribe(CAMPAIGN)
        assert subscription is not None
        closer = threading.Thread(target=hub.close)
        closer.start()
        closer.join(WAIT)
        assert await subscription.receive(WAIT) is None
        assert subscription.ended_because == HUB_CLOSED
        assert hub.subscriber_count == 0
        assert hub.subscribe(CAMPAIGN) is None

    run(body)


def test_an_end_callback_registered_after_the_end_runs_at_once() -> None:
    async def body() -> None:
        subscription = NotificationHub().subscribe(CAMPAIGN)
        assert subscription is not None
        subscription.close()
        called: list[bool] = []
        subscription.on_end(lambda: called.append(True))
        assert called == [True]

    run(body)


def test_a_subscriber_whose_loop_is_gone_is_forgotten_on_the_next_publish() -> None:
    hub = NotificationHub()

    async def subscribe_and_leave() -> None:
        assert hub.subscribe(CAMPAIGN) is not None

    asyncio.run(subscribe_and_leave())  # the loop closes with the subscription still held
    assert hub.subscriber_count == 1
    hub.publish(CAMPAIGN, [notification(1)])
    assert hub.subscriber_count == 0
