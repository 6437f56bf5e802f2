"""Each change-feed batch the projection runner applies, as a span linked to its commands.

``BatchTelemetry`` is the runner's ``BatchObserver``. A batch holds the events of many
commands, so its span (``projection batch``) is not any one command's child: it carries a
link to the span context each event's metadata names (``traceparent``, stored by the command
that appended it), so that a trace viewer leads from a request to the batch that projected it.
Its writes and queries are its child spans; its point reads are counted and timed on it
(``ledger.store_reads``, ``ledger.store_read_seconds``: ``observability.store``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from opentelemetry import trace
from opentelemetry.trace import Link, SpanContext, SpanKind, Tracer

from observability.roots import UNRECORDED_TRACE, RootSpans
from observability.sampling import TracePolicy
from observability.store import folded_reads
from observability.trace_context import span_context_of
from projections.events import is_event_document
from projections.feed import RawEvent
from projections.runner import ProjectionOutcome

MAX_LINKS = 64
"""Links kept per batch span (a batch holds at most a few hundred events)."""
MAX_CAMPAIGN_IDS = 32
"""Campaign ids named on a batch span (``ledger.campaign_ids``, sorted)."""


def links_of(documents: Sequence[RawEvent]) -> list[Link]:
    """One link per distinct trace context named by the batch's events, in feed order."""
    links: dict[tuple[int, int], Link] = {}
    for document in documents:
        if len(links) >= MAX_LINKS:
            break
        context = _trace_context_of(document)
        if context is not None:
            links.setdefault((context.trace_id, context.span_id), Link(context))
    return list(links.values())


def first_trace_context(documents: Sequence[RawEvent]) -> SpanContext | None:
    """The trace context the batch's first event that names one names (its first link)."""
    for document in documents:
        context = _trace_context_of(document)
        if context is not None:
            return context
    return None


def _trace_context_of(document: RawEvent) -> SpanContext | None:
    if not is_event_document(document):
        return None
    metadata = document.get("metadata")
    return span_context_of(metadata.get("traceparent") if isinstance(metadata, dict) else None)


class BatchTelemetry:
    """The runner's observer: one span per batch, linked to the commands of its events."""

    def __init__(self, tracer: Tracer, policy: TracePolicy | None = None) -> None:
        self._roots = RootSpans(tracer, policy)

    def observe(
        self, documents: Sequence[RawEvent], run: Callable[[], ProjectionOutcome]
    ) -> ProjectionOutcome:
        span = self._roots.start_linked(
            "projection batch",
            first_trace_context(documents),
            lambda: links_of(documents),
            kind=SpanKind.CONSUMER,
            attributes={"ledger.documents": len(documents)},
        )
        if span is None:  # its store calls (five point reads an event) need not ask
            token = UNRECORDED_TRACE.set("")
            try:
                return run()
            finally:
                UNRECORDED_TRACE.reset(token)
        with trace.use_span(span, end_on_exit=True):
            with folded_reads() as tally:
                outcome = run()
            span.set_attributes(
                {
                    "ledger.store_reads": tally.reads,
                    "ledger.store_read_seconds": tally.seconds,
                    "ledger.events": outcome.events,
                    "ledger.events_applied": outcome.applied,
                    "ledger.events_skipped": outcome.skipped,
                    "ledger.dead_lettered": outcome.dead_lettered,
                    "ledger.campaigns": len(outcome.campaigns),
                    "ledger.campaign_ids": sorted(outcome.campaigns)[:MAX_CAMPAIGN_IDS],
                }
            )
            return outcome
