"""The view documents' vocabulary: their ids, partitions, types and common envelope.

Ids here are *logical*: the runner prefixes them with the projection generation when it stores
them (``projections.generations``), so projectors never know which generation they build.

Every view document has the same envelope::

    {"id", "partitionKey", "docType", "campaignId", "tenantId", "appliedVersion",
     "body": <the API body>, ...}

``body`` is exactly what the HTTP layer sends (the Cosmos indexing policy excludes
``/body/*``); a projector's private bookkeeping lives under ``state`` (also excluded). Only the
campaign's snapshot and its list entry carry ``campaignDeleted``: deleting a campaign touches
those two documents, never the campaign's other documents, whose number grows with its history.

No view document grows with the campaign's history: what grows (the versions of an artifact,
the audit reports, the iterations, the runs) is one small document per item, whose id sorts in
list order, so that a page of a list is one range query on ``id`` within the campaign's
partition (``entry.<artifactId>.<number>``, ``audit.<stream version>``, ``iteration.<stream
version>``, ``runs.<stream version>``; numbers zero-padded).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.errors import LedgerError
from domain.recorded import RecordedEvent

Document = dict[str, Any]

SNAPSHOT_ID = "snapshot"
CAMPAIGN_INDEX_PREFIX = "campaign."
ENTRY_PREFIX = "entry."
AUDIT_PREFIX = "audit."
ITERATION_PREFIX = "iteration."
RUN_ENTRY_PREFIX = "runs."
REVISION_PREFIX = "revision."
_POSITION_DIGITS = 10
TENANT_PARTITION_PREFIX = "tenant:"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DESCENDING_TIME_BASE = 10**17 - 1
"""Microseconds since the epoch fit 17 digits until the year 5138."""


class DocType(StrEnum):
    """The ``docType`` of each kind of view document (a top-level, queryable field)."""

    SNAPSHOT = "campaignSnapshot"
    VERSION_ENTRY = "versionEntry"
    VERSION = "version"
    AUDIT_REPORT = "auditReport"
    ITERATION = "iteration"
    RUN = "run"
    RUN_ENTRY = "runEntry"
    CAMPAIGN_INDEX = "campaignIndex"
    REVISION = "revision"
    STATS_CONTRIBUTION = "statsContribution"
    STATS_PARTIAL = "statsPartial"


def position(number: int) -> str:
    """A list position as a fixed-width string, so that ids sort in list order."""
    return f"{number:0{_POSITION_DIGITS}d}"


def entry_prefix(artifact_id: str) -> str:
    return f"{ENTRY_PREFIX}{artifact_id}."


def entry_id(artifact_id: str, version_number: int) -> str:
    """A version's entry in its artifact's history: sorts by version number."""
    return f"{entry_prefix(artifact_id)}{position(version_number)}"


def version_id(version_id: str) -> str:
    return f"version.{version_id}"


def audit_id(recorded_at_version: int) -> str:
    """An audit report, by the stream version that recorded it: sorts in recorded order."""
    return f"{AUDIT_PREFIX}{position(recorded_at_version)}"


def iteration_id(logged_at_version: int) -> str:
    return f"{ITERATION_PREFIX}{position(logged_at_version)}"


def run_id(run_id: str) -> str:
    return f"run.{run_id}"


def run_entry_id(queued_at_version: int) -> str:
    """A run's entry in the campaign's run list: sorts in the order runs were queued."""
    return f"{RUN_ENTRY_PREFIX}{position(queued_at_version)}"


def revision_id(requested_at_version: int) -> str:
    """A revision, by the stream version that requested it: sorts in the order requested."""
    return f"{REVISION_PREFIX}{position(requested_at_version)}"


def tenant_partition(tenant_id: str) -> str:
    """The partition of a tenant's campaign index (never a UUID, so never a campaign's)."""
    return f"{TENANT_PARTITION_PREFIX}{tenant_id}"


def descending_time_key(timestamp: str) -> str:
    """A fixed-width string that sorts ascending as ``timestamp`` sorts descending."""
    moment = datetime.fromisoformat(timestamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    return f"{_DESCENDING_TIME_BASE - max(micros, 0):017d}"


def campaign_index_id(created_at: str, campaign_id: str) -> str:
    """The index document's id: sorting ids ascending lists campaigns newest first, then by id.

    The list is therefore one range query on ``id`` and its continuation is the last id seen.
    """
    return f"{CAMPAIGN_INDEX_PREFIX}{descending_time_key(created_at)}.{campaign_id}"


def new_document(
    doc_id: str,
    doc_type: DocType,
    event: RecordedEvent,
    body: dict[str, Any],
    *,
    partition_key: str | None = None,
) -> Document:
    """A fresh view document in the common envelope, created by ``event``."""
    return {
        "id": doc_id,
        "partitionKey": partition_key if partition_key is not None else event.campaign_id,
        "docType": doc_type.value,
        "campaignId": event.campaign_id,
        "tenantId": event.tenant_id,
        "appliedVersion": event.version,
        "body": body,
    }


def evolve(document: Document, event: RecordedEvent) -> Document:
    """A copy of ``document`` to change for ``event``; the input is never mutated.

    Copy-on-write: the envelope, ``body`` and ``state`` are new dicts, anything nested deeper
    is shared with ``document``. A projector that changes a nested list or dict first takes
    its own copy of it with ``own_dict`` / ``own_list`` (from the owned parent down), so the
    cost of an event is the size of what it changes, not of the document. (A deep copy of
    every touched document per event made projection quadratic in a campaign's length: the
    snapshot of a 100-version campaign was copied whole for each of its events.)
    """
    changed = dict(document)
    for part in ("body", "state"):
        if isinstance(changed.get(part), dict):
            changed[part] = dict(changed[part])
    changed["appliedVersion"] = event.version
    return changed


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars): what ``copy.deepcopy`` does for
    event data, several times faster (no memo, no dispatch on arbitrary types)."""
    kind = type(value)
    if kind is dict:
        return {
            key: json_copy(item) if type(item) in _CONTAINERS else item
            for key, item in value.items()
        }
    if kind is list:
        return [json_copy(item) if type(item) in _CONTAINERS else item for item in value]
    return value


