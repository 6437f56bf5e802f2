"""``GET /api/campaigns/{cid}/stream``: a campaign's notifications as Server-Sent Events
(docs/notifications.md), for the embedded service. In Azure the same notifications go through
SignalR (``functions.live_updates``) and this route is not served (``LEDGER_LIVE_UPDATES=false``).

Each notification is one event: ``id:`` its stream version, ``event:`` its type, ``data:`` its
JSON. The route is tenant-checked like every read (404 for an unknown, foreign or deleted
campaign) and then:

1. subscribes to the in-process hub (503 with ``Retry-After`` past
   ``LEDGER_STREAM_MAX_SUBSCRIBERS`` for the process, 429 past
   ``LEDGER_STREAM_MAX_SUBSCRIBERS_PER_TENANT`` for the caller's tenant), so nothing published
   from now on is missed;
2. replays from the log the notifications of the events after ``Last-Event-ID`` (the header, or
   ``?lastEventId=``; default: the version the campaign's snapshot shows now), page by page;
3. follows the hub, skipping what the replay already sent (a version at or below the last
   event read): no gap, no duplicate. A comment line goes out every
   ``LEDGER_STREAM_HEARTBEAT_SECONDS`` of silence.

A subscriber that falls ``LEDGER_STREAM_QUEUE_SIZE`` notifications behind is disconnected (its
pending writes cancelled), so a slow client never holds up commands or projections; the client
reconnects with ``Last-Event-ID`` and replays what it missed from the log.
"""

import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Header, Query
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from api.dependencies import AppSettings, Commands, Hub, Reads
from api.paths import CampaignIdPath, campaign_id_from_path
from api.ports import CampaignReads
from api.problems import HttpProblem, problem_responses, retry_after_header
from api.tenancy import Tenant
from application.service import MAX_EVENTS_PAGE
from domain.errors import CampaignNotFound, LedgerError
from domain.recorded import RecordedEvent
from projections.notification_hub import Subscription
from projections.notifications import Notification, notification_of

EVENT_STREAM = "text/event-stream"
STREAM_ROUTE_NAME = "stream_campaign"
RECONNECT_MILLISECONDS = 1000
"""Sent as the stream's ``retry:`` field: how soon an EventSource reconnects."""
FULL_RETRY_AFTER_SECONDS = 5.0
FINAL_WRITE_SECONDS = 1.0
"""How long the end of a stream may wait for a client that does not read."""
VERSION_PATTERN = r"^[ \t]*[0-9]{0,15}[ \t]*$"
"""A resume position (empty: none), as a JSON Schema ``pattern``; what ``parse_last_event_id``
accepts."""
_VERSION = re.compile(r"[0-9]{1,15}")

Replay = Callable[[int], Awaitable[list[RecordedEvent]]]

logger = logging.getLogger(__name__)


def parse_last_event_id(value: str | None) -> int | None:
    """The stream version a client resumes after; 400 ``invalid-last-event-id`` unless it is
    a whole number (0 or more) of at most 15 digits."""
    text = None if value is None else value.strip(" \t")  # HTTP white space only
    if not text:
        return None
    if not _VERSION.fullmatch(text):
        raise HttpProblem(
            400,
            "invalid-last-event-id",
            "Last-Event-ID must be a stream version: a whole number, 0 or more.",
        )
    return int(text)


def event_frame(notification: Notification) -> bytes:
    """One notification as an SSE event (``data:`` is one line: JSON escapes newlines)."""
    data = json.dumps(notification.to_json(), separators=(",", ":"), ensure_ascii=False)
    return f"id: {notification.version}\nevent: {notification.type}\ndata: {data}\n\n".encode()


HEARTBEAT_FRAME = b": heartbeat\n\n"


