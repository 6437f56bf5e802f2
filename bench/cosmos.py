"""The Cosmos DB side of the benchmarks: the test server of ``../shared/cosmos-test-server``
(used as configured by COSMOS_ENDPOINT/COSMOS_KEY, else started on a port of the bench's own
and stopped afterwards) and a store on a database of its own."""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from documentstore.port import DocumentStore

TEST_SERVER = Path(__file__).resolve().parents[2] / "shared" / "cosmos-test-server"
BENCH_PORT = 8092


@dataclass(frozen=True)
class CosmosAccount:
    endpoint: str
    key: str


@contextmanager
def cosmos_account() -> Iterator[CosmosAccount | None]:
    """The configured account, else the test server started here; None if neither exists."""
    endpoint, key = os.environ.get("COSMOS_ENDPOINT"), os.environ.get("COSMOS_KEY")
    if endpoint and key:
        yield CosmosAccount(endpoint, key)
        return
    start = TEST_SERVER / "start"
    if not start.exists():
        yield None
        return
    exported = subprocess.run(
        [str(start), str(BENCH_PORT)], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    values = dict(
        line.removeprefix("export ").split("=", 1)
        for line in exported.splitlines()
        if line.startswith("export ")
    )
    try:
        yield CosmosAccount(values["COSMOS_ENDPOINT"], values["COSMOS_KEY"])
    finally:
        subprocess.run([str(TEST_SERVER / "stop"), str(BENCH_PORT)], check=False, timeout=60)


@contextmanager
def cosmos_store(account: CosmosAccount) -> Iterator[DocumentStore]:
    """A store on a fresh database, deleted afterwards."""
    from azure.cosmos.exceptions import CosmosResourceNotFoundError
    from urllib3.exceptions import InsecureRequestWarning

    from documentstore.cosmos import CosmosDocumentStore, connect_cosmos

    warnings.filterwarnings("ignore", category=InsecureRequestWarning)
    client = connect_cosmos(account.endpoint, key=account.key)
    name = f"bench-{uuid.uuid4().hex[:10]}"
    store = CosmosDocumentStore(client, name)
    store.initialise()
    try:
        yield store
    finally:
        with contextlib.suppress(CosmosResourceNotFoundError):
            client.delete_database(name)
        client.close()
