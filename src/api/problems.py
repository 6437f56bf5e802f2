"""Errors as ``application/problem+json`` (RFC 9457): the one place that maps exceptions to HTTP.

Every refusal the API sends goes through ``problem_response``. Domain errors (``domain.errors``)
keep their own stable ``code``; their status comes from ``status_of``, which follows the table in
the docstring of ``domain.errors`` (and ``docs/errors.md``). Problems that only HTTP knows about
(a bad header, malformed JSON, an unknown route) are raised as ``HttpProblem``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.methods import allowed_methods
from domain.errors import (
    CommandTooLarge,
    ConfigurationError,
    InvalidContinuation,
    InvalidInput,
    LedgerError,
    NotFound,
    PreconditionFailed,
    RuleViolation,
    StoreError,
    StoreThrottled,
    StoreUnavailable,
    WriteContention,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:campaign-ledger:problem:"
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"

logger = logging.getLogger(__name__)

_STATUS_BY_ERROR_CLASS: dict[type[LedgerError], int] = {
    # API.md calls a bad continuation token a bad request (400), not a breach of a rule of shape.
    InvalidContinuation: 400,
    InvalidInput: 422,
    NotFound: 404,
    RuleViolation: 409,
    PreconditionFailed: 412,
    CommandTooLarge: 413,
    StoreThrottled: 429,
    StoreUnavailable: 503,
    WriteContention: 503,
    StoreError: 503,
    ConfigurationError: 500,
}
"""Status of each class of ``domain.errors``; a subclass takes its nearest ancestor's."""

_STATUS_BY_ERROR_CODE: dict[str, int] = {
    # Until the read model raises InvalidContinuation for its own list tokens (it raises a plain
    # InvalidInput with this code), the code keeps them 400 too.
    "invalid-continuation": 400,
}

_CODE_BY_HTTP_STATUS: dict[int, str] = {
    400: "malformed-json",  # the only 400 FastAPI raises itself: a body it could not parse
    404: "route-not-found",
    405: "method-not-allowed",
    413: "body-too-large",
    415: "unsupported-media-type",
}


class FieldProblem(BaseModel):
    """One field of the request that broke a rule of shape, its path as the client sent it."""

    field: str = Field(description="Dotted path in camelCase, list indexes in brackets.")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document; ``code`` is stable and machine-readable."""

    model_config = ConfigDict(populate_by_name=True)

    type: str = Field(description="A URN naming the problem: urn:campaign-ledger:problem:<code>.")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable kebab-case code; see docs/errors.md.")
    errors: list[FieldProblem] | None = Field(
        default=None, description="Present on validation problems: one entry per field."
    )
    current_version: int | None = Field(
        default=None,
        alias="currentVersion",
        description="On 412: the campaign's stream version at the time of the refusal.",
    )


class HttpProblem(Exception):
    """A refusal that only the HTTP layer knows about (headers, media types, API keys)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})


def status_of(error: LedgerError) -> int:
    """The HTTP status of a domain error: by code where API.md says so, else by class."""
    if error.code in _STATUS_BY_ERROR_CODE:
        return _STATUS_BY_ERROR_CODE[error.code]
    for cls in type(error).__mro__:
        if cls in _STATUS_BY_ERROR_CLASS:
            return _STATUS_BY_ERROR_CLASS[cls]
    return 500


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    errors: Sequence[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
    current_version: int | None = None,
) -> JSONResponse:
    """The one constructor of error responses."""
    problem = Problem(
        type=PROBLEM_TYPE_PREFIX + code,
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        code=code,
        errors=list(errors) if errors is not None else None,
        current_version=current_version,
    )
    return JSONResponse(
        problem.model_dump(mode="json", by_alias=True, exclude_none=True),
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_MEDIA_TYPE,
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for refusals with these statuses (all problem+json)."""
    return {
        status: {
            "description": f"{HTTPStatus(status).phrase} (problem+json)",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
        }
        for status in statuses
    }


def retry_after_header(seconds: float) -> dict[str, str]:
    """``Retry-After`` in whole seconds, at least one."""
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def field_path(location: Sequence[str | int]) -> str:
    """``("brief", "brandPalette", 0)`` -> ``brief.brandPalette[0]``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _field_problem(error: Mapping[str, Any]) -> FieldProblem:
    location = tuple(error.get("loc", ()))
    source, rest = (location[0], location[1:]) if location else ("body", ())
    field = field_path(rest) if rest else str(source)
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return FieldProblem(field=field, message=message)


def public_detail(error: LedgerError, status: int) -> str:
    """What a client is told of ``error``: its own detail, except for the store's failures and
    bugs, whose details name internals (hosts, ports, SDK messages) that only the log keeps."""
    if status == 500:
        return "An unexpected error occurred; it was logged."
    if isinstance(error, StoreError) and not isinstance(error, CommandTooLarge | WriteContention):
        if isinstance(error, StoreThrottled):
            return "The store is throttling requests; retry after the Retry-After seconds."
        return "The store is unavailable; retry after the Retry-After seconds."
    return error.detail


def _ledger_error_response(error: LedgerError) -> JSONResponse:
    status = status_of(error)
    if status == 500:
        logger.error("unexpected ledger error %s: %s", error.code, error.detail, exc_info=error)
    elif status in (429, 503):
        logger.warning("store pressure, answering %d %s: %s", status, error.code, error.detail)
    headers: dict[str, str] = {}
    if isinstance(error, StoreThrottled | StoreUnavailable | WriteContention):
        headers.update(retry_after_header(error.retry_after))
    elif status == 503:
        headers.update(retry_after_header(1.0))
    errors: list[FieldProblem] | None = None
    if isinstance(error, InvalidInput):
        errors = [FieldProblem(field=e.field, message=e.message) for e in error.errors]
    current_version: int | None = None
    if isinstance(error, PreconditionFailed):
        current_version = error.actual
        headers["X-Campaign-Version"] = str(error.actual)
    return problem_response(
        status,
        error.code,
        public_detail(error, status),
        errors=errors,
        headers=headers,
        current_version=current_version,
    )


async def _on_ledger_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, LedgerError)
    return _ledger_error_response(error)


async def _on_http_problem(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HttpProblem)
    return problem_response(error.status, error.code, error.detail, headers=error.headers)


async def _on_validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    details = error.errors()
    for item in details:
        if item.get("type") == "json_invalid":
            reason = (item.get("ctx") or {}).get("error", "not valid JSON")
            return problem_response(400, "malformed-json", f"The body is not valid JSON: {reason}.")
    return problem_response(
        422,
        "validation-failed",
        "The request breaks a rule of shape; see errors.",
        errors=[_field_problem(item) for item in details],
    )


async def _on_http_exception(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    status = error.status_code
    code = _CODE_BY_HTTP_STATUS.get(status, f"http-{status}")
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(status).phrase
    headers = dict(error.headers or {})
    if status == 404:
        detail = "No route matches this path."
    elif status == 405:
        detail = "This route does not accept this method; see the Allow header."
        headers["Allow"] = ", ".join(allowed_methods(request))
    return problem_response(status, code, detail, headers=headers)


async def _on_unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(500, "internal-error", "An unexpected error occurred; it was logged.")


def install_problem_handlers(app: FastAPI) -> None:
    """Register every exception handler of the API on ``app``."""
    app.add_exception_handler(LedgerError, _on_ledger_error)
    app.add_exception_handler(HttpProblem, _on_http_problem)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected_error)
