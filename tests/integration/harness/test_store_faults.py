"""Transient faults on about a fifth of all store calls (429 with retry-after, 503, and timeouts
after the write was sent) during a scripted scenario driven like the orchestrator drives the
service: every command the service acknowledged is in the log exactly once, nothing that was
not acknowledged is half-written, and the views built through the faults equal a clean rebuild.

On the embedded store the faults come from a fault-injecting decorator of the port; on Cosmos
DB from the azure-core transport of the store's own fault tests, between the SDK and the test
server, so they go through the adapter's translation and retries."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.pipeline.transport import HttpRequest

from application import CampaignService
from documentstore.backoff import RetryPolicy
from documentstore.port import DocumentStore
from domain.errors import StoreThrottled, StoreUnavailable
from projections.processor import ChangeFeedProcessor
from projections.rebuild import rebuild_views
from tests.conftest import CosmosEndpoint
from tests.integration.documentstore.faults import (
    TIMEOUT_AFTER_SEND,
    Fault,
    FaultInjectingTransport,
    is_batch,
    is_point_read,
    is_query,
    status,
    throttled,
)
from tests.integration.documentstore.stores import drop_database, quiet_test_server_warnings
from tests.integration.harness.event_log import assert_log_is_whole, read_log
from tests.integration.harness.fault_injection import FaultInjectingStore
from tests.integration.harness.ledgers import ledger_on
from tests.integration.harness.orchestrator import (
    ScriptedCampaign,
    ScriptedOrchestrator,
    new_id,
    run_campaign_script,
)
from tests.unit.projections.views_dump import dump_views

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
]

SHORT_RETRIES = RetryPolicy(attempts=2, initial_delay=0.001, max_delay=0.003, max_elapsed=5.0)
"""Two tries a call, so that some faults outlast the store's retries and reach the service."""
ENTITY_IDS = {
    "VersionCreated": "versionId",
    "AuditRecorded": "auditReportId",
    "FeedbackLogged": "iterationId",
    "RunQueued": "runId",
    "ArtifactCreated": "artifactId",
}


def drive_scenario(ledger: CampaignService, campaigns: int, drafts: int) -> ScriptedOrchestrator:
    """The scripted campaigns, then versions sent once each and never again (some of them
    meet a fault the service cannot hide and stay unanswered)."""
    client = ScriptedOrchestrator(ledger)
    for _ in range(campaigns):
        scripted = run_campaign_script(client, drafts=drafts)
        for number in range(6):
            send_version_once(client, scripted, number)
    return client


def send_version_once(
    client: ScriptedOrchestrator, scripted: ScriptedCampaign, number: int
) -> None:
    version = new_id()
    client.send(
        "version sent once",
        lambda ctx: client.ledger.create_version(
            ctx,
            scripted.campaign_id,
            scripted.artifacts["Copy"],
            content=f"once {number}",
            version_id=version,
        ),
        tries=1,
    )


def check_every_log(
    clean: DocumentStore, client: ScriptedOrchestrator, campaign_ids: list[str]
) -> None:
    sent = {record.ctx.command_id: record for record in client.sent}
    verifier = ledger_on(clean)
    for campaign_id in campaign_ids:
        log = read_log(clean, campaign_id)
        assert_log_is_whole(log, verifier)
        per_command = log.commands()
        assert set(per_command) <= set(sent), "an event of a command nobody sent"
        assert set(per_command.values()) == {1}, "a command took effect twice"
        for event_type, field in ENTITY_IDS.items():
            ids = [event["data"][field] for event in log.of_type(event_type)]
            assert len(ids) == len(set(ids)), f"an entity created twice: {event_type}"
    in_logs = {
        command: count
        for campaign_id in campaign_ids
        for command, count in read_log(clean, campaign_id).commands().items()
    }
    for record in client.acknowledged:
        assert record.result is not None
        assert in_logs.get(record.ctx.command_id) == 1, f"acknowledged, not in the log: {record}"
        if record.result.appended:
            log = read_log(clean, campaign_of(record.result.id, campaign_ids, clean))
            event = log.events[record.result.version - 1]
            assert event["metadata"]["commandId"] == record.ctx.command_id
    for record in client.unanswered:
        assert in_logs.get(record.ctx.command_id, 0) <= 1


