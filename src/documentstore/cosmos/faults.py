"""Cosmos DB's and azure-core's errors in the domain's terms: the Cosmos DB store translates
every one here, once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.cosmos.exceptions import (
    CosmosBatchOperationError,
    CosmosClientTimeoutError,
    CosmosHttpResponseError,
)

from domain.errors import (
    CommandTooLarge,
    DocumentConflict,
    DocumentNotFound,
    EtagMismatch,
    StoreError,
    StoreThrottled,
    StoreUnavailable,
)

_TRANSIENT_STATUSES = frozenset({408, 449, 503})


def translate_error(error: AzureError, what: str) -> StoreError:
    """The domain error for a foreign Cosmos DB or azure-core error."""
    if isinstance(error, CosmosBatchOperationError):
        index = error.error_index
        responses = error.operation_responses or []
        status = int(error.status_code or 0)
        if index is not None and index < len(responses):
            status = int(responses[index].get("statusCode", status))
        return _for_status(status, error.headers or {}, str(error.message), what, index)
    if isinstance(error, CosmosHttpResponseError):
        status = int(error.status_code or 0)
        return _for_status(status, error.headers or {}, str(error.message), what, None)
    if isinstance(error, CosmosClientTimeoutError | ServiceRequestError | ServiceResponseError):
        return StoreUnavailable(f"Cosmos DB {what}: {error}", retry_after=1.0)
    if isinstance(error, HttpResponseError):
        status = int(error.status_code or 0)
        headers: Mapping[str, Any] = getattr(error.response, "headers", None) or {}
        return _for_status(status, headers, str(error.message), what, None)
    return StoreError(f"Cosmos DB {what} failed: {error}")


def _for_status(
    status: int,
    headers: Mapping[str, Any],
    message: str,
    what: str,
    operation_index: int | None,
) -> StoreError:
    detail = f"Cosmos DB {what} answered {status}: {message.splitlines()[0] if message else ''}"
    if status == 429:
        return StoreThrottled(detail, retry_after=_retry_after(headers))
    if status in _TRANSIENT_STATUSES:
        return StoreUnavailable(detail, retry_after=_retry_after(headers))
    if status == 409:
        return DocumentConflict(detail, operation_index=operation_index)
    if status == 412:
        return EtagMismatch(detail, operation_index=operation_index)
    if status == 404:
        return DocumentNotFound(detail, operation_index=operation_index)
    if status == 413 or (status == 400 and "too large" in message.lower()):
        return CommandTooLarge(detail)
    return StoreError(detail)


def _retry_after(headers: Mapping[str, Any]) -> float:
    """Seconds the server asks us to wait: ``x-ms-retry-after-ms``, else ``Retry-After``."""
    lowered = {str(key).lower(): value for key, value in headers.items()}
    for name, scale in (("x-ms-retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return max(float(lowered[name]) * scale, 0.0)
        except (KeyError, TypeError, ValueError):
            continue
    return 1.0
