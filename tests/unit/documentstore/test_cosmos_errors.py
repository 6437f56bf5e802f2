"""Translating Cosmos DB and azure-core errors into the domain's exception tree."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.cosmos.exceptions import (
    CosmosBatchOperationError,
    CosmosClientTimeoutError,
    CosmosHttpResponseError,
)

from documentstore.cosmos import translate_error
from domain.errors import (
    CommandTooLarge,
    DocumentConflict,
    DocumentNotFound,
    EtagMismatch,
    StoreError,
    StoreThrottled,
    StoreUnavailable,
)


def http_error(status: int, headers: dict[str, str] | None = None) -> CosmosHttpResponseError:
    error = CosmosHttpResponseError(  # type: ignore[no-untyped-call]
        status_code=status, message=f"answered {status}"
    )
    error.headers = headers or {}
    return error


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (409, DocumentConflict),
        (412, EtagMismatch),
        (404, DocumentNotFound),
        (413, CommandTooLarge),
        (408, StoreUnavailable),
        (449, StoreUnavailable),
        (503, StoreUnavailable),
        (429, StoreThrottled),
    ],
)
def test_each_status_becomes_its_domain_error(status: int, expected: type[StoreError]) -> None:
    assert type(translate_error(http_error(status), "batch")) is expected


@pytest.mark.parametrize("status", [400, 401, 403, 500])
def test_any_other_status_is_a_plain_store_error(status: int) -> None:
    translated = translate_error(http_error(status), "read")

    assert type(translated) is StoreError
    assert str(status) in translated.detail


def test_throttling_carries_the_servers_retry_after_in_seconds() -> None:
    translated = translate_error(http_error(429, {"x-ms-retry-after-ms": "250"}), "read")

    assert isinstance(translated, StoreThrottled)
    assert translated.retry_after == pytest.approx(0.25)


def test_a_retry_after_header_in_seconds_is_used_when_no_milliseconds_are_given() -> None:
    translated = translate_error(http_error(503, {"Retry-After": "3"}), "read")

    assert isinstance(translated, StoreUnavailable)
    assert translated.retry_after == pytest.approx(3.0)


def test_a_failed_batch_names_the_failing_operation_and_its_status() -> None:
    error = CosmosBatchOperationError(  # type: ignore[no-untyped-call]
        error_index=2,
        headers={},
        status_code=412,
        message="batch failed",
        operation_responses=[{"statusCode": 424}, {"statusCode": 424}, {"statusCode": 412}],
    )

    translated = translate_error(error, "batch")

    assert isinstance(translated, EtagMismatch)
    assert translated.operation_index == 2


@pytest.mark.parametrize(
    "error",
    [
        ServiceRequestError("connection refused"),
        ServiceResponseError("read timed out"),
        CosmosClientTimeoutError(),  # type: ignore[no-untyped-call]
    ],
)
def test_transport_failures_and_timeouts_are_store_unavailable(error: Exception) -> None:
    assert isinstance(translate_error(error, "read"), StoreUnavailable)  # type: ignore[arg-type]
