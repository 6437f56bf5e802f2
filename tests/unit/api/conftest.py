"""Fixtures of the HTTP unit tests: the app over fakes, driven in-process by TestClient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bootstrap.settings import Settings
from tests.unit.api.fakes import FakeLedger


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
def shared_app() -> Iterator[tuple[FakeLedger, TestClient]]:
    """One app for the whole session (building one per test would dominate the run time)."""
    ledger = FakeLedger(settings=hermetic_settings())
    with TestClient(create_app(ledger), raise_server_exceptions=False) as test_client:
        yield ledger, test_client


@pytest.fixture
def ledger(shared_app: tuple[FakeLedger, TestClient]) -> FakeLedger:
    """The fakes behind ``client``, reset for each test."""
    shared_ledger, _ = shared_app
    shared_ledger.reset()
    return shared_ledger


@pytest.fixture
def client(shared_app: tuple[FakeLedger, TestClient], ledger: FakeLedger) -> TestClient:
    return shared_app[1]
