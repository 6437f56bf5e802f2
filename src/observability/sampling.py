"""Which traces are recorded: the sampler of ``OTEL_TRACES_SAMPLER`` and
``OTEL_TRACES_SAMPLER_ARG``, with a default that keeps tracing cheap.

Recording a span costs the Python SDK tens of microseconds (and its export as much again), so
by default one trace in ten is kept: ``parentbased_traceidratio`` at ``DEFAULT_RATIO``. A
caller's sampled ``traceparent`` is always honoured (the orchestrator's sampled requests stay
whole), an unsampled one is never recorded, and an unsampled trace costs almost nothing (no
span below its root is started, ``observability.commands`` and ``observability.store``).

The variables mean what the OpenTelemetry SDK defines: ``OTEL_TRACES_SAMPLER`` names one of
``always_on``, ``always_off``, ``traceidratio``, ``parentbased_always_on``,
``parentbased_always_off`` or ``parentbased_traceidratio``, and ``OTEL_TRACES_SAMPLER_ARG`` is
the ratio of the two ratio-based ones (1.0 when absent or not a number in [0, 1], as in the
SDK). With ``OTEL_TRACES_SAMPLER`` unset the default sampler applies and
``OTEL_TRACES_SAMPLER_ARG`` is its ratio. Another name (a sampler of an SDK plug-in) is left
to the SDK as it is.

A projection batch is not a request's child: it links to the commands of its events. Its
span follows the decision of the first command it links to (``FollowFirstLink``: its events
are linked in feed order): a batch that applies one command's events (the usual case while
the service keeps up) is recorded exactly when that command was, so a sampled request's
trace reaches the batch that projected it; a batch of several commands is recorded as often
as commands are (one in ten), not whenever any of them was, which under load would record
nearly every batch (a batch makes a span per write or query, its point reads tallied on it).
A batch whose events name no trace is sampled as any root span.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, get_current_span
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

logger = logging.getLogger(__name__)

DEFAULT_SAMPLER = "parentbased_traceidratio"
DEFAULT_RATIO = 0.1
"""One trace in ten (docs/observability.md, "What it costs")."""
RATIO_SAMPLERS = frozenset({"traceidratio", "parentbased_traceidratio"})


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


def sampler_of(name: str | None, argument: str | None = None) -> Sampler | None:
    """The sampler the two variables name (see the module docstring); None for a name this
    module does not know, which the SDK then resolves from the environment itself."""
    if name is None or not name.strip():
        base: Sampler = ParentBased(TraceIdRatioBased(ratio_of(argument, DEFAULT_RATIO)))
        return FollowFirstLink(base)
    name = name.strip().lower()
    if name in RATIO_SAMPLERS:
        ratio = TraceIdRatioBased(ratio_of(argument, 1.0))
        base = ParentBased(ratio) if name.startswith("parentbased_") else ratio
        return FollowFirstLink(base)
    fixed: dict[str, Sampler] = {
        "always_on": ALWAYS_ON,
        "always_off": ALWAYS_OFF,
        "parentbased_always_on": ParentBased(ALWAYS_ON),
        "parentbased_always_off": ParentBased(ALWAYS_OFF),
    }
    return FollowFirstLink(fixed[name]) if name in fixed else None


class FollowFirstLink(Sampler):
    """``inner``, except that a root span with links follows the decision of its first."""

    def __init__(self, inner: Sampler) -> None:
        self.inner = inner

    def should_sample(  # noqa: PLR0917 (the SDK's signature)
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if links and not get_current_span(parent_context).get_span_context().is_valid:
            if links[0].context.trace_flags.sampled:
                return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)
            return SamplingResult(Decision.DROP, None, trace_state)
        return self.inner.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"FollowFirstLink{{{self.inner.get_description()}}}"
