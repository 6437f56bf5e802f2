"""Every command through ``CommandTelemetry``: counted by kind and outcome, timed, and (with
tracing) a span whose ``traceparent`` the command stores in its events' metadata."""

from __future__ import annotations

import uuid

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, Sampler

from application.service import CampaignService
from domain.errors import (
    CampaignNotFound,
    CommandTooLarge,
    ConcurrencyConflict,
    EntityNotFound,
    InvalidInput,
    PreconditionFailed,
    RuleViolation,
    StoreUnavailable,
    WriteContention,
)
from observability.commands import CommandTelemetry, outcome_of
from observability.metrics import LedgerMetrics
from tests.unit.application.builders import brief, ctx, ledger, report


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (InvalidInput("bad"), "refused"),
        (CampaignNotFound("gone"), "refused"),
        (EntityNotFound("gone"), "refused"),
        (RuleViolation("no"), "refused"),
        (PreconditionFailed("moved", expected=1, actual=2), "refused"),
        (CommandTooLarge("big"), "refused"),
        (StoreUnavailable("down", retry_after=1.0), "failed"),
        (WriteContention("busy", retry_after=1.0), "failed"),
        (ConcurrencyConflict("raced"), "failed"),
        (RuntimeError("bug"), "failed"),
    ],
)
def test_a_domain_refusal_is_refused_and_everything_else_failed(
    error: Exception, outcome: str
) -> None:
    assert outcome_of(error) == outcome


class Observed:
    """A service on in-memory persistence, observed by telemetry on in-memory exporters."""

    def __init__(self, *, tracing: bool, sampler: Sampler | None = None) -> None:
        self.reader = InMemoryMetricReader()
        self.spans = InMemorySpanExporter()
        meter = MeterProvider(metric_readers=[self.reader]).get_meter("test")
        tracer = None
        if tracing:
            provider = TracerProvider(sampler=sampler)
            provider.add_span_processor(SimpleSpanProcessor(self.spans))
            tracer = provider.get_tracer("test")
        self.tracer = tracer
        self.metrics = LedgerMetrics(meter)
        self.service: CampaignService = ledger()
        self.service.command_observer = CommandTelemetry(self.metrics, tracer)

    def counts(self) -> dict[tuple[str, str], int]:
        data = self.reader.get_metrics_data()
        assert data is not None
        found: dict[tuple[str, str], int] = {}
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == "ledger_commands_total":
                        for point in metric.data.data_points:
                            labels = point.attributes or {}
                            key = (str(labels["command"]), str(labels["outcome"]))
                            found[key] = int(point.value)
                    if metric.name == "ledger_orphan_audits_prevented_total":
                        found[("orphans", "")] = int(metric.data.data_points[0].value)
        return found


def test_commands_are_counted_by_kind_and_outcome_and_orphan_audits_separately() -> None:
    observed = Observed(tracing=False)
    service = observed.service
    campaign_id = str(uuid.uuid4())
    service.create_campaign(ctx(), name="Spring", brief=brief(), campaign_id=campaign_id)
    service.create_campaign(ctx(), name="Spring", brief=brief(), campaign_id=campaign_id)
    with pytest.raises(EntityNotFound):
        service.record_audit(ctx(), campaign_id, str(uuid.uuid4()), report=report())
    with pytest.raises(EntityNotFound):
        service.approve_version(ctx(), campaign_id, str(uuid.uuid4()))

    assert observed.counts() == {
        ("create_campaign", "appended"): 1,
        ("create_campaign", "repeated"): 1,
        ("record_audit", "refused"): 1,
        ("approve_version", "refused"): 1,
        ("orphans", ""): 1,
    }


def test_a_traced_command_stores_its_own_span_as_the_events_traceparent() -> None:
    observed = Observed(tracing=True)
    campaign_id = observed.service.create_campaign(ctx(), name="Spring", brief=brief()).id

    [span] = observed.spans.get_finished_spans()
    [event] = observed.service.read_events("default", campaign_id)
    context = span.get_span_context()
    assert span.name == "command create_campaign"
    assert span.attributes is not None
    assert span.attributes["ledger.outcome"] == "appended"
    assert span.attributes["ledger.entity_id"] == campaign_id
    flags = int(context.trace_flags)
    assert event.metadata["traceparent"] == (
        f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags:02x}"
    )


def test_an_untraced_command_keeps_the_callers_traceparent_or_stores_none() -> None:
    observed = Observed(tracing=False)
    caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    carried = observed.service.create_campaign(
        ctx(traceparent=caller), name="Spring", brief=brief()
    ).id
    bare = observed.service.create_campaign(ctx(), name="Summer", brief=brief()).id

    [with_caller] = observed.service.read_events("default", carried)
    [without] = observed.service.read_events("default", bare)
    assert with_caller.metadata["traceparent"] == caller
    assert "traceparent" not in without.metadata
    assert observed.spans.get_finished_spans() == ()


def test_inside_a_trace_the_sampler_dropped_no_span_starts_and_the_trace_is_still_stored() -> None:
    observed = Observed(tracing=True, sampler=ParentBased(ALWAYS_OFF))
    assert observed.tracer is not None
    with observed.tracer.start_as_current_span("request") as request:
        campaign_id = observed.service.create_campaign(ctx(), name="Spring", brief=brief()).id

    [event] = observed.service.read_events("default", campaign_id)
    context = request.get_span_context()
    assert not request.is_recording()
    assert observed.spans.get_finished_spans() == ()
    assert not context.trace_flags.sampled
    flags = int(context.trace_flags)
    assert event.metadata["traceparent"] == (
        f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags:02x}"
    )
