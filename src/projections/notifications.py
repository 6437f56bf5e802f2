"""Notifications: what the dashboard hears about as it happens, derived from the event log.

A notification is a pure function of one recorded event (``notification_of``), so the live path
(the change-feed runner, after it has written the campaign's views) and the replay path (the
stream route reading the log after a client's ``Last-Event-ID``) produce the same items.
Each carries the campaign id and the stream ``version`` of its event: a client that reads the
snapshot with ``?minVersion=<version>`` sees at least that state, and a client that reconnects
resumes after the last version it saw. The catalog is in ``docs/notifications.md``.

| event | notification |
|---|---|
| ``StatusChanged`` Draft -> Generating | ``CampaignStarted`` (the first generation only) |
| ``VersionCreated`` | ``ArtifactGenerated`` |
| ``AuditRecorded`` | ``ComplianceCheckCompleted`` |
| ``StatusChanged`` to Completed | ``CampaignCompleted`` (again after each revision) |
| ``RunFailed`` | ``GenerationFailed`` |
| ``RevisionRequested`` | ``RevisionRequested`` |

Every other event (the status change of a revision back to Generating, approvals, runs that
start or complete...) announces nothing: the dashboard reads it from the snapshot. Each payload
carries what a dashboard needs to redraw without a follow-up read (never version content).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.recorded import RecordedEvent

CAMPAIGN_STARTED = "CampaignStarted"
ARTIFACT_GENERATED = "ArtifactGenerated"
COMPLIANCE_CHECK_COMPLETED = "ComplianceCheckCompleted"
CAMPAIGN_COMPLETED = "CampaignCompleted"
GENERATION_FAILED = "GenerationFailed"
REVISION_REQUESTED = "RevisionRequested"


@dataclass(frozen=True)
class Notification:
    """One notification: its ``type``, the campaign, the stream version of the event it
    reflects, the event's time and correlation id, and a small type-specific payload."""

    type: str
    campaign_id: str
    version: int
    occurred_at: str
    correlation_id: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The wire form (camelCase): the SSE ``data:`` line and the SignalR argument."""
        return {
            "type": self.type,
            "campaignId": self.campaign_id,
            "version": self.version,
            "occurredAt": self.occurred_at,
            "correlationId": self.correlation_id,
            **self.payload,
        }


class NotificationPublisher(Protocol):
    """Where the runner hands a campaign's notifications once its views are written.

    ``publish`` is called on the projection's thread and must not block it: queue, never wait.
    """

    def publish(self, campaign_id: str, notifications: Sequence[Notification]) -> None: ...


def notification_of(event: RecordedEvent) -> Notification | None:
    """The notification ``event`` announces, or None (most events announce nothing)."""
    derive = _DERIVATIONS.get(event.type)
    if derive is None:
        return None
    found = derive(event.data)
    if found is None:
        return None
    notification_type, payload = found
    correlation = event.metadata.get("correlationId")
    return Notification(
        type=notification_type,
        campaign_id=event.campaign_id,
        version=event.version,
        occurred_at=event.timestamp,
        correlation_id=None if correlation is None else str(correlation),
        payload=payload,
    )


def notifications_of(events: Sequence[RecordedEvent]) -> list[Notification]:
    """The notifications of ``events``, in their order."""
    return [found for event in events if (found := notification_of(event)) is not None]


Derived = tuple[str, dict[str, Any]] | None


def _status_changed(data: Mapping[str, Any]) -> Derived:
    source, target = data.get("fromStatus"), data.get("toStatus")
    if target == "Generating" and source == "Draft":
        return CAMPAIGN_STARTED, {"fromStatus": source, "status": target}
    if target == "Completed":
        return CAMPAIGN_COMPLETED, {"fromStatus": source, "status": target}
    return None


def _version_created(data: Mapping[str, Any]) -> Derived:
    return ARTIFACT_GENERATED, {
        "artifactId": data.get("artifactId"),
        "artifactType": data.get("artifactType"),
        "versionId": data.get("versionId"),
        "versionNumber": data.get("versionNumber"),
        "runId": data.get("runId"),
    }


def _audit_recorded(data: Mapping[str, Any]) -> Derived:
    return COMPLIANCE_CHECK_COMPLETED, {
        "auditReportId": data.get("auditReportId"),
        "artifactId": data.get("artifactId"),
        "versionId": data.get("versionId"),
        "overallStatus": data.get("overallStatus"),
        "versionStatus": data.get("versionStatus"),
        "categoryScores": data.get("categoryScores"),
    }


def _revision_requested(data: Mapping[str, Any]) -> Derived:
    return REVISION_REQUESTED, {
        "revisionId": data.get("revisionId"),
        "revisionNumber": data.get("revisionNumber"),
        "reason": data.get("reason"),
    }


def _run_failed(data: Mapping[str, Any]) -> Derived:
    return GENERATION_FAILED, {"runId": data.get("runId"), "errorMessage": data.get("errorMessage")}


_DERIVATIONS: Mapping[str, Callable[[Mapping[str, Any]], Derived]] = {
    "StatusChanged": _status_changed,
    "VersionCreated": _version_created,
    "AuditRecorded": _audit_recorded,
    "RunFailed": _run_failed,
    "RevisionRequested": _revision_requested,
}
