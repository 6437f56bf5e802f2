"""Transient Cosmos DB faults, injected between the SDK and the test server: what is retried,
how long it waits, what surfaces, and that a batch never applies twice."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from documentstore.backoff import RetryPolicy
from documentstore.cosmos import CosmosDocumentStore, connect_cosmos
from documentstore.port import EVENTS, Create, Query, Replace
from domain.errors import (
    DocumentConflict,
    EtagMismatch,
    StoreError,
    StoreThrottled,
    StoreUnavailable,
)
from tests.conftest import CosmosEndpoint
from tests.integration.documentstore.faults import (
    RESET_BEFORE_SEND,
    TIMEOUT_AFTER_SEND,
    FaultInjectingTransport,
    is_point_read,
    is_query,
    status,
    throttled,
)
from tests.integration.documentstore.stores import drop_database, quiet_test_server_warnings

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

RETRIES = RetryPolicy(attempts=4, initial_delay=0.01, max_delay=1.0, max_elapsed=10.0)


@dataclass
class FaultyCosmos:
    store: CosmosDocumentStore
    transport: FaultInjectingTransport


@pytest.fixture(scope="module")
def faulty_cosmos(cosmos_endpoint: CosmosEndpoint) -> Iterator[FaultyCosmos]:
    quiet_test_server_warnings()
    transport = FaultInjectingTransport()
    client = connect_cosmos(cosmos_endpoint.url, key=cosmos_endpoint.key, transport=transport)
    database = f"test-faults-{uuid.uuid4().hex[:8]}"
    store = CosmosDocumentStore(client, database, retry=RETRIES)
    store.initialise()
    yield FaultyCosmos(store, transport)
    drop_database(client, database)


@pytest.fixture
def cosmos(faulty_cosmos: FaultyCosmos) -> Iterator[FaultyCosmos]:
    faulty_cosmos.transport.clear()
    yield faulty_cosmos
    faulty_cosmos.transport.clear()


def create(partition: str, document_id: str, **fields: object) -> Create:
    return Create({"id": document_id, "partitionKey": partition, **fields})


def test_a_throttled_batch_waits_the_servers_retry_after_then_applies_once(
    cosmos: FaultyCosmos,
) -> None:
    partition = str(uuid.uuid4())
    cosmos.transport.plan(throttled(retry_after_ms=80), throttled(retry_after_ms=80))

    started = time.monotonic()
    cosmos.store.execute_batch(EVENTS, partition, [create(partition, "a")])
    waited = time.monotonic() - started

    assert cosmos.transport.matched == 2
    assert 0.16 <= waited < 0.9  # the hint, not the 1 s used when no hint is given
    page = cosmos.store.query(EVENTS, Query(partition_key=partition))
    assert [d["id"] for d in page.items] == ["a"]


def test_throttling_that_outlasts_the_retries_surfaces_with_the_servers_retry_after(
    cosmos: FaultyCosmos,
) -> None:
    partition = str(uuid.uuid4())
    cosmos.transport.plan(*[throttled(retry_after_ms=30)] * RETRIES.attempts)

    with pytest.raises(StoreThrottled) as surfaced:
        cosmos.store.execute_batch(EVENTS, partition, [create(partition, "a")])

    assert surfaced.value.retry_after == pytest.approx(0.03)
    assert cosmos.transport.matched == RETRIES.attempts
    assert cosmos.store.read(EVENTS, partition, "a") is None


@pytest.mark.parametrize("code", [408, 449, 503])
def test_a_transient_status_is_retried_and_the_batch_applies_once(
    cosmos: FaultyCosmos, code: int
) -> None:
    partition = str(uuid.uuid4())
    cosmos.transport.plan(status(code), status(code))

    cosmos.store.execute_batch(EVENTS, partition, [create(partition, "a"), create(partition, "b")])

    assert cosmos.transport.matched == 2
    page = cosmos.store.query(EVENTS, Query(partition_key=partition))
    assert [d["id"] for d in page.items] == ["a", "b"]


def test_the_store_counts_the_transient_faults_it_retried_by_reason(
    cosmos: FaultyCosmos,
) -> None:
    partition = str(uuid.uuid4())
    before = cosmos.store.transient_retries()
    cosmos.transport.plan(throttled(retry_after_ms=10), status(408))

    cosmos.store.execute_batch(EVENTS, partition, [create(partition, "a")])

    after = cosmos.store.transient_retries()
    assert after.get("throttled", 0) - before.get("throttled", 0) == 1
    assert after.get("unavailable", 0) - before.get("unavailable", 0) == 1


def test_a_connection_reset_before_sending_is_retried(cosmos: FaultyCosmos) -> None:
    partition = str(uuid.uuid4())
    cosmos.transport.plan(RESET_BEFORE_SEND)
    cosmos.store.execute_batch(EVENTS, partition, [create(partition, "a", n=1)])
    cosmos.transport.plan(RESET_BEFORE_SEND, when=is_point_read)

    found = cosmos.store.read(EVENTS, partition, "a")

    assert found is not None
    assert found["n"] == 1
    assert cosmos.transport.matched == 2


def test_a_store_that_stays_unreachable_surfaces_as_store_unavailable(
    cosmos: FaultyCosmos,
) -> None:
    cosmos.transport.plan(*[RESET_BEFORE_SEND] * RETRIES.attempts, when=is_point_read)

    with pytest.raises(StoreUnavailable):
        cosmos.store.read(EVENTS, str(uuid.uuid4()), "a")

    assert cosmos.transport.pending == 0


def test_a_non_transient_error_surfaces_at_once_without_a_retry(cosmos: FaultyCosmos) -> None:
    cosmos.transport.plan(status(400), status(400), when=is_point_read)

    with pytest.raises(StoreError) as surfaced:
        cosmos.store.read(EVENTS, str(uuid.uuid4()), "a")

    assert not isinstance(surfaced.value, StoreThrottled | StoreUnavailable)
    assert cosmos.transport.matched == 1
    assert cosmos.transport.pending == 1


def test_a_query_whose_answer_was_lost_is_simply_asked_again(cosmos: FaultyCosmos) -> None:
    partition = str(uuid.uuid4())
    cosmos.store.execute_batch(EVENTS, partition, [create(partition, "a")])
    cosmos.transport.plan(TIMEOUT_AFTER_SEND, when=is_query)

    page = cosmos.store.query(EVENTS, Query(partition_key=partition))

    assert [d["id"] for d in page.items] == ["a"]
    assert cosmos.transport.matched == 1


def test_a_batch_retried_after_its_answer_was_lost_cannot_apply_twice(
    cosmos: FaultyCosmos,
) -> None:
    partition = str(uuid.uuid4())
    cosmos.transport.plan(TIMEOUT_AFTER_SEND)

    with pytest.raises(DocumentConflict) as retry_met_its_own_write:
        cosmos.store.execute_batch(
            EVENTS, partition, [create(partition, "a"), create(partition, "b")]
        )

    assert retry_met_its_own_write.value.operation_index == 0
    page = cosmos.store.query(EVENTS, Query(partition_key=partition))
    assert [d["id"] for d in page.items] == ["a", "b"]


def test_a_conditional_replace_retried_after_its_answer_was_lost_cannot_apply_twice(
    cosmos: FaultyCosmos,
) -> None:
    partition = str(uuid.uuid4())
    [created] = cosmos.store.execute_batch(EVENTS, partition, [create(partition, "head", n=1)])
    assert created is not None
    cosmos.transport.plan(TIMEOUT_AFTER_SEND)

    with pytest.raises(EtagMismatch):
        cosmos.store.execute_batch(
            EVENTS,
            partition,
            [Replace({**created, "n": 2}, if_match=created["_etag"])],
        )

    current = cosmos.store.read(EVENTS, partition, "head")
    assert current is not None
    assert current["n"] == 2
