"""W3C trace context (``traceparent``) to and from OpenTelemetry span contexts.

The events' metadata stores the ``traceparent`` of the command that appended them; the
projection runner's span links back to it. A value that is not a well-formed version-00
``traceparent`` (lowercase hex, ids not all zero) names no context and is ignored, as the W3C
recommendation asks. Parsed by hand: a batch parses one value per event, before the sampler
decides whether the batch is recorded at all.
"""

from __future__ import annotations

from opentelemetry.trace import SpanContext, TraceFlags

_HEX = frozenset("0123456789abcdef")
_LENGTH = 55  # "00-" + 32 + "-" + 16 + "-" + 2


def traceparent_of(context: SpanContext) -> str | None:
    """The ``traceparent`` header value of ``context``; None for an invalid context."""
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def span_context_of(traceparent: object) -> SpanContext | None:
    """The remote span context a ``traceparent`` value names; None when it names none."""
    if not isinstance(traceparent, str) or len(traceparent) != _LENGTH:
        return None
    version, trace_id, span_id, flags = (
        traceparent[0:2],
        traceparent[3:35],
        traceparent[36:52],
        traceparent[53:55],
    )
    if version != "00" or traceparent[2] + traceparent[35] + traceparent[52] != "---":
        return None
    if not _HEX.issuperset(trace_id + span_id + flags):
        return None
    context = SpanContext(
        trace_id=int(trace_id, 16),
        span_id=int(span_id, 16),
        is_remote=True,
        trace_flags=TraceFlags(int(flags, 16)),
    )
    return context if context.is_valid else None
