"""The ``CommandContext`` of a command request: tenant, actor, the ids stored as every event's
metadata (``X-Command-Id``, ``X-Correlation-Id``, ``X-Causation-Id``, ``X-Actor``; generated or
defaulted when absent), the caller's W3C ``traceparent`` (kept when well-formed, ignored
otherwise, as the W3C recommendation asks; a traced service replaces it with its own command
span's) and the version pinned by ``If-Match``: the ``Context`` of every command route."""

import re
import uuid
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from api.preconditions import EXPECTED_VERSION_PATTERN, parse_if_match
from api.problems import HttpProblem
from api.tenancy import Tenant, tenant_of_request
from application.command_execution import CommandContext

MAX_HEADER_ID = 200
PRINTABLE_PATTERN = r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$"
"""Printable ASCII, not starting or ending with a space (a JSON Schema ``pattern``)."""
_PRINTABLE = re.compile(PRINTABLE_PATTERN.removeprefix("^").removesuffix("$"))
_TRACEPARENT = re.compile(r"^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$")


def _optional_header(name: str, description: str) -> Any:
    return Header(
        alias=name,
        description=description,
        json_schema_extra={
            "maxLength": MAX_HEADER_ID,
            "minLength": 1,
            "pattern": PRINTABLE_PATTERN,
        },
    )


def traceparent_of(value: str | None) -> str | None:
    """A W3C ``traceparent`` (version 00) as sent, or None when absent or malformed."""
    if value is None:
        return None
    value = value.strip()
    return value if _TRACEPARENT.match(value) else None


def checked_header(name: str, value: str | None) -> str | None:
    """``value`` when it is 1-200 printable ASCII characters; else 400 ``invalid-header``."""
    if value is None:
        return None
    if len(value) > MAX_HEADER_ID or not _PRINTABLE.fullmatch(value):
        raise HttpProblem(
            400, "invalid-header", f"{name} must be 1-{MAX_HEADER_ID} printable ASCII characters."
        )
    return value


async def command_context(
    *,
    request: Request,
    tenant: Tenant,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="Require the campaign to be at this stream version (412 if not): "
            'an integer, quotes allowed ("7").',
            json_schema_extra={"pattern": EXPECTED_VERSION_PATTERN},
        ),
    ] = None,
    command_id: Annotated[
        str | None, _optional_header("X-Command-Id", "Id of this command; default: a UUID.")
    ] = None,
    correlation_id: Annotated[
        str | None,
        _optional_header("X-Correlation-Id", "Groups a conversation; default: the command id."),
    ] = None,
    causation_id: Annotated[
        str | None, _optional_header("X-Causation-Id", "The command or event that caused this.")
    ] = None,
    actor: Annotated[
        str | None, _optional_header("X-Actor", "Who acts; default: 'anonymous'.")
    ] = None,
) -> CommandContext:
    """The dependency that builds a command's context from its headers."""
    return context_of(
        request,
        tenant,
        if_match=if_match,
        command_id=command_id,
        correlation_id=correlation_id,
        causation_id=causation_id,
        actor=actor,
    )


def context_from_request(request: Request) -> CommandContext:
    """What ``command_context`` answers, read straight from the request's headers with the
    same checks in the same order (the tenant first), without the tree of headers and key
    schemes that documents them (``api.answer_rendering``)."""
    headers = request.headers
    return context_of(
        request,
        tenant_of_request(request),
        if_match=headers.get("if-match"),
        command_id=headers.get("x-command-id"),
        correlation_id=headers.get("x-correlation-id"),
        causation_id=headers.get("x-causation-id"),
        actor=headers.get("x-actor"),
    )


def context_of(
    request: Request,
    tenant: str,
    *,
    if_match: str | None,
    command_id: str | None,
    correlation_id: str | None,
    causation_id: str | None,
    actor: str | None,
) -> CommandContext:
    """A command's context from its tenant and its headers' values (None: absent)."""
    own_id = checked_header("X-Command-Id", command_id) or str(uuid.uuid4())
    return CommandContext(
        tenant_id=tenant,
        actor=checked_header("X-Actor", actor) or "anonymous",
        command_id=own_id,
        correlation_id=checked_header("X-Correlation-Id", correlation_id) or own_id,
        causation_id=checked_header("X-Causation-Id", causation_id),
        expected_version=parse_if_match(if_match),
        traceparent=traceparent_of(request.headers.get("traceparent")),
    )


Context = Annotated[CommandContext, Depends(command_context)]
