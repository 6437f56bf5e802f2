"""Which traces are recorded, decided where a trace can start, before the SDK is asked.

Recording a span costs the Python SDK tens of microseconds (and its export as much again), and
even a span it drops costs a sampler chain, fresh ids and a non-recording span. So the seams
where a trace can start (a request, a command run in process, a projection batch: ``roots``)
ask the ``TracePolicy`` first; a trace it keeps is started by the SDK as usual (its provider's
sampler then records every span that reaches it: ``ALWAYS_ON``, since nothing below a dropped
span is ever started), and a trace it drops costs a random id or two and nothing else.

By default new traces are rate-limited: a caller's sampled ``traceparent`` is always honoured
(the orchestrator's sampled requests stay whole), an unsampled one is never recorded, and a
trace that starts here (a request without a caller's context, a command run in process, a
projection batch that names no command) is kept at the ratio ``OTEL_TRACES_SAMPLER_ARG`` (1
when unset) and at most ``traces_per_second`` of them a second in this process
(``LEDGER_TRACES_PER_SECOND``, ``DEFAULT_TRACES_PER_SECOND``; 0 lifts the limit). At light
load every request is traced; under load the recorded traces, their CPU and their export stay
at a few a second whatever the throughput (``RateLimit``), as Application Insights' own
sampling keeps a rate of items a second.

With ``OTEL_TRACES_SAMPLER`` set, the variables mean exactly what the OpenTelemetry SDK
defines, with no limit: ``OTEL_TRACES_SAMPLER`` names one of ``always_on``, ``always_off``,
``traceidratio``, ``parentbased_always_on``, ``parentbased_always_off`` or
``parentbased_traceidratio``, and ``OTEL_TRACES_SAMPLER_ARG`` is the ratio of the two
ratio-based ones (1.0 when absent or not a number in [0, 1], as in the SDK; the ratio is
decided on the trace id, as the SDK does, when a caller's context gives one). Another name (a
sampler of an SDK plug-in) has no policy here (``policy_of`` answers None): the SDK resolves
that sampler and decides every span itself, and so does the Azure Monitor distro's.

A projection batch is not a request's child: it links to the commands of its events. It
follows the decision of the first command it links to: a batch that applies one command's
events (the usual case while the service keeps up) is recorded exactly when that command was,
so a sampled request's trace reaches the batch that projected it; a batch of several commands
is recorded as often as commands are, not whenever any of them was, which under load would
record nearly every batch (a batch makes a span per write or query, its point reads tallied
on it). A batch whose events name no trace is decided as any new trace.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from opentelemetry.trace import SpanContext

logger = logging.getLogger(__name__)

DEFAULT_TRACES_PER_SECOND = 5.0
"""New traces recorded a second by default, per process (docs/observability.md, "Sampling")."""
RATIO_POLICIES = frozenset({"traceidratio", "parentbased_traceidratio"})
FIXED_POLICIES = {
    "always_on": True,
    "always_off": False,
    "parentbased_always_on": True,
    "parentbased_always_off": False,
}
TRACE_ID_LIMIT = (1 << 64) - 1
"""The SDK's ratio sampler decides on the trace id's low 64 bits; so does ``TracePolicy``."""


def ratio_of(argument: str | None, default: float) -> float:
    """``OTEL_TRACES_SAMPLER_ARG`` as a ratio in [0, 1]; ``default`` when absent or invalid."""
    if argument is None or not argument.strip():
        return default
    try:
        ratio = float(argument)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:
        logger.warning("OTEL_TRACES_SAMPLER_ARG=%r is not a ratio in [0, 1]", argument)
        return default
    return ratio


class RateLimit:
    """At most ``per_second`` decisions a second: a token bucket.

    It holds at most a second's worth of tokens (at least one), refilled as time passes, so a
    burst after a quiet spell is kept whole up to that size and a steady load is kept at the
    rate. ``clock`` is ``time.monotonic`` unless a test gives its own."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self._capacity = max(1.0, per_second)
        self._clock = clock
        self._tokens = self._capacity
        self._refilled = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Whether one more decision fits now (and it is counted)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(
                self._capacity, self._tokens + (now - self._refilled) * self.per_second
            )
            self._refilled = now
            if self._tokens < 1.0:
                return False
            self._tokens -= 1.0
            return True


@dataclass(frozen=True)
class TracePolicy:
    """Which traces are kept: ``ratio`` of new ones (on their trace id), within ``limit``;
    a caller's decision followed when ``follows_caller`` (the ``parentbased_*`` samplers)."""

    description: str
    ratio: float = 1.0
    follows_caller: bool = True
    limit: RateLimit | None = None
    bound: int = field(init=False, repr=False)
    """Trace ids whose low 64 bits fall below this are kept by the ratio."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "bound", round(self.ratio * (TRACE_ID_LIMIT + 1)))

    def keeps(self, caller: SpanContext | None, trace_id: int) -> bool:
        """Whether the trace ``trace_id`` is recorded: the caller's (``caller``, valid, or
        None), or one that starts here."""
        if caller is not None and self.follows_caller:
            return caller.trace_flags.sampled
        if (trace_id & TRACE_ID_LIMIT) >= self.bound:
            return False
        return self.limit is None or self.limit.take()

    def keeps_batch(self, first_link: SpanContext | None, trace_id: int) -> bool:
        """Whether a projection batch is recorded: as the first command it links to was, or
        as a new trace when its events name none."""
        if first_link is not None:
            return first_link.trace_flags.sampled
        return self.keeps(None, trace_id)


def policy_of(
    name: str | None,
    argument: str | None = None,
    traces_per_second: float | None = None,
) -> TracePolicy | None:
    """The policy the two variables name (see the module docstring); None for a name this
    module does not know, whose sampler the SDK then resolves and consults itself.
    ``traces_per_second`` limits the default policy's new traces (0: no limit; None:
    ``DEFAULT_TRACES_PER_SECOND``)."""
    if traces_per_second is None:
        traces_per_second = DEFAULT_TRACES_PER_SECOND
    if name is None or not name.strip():
        ratio = ratio_of(argument, 1.0)
        limit = RateLimit(traces_per_second) if traces_per_second > 0 else None
        description = f"parentbased, ratio {ratio}" + (
            f", at most {traces_per_second}/s" if limit is not None else ""
        )
        return TracePolicy(description, ratio, limit=limit)
    name = name.strip().lower()
    follows = name.startswith("parentbased_")
    if name in RATIO_POLICIES:
        ratio = ratio_of(argument, 1.0)
        return TracePolicy(f"{name}, ratio {ratio}", ratio, follows_caller=follows)
    if name in FIXED_POLICIES:
        return TracePolicy(name, float(FIXED_POLICIES[name]), follows_caller=follows)
    return None


def new_trace_id() -> int:
    """A random trace id, as the SDK's id generator makes them (never zero)."""
    return random.getrandbits(128) or 1


def new_span_id() -> int:
    """A random span id, as the SDK's id generator makes them (never zero)."""
    return random.getrandbits(64) or 1
