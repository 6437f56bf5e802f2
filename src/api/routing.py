"""A route class that reads JSON bodies strictly.

Python's ``json`` accepts ``NaN`` and ``Infinity`` and lone UTF-16 surrogates (``"\\ud800"``),
none of which is JSON (RFC 8259) and none of which could be stored or sent back; they are refused
here as malformed JSON (400) instead of failing later as a server error. A body declared as
something other than JSON is refused with 415; a body without ``Content-Type`` is read as JSON.
"""

from __future__ import annotations

import email.message
import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from api.problems import HttpProblem

_NOT_JSON = "not JSON"


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is {_NOT_JSON}", name, 0)


def parse_json_strictly(raw: bytes) -> Any:
    """Parse ``raw`` as RFC 8259 JSON; ``json.JSONDecodeError`` for anything else."""
    value = json.loads(raw, parse_constant=_refuse_constant)
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise json.JSONDecodeError("a lone surrogate escape is not text", "", 0) from None
    return value


def is_json_media_type(content_type: str) -> bool:
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json_strictly(await self.body())
        return self._json


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "chunked" in request.headers.get("transfer-encoding", "").lower()


class StrictJsonRoute(APIRoute):
    """An ``APIRoute`` whose body is parsed by ``parse_json_strictly``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        reads_body = self.body_field is not None

        async def handle_strictly(request: Request) -> Response:
            content_type = request.headers.get("content-type")
            if (
                reads_body
                and content_type
                and _has_body(request)
                and not is_json_media_type(content_type)
            ):
                raise HttpProblem(
                    415, "unsupported-media-type", "The body must be application/json."
                )
            return await handle(StrictJsonRequest(request.scope, request.receive))

        return handle_strictly
