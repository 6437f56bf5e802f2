"""Who asked for a change, on whose behalf, and when: stored as every event's metadata."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class CommandMetadata:
    """The provenance of one command; ``at`` becomes the timestamp of the events it appends.

    Correlation and causation ids default to the command id (a command that starts a chain).
    ``traceparent`` is the W3C trace context of the command (``00-<trace>-<span>-<flags>``)
    when it was traced or the caller sent one; it is stored only when present, so that a
    projection can link its work to the request that caused it.
    """

    command_id: str
    actor: str
    tenant_id: str
    at: datetime
    correlation_id: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            object.__setattr__(self, "at", self.at.replace(tzinfo=UTC))

    def event_metadata(self) -> dict[str, str]:
        """The ``metadata`` attribute of an event: camelCase keys, string values."""
        metadata = {
            "commandId": self.command_id,
            "correlationId": self.correlation_id or self.command_id,
            "causationId": self.causation_id or self.command_id,
            "actor": self.actor,
            "tenantId": self.tenant_id,
        }
        if self.traceparent is not None:
            metadata["traceparent"] = self.traceparent
        return metadata
