"""A change-feed batch of ``events`` as the runner takes it, campaign by campaign.

The batch's event documents are grouped by campaign, without duplicates (``grouped_by_campaign``);
those at or below the campaign's watermark are dropped (``above_watermark``: at-least-once
delivery, exactly-once effect); a gap above the watermark (a generation switch, a lost lease) is
filled from the log with one partition query (``with_gaps_filled``); and each document is read
as an event, or, when it cannot be, becomes a ``Failure`` around a stand-in event carrying what
is known of it, so that it is dead-lettered rather than dropped (``parsed``).

A document's **position** is its version, or ``id:<id>`` when the version is unreadable: the key
that removes duplicates, and the stream order (versions in order, then the unreadable ones).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from documentstore.port import DocumentStore
from domain.recorded import RecordedEvent
from projections.campaign_views import Failure
from projections.events import (
    campaign_of,
    is_event_document,
    parse_event_document,
    read_campaign_events,
)

RawEvent = Mapping[str, Any]
"""An event document as the change feed or the log delivered it."""
Position = int | str
RawEvents = Mapping[Position, RawEvent]
"""One campaign's event documents by position."""

logger = logging.getLogger(__name__)


def position_of(document: RawEvent) -> Position:
    """An event's place in its stream: its version, or its id when the version is unreadable."""
    version = document.get("version")
    return version if isinstance(version, int) else f"id:{document.get('id')}"


def stream_order(position: Position) -> tuple[int, Position]:
    """Sort key of positions: versions in order, then the unreadable documents."""
    return (0, position) if isinstance(position, int) else (1, position)


def grouped_by_campaign(documents: Iterable[RawEvent]) -> dict[str, dict[Position, RawEvent]]:
    """The event documents of a batch by campaign, then by position (head documents and any
    other document are left out; a document delivered twice counts once)."""
    by_campaign: dict[str, dict[Position, RawEvent]] = {}
    for document in documents:
        if is_event_document(document):
            by_campaign.setdefault(campaign_of(document), {})[position_of(document)] = document
    return by_campaign


def above_watermark(raw: RawEvents, watermark: int) -> dict[Position, RawEvent]:
    """The documents still to apply: those above ``watermark``, and the unreadable ones."""
    return {
        position: document
        for position, document in raw.items()
        if not isinstance(position, int) or position > watermark
    }


def with_gaps_filled(
    store: DocumentStore, campaign_id: str, watermark: int, pending: dict[Position, RawEvent]
) -> dict[Position, RawEvent]:
    """``pending`` with the versions missing between ``watermark`` and its last version read
    from the log (one partition query), in stream order; ``pending`` itself when none miss."""
    versions = sorted(position for position in pending if isinstance(position, int))
    if not versions or versions == list(range(watermark + 1, versions[-1] + 1)):
        return pending
    logger.info(
        "campaign %s: events %s..%s reach the views out of order; reading the log",
        campaign_id,
        watermark + 1,
        versions[-1],
    )
    filled = dict(pending)
    for document in read_campaign_events(store, campaign_id, after=watermark, up_to=versions[-1]):
        filled.setdefault(position_of(document), document)
    return dict(sorted(filled.items(), key=lambda item: stream_order(item[0])))


def parsed(raw: RawEvents) -> tuple[list[RecordedEvent], list[Failure]]:
    """Events in stream order, and the documents that could not even be read as events."""
    events: list[RecordedEvent] = []
    failures: list[Failure] = []
    for position in sorted(raw, key=stream_order):
        try:
            events.append(parse_event_document(raw[position]))
        except Exception as error:
            failures.append(Failure(_stand_in(raw[position]), error, raw[position]))
    return events, failures


def _stand_in(document: RawEvent) -> RecordedEvent:
    """A stand-in carrying what is known of an event document that could not be parsed."""
    version = document.get("version")
    return RecordedEvent(
        campaign_id=campaign_of(document),
        version=version if isinstance(version, int) else 0,
        type=str(document.get("type")),
        data={},
    )
