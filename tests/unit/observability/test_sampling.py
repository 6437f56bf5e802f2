"""Which traces are recorded: by default every new trace up to a rate a second, a caller's
decision followed, the SDK's two variables honoured as it defines them, a projection batch
following the first command it links to; and the root spans the seams start from that
decision, before the SDK is asked."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON
from opentelemetry.trace import SpanContext, TraceFlags

from observability.roots import RootSpans
from observability.sampling import (
    DEFAULT_TRACES_PER_SECOND,
    RateLimit,
    TracePolicy,
    new_trace_id,
    policy_of,
)

SAMPLED, UNSAMPLED = TraceFlags(TraceFlags.SAMPLED), TraceFlags(TraceFlags.DEFAULT)


def remote(trace_id: int, flags: TraceFlags, span_id: int = 0x00F067AA0BA902B7) -> SpanContext:
    return SpanContext(trace_id=trace_id, span_id=span_id, is_remote=True, trace_flags=flags)


def policy(name: str | None, argument: str | None = None, per_second: float = 0) -> TracePolicy:
    found = policy_of(name, argument, per_second)
    assert found is not None
    return found


def kept_share(found: TracePolicy, roots: int = 4000) -> float:
    return sum(found.keeps(None, new_trace_id()) for _ in range(roots)) / roots


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def limited(per_second: float, clock: Clock, ratio: float = 1.0) -> TracePolicy:
    return TracePolicy("test", ratio, limit=RateLimit(per_second, clock))


def test_by_default_new_traces_are_recorded_at_most_a_few_a_second() -> None:
    found = policy_of(None)
    assert found is not None
    assert found.follows_caller
    assert f"at most {DEFAULT_TRACES_PER_SECOND}/s" in found.description
    assert kept_share(found, roots=1000) <= (DEFAULT_TRACES_PER_SECOND + 1) / 1000


def test_a_burst_is_recorded_up_to_a_seconds_worth_then_at_the_rate() -> None:
    clock = Clock()
    found = limited(5, clock)

    def kept_now(count: int) -> int:
        return sum(found.keeps(None, new_trace_id()) for _ in range(count))

    assert kept_now(20) == 5
    clock.now += 0.5
    assert kept_now(20) == 2
    clock.now += 60
    assert kept_now(20) == 5


def test_at_light_load_every_new_trace_is_recorded() -> None:
    clock = Clock()
    found = limited(5, clock)
    kept = []
    for _ in range(50):
        clock.now += 0.25
        kept.append(found.keeps(None, new_trace_id()))
    assert all(kept)


def test_the_rate_limit_applies_to_what_the_ratio_keeps() -> None:
    found = limited(1000, Clock(), ratio=0.0)
    assert not any(found.keeps(None, new_trace_id()) for _ in range(100))


def test_a_callers_decision_is_followed_whatever_the_ratio_or_the_rate() -> None:
    exhausted = limited(1, Clock())
    assert exhausted.keeps(None, new_trace_id())
    assert not exhausted.keeps(None, new_trace_id())

    assert exhausted.keeps(remote(7, SAMPLED), 7)
    assert policy(None, "0").keeps(remote(7, SAMPLED), 7)
    assert not policy(None, "1").keeps(remote(7, UNSAMPLED), 7)
    assert not policy("parentbased_always_on").keeps(remote(7, UNSAMPLED), 7)
    assert policy("parentbased_always_off").keeps(remote(7, SAMPLED), 7)


def test_the_argument_alone_is_the_ratio_of_the_default_policy() -> None:
    assert kept_share(policy(None, "1")) == 1.0
    assert kept_share(policy(None, "0")) == 0.0
    assert kept_share(policy(None, "0.5")) == pytest.approx(0.5, abs=0.04)


def test_an_argument_that_is_no_ratio_leaves_the_default_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="observability.sampling"):
        found = policy_of(None, "lots")
    assert found is not None
    assert found.ratio == 1.0
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
    assert kept_share(policy(name, argument, per_second=3), roots=200) == share


def test_the_ratio_is_decided_on_the_trace_id_as_the_sdk_does() -> None:
    half = policy("traceidratio", "0.5")
    low, high = (1 << 62) | 12345, (3 << 62) | 12345
    assert half.keeps(None, low)
    assert not half.keeps(None, high)
    assert half.keeps(remote(low, UNSAMPLED), low)
    assert not half.keeps(remote(high, SAMPLED), high)


def test_a_sampler_name_of_a_plug_in_is_left_to_the_sdk() -> None:
    assert policy_of("xray") is None


def test_a_projection_batch_follows_the_first_command_it_links_to() -> None:
    never, always = policy("always_off"), policy("always_on")

    assert never.keeps_batch(remote(1, SAMPLED), new_trace_id())
    assert not always.keeps_batch(remote(1, UNSAMPLED), new_trace_id())
    assert not never.keeps_batch(None, new_trace_id())
    assert always.keeps_batch(None, new_trace_id())


def roots(found: TracePolicy | None) -> RootSpans:
    sampler = ALWAYS_ON if found is not None else ALWAYS_OFF
    return RootSpans(TracerProvider(sampler=sampler).get_tracer("test"), found)


def test_a_dropped_request_continues_the_callers_trace_in_a_span_of_its_own() -> None:
    caller = remote(0x4BF92F3577B34DA6A3CE929D0E0E4736, UNSAMPLED)
    span = roots(policy(None)).start("GET", caller)

    context = span.get_span_context()
    assert not span.is_recording()
    assert context.trace_id == caller.trace_id
    assert context.span_id not in (0, caller.span_id)
    assert not context.trace_flags.sampled


def test_a_kept_trace_is_started_and_recorded_by_the_sdk() -> None:
    caller = remote(0x4BF92F3577B34DA6A3CE929D0E0E4736, SAMPLED)
    assert roots(policy(None)).start("GET", caller).is_recording()
    assert roots(policy("always_on")).start("GET").is_recording()
    span, traceparent = roots(policy("always_on")).new_traceparent("command")
    assert span is not None
    assert span.is_recording()
    assert traceparent is None


def test_a_dropped_command_in_process_gets_a_new_unsampled_traceparent_and_no_span() -> None:
    first = roots(policy("always_off")).new_traceparent("command")
    second = roots(policy("always_off")).new_traceparent("command")

    assert first[0] is None
    assert first[1] is not None
    assert second[1] is not None
    assert first[1].startswith("00-")
    assert first[1].endswith("-00")
    assert first[1][3:35] != second[1][3:35]


def test_without_a_policy_the_sdks_sampler_decides() -> None:
    assert not roots(None).start("GET").is_recording()
    span, traceparent = roots(None).new_traceparent("command")
    assert span is None
    assert traceparent is not None
    assert not int(traceparent[53:], 16) & 1  # not sampled
