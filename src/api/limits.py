"""The request-body limit (``Settings.ledger_max_body_bytes``), enforced on the raw stream before
anything parses it: a declared ``Content-Length`` over the limit is refused without reading, and
a chunked body is counted as it arrives and refused as soon as it passes the limit."""

from __future__ import annotations

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit.

    An ``HTTPException`` so that FastAPI's body reader lets it through unchanged and the problem
    handler answers 413.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=f"The request body is larger than {limit} bytes.")


class BodySizeLimit:
    """ASGI middleware answering 413 ``body-too-large`` for bodies over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            response = problem_response(
                413, "body-too-large", f"The request body is larger than {self.max_bytes} bytes."
            )
            await response(scope, receive, send)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
