"""A route class that reads JSON bodies strictly, before FastAPI validates them.

Python's ``json`` accepts ``NaN`` and ``Infinity`` and lone UTF-16 surrogates (``"\\ud800"``),
none of which is JSON (RFC 8259) and none of which could be stored or sent back; they are refused
here as malformed JSON (400) instead of failing later as a server error, and so is nesting too
deep to parse. A body declared as something other than JSON is refused with 415; a body without
``Content-Type`` is read as JSON.

Numbers that are JSON but that a JSON document store cannot keep exactly (Cosmos DB numbers are
IEEE doubles) are a breach of a rule of shape instead: an integer beyond ±2^53 or a number that
overflows a double (``1e400``), anywhere in the body (ignored fields included), is 422
``validation-failed`` naming each one's path. An event holding one could never be projected.
"""

from __future__ import annotations

import email.message
import itertools
import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect

from api.problems import HttpProblem, field_path
from domain.errors import FieldError, InvalidInput
from domain.values import MAX_EXACT_INTEGER, number_breach, walk_json

_NOT_JSON = "not JSON"
_EXACT_INTEGER_DIGITS = len(str(MAX_EXACT_INTEGER))
MAX_REPORTED_NUMBERS = 20
"""At most this many out-of-range numbers are listed in one answer."""


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is {_NOT_JSON}", name, 0)


def _integer(text: str) -> int:
    """A JSON integer; one with more digits than 2^53 has is read as a stand-in just past the
    bound (Python refuses to convert very long digit strings), so it is refused like the rest."""
    if len(text.lstrip("-")) > _EXACT_INTEGER_DIGITS:
        return -(MAX_EXACT_INTEGER + 1) if text.startswith("-") else MAX_EXACT_INTEGER + 1
    return int(text)


def _refuse_unstorable_numbers(value: Any) -> None:
    located = (
        FieldError(field_path(path) or "body", reason)
        for path, item in walk_json(value)
        if isinstance(item, int | float) and (reason := number_breach(item)) is not None
    )
    breaches = list(itertools.islice(located, MAX_REPORTED_NUMBERS))
    if breaches:
        raise InvalidInput(
            "The body holds numbers a JSON document store cannot keep exactly; see errors.",
            breaches,
        )


def parse_json_strictly(raw: bytes) -> Any:
    """Parse ``raw`` as RFC 8259 JSON whose numbers can be stored exactly.

    ``json.JSONDecodeError`` for anything that is not JSON; ``InvalidInput`` (422) naming the
    path of every integer beyond ±2^53 and every number that overflows a double.

    A body that orjson reads (it refuses NaN, infinities, lone surrogates, a byte-order mark
    and anything but UTF-8, as this reading does) and that holds no run of 16 or more digits
    and little nesting is orjson's value: it is then exactly what ``read_json_strictly``
    gives, with no number to refuse. Any other body is read by ``read_json_strictly``.
    """
    if _LONG_DIGITS.search(raw) is None and raw.count(b"[") + raw.count(b"{") <= _QUICK_NESTING:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return read_json_strictly(raw)


_LONG_DIGITS = re.compile(rb"[0-9]{16,}")
"""An integer this long may pass 2^53 (or 2^64, which orjson reads as a float)."""
_QUICK_NESTING = 500
"""Far below the depth at which the strict reading gives up (about 1,000)."""


def read_json_strictly(raw: bytes) -> Any:
    """``parse_json_strictly`` with Python's parser, numbers checked one by one: the reference
    reading, and the one every body orjson may read differently gets."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant, parse_int=_integer)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeDecodeError:
        raise json.JSONDecodeError("the bytes are not text", "", 0) from None
    except UnicodeEncodeError:
        raise json.JSONDecodeError("a lone surrogate escape is not text", "", 0) from None
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply to read", "", 0) from None
    _refuse_unstorable_numbers(value)
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

    async def read_json_body(self) -> None:
        """Read and parse the body now, so that its refusals are ours: 400 ``malformed-json``
        or 422 ``validation-failed``. (FastAPI would turn any error of ``json()`` into 400.)"""
        try:
            raw = await self.body()
        except ClientDisconnect:
            raise HttpProblem(400, "malformed-json", "The body could not be read.") from None
        if not raw:
            return
        try:
            await self.json()
        except json.JSONDecodeError as error:
            raise HttpProblem(
                400, "malformed-json", f"The body is not valid JSON: {error.msg}."
            ) from None


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "chunked" in request.headers.get("transfer-encoding", "").lower()


class StrictJsonRoute(APIRoute):
    """An ``APIRoute`` whose body is parsed by ``parse_json_strictly``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = self.request_handler()
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
            strict_request = StrictJsonRequest(request.scope, request.receive)
            if reads_body and _has_body(request):
                await strict_request.read_json_body()
            return await handle(strict_request)

        return handle_strictly

    def request_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """What handles the request once its body is read: FastAPI's own handler here."""
        return super().get_route_handler()
