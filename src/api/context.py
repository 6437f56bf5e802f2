"""The ``CommandContext`` of a command request: tenant, actor, the ids stored as every event's
metadata (``X-Command-Id``, ``X-Correlation-Id``, ``X-Causation-Id``, ``X-Actor``; generated or
defaulted when absent) and the version pinned by ``If-Match``: the ``Context`` of every command
route."""

import re
import uuid
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from api.preconditions import parse_if_match
from api.problems import HttpProblem
from api.tenancy import Tenant, tenant_of_request
from application.service import CommandContext
from bootstrap.settings import Settings

MAX_HEADER_ID = 200
_PRINTABLE = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")


def _optional_header(name: str, description: str) -> Any:
    return Header(
        alias=name,
        description=description,
        json_schema_extra={"maxLength": MAX_HEADER_ID, "minLength": 1},
    )


def checked_header(name: str, value: str | None) -> str | None:
    """``value`` when it is 1-200 printable ASCII characters; else 400 ``invalid-header``."""
    if value is None:
        return None
    if len(value) > MAX_HEADER_ID or not _PRINTABLE.match(value):
        raise HttpProblem(
            400, "invalid-header", f"{name} must be 1-{MAX_HEADER_ID} printable ASCII characters."
        )
    return value


async def command_context(
    *,
    tenant: Tenant,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="Require the campaign to be at this stream version (412 if not).",
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
        tenant,
        if_match=if_match,
        command_id=command_id,
        correlation_id=correlation_id,
        causation_id=causation_id,
        actor=actor,
    )


def context_of(
    tenant: str,
    *,
    if_match: str | None,
    command_id: str | None,
    correlation_id: str | None,
    causation_id: str | None,
    actor: str | None,
) -> CommandContext:
    """A command's context from its tenant and the values of its headers (None: absent)."""
    own_id = checked_header("X-Command-Id", command_id) or str(uuid.uuid4())
    return CommandContext(
        tenant_id=tenant,
        actor=checked_header("X-Actor", actor) or "anonymous",
        command_id=own_id,
        correlation_id=checked_header("X-Correlation-Id", correlation_id) or own_id,
        causation_id=checked_header("X-Causation-Id", causation_id),
        expected_version=parse_if_match(if_match),
    )


async def context_of_request(request: Request, settings: Settings) -> CommandContext:
    """What the ``Context`` dependency answers, read straight from the request's headers (the
    same checks in the same order): for routes that skip FastAPI's dependency solving."""
    tenant = await tenant_of_request(request, settings)
    headers = request.headers
    return context_of(
        tenant,
        if_match=headers.get("if-match"),
        command_id=headers.get("x-command-id"),
        correlation_id=headers.get("x-correlation-id"),
        causation_id=headers.get("x-causation-id"),
        actor=headers.get("x-actor"),
    )


Context = Annotated[CommandContext, Depends(command_context)]
