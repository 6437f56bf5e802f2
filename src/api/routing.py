"""A route class that checks the caller before it reads the body, and reads JSON bodies strictly
and in bounded work, before FastAPI validates them.

Order of a request with a body: the API key and the tenant (401/403/400, ``api.tenancy``), the
media type (415), then the body. Reading it is bounded in time (the server's body timeout) and
size (``api.limits``); parsing it is bounded in work: a linear scan of the bytes refuses a body
nested more than ``MAX_BODY_DEPTH`` levels or holding more values than a command may store
before ``json.loads`` builds anything, and a large body is parsed in a worker thread so that the
event loop keeps answering other requests.

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
import functools
import itertools
import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect

from api.problems import HttpProblem, field_path
from api.tenancy import check_request_tenant
from api.thread_slots import ThreadSlots
from domain.errors import CommandTooLarge, FieldError, InvalidInput
from domain.json_values import (
    JsonStructure,
    escaped_size,
    number_breach,
    structure_of,
    walk_json,
)
from domain.values import MAX_COMMAND_BYTES, MAX_EXACT_INTEGER

_NOT_JSON = "not JSON"
_EXACT_INTEGER_DIGITS = len(str(MAX_EXACT_INTEGER))
MAX_REPORTED_NUMBERS = 20
"""At most this many out-of-range numbers are listed in one answer."""
MAX_BODY_DEPTH = 64
"""Nesting levels of a body; deeper is 400 ``malformed-json`` before anything parses it. The
deepest valid body is about 36 levels (a free-form object nests at most 32 under its field)."""
INLINE_PARSE_BYTES = 64 * 1024
"""Bodies up to this size are parsed on the event loop (a few milliseconds at most); larger ones
in a worker thread, at most ``PARSING_THREADS`` at a time."""
PARSING_THREADS = 1
MAX_BODY_VALUES = 524_288
"""JSON values (objects, arrays, strings, numbers, literals) a body may hold; more is 413
``body-too-large`` before anything parses it. No body within the other limits comes near it
(a step's artifacts are bounded by the run context's bytes), and parsing this many takes the
parser, which holds the interpreter while it runs, well under 0.1 s."""
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abAB]")


def _refuse_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is {_NOT_JSON}", name, 0)


class _NumberBreaches:
    """The parser's number hooks: they note whether any number cannot be stored exactly, so
    that only such a body is walked to name where."""

    def __init__(self) -> None:
        self.found = False

    def integer(self, text: str) -> int:
        """A JSON integer; one with more digits than 2^53 has is read as a stand-in just past
        the bound (Python refuses to convert very long digit strings), so it is refused like the
        rest."""
        if len(text.lstrip("-")) >= _EXACT_INTEGER_DIGITS:
            if len(text.lstrip("-")) > _EXACT_INTEGER_DIGITS:
                self.found = True
                return -(MAX_EXACT_INTEGER + 1) if text.startswith("-") else MAX_EXACT_INTEGER + 1
            value = int(text)
            self.found = self.found or abs(value) > MAX_EXACT_INTEGER
            return value
        return int(text)

    def number(self, text: str) -> float:
        value = float(text)
        self.found = self.found or number_breach(value) is not None
        return value


def _refuse_unstorable_numbers(value: Any) -> None:
    located = (
        FieldError(field_path(place.path) or "body", reason)
        for place, item in walk_json(value)
        if isinstance(item, int | float) and (reason := number_breach(item)) is not None
    )
    breaches = list(itertools.islice(located, MAX_REPORTED_NUMBERS))
    if breaches:
        raise InvalidInput(
            "The body holds numbers a JSON document store cannot keep exactly; see errors.",
            breaches,
        )


def _too_large(detail: str) -> CommandTooLarge:
    return CommandTooLarge(
        f"{detail}; a command's body may take at most {MAX_COMMAND_BYTES} bytes as compact "
        "JSON with non-ASCII characters escaped"
    )


def _check_command_size(structure: JsonStructure, encoding: str, value: Any) -> None:
    """``CommandTooLarge`` when ``value`` written as compact ASCII-escaped JSON takes more than
    ``MAX_COMMAND_BYTES``; the bounds the scan found decide without writing it, mostly."""
    utf8 = encoding in ("utf-8", "utf-8-sig")
    if utf8 and structure.escaped_size_at_most <= MAX_COMMAND_BYTES:
        return
    if utf8 and structure.escaped_size_at_least > MAX_COMMAND_BYTES:
        raise _too_large(f"The body takes at least {structure.escaped_size_at_least} bytes")
    size = escaped_size(value)
    if size > MAX_COMMAND_BYTES:
        raise _too_large(f"The body takes {size} bytes")


def parse_json_strictly(raw: bytes) -> Any:
    """Parse ``raw`` as RFC 8259 JSON whose numbers can be stored exactly, in bounded work.

    Before parsing, a linear scan of the bytes refuses a body holding more than
    ``MAX_BODY_VALUES`` values (413 ``body-too-large``) or nested more than ``MAX_BODY_DEPTH``
    levels (``json.JSONDecodeError``). Then
    ``json.JSONDecodeError`` for anything that is not JSON; ``CommandTooLarge`` for a body
    over ``MAX_COMMAND_BYTES`` once written as compact ASCII-escaped JSON; ``InvalidInput``
    (422) naming the path of every integer beyond ±2^53 and every number that overflows a
    double.
    """
    structure = structure_of(raw, MAX_BODY_DEPTH, MAX_BODY_VALUES)
    if structure.too_many_values:
        raise HttpProblem(
            413, "body-too-large", f"The body holds more than {MAX_BODY_VALUES} JSON values."
        )
    if structure.too_deep:
        raise json.JSONDecodeError(f"nested too deeply (more than {MAX_BODY_DEPTH} levels)", "", 0)
    numbers = _NumberBreaches()
    hooks: dict[str, Any] = (
        {}
        if structure.exact_numbers_only
        else {"parse_int": numbers.integer, "parse_float": numbers.number}
    )
    try:
        encoding = json.detect_encoding(raw)
        text = raw.decode(encoding)
        value = json.loads(text, parse_constant=_refuse_constant, **hooks)
        if _SURROGATE_ESCAPE.search(text):
            json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeDecodeError:
        raise json.JSONDecodeError("the bytes are not text", "", 0) from None
    except UnicodeEncodeError:
        raise json.JSONDecodeError("a lone surrogate escape is not text", "", 0) from None
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply to read", "", 0) from None
    _check_command_size(structure, encoding, value)
    if numbers.found:
        _refuse_unstorable_numbers(value)
    return value


_parsing_threads = ThreadSlots(PARSING_THREADS)


async def parse_body(raw: bytes) -> Any:
    """``parse_json_strictly(raw)``, in a worker thread when the body is large."""
    if len(raw) <= INLINE_PARSE_BYTES:
        return parse_json_strictly(raw)
    return await _parsing_threads.run(parse_json_strictly, raw)


@functools.lru_cache(maxsize=64)
def is_json_media_type(content_type: str) -> bool:
    """Whether ``content_type`` names JSON (``application/json`` or ``application/*+json``);
    remembered for the few values clients send, as reading one is an e-mail header parse."""
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = await parse_body(await self.body())
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
        return self.strict_handler(super().get_route_handler())

    def strict_handler(
        self,
        handle: Callable[[Request], Coroutine[Any, Any, Response]],
        prepare: Callable[[Request], None] | None = None,
    ) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """``handle`` (FastAPI's handler of this route) behind the checks and the strict body;
        ``prepare`` sees the request last, once its body is parsed."""
        reads_body = self.body_field is not None

        async def handle_strictly(request: Request) -> Response:
            if reads_body:  # every route with a body acts for a tenant: check before reading
                check_request_tenant(request)
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
            if prepare is not None:
                prepare(strict_request)
            return await handle(strict_request)

        return handle_strictly
