"""``GET /metrics`` is served only for services with telemetry; its bearer token."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from api.metrics import bearer_token
from observability import TelemetryOptions, start_telemetry
from tests.unit.api.conftest import hermetic_settings
from tests.unit.api.fakes import FakeServices


def test_services_without_telemetry_serve_no_metrics(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404


def test_services_with_telemetry_serve_prometheus_text_left_out_of_the_openapi_document() -> None:
    services = FakeServices(settings=hermetic_settings())
    telemetry = start_telemetry(TelemetryOptions())
    services.telemetry = telemetry  # type: ignore[attr-defined]
    try:
        with TestClient(create_app(services)) as client:
            answer = client.get("/metrics")
            document = client.get("/api/openapi.json").json()
    finally:
        telemetry.shutdown()
    assert answer.status_code == 200
    assert "ledger_live_subscribers 0.0" in answer.text
    assert "/metrics" not in document["paths"]


def test_only_a_bearer_authorization_carries_a_token() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None
