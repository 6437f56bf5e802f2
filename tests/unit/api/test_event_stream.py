"""The SSE answer at the ASGI level, with a fake client: the replay and the live part meet without
gap or duplicate, and a client that stops reading is cut off when its queue overflows, even
while a write to it is stuck."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeVar

from api.streams import NotificationStream
from application.service import MAX_EVENTS_PAGE
from domain.errors import CampaignNotFound
from domain.recorded import RecordedEvent
from projections.notification_hub import OVERFLOW, UNSUBSCRIBED, NotificationHub
from projections.notifications import Notification
from tests.unit.projections.campaign_events import CampaignStream

T = TypeVar("T")
WAIT = 5.0


def run(test: Callable[[], Awaitable[T]]) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(test(), timeout=20)

    return asyncio.run(bounded())


def generated(version: int, campaign_id: str) -> Notification:
    return Notification("ArtifactGenerated", campaign_id, version, "2026-03-01T09:00:00+00:00")


class FakeClient:
    """Records what the server writes; may stop reading (writes hang) or leave."""

    def __init__(self, *, reads_up_to: int | None = None) -> None:
        self.frames: list[bytes] = []
        self.reads_up_to = reads_up_to
        self.left = asyncio.Event()
        self.wrote = asyncio.Event()
        self.ended = False

    async def send(self, message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200
            return
        if self.reads_up_to is not None and len(self.frames) >= self.reads_up_to:
            await asyncio.Event().wait()  # a full socket: this write never completes
        if not message.get("more_body", False):
            self.ended = True
        self.frames.append(message["body"])
        self.wrote.set()

    async def receive(self) -> dict[str, Any]:
        await self.left.wait()
        return {"type": "http.disconnect"}

    def ids(self) -> list[int]:
        return [int(found) for found in re.findall(rb"^id: (\d+)$", b"".join(self.frames), re.M)]

    async def wait_for_ids(self, count: int) -> None:
        while len(self.ids()) < count:
            self.wrote.clear()
            await asyncio.wait_for(self.wrote.wait(), WAIT)


def versions_of(stream: CampaignStream, count: int) -> list[RecordedEvent]:
    artifact = stream.artifact()
    for number in range(count):
        stream.version(artifact, f"draft {number}")
    return stream.events


def test_live_notifications_already_replayed_from_the_log_are_not_sent_twice() -> None:
    async def body() -> None:
        stream = CampaignStream()
        events = versions_of(stream, 3)  # v1 created, v2 artifact, v3..v5 versions
        hub = NotificationHub()
        subscription = hub.subscribe(stream.campaign_id)
        assert subscription is not None
        client = FakeClient()
        response = NotificationStream(
            subscription,
            first_page=events[2:4],  # after Last-Event-ID 2, the log holds v3 and v4 ...
            resume_after=2,
            read_after=lambda version: asyncio.sleep(0, result=[]),
            heartbeat_seconds=10,
        )
        serving = asyncio.create_task(response(scope={}, receive=client.receive, send=client.send))
        hub.publish(stream.campaign_id, [generated(v, stream.campaign_id) for v in (3, 4, 5)])
        await client.wait_for_ids(3)
        assert client.ids() == [3, 4, 5]  # ... and live brings v3 to v5: v5 only is new
        client.left.set()
        await asyncio.wait_for(serving, WAIT)
        assert subscription.ended_because == UNSUBSCRIBED
        assert hub.subscriber_count == 0

    run(body)


def test_a_long_replay_is_read_page_by_page_until_a_short_page() -> None:
    async def body() -> None:
        stream = CampaignStream()
        events = versions_of(stream, MAX_EVENTS_PAGE + 10)
        hub = NotificationHub()
        subscription = hub.subscribe(stream.campaign_id)
        assert subscription is not None
        asked: list[int] = []

        async def read_after(version: int) -> list[RecordedEvent]:
            asked.append(version)
            return [event for event in events if event.version > version][:MAX_EVENTS_PAGE]

        client = FakeClient()
        response = NotificationStream(
            subscription,
            first_page=await read_after(0),
            resume_after=0,
            read_after=read_after,
            heartbeat_seconds=10,
        )
        serving = asyncio.create_task(response(scope={}, receive=client.receive, send=client.send))
        await client.wait_for_ids(MAX_EVENTS_PAGE + 10)
        assert client.ids() == list(range(3, MAX_EVENTS_PAGE + 13))
        assert asked == [0, MAX_EVENTS_PAGE]
        client.left.set()
        await asyncio.wait_for(serving, WAIT)

    run(body)


def test_a_client_that_stops_reading_is_cut_off_when_its_queue_overflows() -> None:
    async def body() -> None:
        campaign_id = "c0ffee00-0000-4000-8000-000000000001"
        hub = NotificationHub(queue_size=4)
        subscription = hub.subscribe(campaign_id)
        assert subscription is not None
        client = FakeClient(reads_up_to=2)  # the retry field and one write, then nothing
        response = NotificationStream(
            subscription,
            first_page=[],
            resume_after=0,
            read_after=lambda version: asyncio.sleep(0, result=[]),
            heartbeat_seconds=10,
        )
        serving = asyncio.create_task(response(scope={}, receive=client.receive, send=client.send))
        hub.publish(campaign_id, [generated(1, campaign_id)])
        await client.wait_for_ids(1)  # the one write it reads; the next one hangs

        def publish_faster_than_it_reads() -> None:
            for version in range(2, 20):
                hub.publish(campaign_id, [generated(version, campaign_id)])

        publisher = threading.Thread(target=publish_faster_than_it_reads)
        publisher.start()
        await asyncio.wait_for(serving, WAIT)  # returns although a write hangs forever
        publisher.join(WAIT)
        assert subscription.ended_because == OVERFLOW
        assert hub.subscriber_count == 0
        assert client.ids() == [1]  # every event in what arrived: the first write's only


def test_a_campaign_deleted_during_a_long_replay_ends_the_stream_cleanly() -> None:
    async def body() -> None:
        stream = CampaignStream()
        events = versions_of(stream, MAX_EVENTS_PAGE)
        hub = NotificationHub()
        subscription = hub.subscribe(stream.campaign_id)
        assert subscription is not None

        async def refused(version: int) -> list[RecordedEvent]:
            raise CampaignNotFound(f"campaign {stream.campaign_id} not found")

        client = FakeClient()
        response = NotificationStream(
            subscription,
            first_page=events[:MAX_EVENTS_PAGE],
            resume_after=0,
            read_after=refused,
            heartbeat_seconds=10,
        )
        await asyncio.wait_for(response(scope={}, receive=client.receive, send=client.send), WAIT)
        assert client.ids()[-1] == MAX_EVENTS_PAGE
        assert client.ended  # the response was completed, not dropped
        assert hub.subscriber_count == 0

    run(body)
