"""How far the projections are behind, for ``campaigns status`` and
``GET /api/projections/status``.

Who measures depends on who projects (``source``):

- ``local-processor`` (the embedded service, ``campaigns follow``): per feed range of ``events``,
  the processor's checkpoint, the events after it (found by peeking the feed from the
  checkpoint, head documents not counted, at most ``peek_limit``), and the seconds behind, i.e.
  the age of the oldest event not yet projected (0 when caught up);
- ``functions-trigger`` (the service hosted by Azure Functions): the trigger keeps its position in
  its own lease documents, in the format of the Cosmos DB SDK's change-feed processor, which the
  document-store port cannot read as a feed position. The trigger measures its lag itself from
  the ``_ts`` of the documents of each batch (``projections.trigger_lag``); its latest reading
  is shown as one range, ``all``, with ``measuredAt`` and events behind as a lower bound. Before
  its first reading each range says ``"checkpoint": null`` and ``null`` events and seconds
  behind, rather than a false count from the beginning of the feed.

Beside them: the generations, the lease prefix the live generation's trigger must use, and the
dead letters.

Given a ``tenant_id`` (the HTTP route always gives the caller's), the report shows that tenant
only what is its own: its dead letters, and as lag the events *of its campaigns* not yet
projected and the age of the oldest of them; the feed's checkpoint and the time it moved are
left out (null), since they follow every tenant's writes. The operator's CLI sees all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from documentstore.port import EVENTS, DocumentStore
from projections.dead_letters import DeadLetterBox
from projections.events import is_event_document
from projections.generations import ProjectionStateStore, lease_prefix_of
from projections.processor import DEFAULT_PROCESSOR, Checkpoints
from projections.trigger_lag import TRIGGER_FEED_RANGE, TriggerLag, read_trigger_lag

LagSource = Literal["local-processor", "functions-trigger"]
LOCAL_PROCESSOR: LagSource = "local-processor"
FUNCTIONS_TRIGGER: LagSource = "functions-trigger"

_LISTED_DEAD_LETTERS = 100


def projection_status(
    store: DocumentStore,
    *,
    tenant_id: str | None = None,
    source: LagSource = LOCAL_PROCESSOR,
    processor: str = DEFAULT_PROCESSOR,
    peek_limit: int = 1000,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """The status report (camelCase, ready to send); dead letters of ``tenant_id`` only, when
    given."""
    state = ProjectionStateStore(store).read()
    feed_ranges = store.feed_ranges(EVENTS)
    behind: int | None
    if source == FUNCTIONS_TRIGGER:
        reading = read_trigger_lag(store, lease_prefix_of(state.live))
        if reading is None:
            ranges = [_unmeasured(feed_range) for feed_range in feed_ranges]
            behind = None
        else:
            ranges = [_trigger_reading(reading)]
            behind = reading.events_behind
    else:
        ranges = _measured(store, feed_ranges, processor, peek_limit, clock(), tenant_id=tenant_id)
        behind = sum(entry["eventsBehind"] for entry in ranges)
    letters = DeadLetterBox(store).list(tenant_id=tenant_id)
    return {
        "projections": [
            {
                "name": processor,
                "liveGeneration": state.live,
                "buildingGeneration": state.building,
                "leasePrefix": lease_prefix_of(state.live),
                "source": source,
                "feedRanges": ranges,
                "eventsBehind": behind,
                "deadLetters": {
                    "count": len(letters),
                    "items": [letter.to_json() for letter in letters[:_LISTED_DEAD_LETTERS]],
                },
            }
        ]
    }


def _measured(
    store: DocumentStore,
    feed_ranges: list[str],
    processor: str,
    peek_limit: int,
    now: float,
    *,
    tenant_id: str | None,
) -> list[dict[str, Any]]:
    """Each range's lag behind the local processor's checkpoint (of ``tenant_id``'s events
    only, and without the checkpoint itself, when given)."""
    checkpoints = Checkpoints(store, processor)
    ranges = []
    for feed_range in feed_ranges:
        checkpoint = checkpoints.load(feed_range)
        behind, oldest, capped = _peek(
            store, feed_range, checkpoint.continuation, peek_limit, tenant_id
        )
        shown = tenant_id is None
        ranges.append(
            {
                "feedRange": feed_range,
                "source": LOCAL_PROCESSOR,
                "checkpoint": checkpoint.continuation if shown else None,
                "checkpointUpdatedAt": checkpoint.updated_at if shown else None,
                "eventsBehind": behind,
                "eventsBehindIsLowerBound": capped,
                "secondsBehind": 0.0 if oldest is None else round(max(0.0, now - oldest), 3),
            }
        )
    return ranges


def _unmeasured(feed_range: str) -> dict[str, Any]:
    """A range the Functions trigger follows: its position is not readable here."""
    return {
        "feedRange": feed_range,
        "source": FUNCTIONS_TRIGGER,
        "checkpoint": None,
        "checkpointUpdatedAt": None,
        "eventsBehind": None,
        "eventsBehindIsLowerBound": False,
        "secondsBehind": None,
    }


def _trigger_reading(reading: TriggerLag) -> dict[str, Any]:
    """The trigger's latest reading of its lag, as one range."""
    return {
        "feedRange": TRIGGER_FEED_RANGE,
        "source": FUNCTIONS_TRIGGER,
        "checkpoint": None,
        "checkpointUpdatedAt": None,
        "measuredAt": reading.measured_at,
        "eventsBehind": reading.events_behind,
        "eventsBehindIsLowerBound": True,
        "secondsBehind": reading.seconds_behind,
    }


def _peek(
    store: DocumentStore,
    feed_range: str,
    continuation: str | None,
    limit: int,
    tenant_id: str | None = None,
) -> tuple[int, float | None, bool]:
    """Events after ``continuation`` (``tenant_id``'s only, when given): how many among the
    next ``limit`` events, the oldest one's time, and whether the look stopped at the limit."""
    count = 0
    seen = 0
    oldest: float | None = None
    position = continuation
    while seen < limit:
        page = store.read_feed(EVENTS, feed_range, position, max_items=min(100, limit))
        for document in page.items:
            if not is_event_document(document):
                continue
            seen += 1
            if tenant_id is not None and _tenant_of(document) != tenant_id:
                continue
            count += 1
            moment = _epoch_seconds(document.get("timestamp"))
            if moment is not None:
                oldest = moment if oldest is None else min(oldest, moment)
        if not page.items or page.continuation == position:
            return count, oldest, False
        position = page.continuation
    return count, oldest, True


def _tenant_of(document: dict[str, Any]) -> Any:
    metadata = document.get("metadata")
    return metadata.get("tenantId") if isinstance(metadata, dict) else None


def _epoch_seconds(timestamp: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(timestamp)).timestamp()
    except ValueError:
        return None
