"""Fixtures of the load and fault harness: a fresh embedded store per test (the Cosmos DB
store, a database of its own per module, comes from tests/integration/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from documentstore.port import DocumentStore
from tests.integration.documentstore.stores import open_sqlite


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[DocumentStore]:
    store = open_sqlite(tmp_path)
    yield store
    store.close()
