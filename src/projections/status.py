"""How far the projections are behind, for ``campaigns status`` and
``GET /api/projections/status``.

Per feed range of ``events``: the processor's checkpoint, the events after it (found by peeking
the feed from the checkpoint, head documents not counted, at most ``peek_limit``), and the
seconds behind, i.e. the age of the oldest event not yet projected (0 when caught up). Beside
them the generations and the dead letters.

The checkpoints read here are the local processor's. The Azure Functions trigger keeps its own
leases (its lag shows in Azure Monitor); where no local checkpoint exists for a range the report
counts from the beginning of the feed and says ``"checkpoint": null``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from documentstore.port import EVENTS, DocumentStore
from projections.dead_letters import DeadLetterBox
from projections.events import is_event_document
from projections.generations import ProjectionStateStore
from projections.processor import DEFAULT_PROCESSOR, Checkpoints

_LISTED_DEAD_LETTERS = 100


def projection_status(
    store: DocumentStore,
    *,
    processor: str = DEFAULT_PROCESSOR,
    peek_limit: int = 1000,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """The status report (camelCase, ready to send)."""
    state = ProjectionStateStore(store).read()
    checkpoints = Checkpoints(store, processor)
    now = clock()
    ranges = []
    for feed_range in store.feed_ranges(EVENTS):
        checkpoint = checkpoints.load(feed_range)
        behind, oldest, capped = _peek(store, feed_range, checkpoint.continuation, peek_limit)
        ranges.append(
            {
                "feedRange": feed_range,
                "checkpoint": checkpoint.continuation,
                "checkpointUpdatedAt": checkpoint.updated_at,
                "eventsBehind": behind,
                "eventsBehindIsLowerBound": capped,
                "secondsBehind": 0.0 if oldest is None else round(max(0.0, now - oldest), 3),
            }
        )
    letters = DeadLetterBox(store).list()
    return {
        "projections": [
            {
                "name": processor,
                "liveGeneration": state.live,
                "buildingGeneration": state.building,
                "feedRanges": ranges,
                "eventsBehind": sum(entry["eventsBehind"] for entry in ranges),
                "deadLetters": {
                    "count": len(letters),
                    "items": [letter.to_json() for letter in letters[:_LISTED_DEAD_LETTERS]],
                },
            }
        ]
    }


def _peek(
    store: DocumentStore, feed_range: str, continuation: str | None, limit: int
) -> tuple[int, float | None, bool]:
    """Events after ``continuation``: how many (up to ``limit``), the oldest one's time, and
    whether the count stopped at the limit."""
    count = 0
    oldest: float | None = None
    position = continuation
    while count < limit:
        page = store.read_feed(EVENTS, feed_range, position, max_items=min(100, limit))
        for document in page.items:
            if not is_event_document(document):
                continue
            count += 1
            moment = _epoch_seconds(document.get("timestamp"))
            if moment is not None:
                oldest = moment if oldest is None else min(oldest, moment)
        if not page.items or page.continuation == position:
            return count, oldest, False
        position = page.continuation
    return count, oldest, True


def _epoch_seconds(timestamp: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(timestamp)).timestamp()
    except ValueError:
        return None
