"""W3C trace context (``traceparent``) to and from OpenTelemetry span contexts.

The events' metadata stores the ``traceparent`` of the command that appended them; the
projection runner's span links back to it. Parsing goes through OpenTelemetry's own W3C
propagator, so a malformed value is ignored as the specification asks.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.trace import SpanContext
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()


def traceparent_of(context: SpanContext) -> str | None:
    """The ``traceparent`` header value of ``context``; None for an invalid context."""
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def span_context_of(traceparent: object) -> SpanContext | None:
    """The remote span context a ``traceparent`` value names; None when it names none."""
    if not isinstance(traceparent, str):
        return None
    extracted = _PROPAGATOR.extract({"traceparent": traceparent})
    context = trace.get_current_span(extracted).get_span_context()
    return context if context.is_valid else None
