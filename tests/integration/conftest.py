"""Fixtures: every document store the port's contract suite and the event store's tests run
against (SQLite, the Cosmos DB test server, in memory)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from documentstore.port import DocumentStore
from tests.conftest import CosmosEndpoint
from tests.integration.documentstore.stores import (
    STORE_KINDS,
    cosmos_database,
    open_memory,
    open_sqlite,
)


@pytest.fixture(scope="module")
def cosmos_store(cosmos_endpoint: CosmosEndpoint) -> Iterator[DocumentStore]:
    """A Cosmos DB store on a fresh database for this test module."""
    with cosmos_database(cosmos_endpoint.url, cosmos_endpoint.key) as store:
        yield store


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    """Each adapter in turn: SQLite, Cosmos DB (test server) and the in-memory store."""
    if request.param == "cosmos":
        yield request.getfixturevalue("cosmos_store")
        return
    if request.param == "memory":
        yield open_memory()
        return
    sqlite = open_sqlite(tmp_path)
    yield sqlite
    sqlite.close()
