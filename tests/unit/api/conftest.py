"""Fixtures of the HTTP unit tests: the app over fakes, driven in-process by TestClient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bootstrap.settings import Settings
from tests.unit.api.fakes import FakeServices


def hermetic_settings(**overrides: object) -> Settings:
    """Settings that do not depend on the environment the tests run in."""
    values: dict[str, object] = {
        "ledger_store": "sqlite",
        "ledger_api_keys": {},
        "ledger_read_wait_seconds": 0.25,
        "ledger_max_body_bytes": 4 * 1024 * 1024,
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture(scope="session")
def shared_app() -> Iterator[tuple[FakeServices, TestClient]]:
    """One app for the whole session (building one per test would dominate the run time)."""
    services = FakeServices(settings=hermetic_settings())
    with TestClient(create_app(services), raise_server_exceptions=False) as test_client:
        yield services, test_client


@pytest.fixture
def services(shared_app: tuple[FakeServices, TestClient]) -> FakeServices:
    """The fakes behind ``client``, reset for each test."""
    shared_services, _ = shared_app
    shared_services.reset()
    return shared_services


@pytest.fixture
def client(shared_app: tuple[FakeServices, TestClient], services: FakeServices) -> TestClient:
    return shared_app[1]
