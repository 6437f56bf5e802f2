"""The one upcast table of stored events: older stored forms brought forward to the current one.

An event written under an older ``classVersion`` keeps that form in the log. Its ``data``
(camelCase keys, the form of docs/events.md) is brought forward step by step, one function per
``(event type, stored class version)``, before anything reads it:

- the projections read event documents themselves and call ``upcast_data``;
- the aggregate's events are read through the eventsourcing library, which calls each event
  class's ``upcast_vX_vY`` on its snake_case state; those methods are thin wrappers over the same
  table (``upcast_library_state``).

So the aggregate and the views read an old event the same way. A new version of an event adds a
function and an entry in ``DATA_UPCASTS`` here, and an ``upcast_vX_vY`` that calls
``upcast_library_state`` on the event class (docs/events.md, *Schema evolution*).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic.alias_generators import to_camel, to_snake

from domain.artifacts import Version
from domain.values import AuditStatus

DataUpcast = Callable[[dict[str, Any]], dict[str, Any]]
"""One step: an event's camelCase ``data`` in one class version -> the data in the next."""

_LIBRARY_KEYS = frozenset({"originator_id", "originator_version", "timestamp", "metadata"})
"""Keys of a library event state that are not the event's data."""


def version_status_after_audit(overall_status: str) -> str:
    """What ``AuditRecorded`` v2 added to v1: the version's status after an audit with
    ``overall_status``."""
    return Version.status_after_audit(AuditStatus(overall_status)).value


def _audit_recorded_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v2 added ``versionStatus``."""
    return {**data, "versionStatus": version_status_after_audit(data["overallStatus"])}


def _feedback_logged_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v2 added ``revisionId``: feedback logged before revisions existed belongs to none."""
    return {**data, "revisionId": None}


DATA_UPCASTS: Mapping[tuple[str, int], DataUpcast] = {
    ("AuditRecorded", 1): _audit_recorded_v1_v2,
    ("FeedbackLogged", 1): _feedback_logged_v1_v2,
}
"""``(event type, stored classVersion) -> data in the next classVersion``."""


def upcast_data(event_type: str, class_version: int, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` of an ``event_type`` stored in ``class_version``, in the event's current form.

    A derivation that meets data without the fields it needs raises (``KeyError``,
    ``ValueError``): such an event is malformed."""
    while (event_type, class_version) in DATA_UPCASTS:
        data = DATA_UPCASTS[event_type, class_version](dict(data))
        class_version += 1
    return data


def upcast_library_state(event_type: str, class_version: int, state: dict[str, Any]) -> None:
    """One step of ``DATA_UPCASTS`` applied in place to a library event state (snake_case
    attributes beside the library's own keys): what an event's ``upcast_vX_vY`` does."""
    names = {to_camel(key): key for key in state if key not in _LIBRARY_KEYS}
    data = {camel: state[snake] for camel, snake in names.items()}
    upcast = DATA_UPCASTS[event_type, class_version](dict(data))
    for camel, snake in names.items():
        if camel not in upcast:
            del state[snake]
    for camel, value in upcast.items():
        state[names.get(camel) or to_snake(camel)] = value
