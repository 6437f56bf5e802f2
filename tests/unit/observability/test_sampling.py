"""Which traces are recorded: one in ten by default, a caller's decision followed, the SDK's
two variables honoured as it defines them, and a projection batch following the first command
it links to."""

from __future__ import annotations

import logging

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import Decision, Sampler
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, TraceFlags

from observability.sampling import DEFAULT_RATIO, FollowFirstLink, sampler_of

SAMPLED, UNSAMPLED = TraceFlags(TraceFlags.SAMPLED), TraceFlags(TraceFlags.DEFAULT)


def remote(trace_id: int, flags: TraceFlags) -> SpanContext:
    return SpanContext(
        trace_id=trace_id, span_id=0x00F067AA0BA902B7, is_remote=True, trace_flags=flags
    )


def recorded(
    sampler: Sampler | None, context: Context | None = None, links: list[Link] | None = None
) -> bool:
    tracer = TracerProvider(sampler=sampler).get_tracer("test")
    return tracer.start_span("s", context, links=links).is_recording()


def kept_share(sampler: Sampler | None, roots: int = 4000) -> float:
    tracer = TracerProvider(sampler=sampler).get_tracer("test")
    return sum(tracer.start_span("s").is_recording() for _ in range(roots)) / roots


def test_by_default_one_root_trace_in_ten_is_recorded() -> None:
    sampler = sampler_of(None)
    assert sampler is not None
    assert "ParentBased" in sampler.get_description()
    assert f"TraceIdRatioBased{{{DEFAULT_RATIO}}}" in sampler.get_description()
    assert kept_share(sampler) == pytest.approx(0.1, abs=0.03)


def test_a_callers_decision_is_followed_whatever_the_ratio() -> None:
    never = sampler_of(None, "0")
    always = sampler_of(None, "1")
    sampled = trace.set_span_in_context(NonRecordingSpan(remote(7, SAMPLED)))
    unsampled = trace.set_span_in_context(NonRecordingSpan(remote(7, UNSAMPLED)))

    assert recorded(never, context=sampled)
    assert not recorded(always, context=unsampled)


def test_the_argument_alone_is_the_ratio_of_the_default_sampler() -> None:
    assert kept_share(sampler_of(None, "1")) == 1.0
    assert kept_share(sampler_of(None, "0")) == 0.0
    assert kept_share(sampler_of(None, "0.5")) == pytest.approx(0.5, abs=0.04)


def test_an_argument_that_is_no_ratio_leaves_the_default_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="observability.sampling"):
        sampler = sampler_of(None, "lots")
    assert sampler is not None
    assert f"TraceIdRatioBased{{{DEFAULT_RATIO}}}" in sampler.get_description()
    assert "OTEL_TRACES_SAMPLER_ARG" in caplog.text


@pytest.mark.parametrize(
    ("name", "argument", "share"),
    [
        ("always_on", None, 1.0),
        ("always_off", None, 0.0),
        ("parentbased_always_on", None, 1.0),
        ("parentbased_always_off", None, 0.0),
        ("traceidratio", None, 1.0),
        ("parentbased_traceidratio", None, 1.0),
        ("TraceIdRatio", "0", 0.0),
        ("parentbased_traceidratio", "2", 1.0),
    ],
)
def test_the_sdks_sampler_names_mean_what_the_sdk_says(
    name: str, argument: str | None, share: float
) -> None:
    assert kept_share(sampler_of(name, argument), roots=200) == share


def test_a_sampler_name_of_a_plug_in_is_left_to_the_sdk() -> None:
    assert sampler_of("xray") is None


def test_a_projection_batch_follows_the_first_command_it_links_to() -> None:
    never, always = sampler_of("always_off"), sampler_of("always_on")
    assert isinstance(never, FollowFirstLink)
    assert isinstance(always, FollowFirstLink)
    first_sampled = [Link(remote(1, SAMPLED)), Link(remote(2, UNSAMPLED))]
    first_unsampled = [Link(remote(1, UNSAMPLED)), Link(remote(2, SAMPLED))]

    assert recorded(never, links=first_sampled)
    assert not recorded(always, links=first_unsampled)
    assert not recorded(never)
    assert recorded(always)


def test_a_child_span_is_not_decided_by_its_links() -> None:
    sampler = sampler_of(None, "1")
    assert sampler is not None
    parent = trace.set_span_in_context(NonRecordingSpan(remote(9, UNSAMPLED)))
    decision = sampler.should_sample(parent, 9, "child", links=[Link(remote(1, SAMPLED))]).decision
    assert decision is Decision.DROP
