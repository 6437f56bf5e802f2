"""Injecting transient faults between the Cosmos DB SDK and the test server.

``FaultInjectingTransport`` is an azure-core transport (``CosmosClient(transport=...)``) that
lets every request through except those a planned fault matches: it then answers with an
error status of its own (the request never reaches the server), fails before sending (a
connection reset), or sends the request, lets the server apply it, and then raises a read
timeout, so that the client never learns the outcome.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.core.pipeline.transport import HttpRequest, RequestsTransport, RequestsTransportResponse
from requests.structures import CaseInsensitiveDict

RequestFilter = Callable[[HttpRequest], bool]


def is_batch(request: HttpRequest) -> bool:
    return str(request.headers.get("x-ms-cosmos-is-batch-request", "")).lower() == "true"


def is_point_read(request: HttpRequest) -> bool:
    return request.method == "GET" and "/docs/" in request.url


def is_query(request: HttpRequest) -> bool:
    return str(request.headers.get("x-ms-documentdb-isquery", "")).lower() == "true"


@dataclass(frozen=True)
class Fault:
    """One planned fault: an error ``status`` answered by us, or a transport failure."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    reset_before_send: bool = False
    timeout_after_send: bool = False


def throttled(retry_after_ms: int | None = 20) -> Fault:
    headers = {} if retry_after_ms is None else {"x-ms-retry-after-ms": str(retry_after_ms)}
    return Fault(status=429, headers=headers)


def status(code: int) -> Fault:
    return Fault(status=code)


RESET_BEFORE_SEND = Fault(reset_before_send=True)
TIMEOUT_AFTER_SEND = Fault(timeout_after_send=True)


class FaultInjectingTransport(RequestsTransport):  # type: ignore[misc]
    """Passes requests to the server, except those that meet a planned fault."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._plans: list[tuple[RequestFilter, Fault]] = []
        self._lock = threading.Lock()
        self.matched = 0
        self.reached_server = 0

    def plan(self, *faults: Fault, when: RequestFilter = is_batch) -> None:
        """Answer the next matching requests with ``faults``, one each, in order."""
        with self._lock:
            self._plans.extend((when, fault) for fault in faults)

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()
            self.matched = 0
            self.reached_server = 0

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._plans)

    def send(self, request: HttpRequest, **kwargs: Any) -> Any:
        fault = self._take(request)
        if fault is None:
            return self._forward(request, **kwargs)
        if fault.reset_before_send:
            raise ServiceRequestError("connection reset by peer (injected)")
        if fault.timeout_after_send:
            self._forward(request, **kwargs)
            raise ServiceResponseError("read timed out after the request was sent (injected)")
        return self._answer(request, fault)

    def _forward(self, request: HttpRequest, **kwargs: Any) -> Any:
        response = super().send(request, **kwargs)
        with self._lock:
            self.reached_server += 1
        return response

    def _take(self, request: HttpRequest) -> Fault | None:
        with self._lock:
            for index, (matches, fault) in enumerate(self._plans):
                if matches(request):
                    del self._plans[index]
                    self.matched += 1
                    return fault
        return None

    @staticmethod
    def _answer(request: HttpRequest, fault: Fault) -> RequestsTransportResponse:
        raw = requests.Response()
        raw.status_code = fault.status
        raw.headers = CaseInsensitiveDict(
            {"content-type": "application/json", "x-ms-activity-id": "injected", **fault.headers}
        )
        raw._content = json.dumps(
            {"code": str(fault.status), "message": f"injected {fault.status}"}
        ).encode()
        raw.url = request.url
        return RequestsTransportResponse(request, raw)
