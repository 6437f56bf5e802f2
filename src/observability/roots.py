"""Starting the spans a trace may begin with: a request's, an in-process command's, a
projection batch's.

``RootSpans`` asks the ``TracePolicy`` (``observability.sampling``) before the SDK: a trace it
keeps is started by the tracer as usual; a trace it drops is a ``NonRecordingSpan`` with the
caller's trace id (or a new one) and a new span id, made without the SDK's sampler chain, id
generator and span machinery, which cost more than everything else an unsampled command pays
for tracing. Without a policy (a plug-in's sampler, the Azure Monitor distro's) the tracer's
own sampler decides, as it would anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar

from opentelemetry.context import Context
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    TraceFlags,
    Tracer,
)
from opentelemetry.util.types import Attributes

from observability.sampling import TracePolicy, new_span_id, new_trace_id
from observability.trace_context import traceparent_of

UNSAMPLED = TraceFlags(TraceFlags.DEFAULT)

UNRECORDED_TRACE: ContextVar[str | None] = ContextVar("ledger_unrecorded_trace", default=None)
"""The ``traceparent`` of the trace the work under way belongs to, while a seam of ours knows
that trace is not recorded (a request or an in-process command it dropped; ``""`` for a
projection batch not recorded, which has none): the command seam stores it and the store seam
starts no span, without asking OpenTelemetry for the current span (seven calls each time).
None elsewhere, where they ask as usual."""


class RootSpans:
    """The tracer and the policy of one service's root spans."""

    def __init__(self, tracer: Tracer, policy: TracePolicy | None) -> None:
        self.tracer = tracer
        self.policy = policy

    def start(
        self,
        name: str,
        caller: SpanContext | None = None,
        context: Context | None = None,
        *,
        kind: SpanKind = SpanKind.INTERNAL,
    ) -> Span:
        """A span that begins a trace here or continues the caller's (``caller``, a valid
        remote span context, with ``context`` holding it): recorded when the trace is kept."""
        policy = self.policy
        if policy is None:
            return self.tracer.start_span(name, context, kind=kind)
        trace_id = caller.trace_id if caller is not None else new_trace_id()
        if policy.keeps(caller, trace_id):
            return self.tracer.start_span(name, context, kind=kind)
        state = caller.trace_state if caller is not None else None
        return NonRecordingSpan(SpanContext(trace_id, new_span_id(), False, UNSAMPLED, state))

    def new_traceparent(self, name: str) -> tuple[Span | None, str | None]:
        """An in-process command's trace: its recorded span when kept (None when not), and
        the ``traceparent`` a dropped one stores (None when recorded, the span gives it)."""
        policy = self.policy
        if policy is None:
            span = self.tracer.start_span(name)
            if span.is_recording():
                return span, None
            return None, traceparent_of(span.get_span_context())
        trace_id = new_trace_id()
        if policy.keeps(None, trace_id):
            return self.tracer.start_span(name), None
        return None, f"00-{trace_id:032x}-{new_span_id():016x}-00"

    def start_linked(
        self,
        name: str,
        first_link: SpanContext | None,
        links: Callable[[], Sequence[Link]],
        *,
        kind: SpanKind,
        attributes: Attributes = None,
    ) -> Span | None:
        """A projection batch's span, linked to its commands (``links``, made only for a
        recorded span; ``first_link`` is the first of them): None when it is not recorded."""
        policy = self.policy
        if policy is not None and not policy.keeps_batch(first_link, new_trace_id()):
            return None
        span = self.tracer.start_span(name, kind=kind, links=links(), attributes=attributes)
        return span if span.is_recording() else None
