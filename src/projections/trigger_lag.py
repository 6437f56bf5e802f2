"""The lag of the Azure Functions change-feed trigger, measured from the documents it is given.

The trigger keeps its feed position in lease documents the port cannot read (``status``), but
every document of a batch carries ``_ts``, the epoch second of its write. When a batch arrives,
its oldest document is the oldest change not yet projected, so the trigger's lag at that moment
is ``now - min(_ts)`` seconds and at least as many events as the batch holds.

``TriggerLagRecorder.record`` measures each batch and keeps the reading in one document of
``leases`` per lease prefix (``trigger-lag.<prefix>``), so that every process reads the same
numbers: ``GET /api/projections/status`` and ``campaigns status`` (``status``) and the
``ledger_projection_lag_*`` gauges, which are read from the status. The trigger does not say
which feed range a batch came from, so the reading has one range, ``all``; with several
instances the latest batch of any of them wins. A reading that cannot be stored is logged and
never fails the batch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from documentstore.port import LEASES, DocumentStore, Upsert
from projections.events import is_event_document

logger = logging.getLogger(__name__)

TRIGGER_FEED_RANGE = "all"
"""The one feed range of the trigger's readings (a batch does not name its range)."""


def trigger_lag_id(lease_prefix: str) -> str:
    return f"trigger-lag.{lease_prefix}"


@dataclass(frozen=True)
class TriggerLag:
    """One reading: at ``measured_at`` (ISO 8601, UTC) the trigger was given ``events_behind``
    events (a lower bound of what was pending) whose oldest change was ``seconds_behind`` old."""

    events_behind: int
    seconds_behind: float
    measured_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "eventsBehind": self.events_behind,
            "secondsBehind": self.seconds_behind,
            "measuredAt": self.measured_at,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> TriggerLag:
        return cls(
            events_behind=int(document["eventsBehind"]),
            seconds_behind=float(document["secondsBehind"]),
            measured_at=str(document["measuredAt"]),
        )


def measure_lag(documents: Sequence[Mapping[str, Any]], now: float) -> TriggerLag | None:
    """The lag a batch shows at ``now`` (epoch seconds); None for a batch without ``_ts``."""
    stamps = [
        float(document["_ts"])
        for document in documents
        if isinstance(document.get("_ts"), int | float) and not isinstance(document["_ts"], bool)
    ]
    if not stamps:
        return None
    return TriggerLag(
        events_behind=sum(1 for document in documents if is_event_document(document)),
        seconds_behind=round(max(0.0, now - min(stamps)), 3),
        measured_at=datetime.fromtimestamp(now, UTC).isoformat(),
    )


def read_trigger_lag(store: DocumentStore, lease_prefix: str) -> TriggerLag | None:
    """The latest stored reading of the trigger on ``lease_prefix``, if any."""
    lease_id = trigger_lag_id(lease_prefix)
    document = store.read(LEASES, lease_id, lease_id)
    if document is None:
        return None
    try:
        return TriggerLag.from_json(document)
    except (KeyError, TypeError, ValueError):
        logger.warning("unreadable trigger lag document %s", lease_id)
        return None


class TriggerLagRecorder:
    """Measures each batch the trigger on ``lease_prefix`` is given and stores the reading."""

    def __init__(
        self,
        store: DocumentStore,
        lease_prefix: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._lease_prefix = lease_prefix
        self._clock = clock
        self._lock = threading.Lock()
        self._latest: TriggerLag | None = None

    @property
    def latest(self) -> TriggerLag | None:
        """The last reading this process took."""
        with self._lock:
            return self._latest

    def record(self, documents: Sequence[Mapping[str, Any]]) -> TriggerLag | None:
        """Measure ``documents`` now and store the reading; a store failure is only logged."""
        reading = measure_lag(documents, self._clock())
        if reading is None:
            return None
        with self._lock:
            self._latest = reading
        lease_id = trigger_lag_id(self._lease_prefix)
        try:
            self._store.execute_batch(
                LEASES, lease_id, [Upsert({"id": lease_id, **reading.to_json()})]
            )
        except Exception:
            logger.warning("could not store the trigger's lag reading", exc_info=True)
        return reading
