"""What the Cosmos DB adapter adds to the port's contract: the containers ``initialise`` makes
(partition keys, indexing that leaves payloads out) and feed ranges that outlive a client."""

from __future__ import annotations

from typing import Any

import pytest

from documentstore.cosmos import CosmosDocumentStore, connect_cosmos
from documentstore.port import EVENTS, Create
from tests.conftest import CosmosEndpoint
from tests.integration.documentstore.stores import quiet_test_server_warnings

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def container_properties(endpoint: CosmosEndpoint, database: str) -> dict[str, dict[str, Any]]:
    quiet_test_server_warnings()
    client = connect_cosmos(endpoint.url, key=endpoint.key)
    try:
        proxy = client.get_database_client(database)
        return {
            name: proxy.get_container_client(name).read() for name in ("events", "views", "leases")
        }
    finally:
        client.close()


def excluded_paths(properties: dict[str, Any]) -> set[str]:
    return {entry["path"] for entry in properties["indexingPolicy"]["excludedPaths"]}


def test_initialise_creates_the_containers_with_their_partition_keys_and_indexing(
    cosmos_endpoint: CosmosEndpoint, cosmos_store: CosmosDocumentStore
) -> None:
    properties = container_properties(cosmos_endpoint, cosmos_store.database_name)

    assert properties["events"]["partitionKey"]["paths"] == ["/partitionKey"]
    assert properties["views"]["partitionKey"]["paths"] == ["/partitionKey"]
    assert properties["leases"]["partitionKey"]["paths"] == ["/id"]
    assert {"/data/*", "/snapshot/*", "/stateBase64/?"} <= excluded_paths(properties["events"])
    assert {"/body/*", "/state/*"} <= excluded_paths(properties["views"])


QUERIED_FIELDS = {
    "events": ("id", "docType"),
    "views": ("id", "docType", "campaignDeleted", "status"),
}
"""The fields the real queries filter or sort on: a stream's events and snapshots
(``eventstore.recorders``, ``projections.events``); a generation's views and the tenant campaign
list (``projections.stored_views``, ``projections.reads``)."""


@pytest.mark.parametrize("container", sorted(QUERIED_FIELDS))
def test_the_indexing_policy_indexes_what_the_queries_use_and_nothing_composite(
    cosmos_endpoint: CosmosEndpoint, cosmos_store: CosmosDocumentStore, container: str
) -> None:
    policy = container_properties(cosmos_endpoint, cosmos_store.database_name)[container][
        "indexingPolicy"
    ]

    assert policy["indexingMode"] == "consistent"
    assert {entry["path"] for entry in policy["includedPaths"]} == {"/*"}
    excluded = {entry["path"] for entry in policy["excludedPaths"]}
    for name in QUERIED_FIELDS[container]:
        assert not any(path.startswith(f"/{name}/") for path in excluded), name
    assert policy.get("compositeIndexes", []) == []


def test_initialise_run_again_by_a_new_client_changes_nothing(
    cosmos_endpoint: CosmosEndpoint, cosmos_store: CosmosDocumentStore
) -> None:
    cosmos_store.execute_batch(EVENTS, "p", [Create({"id": "kept", "partitionKey": "p"})])
    before = container_properties(cosmos_endpoint, cosmos_store.database_name)

    again = CosmosDocumentStore(
        connect_cosmos(cosmos_endpoint.url, key=cosmos_endpoint.key), cosmos_store.database_name
    )
    again.initialise()
    again.close()

    assert container_properties(cosmos_endpoint, cosmos_store.database_name) == before
    assert cosmos_store.read(EVENTS, "p", "kept") is not None


def test_feed_range_names_and_continuations_outlive_the_client_that_issued_them(
    cosmos_endpoint: CosmosEndpoint, cosmos_store: CosmosDocumentStore
) -> None:
    names = cosmos_store.feed_ranges(EVENTS)
    positions = {name: cosmos_store.read_feed(EVENTS, name, None).continuation for name in names}
    cosmos_store.execute_batch(EVENTS, "q", [Create({"id": "later", "partitionKey": "q"})])

    other = CosmosDocumentStore(
        connect_cosmos(cosmos_endpoint.url, key=cosmos_endpoint.key), cosmos_store.database_name
    )
    try:
        assert other.feed_ranges(EVENTS) == names
        seen = [
            d["id"]
            for name in names
            for d in other.read_feed(EVENTS, name, positions[name], max_items=1000).items
        ]
    finally:
        other.close()

    assert "later" in seen
    assert all(name.startswith("epk:") for name in names)
