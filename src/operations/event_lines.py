"""The JSON Lines form of an exported event (API.md, "Operator CLI"):
``{campaignId, tenantId, version, type, data, metadata, recordedAt}``, one event a line.

``data`` is the event's payload in its current form (an event stored under an older class
version is upcast, as every reader of the log sees it), so that an import writes it under the
event class's current version and a store that imports it reads the same event. ``recordedAt``
is the event's own timestamp, ``metadata`` its metadata, both exactly as recorded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.campaign import Campaign
from domain.errors import InvalidInput
from domain.recorded import RecordedEvent, StoredParts
from eventstore.documents import event_document_of

FIELDS = ("campaignId", "tenantId", "version", "type", "data", "metadata", "recordedAt")
INVALID_LINE = "invalid-event-line"


@dataclass(frozen=True)
class EventLine:
    """One exported event, as a line of the export carries it."""

    campaign_id: str
    tenant_id: str
    version: int
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: str

    @classmethod
    def of(cls, event: RecordedEvent, tenant_id: str) -> EventLine:
        """The line of an event read from the log, for a campaign of ``tenant_id``."""
        return cls(
            campaign_id=event.campaign_id,
            tenant_id=tenant_id,
            version=event.version,
            type=event.type,
            data=event.data,
            metadata=event.metadata,
            recorded_at=event.timestamp,
        )

    @classmethod
    def parse(cls, text: str) -> EventLine:
        """The event a line holds; ``InvalidInput`` (``invalid-event-line``) saying what is
        wrong when it is not exactly the export's form."""
        try:
            value = json.loads(text)
        except ValueError as error:
            raise _invalid(f"not JSON ({error})") from None
        if not isinstance(value, dict):
            raise _invalid("not a JSON object")
        return cls.from_json(value)

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> EventLine:
        if set(value) != set(FIELDS):
            missing = sorted(set(FIELDS) - set(value))
            extra = sorted(set(value) - set(FIELDS))
            raise _invalid(f"fields missing {missing}, unexpected {extra}")
        campaign_id, version = value["campaignId"], value["version"]
        if not isinstance(campaign_id, str) or not _is_canonical_uuid(campaign_id):
            raise _invalid("campaignId is not a lower-case canonical UUID")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise _invalid("version is not an integer of at least 1")
        for name, kind in (("tenantId", str), ("type", str), ("data", dict), ("metadata", dict)):
            if not isinstance(value[name], kind):
                raise _invalid(f"{name} is not a JSON {'string' if kind is str else 'object'}")
        recorded_at = value["recordedAt"]
        if not isinstance(recorded_at, str) or not _is_instant(recorded_at):
            raise _invalid("recordedAt is not an ISO 8601 timestamp with an offset")
        return cls(
            campaign_id=campaign_id,
            tenant_id=value["tenantId"],
            version=version,
            type=value["type"],
            data=value["data"],
            metadata=value["metadata"],
            recorded_at=recorded_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "campaignId": self.campaign_id,
            "tenantId": self.tenant_id,
            "version": self.version,
            "type": self.type,
            "data": self.data,
            "metadata": self.metadata,
            "recordedAt": self.recorded_at,
        }

    def text(self) -> str:
        """The line (without its newline): compact JSON, not ASCII-escaped."""
        return json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))

    def event_document(self, *, append_id: str) -> dict[str, Any]:
        """The event document an import writes for this line (``eventstore.documents``),
        under the current class version of its event type; ``InvalidInput`` for a type the
        campaign does not have."""
        event_class = _event_class(self.type)
        return event_document_of(
            self.campaign_id,
            version=self.version,
            topic=get_topic(event_class),
            parts=StoredParts(
                data=self.data,
                metadata=self.metadata,
                timestamp=self.recorded_at,
                class_version=int(getattr(event_class, "class_version", 1)),
            ),
            append_id=append_id,
        )


def tenant_of_first(event: RecordedEvent) -> str:
    """A campaign's tenant, from its first event (``CampaignCreated`` names it)."""
    tenant = event.data.get("tenantId") if event.type == "CampaignCreated" else None
    return str(tenant) if isinstance(tenant, str) else event.tenant_id


_LIBRARY_MADE = frozenset({"Event", "Created"})
"""Event classes on ``Campaign`` that no command triggers: the base of its events and the
creation event the library declares for every aggregate (``CampaignCreated`` is ours)."""

EVENT_CLASSES: dict[str, type] = {
    name: value
    for name, value in vars(Campaign).items()
    if isinstance(value, type) and issubclass(value, Campaign.Event) and name not in _LIBRARY_MADE
}
"""The campaign's event types by name: what an imported line's ``type`` may be."""


def _event_class(type_name: str) -> type:
    event_class = EVENT_CLASSES.get(type_name)
    if event_class is None:
        raise _invalid(f"{type_name!r} is not an event type of a campaign")
    return event_class


def _is_canonical_uuid(text: str) -> bool:
    try:
        return str(UUID(text)) == text
    except ValueError:
        return False


def _is_instant(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).utcoffset() is not None
    except ValueError:
        return False


def _invalid(reason: str) -> InvalidInput:
    return InvalidInput(f"not an exported event: {reason}", code=INVALID_LINE)