def campaign_of(entity_id: str, campaign_ids: list[str], store: DocumentStore) -> str:
    if entity_id in campaign_ids:
        return entity_id
    for campaign_id in campaign_ids:
        for event in read_log(store, campaign_id).events:
            if entity_id in event["data"].values():
                return campaign_id
    raise LookupError(entity_id)


def follow_through_faults(store: DocumentStore) -> None:
    """The change-feed processor over the faulty store, resumed after each surfaced fault."""
    processor = ChangeFeedProcessor(store, max_items=7)
    for _ in range(500):
        try:
            processor.run_until_caught_up()
        except (StoreThrottled, StoreUnavailable):
            continue
        return
    raise AssertionError("the processor never caught up")


def campaigns_of(client: ScriptedOrchestrator) -> list[str]:
    return [
        record.result.id
        for record in client.sent
        if record.name == "create campaign" and record.result is not None
    ]


def test_under_faults_every_acknowledged_command_is_in_the_embedded_log_exactly_once(
    sqlite_store: DocumentStore,
) -> None:
    faulty = FaultInjectingStore(sqlite_store, rate=0.2, seed=20, retry=SHORT_RETRIES)
    client = drive_scenario(ledger_on(faulty), campaigns=4, drafts=9)

    assert len(faulty.injected) == 3, "each kind of fault was injected"
    assert min(faulty.injected.values()) > 5
    assert sum(record.attempts for record in client.sent) > len(client.sent), "no retry needed"
    assert client.unanswered, "some command should have met a fault the service cannot hide"
    campaign_ids = campaigns_of(client)
    assert len(campaign_ids) == 4
    check_every_log(sqlite_store, client, campaign_ids)

    follow_through_faults(faulty)
    live = dump_views(sqlite_store, generation=1)
    report = rebuild_views(sqlite_store)
    assert (report.differences, report.written_meanwhile, report.dead_letters) == ([], [], 0)
    assert report.verified == 4
    assert dump_views(sqlite_store, generation=2) == live


class RandomFaults(FaultInjectingTransport):
    """Answers about ``rate`` of the document requests (batches, point reads, queries) with a
    429 (with a retry-after), a 503, or a read timeout after the server applied the request."""

    def __init__(self, rate: float, seed: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = rate
        self.enabled = False
        self._random = random.Random(seed)
        self._choices: list[Fault] = [throttled(retry_after_ms=2), status(503), TIMEOUT_AFTER_SEND]

    def _take(self, request: HttpRequest) -> Fault | None:
        if not (is_batch(request) or is_point_read(request) or is_query(request)):
            return None
        with self._lock:
            if not self.enabled or self._random.random() >= self.rate:
                return None
            self.matched += 1
            return self._random.choice(self._choices)


@pytest.fixture
def faulty_cosmos(cosmos_endpoint: CosmosEndpoint) -> Iterator[tuple[DocumentStore, RandomFaults]]:
    from documentstore.cosmos import CosmosDocumentStore, connect_cosmos

    quiet_test_server_warnings()
    transport = RandomFaults(rate=0.2, seed=11)
    client = connect_cosmos(cosmos_endpoint.url, key=cosmos_endpoint.key, transport=transport)
    database = f"test-harness-{uuid.uuid4().hex[:8]}"
    store = CosmosDocumentStore(client, database, retry=SHORT_RETRIES)
    store.initialise()
    yield store, transport
    transport.enabled = False
    drop_database(client, database)


@pytest.mark.cosmos
def test_under_faults_every_acknowledged_command_is_in_the_cosmos_log_exactly_once(
    faulty_cosmos: tuple[DocumentStore, RandomFaults],
) -> None:
    store, transport = faulty_cosmos
    transport.enabled = True
    client = drive_scenario(ledger_on(store), campaigns=2, drafts=4)
    transport.enabled = False

    assert transport.matched > 10
    assert sum(record.attempts for record in client.sent) > len(client.sent), "no retry needed"
    check_every_log(store, client, campaigns_of(client))
