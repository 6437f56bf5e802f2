"""Opening the document stores the integration tests run against.

SQLite and the in-memory store are fresh per test; a Cosmos DB store gets a fresh database per
test module (the test server keeps data in memory and scans in JavaScript, so small and
separate is fast). Tests that share a module's Cosmos database use their own partition keys.
"""

from __future__ import annotations

import contextlib
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from azure.cosmos.exceptions import CosmosResourceNotFoundError
from urllib3.exceptions import InsecureRequestWarning

from documentstore.backoff import RetryPolicy
from documentstore.port import DocumentStore

FAST_RETRIES = RetryPolicy(attempts=4, initial_delay=0.01, max_delay=0.05, max_elapsed=5.0)
"""Retries short enough for tests; the production defaults wait seconds."""

STORE_KINDS = ("sqlite", "cosmos", "memory")


def quiet_test_server_warnings() -> None:
    """The test server's self-signed certificate makes urllib3 warn on every request."""
    warnings.filterwarnings("ignore", category=InsecureRequestWarning)


def drop_database(client: Any, name: str) -> None:
    """Delete a test database and close the client (quietly: this runs after the tests)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureRequestWarning)
        with contextlib.suppress(CosmosResourceNotFoundError):
            client.delete_database(name)
        client.close()


def open_sqlite(directory: Path) -> DocumentStore:
    from documentstore.sqlite import SqliteDocumentStore

    store = SqliteDocumentStore(directory / "ledger.sqlite3", retry=FAST_RETRIES)
    store.initialise()
    return store


def open_memory() -> DocumentStore:
    """The in-memory store, initialised."""
    from documentstore.memory import InMemoryDocumentStore

    store: DocumentStore = InMemoryDocumentStore()
    store.initialise()
    return store


@contextmanager
def cosmos_database(url: str, key: str, **client_options: Any) -> Iterator[DocumentStore]:
    """A Cosmos DB store on a database of its own, deleted afterwards."""
    from documentstore.cosmos import CosmosDocumentStore, connect_cosmos

    quiet_test_server_warnings()
    client = connect_cosmos(url, key=key, **client_options)
    name = f"test-{uuid.uuid4().hex[:12]}"
    store = CosmosDocumentStore(client, name, retry=FAST_RETRIES)
    store.initialise()
    try:
        yield store
    finally:
        drop_database(client, name)