class NotificationStream(Response):
    """The SSE answer: the replay from the log, then the live notifications, with heartbeats;
    it ends when the client leaves, the subscription overflows or the hub closes."""

    media_type = EVENT_STREAM

    def __init__(
        self,
        subscription: Subscription,
        *,
        first_page: list[RecordedEvent],
        resume_after: int,
        read_after: Replay,
        heartbeat_seconds: float,
    ) -> None:
        # Not Response.__init__: it would declare a Content-Length for the empty body.
        self.status_code = 200
        self.background = None
        self.raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-store"),
            (b"x-accel-buffering", b"no"),
        ]
        self._subscription = subscription
        self._client_left = False
        self._first_page = first_page
        self._cursor = resume_after
        self._read_after = read_after
        self._heartbeat_seconds = heartbeat_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async with anyio.create_task_group() as group:
                # An overflow or a closing hub cancels even a write stuck on a full socket.
                self._subscription.on_end(group.cancel_scope.cancel)
                group.start_soon(self._watch_for_disconnect, receive, group.cancel_scope)
                await self._write_until_done(send, group.cancel_scope)
        finally:
            self._subscription.close()
        if not self._client_left:
            await self._finish(send)

    async def _watch_for_disconnect(self, receive: Receive, scope: anyio.CancelScope) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self._client_left = True
        scope.cancel()

    async def _write_until_done(self, send: Send, scope: anyio.CancelScope) -> None:
        try:
            await self._write_events(send)
        except OSError:  # the connection broke under a write
            self._client_left = True
        except LedgerError as error:  # the log refused a later page (deleted meanwhile...)
            logger.info("stream of campaign %s ends: %s", self._subscription.campaign_id, error)
        scope.cancel()

    async def _write_events(self, send: Send) -> None:
        await _write(send, f"retry: {RECONNECT_MILLISECONDS}\n\n".encode())
        page = self._first_page
        while True:
            frames = b""
            for event in page:
                notification = notification_of(event)
                if notification is not None:
                    frames += event_frame(notification)
                self._cursor = max(self._cursor, event.version)
            if frames:
                await _write(send, frames)
            if len(page) < MAX_EVENTS_PAGE:
                break
            page = await self._read_after(self._cursor)
        while True:
            items = await self._subscription.receive(self._heartbeat_seconds)
            if items is None:
                return
            if not items:
                await _write(send, HEARTBEAT_FRAME)
                continue
            frames = b""
            for notification in items:
                if notification.version > self._cursor:
                    frames += event_frame(notification)
                    self._cursor = notification.version
            if frames:
                await _write(send, frames)  # one write for all that queued up meanwhile

    @staticmethod
    async def _finish(send: Send) -> None:
        with anyio.move_on_after(FINAL_WRITE_SECONDS):
            with contextlib.suppress(OSError):  # the client left meanwhile
                await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _write(send: Send, frame: bytes) -> None:
    message: Message = {"type": "http.response.body", "body": frame, "more_body": True}
    await send(message)


_STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-Sent Events: `id` = stream version, `event` = notification "
        "type, `data` = the notification (docs/notifications.md). Never ends on its own.",
        "content": {EVENT_STREAM: {"schema": {"type": "string"}}},
    },
    **problem_responses(400, 401, 403, 404, 422, 429, 500, 503),
}

router = APIRouter(prefix="/api", tags=["live updates"])
"""The SSE route; the app serves it only when its services have a notification hub."""


@router.get(
    "/campaigns/{cid}/stream",
    name=STREAM_ROUTE_NAME,
    status_code=200,
    response_class=NotificationStream,
    responses=_STREAM_RESPONSES,
)
async def stream_campaign(
    cid: CampaignIdPath,
    tenant: Tenant,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            description="Resume after this stream version (EventSource sends it itself).",
            json_schema_extra={"pattern": VERSION_PATTERN},
        ),
    ] = None,
    last_event_id_query: Annotated[
        str | None,
        Query(
            alias="lastEventId",
            description="The same as the header, for clients that cannot set headers; "
            "the header wins.",
            json_schema_extra={"pattern": VERSION_PATTERN},
        ),
    ] = None,
    *,
    hub: Hub,
    commands: Commands,
    reads: Reads,
    settings: AppSettings,
) -> Response:
    """The campaign's notifications, live, as Server-Sent Events."""
    campaign_id = campaign_id_from_path(cid)
    resume_after = parse_last_event_id(
        last_event_id if last_event_id is not None else last_event_id_query
    )
    subscription = hub.subscribe(campaign_id, tenant)
    if subscription is None and hub.tenant_is_full(tenant):
        raise HttpProblem(
            429,
            "too-many-tenant-subscribers",
            "This tenant holds as many live streams as one tenant may; retry later.",
            headers=retry_after_header(FULL_RETRY_AFTER_SECONDS),
        )
    if subscription is None:
        raise HttpProblem(
            503,
            "too-many-subscribers",
            "This server holds as many live streams as it may; retry later.",
            headers=retry_after_header(FULL_RETRY_AFTER_SECONDS),
        )

    async def read_after(version: int) -> list[RecordedEvent]:
        read = partial(
            commands.read_events, tenant, campaign_id, after=version, limit=MAX_EVENTS_PAGE
        )
        return await anyio.to_thread.run_sync(read)

    try:
        if resume_after is None:
            resume_after = await anyio.to_thread.run_sync(
                _projected_version, reads, tenant, campaign_id
            )
        first_page = await read_after(resume_after)  # also answers 404 for foreign ones
        subscription.resumes_after = resume_after
    except BaseException:
        subscription.close()
        raise
    return NotificationStream(
        subscription,
        first_page=first_page,
        resume_after=resume_after,
        read_after=read_after,
        heartbeat_seconds=settings.ledger_stream_heartbeat_seconds,
    )


def _projected_version(reads: CampaignReads, tenant: str, campaign_id: str) -> int:
    """The version the campaign's snapshot shows now; 0 when there is none to show yet (a
    campaign the projection has not reached: the log read decides whether it exists)."""
    try:
        return reads.campaign(tenant, campaign_id).version
    except CampaignNotFound:
        return 0
