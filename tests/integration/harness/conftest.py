"""Fixtures of the load and fault harness: a fresh embedded store per test, and a Cosmos DB
store on a database of its own per module (the test server; skipped without one, failing
under REQUIRE_COSMOS=1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from documentstore.port import DocumentStore
from tests.conftest import CosmosEndpoint
from tests.integration.documentstore.stores import cosmos_database, open_sqlite


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[DocumentStore]:
    store = open_sqlite(tmp_path)
    yield store
    store.close()


@pytest.fixture(scope="module")
def cosmos_store(cosmos_endpoint: CosmosEndpoint) -> Iterator[DocumentStore]:
    with cosmos_database(cosmos_endpoint.url, cosmos_endpoint.key) as store:
        yield store
