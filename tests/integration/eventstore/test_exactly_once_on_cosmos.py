"""Every command lands exactly once on Cosmos DB, whatever transient faults meet it on the way
(throttling, timeouts before and after the batch reached the server, resets, 408/449/503)."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from eventsourcing.persistence import IntegrityError

from documentstore.backoff import RetryPolicy
from documentstore.cosmos import CosmosDocumentStore, connect_cosmos
from documentstore.port import EVENTS, Query
from eventstore.recorders import EventLogRecorder
from tests.conftest import CosmosEndpoint
from tests.integration.documentstore.faults import (
    RESET_BEFORE_SEND,
    TIMEOUT_AFTER_SEND,
    Fault,
    FaultInjectingTransport,
    is_point_read,
    status,
    throttled,
)
from tests.integration.documentstore.stores import drop_database, quiet_test_server_warnings
from tests.integration.eventstore.samples import events, snapshot

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

RETRIES = RetryPolicy(attempts=5, initial_delay=0.005, max_delay=0.05, max_elapsed=10.0)


@pytest.fixture(scope="module")
def faulty_store(
    cosmos_endpoint: CosmosEndpoint,
) -> Iterator[tuple[CosmosDocumentStore, FaultInjectingTransport]]:
    quiet_test_server_warnings()
    transport = FaultInjectingTransport()
    client = connect_cosmos(cosmos_endpoint.url, key=cosmos_endpoint.key, transport=transport)
    database = f"test-once-{uuid.uuid4().hex[:8]}"
    store = CosmosDocumentStore(client, database, retry=RETRIES)
    store.initialise()
    yield store, transport
    drop_database(client, database)


def commands_in(store: CosmosDocumentStore, stream: uuid.UUID) -> Counter[str]:
    """How many event documents each command id has in the stream."""
    query = Query(partition_key=str(stream), equals={"docType": "event"})
    counted: Counter[str] = Counter()
    continuation: str | None = None
    while True:
        page = store.query(EVENTS, query, continuation=continuation)
        counted.update(d["metadata"]["commandId"] for d in page.items)
        continuation = page.continuation
        if continuation is None:
            return counted


def test_an_append_whose_acknowledgement_timed_out_lands_exactly_once(
    faulty_store: tuple[CosmosDocumentStore, FaultInjectingTransport],
) -> None:
    store, transport = faulty_store
    transport.clear()
    stream = uuid.uuid4()
    recorder = EventLogRecorder(store)
    recorder.insert_events(events(stream, 1, 1, command_id="cmd-1"))
    head = recorder.read_head(stream)
    assert head is not None
    transport.plan(TIMEOUT_AFTER_SEND)

    recorder.insert_events(
        events(stream, 2, 2, command_id="cmd-2"), head_snapshot=snapshot(stream, 3)
    )

    assert transport.matched == 1
    assert [e.originator_version for e in recorder.select_events(stream)] == [1, 2, 3]
    assert commands_in(store, stream) == Counter({"cmd-1": 1, "cmd-2": 2})
    after = recorder.read_head(stream)
    assert after is not None
    assert after.version == 3
    assert after.last_command_id == "cmd-2"
    head_document = store.read(EVENTS, str(stream), "head")
    last_event = store.read(EVENTS, str(stream), "e-0000000003")
    assert head_document is not None
    assert last_event is not None
    assert head_document["lastAppendId"] == last_event["appendId"]


def test_a_rivals_append_with_our_command_id_stays_a_conflict_when_our_answer_is_lost(
    faulty_store: tuple[CosmosDocumentStore, FaultInjectingTransport],
) -> None:
    store, transport = faulty_store
    transport.clear()
    stream = uuid.uuid4()
    ours, rival = EventLogRecorder(store), EventLogRecorder(store)
    ours.insert_events(events(stream, 1, 1, command_id="cmd-create"))
    assert rival.read_head(stream) is not None
    rival.insert_events(events(stream, 2, 1, command_id="cmd-retried", content="rival's"))
    transport.plan(TIMEOUT_AFTER_SEND)

    with pytest.raises(IntegrityError):
        ours.insert_events(events(stream, 2, 1, command_id="cmd-retried", content="ours"))

    assert transport.matched == 1
    assert commands_in(store, stream) == Counter({"cmd-create": 1, "cmd-retried": 1})
    second = store.read(EVENTS, str(stream), "e-0000000002")
    assert second is not None
    assert second["data"]["content"] == "rival's"


def test_every_command_lands_exactly_once_under_injected_faults(
    faulty_store: tuple[CosmosDocumentStore, FaultInjectingTransport],
) -> None:
    store, transport = faulty_store
    transport.clear()
    stream = uuid.uuid4()
    recorder = EventLogRecorder(store)
    faults: Iterator[Fault | None] = itertools.cycle(
        [
            TIMEOUT_AFTER_SEND,
            throttled(retry_after_ms=5),
            None,
            RESET_BEFORE_SEND,
            status(408),
            TIMEOUT_AFTER_SEND,
            status(449),
            throttled(retry_after_ms=None),
        ]
    )
    commands = 24
    expected: Counter[str] = Counter()
    for number in range(commands):
        fault = next(faults)
        if fault is not None:
            transport.plan(fault)
        if number % 5 == 0:
            transport.plan(RESET_BEFORE_SEND, when=is_point_read)
        head = recorder.read_head(stream)
        version = head.version if head else 0
        size = 1 + number % 3
        command = f"cmd-{number}"
        recorder.insert_events(
            events(stream, version + 1, size, command_id=command),
            head_snapshot=snapshot(stream, version + size, commands=number + 1),
        )
        expected[command] = size

    total = sum(expected.values())
    assert transport.pending == 0
    assert commands_in(store, stream) == expected
    assert [e.originator_version for e in recorder.select_events(stream)] == list(
        range(1, total + 1)
    )
    head = recorder.read_head(stream)
    assert head is not None
    assert head.version == total
    assert head.last_command_id == f"cmd-{commands - 1}"
