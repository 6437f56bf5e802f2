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

from opentelemetry.trace import Link, SpanKind, Tracer

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
        if len(links) >= MAX_LINKS or not is_event_document(document):
            continue
        metadata = document.get("metadata")
        traceparent = metadata.get("traceparent") if isinstance(metadata, dict) else None
        context = span_context_of(traceparent)
        if context is not None:
            links.setdefault((context.trace_id, context.span_id), Link(context))
    return list(links.values())


class BatchTelemetry:
    """The runner's observer: one span per batch, linked to the commands of its events."""

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    def observe(
        self, documents: Sequence[RawEvent], run: Callable[[], ProjectionOutcome]
    ) -> ProjectionOutcome:
        with self._tracer.start_as_current_span(
            "projection batch",
            kind=SpanKind.CONSUMER,
            links=links_of(documents),
            attributes={"ledger.documents": len(documents)},
        ) as span:
            if not span.is_recording():
                return run()
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
