"""An event as the log recorded it: the shape every reader of the log (projectors, the events
route, notifications) works with, independent of the eventsourcing library's classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class RecordedEvent:
    """One event of one campaign's stream.

    ``data`` is the event's payload as stored (camelCase keys, JSON values); ``metadata`` holds
    ``commandId``, ``correlationId``, ``causationId``, ``actor`` and ``tenantId``; ``timestamp``
    is the event's own UTC time in ISO 8601 with offset (projectors take time from here, never
    from the wall clock).
    """

    campaign_id: str
    version: int
    type: str
    data: JsonObject
    metadata: JsonObject = field(default_factory=dict)
    timestamp: str = ""

    @property
    def tenant_id(self) -> str:
        return str(self.metadata.get("tenantId", "default"))
