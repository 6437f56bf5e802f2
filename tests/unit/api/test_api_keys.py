"""Optional API keys: with ``Settings.ledger_api_keys`` set, a key is required and decides the
tenant; health stays open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.tenancy import tenant_of_key
from tests.unit.api.conftest import hermetic_settings
from tests.unit.api.fakes import FakeServices
from tests.unit.api.samples import CID

KEYS = {"key-of-acme": "acme", "key-of-globex": "globex"}
B = f"/api/campaigns/{CID}"


@pytest.fixture
def keyed_services() -> FakeServices:
    return FakeServices(settings=hermetic_settings(ledger_api_keys=KEYS))


@pytest.fixture
def keyed_client(keyed_services: FakeServices) -> Iterator[TestClient]:
    with TestClient(create_app(keyed_services), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Api-Key": "wrong"},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic a2V5"},
    ],
)
def test_a_request_without_a_valid_key_is_401(
    keyed_client: TestClient, keyed_services: FakeServices, headers: dict[str, str]
) -> None:
    for response in (keyed_client.delete(B, headers=headers), keyed_client.get(B, headers=headers)):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "unauthenticated"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert keyed_services.commands.calls == []


@pytest.mark.parametrize(
    "headers", [{"X-Api-Key": "key-of-acme"}, {"Authorization": "Bearer key-of-acme"}]
)
def test_the_keys_tenant_is_the_requests_tenant(
    keyed_client: TestClient, keyed_services: FakeServices, headers: dict[str, str]
) -> None:
    response = keyed_client.delete(B, headers=headers)
    assert response.status_code == 200
    ctx = keyed_services.commands.last.ctx
    assert ctx is not None
    assert ctx.tenant_id == "acme"


def test_naming_the_keys_own_tenant_is_allowed(
    keyed_client: TestClient, keyed_services: FakeServices
) -> None:
    response = keyed_client.delete(B, headers={"X-Api-Key": "key-of-acme", "X-Tenant-Id": "acme"})
    assert response.status_code == 200


def test_naming_another_tenant_than_the_keys_is_403(
    keyed_client: TestClient, keyed_services: FakeServices
) -> None:
    response = keyed_client.get(B, headers={"X-Api-Key": "key-of-acme", "X-Tenant-Id": "globex"})
    assert response.status_code == 403
    assert response.json()["code"] == "tenant-forbidden"


def test_health_needs_no_key(keyed_client: TestClient) -> None:
    assert keyed_client.get("/api/health").status_code == 200


def test_projection_status_needs_a_key(keyed_client: TestClient) -> None:
    assert keyed_client.get("/api/projections/status").status_code == 401
    ok = keyed_client.get("/api/projections/status", headers={"X-Api-Key": "key-of-globex"})
    assert ok.status_code == 200


def test_the_openapi_document_declares_both_key_schemes_when_keys_are_configured(
    keyed_client: TestClient, client: TestClient
) -> None:
    keyed = keyed_client.get("/api/openapi.json").json()
    assert set(keyed["components"]["securitySchemes"]) == {"APIKeyHeader", "HTTPBearer"}
    assert "securitySchemes" not in client.get("/api/openapi.json").json()["components"]


def test_a_key_maps_to_its_tenant_and_anything_else_to_none() -> None:
    assert tenant_of_key(KEYS, "key-of-globex") == "globex"
    assert tenant_of_key(KEYS, "key-of-glob") is None
    assert tenant_of_key(KEYS, "") is None
