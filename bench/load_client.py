"""A light keep-alive HTTP/1.1 client for the load benchmarks (``http.client``, one connection
per client thread): the clients share the machine's 2 cores with the services they measure, so
they should cost as little as possible, and cost the same whichever service they talk to."""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass, field
from typing import Any

RETRY_STATUSES = (429, 503)
MAX_ATTEMPTS = 20


@dataclass
class Answer:
    status: int
    body: Any
    seconds: float


@dataclass
class LoadClient:
    """POSTs JSON to one service; 429/503 are retried with the same body and headers (the same
    command), honouring ``Retry-After`` (capped at 1 s)."""

    host: str
    port: int
    retries: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._connection = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def post(
        self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Answer:
        payload = json.dumps(body).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        started = time.monotonic()
        for attempt in range(MAX_ATTEMPTS):
            status, text, retry_after = self._exchange("POST", path, payload, sent)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status in RETRY_STATUSES:
                self.retries += 1
                time.sleep(min(retry_after, 1.0) * (attempt + 1))
                continue
            if status >= 400:
                raise RuntimeError(f"POST {path} answered {status}: {text[:300]!r}")
            return Answer(status, json.loads(text), time.monotonic() - started)
        raise RuntimeError(f"POST {path} still refused after {MAX_ATTEMPTS} attempts")

    def close(self) -> None:
        self._connection.close()

    def _exchange(
        self, method: str, path: str, payload: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes, float]:
        for reconnect in (False, True):
            try:
                self._connection.request(method, path, body=payload, headers=headers)
                response = self._connection.getresponse()
                text = response.read()
            except (ConnectionError, http.client.HTTPException):
                self._connection.close()
                if reconnect:
                    raise
                continue
            retry_after = float(response.getheader("Retry-After") or 1)
            return response.status, text, retry_after
        raise AssertionError("unreachable")
