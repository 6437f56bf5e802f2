"""How a command's ``Outcome`` becomes its HTTP answer, shared by the command routes: the headers
every answer carries (``X-Campaign-Version``, ``X-Command-Id``, ``X-Correlation-Id``, and
``Location`` for what was created) and their OpenAPI documentation."""

from typing import Any

from fastapi import APIRouter, Response

from api.answer_rendering import ThreadRenderedRoute
from api.answers import StatusAnswer
from api.problems import problem_responses
from application.command_execution import CommandContext
from domain.campaign import Outcome

_COMMAND_HEADERS: dict[str, Any] = {
    "X-Campaign-Version": {
        "description": "The campaign's stream version after the command.",
        "schema": {"type": "integer"},
    },
    "X-Command-Id": {"description": "The command's id.", "schema": {"type": "string"}},
    "X-Correlation-Id": {"description": "The correlation id.", "schema": {"type": "string"}},
}
_CREATED_HEADERS: dict[str, Any] = {
    **_COMMAND_HEADERS,
    "Location": {"description": "Where to read what was created.", "schema": {"type": "string"}},
}

_REFUSALS = (400, 401, 403, 404, 409, 412, 413, 422, 429, 500, 503)


def command_router() -> APIRouter:
    """A router of command routes: under ``/api``, bodies read strictly, answers rendered in
    the endpoint's thread (``ThreadRenderedRoute``)."""
    return APIRouter(prefix="/api", route_class=ThreadRenderedRoute, tags=["commands"])


def documented(success: int, *, body: bool = True) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a command route: its success with the command headers, and
    every refusal (415 only for a route that reads a body)."""
    headers = _CREATED_HEADERS if success == 201 else _COMMAND_HEADERS
    refusals = (*_REFUSALS, 415) if body else _REFUSALS
    return {success: {"headers": headers}, **problem_responses(*sorted(refusals))}


def stamp(
    response: Response, ctx: CommandContext, result: Outcome, location: str | None = None
) -> None:
    """Put the command headers (and ``Location``, when given) on ``response``: for a repeated
    create, the ids its first command was recorded under."""
    response.headers["X-Campaign-Version"] = str(result.version)
    response.headers["X-Command-Id"] = result.command_id or ctx.command_id
    correlation_id = result.correlation_id or ctx.correlation_id
    if correlation_id:
        response.headers["X-Correlation-Id"] = correlation_id
    if location is not None:
        response.headers["Location"] = location


def status_answer(
    response: Response, ctx: CommandContext, result: Outcome, fallback_status: str
) -> StatusAnswer:
    """The answer of a command that moves a status: the new one, ``fallback_status`` when the
    outcome names none."""
    stamp(response, ctx, result)
    return StatusAnswer(
        id=result.id, status=result.status or fallback_status, version=result.version
    )