_CONTAINERS = frozenset({dict, list})
"""The JSON values ``json_copy`` copies; scalars are kept without a call (most items are)."""


def own_dict(parent: dict[str, Any] | list[Any], key: Any) -> dict[str, Any]:
    """``parent[key]`` replaced by a shallow copy, which the caller may change (``parent`` must
    already be the caller's own)."""
    owned = dict(parent[key])
    parent[key] = owned
    return owned


def own_list(parent: dict[str, Any] | list[Any], key: Any) -> list[Any]:
    """``parent[key]`` replaced by a shallow copy, which the caller may change."""
    owned = list(parent[key])
    parent[key] = owned
    return owned


def require(document: Document | None, event: RecordedEvent, what: str) -> Document:
    """The document an event updates; an update of a missing one cannot be projected."""
    if document is None:
        raise LedgerError(
            f"{event.type} v{event.version} of campaign {event.campaign_id} updates {what}, "
            "which the view does not have",
            code="projection-failed",
        )
    return document


def refuse(event: RecordedEvent, reason: str) -> LedgerError:
    """The error a projector raises for an event it cannot apply (the runner dead-letters it)."""
    return LedgerError(
        f"{event.type} v{event.version} of campaign {event.campaign_id}: {reason}",
        code="projection-failed",
    )


def audit_report_body(event: RecordedEvent) -> dict[str, Any]:
    """API.md's ``AuditReport`` from an ``AuditRecorded`` event."""
    data = event.data
    return {
        "id": data["auditReportId"],
        "versionId": data["versionId"],
        "overallStatus": data["overallStatus"],
        "categoryScores": json_copy(data.get("categoryScores") or {}),
        "flaggedItems": json_copy(data.get("flaggedItems") or []),
        "recommendations": json_copy(data.get("recommendations") or []),
        "createdAt": event.timestamp,
    }
