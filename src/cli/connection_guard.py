"""Connection limits for the local server (uvicorn): no connection stays open for ever.

Uvicorn closes a connection that stays idle ``timeout_keep_alive`` seconds *after a response*,
and that timer restarts with every byte received; it has no limit on how long the head or the
body of a request may take to arrive, nor on how many connections are open. A client could so
hold connections, and with them file descriptors, for ever: open and say nothing, send a
request's head a byte at a time, or a body that never ends. Here, per connection:

- **head timeout** (``LEDGER_HEADER_TIMEOUT_SECONDS``): a request's line and headers must have
  arrived within this time of the connection opening or of the previous response ending; else
  the connection is closed (after a 408 when part of a request had arrived);
- **body timeout** (``LEDGER_BODY_TIMEOUT_SECONDS``): a request's whole body must have arrived
  within this time of its head; else 408 (when no answer has started) and the connection closes;
- a request answered without its body being read to the end (a 401 before the body, a 413)
  closes the connection after the answer (``Connection: close``) instead of reading on;
- **head size** (``LEDGER_MAX_HEADER_BYTES``): a request's line and headers larger than this are
  answered 431 and the connection closes, whichever parser runs (h11 has a cap of its own,
  httptools none);
- **connection cap** (``LEDGER_MAX_CONNECTIONS``): a connection past the cap is answered 503
  and closed at once, so the process never runs out of file descriptors (and never floods its
  log with accept errors); a refusal is logged at most once a second.

It works with any of uvicorn's HTTP parsers (``guarded_protocol`` subclasses the one chosen):
the protocol keeps the timer, and a thin ASGI wrapper around the app tells it when a request's
head has been parsed, when its body has been read and when its answer starts and ends.
``uvicorn_config`` builds the server's configuration from the settings.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import import_from_string

from bootstrap.settings import Settings
from cli.access_log import AccessLog
from cli.held_writes import HeldWrites, whole_answer

logger = logging.getLogger(__name__)

_REFUSAL_LOG_SECONDS = 1.0
_SPARE_FILES = 256
"""File descriptors kept beyond the connection cap for the store, logs and the like."""


def _raw_answer(status: int, reason: str, code: str, detail: str) -> bytes:
    """A complete HTTP/1.1 problem answer that closes the connection, written as bytes: it is
    sent outside any request cycle of the parser."""
    body = json.dumps(
        {
            "type": f"urn:campaign-ledger:problem:{code}",
            "title": reason,
            "status": status,
            "detail": detail,
            "code": code,
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


_REQUEST_TIMEOUT = _raw_answer(
    408, "Request Timeout", "request-timeout", "The request did not arrive in time."
)
_TOO_MANY_CONNECTIONS = _raw_answer(
    503,
    "Service Unavailable",
    "too-many-connections",
    "This server holds as many connections as it may; retry later.",
)
_HEAD_TOO_LARGE = _raw_answer(
    431,
    "Request Header Fields Too Large",
    "request-head-too-large",
    "The request's line and headers are larger than this server accepts.",
)
_HEAD_TOO_LARGE_BODY = _HEAD_TOO_LARGE.partition(b"\r\n\r\n")[2]
_CLOSE = (b"connection", b"close")


def _head_size(scope: dict[str, Any]) -> int:
    """The size of a request's line and headers as sent, near enough (each header ``name:
    value`` and its line end)."""
    line = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") + 16
    return line + sum(len(name) + len(value) + 4 for name, value in scope.get("headers", ()))


@dataclass(frozen=True)
class ConnectionLimits:
    head_seconds: float
    body_seconds: float
    max_connections: int
    max_head_bytes: int = 16 * 1024

    @classmethod
    def of(cls, settings: Settings) -> ConnectionLimits:
        return cls(
            head_seconds=settings.ledger_header_timeout_seconds,
            body_seconds=settings.ledger_body_timeout_seconds,
            max_connections=settings.ledger_max_connections,
            max_head_bytes=settings.ledger_max_header_bytes,
        )


class _RefusalLog:
    """Logs refused connections at most once per ``_REFUSAL_LOG_SECONDS``, with a count."""

    def __init__(self) -> None:
        self._logged_at = float("-inf")
        self._unlogged = 0

    def refused(self, open_connections: int) -> None:
        self._unlogged += 1
        now = time.monotonic()
        if now - self._logged_at >= _REFUSAL_LOG_SECONDS:
            logger.warning(
                "refused %d connection(s): %d open, the most LEDGER_MAX_CONNECTIONS allows",
                self._unlogged,
                open_connections,
            )
            self._logged_at = now
            self._unlogged = 0


_refusals = _RefusalLog()


def _declares_body(scope: dict[str, Any]) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
        if name == b"transfer-encoding":
            return True
    return False


class ConnectionGuard(asyncio.Protocol):
    """The timers and the cap, mixed into a uvicorn HTTP protocol (see ``guarded_protocol``).

    It relies on what uvicorn's protocols share: ``app``, ``loop``, ``transport`` and
    ``connections`` (the server's set of open connections)."""

    limits: ConnectionLimits
    answers_log: AccessLog | None
    app: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    writes: HeldWrites
    connections: set[Any]
    cycle: Any

    def __init__(self, *arguments: Any, **options: Any) -> None:
        super().__init__(*arguments, **options)
        self.app = _WatchedApp(self.app, self)
        self._timer: asyncio.TimerHandle | None = None
        self._head_started = False
        self._head_bytes: int | None = 0
        """Bytes received of the head awaited; None while no head is awaited."""
        self._body_complete = True
        self._answer_started = False

    # --- the protocol's events ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.writes = HeldWrites(self.transport)
        self.transport = self.writes  # type: ignore[assignment]
        if len(self.connections) > self.limits.max_connections:
            _refusals.refused(len(self.connections))
            self.transport.write(_TOO_MANY_CONNECTIONS)
            self.transport.close()
            return
        self._await_head()

    def data_received(self, data: bytes) -> None:
        self._head_started = True
        cycle = getattr(self, "cycle", None)
        super().data_received(data)
        if self._head_bytes is None:
            return
        if getattr(self, "cycle", None) is not cycle:  # the parser has read a whole head
            self._head_bytes = None
            return
        self._head_bytes += len(data)
        if self._head_bytes > self.limits.max_head_bytes and not self.transport.is_closing():
            self._stop_timer()
            self.transport.write(_HEAD_TOO_LARGE)
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    # --- what the app wrapper reports -------------------------------------------------------

    def head_received(self, scope: dict[str, Any]) -> None:
        self._stop_timer()
        self._answer_started = False
        self._body_complete = not _declares_body(scope)
        if not self._body_complete:
            self._start_timer(self.limits.body_seconds, self._body_overdue)

    def body_received(self) -> None:
        if not self._body_complete:
            self._body_complete = True
            self._stop_timer()

    def answer_starting(self) -> bool:
        """True when the answer must close the connection: the body was not read to its end."""
        self._answer_started = True
        return not self._body_complete

    def close_after_answer(self) -> None:
        """Close the connection once what was written is sent."""
        self._stop_timer()
        if not self.transport.is_closing():
            self.transport.close()

    def answer_sent(self) -> None:
        if self._body_complete and not self.transport.is_closing():
            self._await_head()

    # --- timers -----------------------------------------------------------------------------

    def _await_head(self) -> None:
        self._head_started = False
        self._head_bytes = 0
        self._start_timer(self.limits.head_seconds, self._head_overdue)

    def _start_timer(self, seconds: float, callback: Callable[[], None]) -> None:
        self._stop_timer()
        self._timer = self.loop.call_later(seconds, callback)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_overdue(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self._head_started:
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()

    def _body_overdue(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if not self._answer_started:
            self._answer_started = True
            self.transport.write(_REQUEST_TIMEOUT)
            self.transport.close()
        # else: the answer under way ends with Connection: close (answer_starting)


class _WatchedApp:
    """The ASGI app of one connection, reporting each request's steps to its guard."""

    def __init__(self, app: Any, guard: ConnectionGuard) -> None:
        self._app = app
        self._guard = guard

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        guard = self._guard
        guard.head_received(scope)
        answers_log = guard.answers_log
        if _head_size(scope) > guard.limits.max_head_bytes:  # whole in one read: not yet seen
            guard.answer_starting()
            if answers_log is not None:
                answers_log.answered(scope, 431)
            await send(
                {
                    "type": "http.response.start",
                    "status": 431,
                    "headers": [
                        (b"content-type", b"application/problem+json"),
                        (b"content-length", str(len(_HEAD_TOO_LARGE_BODY)).encode()),
                        _CLOSE,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": _HEAD_TOO_LARGE_BODY})
            guard.close_after_answer()
            return

        async def watched_receive() -> Any:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                guard.body_received()
            return message

        async def watched_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                if guard.answer_starting():
                    message = {**message, "headers": [*message.get("headers", ()), _CLOSE]}
                if answers_log is not None:
                    answers_log.answered(scope, message["status"])
                if whole_answer(message):
                    guard.writes.hold()
                await send(message)
                return
            try:
                await send(message)
            finally:
                guard.writes.release()
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                guard.answer_sent()

        await self._app(scope, watched_receive, watched_send)


def guarded_protocol(
    base: type[asyncio.Protocol], limits: ConnectionLimits, answers_log: AccessLog | None = None
) -> type[Any]:
    """``base`` (one of uvicorn's HTTP protocols) with the ``ConnectionGuard``; with
    ``answers_log``, each answer is written to it (``cli.access_log``)."""
    return type(
        f"Guarded{base.__name__}",
        (ConnectionGuard, base),
        {"limits": limits, "answers_log": answers_log},
    )


def allow_open_files(connections: int) -> None:
    """Raise the soft limit of open files, where the hard limit allows, to hold ``connections``
    and some to spare; warn when it cannot."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + _SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        if raised < wanted:
            logger.warning(
                "open files are limited to %d: lower LEDGER_MAX_CONNECTIONS below %d",
                raised,
                raised - _SPARE_FILES,
            )


def uvicorn_config(
    app: Any,
    settings: Settings,
    *,
    http: str = "auto",
    answers_log: AccessLog | None = None,
    **options: Any,
) -> uvicorn.Config:
    """The uvicorn configuration of ``app`` for ``settings``: address, idle timeout, the
    largest request head, and the ``ConnectionGuard`` on the HTTP parser ``http`` names; with
    ``answers_log``, the access log is that one instead of uvicorn's."""
    base = import_from_string(HTTP_PROTOCOLS[http])
    if answers_log is not None:
        options["access_log"] = False
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=guarded_protocol(base, ConnectionLimits.of(settings), answers_log),
        timeout_keep_alive=settings.ledger_keep_alive_seconds,
        h11_max_incomplete_event_size=settings.ledger_max_header_bytes,
        **options,
    )
