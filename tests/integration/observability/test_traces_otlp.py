"""Traces over OTLP/HTTP to a receiver on loopback: one command's span tree (the request,
continuing the orchestrator's ``traceparent`` → the command → its store calls), the
``traceparent`` and correlation id stored in the events' metadata, and the projection batch
that applied those events, linked to the command's span."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from api.app import create_app
from bootstrap.container import ServiceContainer, build_container
from bootstrap.settings import Settings
from documentstore.port import EVENTS
from tests.integration.observability.otlp_receiver import Received, ReceivedSpan, otlp_receiver

ORCHESTRATOR_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
ORCHESTRATOR_SPAN = "00f067aa0ba902b7"
BRIEF = {"objective": "Launch", "targetAudience": "Runners", "productDetails": "Trail shoe"}


@dataclass
class Traced:
    services: ServiceContainer
    client: TestClient
    received: Received

    def spans(self) -> Received:
        assert self.services.telemetry is not None
        self.services.telemetry.force_flush()
        return self.received


@pytest.fixture
def traced(tmp_path: Path) -> Iterator[Traced]:
    with traced_service(tmp_path) as service:
        yield service


@contextmanager
def traced_service(tmp_path: Path, **variables: object) -> Iterator[Traced]:
    with otlp_receiver() as (endpoint, received):
        settings = Settings.model_validate(
            {
                "ledger_store": "sqlite",
                "ledger_data_dir": tmp_path,
                "ledger_api_keys": {},
                "otel_exporter_otlp_endpoint": endpoint,
                "applicationinsights_connection_string": None,
                **variables,
            }
        )
        services = build_container(settings)
        try:
            with TestClient(create_app(services)) as client:
                yield Traced(services, client, received)
        finally:
            services.close()


def only(spans: list[ReceivedSpan]) -> ReceivedSpan:
    assert len(spans) == 1, spans
    return spans[0]


def children(received: Received, parent: ReceivedSpan) -> list[ReceivedSpan]:
    return [span for span in received.spans if span.parent_span_id == parent.span_id]


def test_a_command_is_one_trace_from_the_request_to_the_store_batch(traced: Traced) -> None:
    campaign_id = str(uuid.uuid4())
    answer = traced.client.post(
        "/api/campaigns",
        json={"id": campaign_id, "name": "Spring", "brief": BRIEF},
        headers={
            "traceparent": f"00-{ORCHESTRATOR_TRACE}-{ORCHESTRATOR_SPAN}-01",
            "X-Correlation-Id": "workflow-7",
            "X-Command-Id": "command-1",
        },
    )
    assert answer.status_code == 201

    assert traced.services.telemetry is not None
    assert traced.services.telemetry.tracing
    received = traced.spans()
    request = only(received.named("POST /api/campaigns"))
    assert request.kind == Span.SPAN_KIND_SERVER
    assert (request.trace_id, request.parent_span_id) == (ORCHESTRATOR_TRACE, ORCHESTRATOR_SPAN)
    assert request.attributes["http.route"] == "/api/campaigns"
    assert request.attributes["http.response.status_code"] == 201

    command = only(received.named("command create_campaign"))
    assert (command.trace_id, command.parent_span_id) == (ORCHESTRATOR_TRACE, request.span_id)
    assert command.attributes["ledger.campaign_id"] == campaign_id
    assert command.attributes["ledger.command_id"] == "command-1"
    assert command.attributes["ledger.outcome"] == "appended"

    store_calls = children(received, command)
    assert {span.name for span in store_calls} >= {"store read_many", "store batch"}
    [batch] = [span for span in store_calls if span.name == "store batch"]
    assert batch.kind == Span.SPAN_KIND_CLIENT
    assert batch.trace_id == ORCHESTRATOR_TRACE
    assert batch.attributes["db.collection.name"] == EVENTS
    assert batch.attributes["ledger.partition_key"] == campaign_id

    event = traced.services.store.read(EVENTS, campaign_id, "e-0000000001")
    assert event is not None
    assert event["metadata"]["traceparent"] == f"00-{ORCHESTRATOR_TRACE}-{command.span_id}-01"
    assert event["metadata"]["correlationId"] == "workflow-7"


def test_the_projection_batch_that_applied_a_commands_events_is_linked_to_its_trace(
    traced: Traced,
) -> None:
    campaign_id = str(uuid.uuid4())
    headers = {"traceparent": f"00-{ORCHESTRATOR_TRACE}-{ORCHESTRATOR_SPAN}-01"}
    body = {"id": campaign_id, "name": "Spring", "brief": BRIEF}
    assert traced.client.post("/api/campaigns", json=body, headers=headers).status_code == 201

    outcome = traced.services.processor.run_until_caught_up()
    assert outcome.applied == 1

    received = traced.spans()
    command = only(received.named("command create_campaign"))
    projection = only(received.named("projection batch"))
    assert projection.kind == Span.SPAN_KIND_CONSUMER
    assert (ORCHESTRATOR_TRACE, command.span_id) in projection.links
    assert projection.attributes["ledger.events_applied"] == 1
    assert projection.attributes["ledger.campaign_ids"] == [campaign_id]
    writes = [span.name for span in children(received, projection)]
    assert "store batches" in writes
    assert "store read" not in writes  # counted on the batch instead
    assert projection.attributes["ledger.store_reads"] >= 1


def test_a_request_beyond_the_rate_of_new_traces_is_not_recorded_yet_its_trace_is_stored(
    tmp_path: Path,
) -> None:
    with traced_service(tmp_path, ledger_traces_per_second=0.001) as service:
        ids = [str(uuid.uuid4()) for _ in range(2)]
        for campaign_id in ids:
            body = {"id": campaign_id, "name": "Spring", "brief": BRIEF}
            assert service.client.post("/api/campaigns", json=body).status_code == 201
        unsampled_caller = {"traceparent": f"00-{ORCHESTRATOR_TRACE}-{ORCHESTRATOR_SPAN}-00"}
        body = {"name": "Summer", "brief": BRIEF}
        answer = service.client.post("/api/campaigns", json=body, headers=unsampled_caller)
        events = [
            service.services.store.read(EVENTS, campaign_id, "e-0000000001")
            for campaign_id in [*ids, answer.json()["id"]]
        ]
        received = service.spans()

    first, second, carried = (event["metadata"]["traceparent"] for event in events if event)
    command = only(received.named("command create_campaign"))
    assert first.startswith(f"00-{command.trace_id}-{command.span_id}-")
    assert int(first[53:], 16) & 1  # sampled
    assert second.endswith("-00")
    assert second[3:35] not in (command.trace_id, ORCHESTRATOR_TRACE)
    assert carried.startswith(f"00-{ORCHESTRATOR_TRACE}-")
    assert carried.endswith("-00")
    assert carried[36:52] != ORCHESTRATOR_SPAN
    assert {span.trace_id for span in received.spans} == {command.trace_id}


def test_the_idle_change_feed_polls_start_no_traces(traced: Traced) -> None:
    for _ in range(3):
        traced.services.processor.run_once()

    assert traced.spans().spans == []


def test_without_an_exporter_nothing_is_traced_and_no_traceparent_is_invented(
    tmp_path: Path,
) -> None:
    settings = Settings.model_validate(
        {
            "ledger_store": "sqlite",
            "ledger_data_dir": tmp_path,
            "otel_exporter_otlp_endpoint": None,
            "applicationinsights_connection_string": None,
        }
    )
    services = build_container(settings)
    try:
        assert services.telemetry is not None
        assert not services.telemetry.tracing
        with TestClient(create_app(services)) as client:
            campaign_id = str(uuid.uuid4())
            body = {"id": campaign_id, "name": "Spring", "brief": BRIEF}
            assert client.post("/api/campaigns", json=body).status_code == 201
            caller = f"00-{ORCHESTRATOR_TRACE}-{ORCHESTRATOR_SPAN}-01"
            second = {"name": "Summer", "brief": BRIEF}
            answer = client.post("/api/campaigns", json=second, headers={"traceparent": caller})
        first = services.store.read(EVENTS, campaign_id, "e-0000000001")
        carried = services.store.read(EVENTS, answer.json()["id"], "e-0000000001")
    finally:
        services.close()
    assert first is not None
    assert "traceparent" not in first["metadata"]
    assert carried is not None
    assert carried["metadata"]["traceparent"] == caller
