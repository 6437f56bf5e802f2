"""An event as the log recorded it: the shape every reader of the log (projectors, the events
route, notifications) works with, independent of the eventsourcing library's classes.

Also the one conversion between the library's event state (snake_case attributes, its
``{"_type_": "datetime_iso", "_data_": …}`` wrapper for the timestamp) and the stored form
(camelCase ``data``, ``metadata`` and ``timestamp`` beside it), used by the event store to write
documents and by the application to read events back.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic.alias_generators import to_camel as _to_camel
from pydantic.alias_generators import to_snake as _to_snake

JsonObject = dict[str, Any]

_LIBRARY_KEYS = frozenset({"originator_id", "originator_version", "timestamp", "metadata"})
_CLASS_VERSION = "class_version"

# Event field names are few and fixed: convert each once (pydantic's are regex substitutions).
to_camel = functools.lru_cache(maxsize=4096)(_to_camel)
to_snake = functools.lru_cache(maxsize=4096)(_to_snake)


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

    @classmethod
    def from_domain_event(cls, event: Any) -> RecordedEvent:
        """The recorded form of a library domain event object (already upcast)."""
        state = vars(event)
        timestamp = state.get("timestamp")
        return cls(
            campaign_id=str(state["originator_id"]),
            version=int(state["originator_version"]),
            type=type(event).__name__,
            data={to_camel(k): v for k, v in state.items() if k not in _LIBRARY_KEYS},
            metadata=dict(state.get("metadata") or {}),
            timestamp=timestamp.isoformat() if isinstance(timestamp, datetime) else "",
        )


@dataclass(frozen=True)
class StoredParts:
    """A library event state split into what an event document holds beside each other."""

    data: JsonObject
    metadata: JsonObject
    timestamp: str
    class_version: int


def event_type_of(topic: str) -> str:
    """``domain.campaign:Campaign.VersionCreated`` -> ``VersionCreated``."""
    return topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1]


def split_state(state: Any) -> StoredParts | None:
    """Split a library event state (decoded JSON, no object hook) into document parts.

    Returns None when the split would not be exactly reversible by ``join_state``; the caller
    then keeps the library's bytes as they are.
    """
    if not isinstance(state, dict):
        return None
    wrapped = state.get("timestamp")
    if not (
        isinstance(wrapped, dict)
        and wrapped.get("_type_") == "datetime_iso"
        and isinstance(wrapped.get("_data_"), str)
        and len(wrapped) == 2
    ):
        return None
    metadata = state.get("metadata", {})
    class_version = state.get(_CLASS_VERSION, 1)
    if not isinstance(metadata, dict) or not isinstance(class_version, int):
        return None
    data = {
        to_camel(k): v
        for k, v in state.items()
        if k not in ("timestamp", "metadata", _CLASS_VERSION)
    }
    parts = StoredParts(data, metadata, wrapped["_data_"], class_version)
    return parts if join_state(parts, had_metadata="metadata" in state) == state else None


def join_state(parts: StoredParts, *, had_metadata: bool = True) -> JsonObject:
    """The library event state that ``split_state`` took apart."""
    state: JsonObject = {"timestamp": {"_type_": "datetime_iso", "_data_": parts.timestamp}}
    if had_metadata:
        state["metadata"] = parts.metadata
    state.update({to_snake(k): v for k, v in parts.data.items()})
    if parts.class_version != 1:
        state[_CLASS_VERSION] = parts.class_version
    return state
