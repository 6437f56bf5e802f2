"""Deriving notifications from recorded events: a pure function of one event."""

from __future__ import annotations

import pytest

from domain.recorded import RecordedEvent
from projections.notifications import Notification, notification_of, notifications_of
from tests.unit.projections.campaign_events import CampaignStream, scripted_scenario


def last_event(stream: CampaignStream) -> RecordedEvent:
    return stream.events[-1]


def test_the_first_move_from_draft_to_generating_announces_that_the_campaign_started() -> None:
    stream = CampaignStream()
    stream.status("Generating")
    notification = notification_of(last_event(stream))
    assert notification == Notification(
        type="CampaignStarted",
        campaign_id=stream.campaign_id,
        version=2,
        occurred_at=last_event(stream).timestamp,
        payload={"fromStatus": "Draft", "status": "Generating"},
    )


@pytest.mark.parametrize("back_from", ["Generated", "Auditing", "Completed"])
def test_a_revision_back_to_generating_is_not_a_start(back_from: str) -> None:
    stream = CampaignStream()
    stream.status("Generating")
    stream.status(back_from)
    stream.status("Generating")
    assert notification_of(last_event(stream)) is None


def test_every_move_to_completed_announces_completion_with_the_status_it_came_from() -> None:
    stream = CampaignStream()
    for status in ("Generating", "Generated", "Auditing", "Completed", "Generating", "Completed"):
        stream.status(status)
    completions = [n for n in notifications_of(stream.events) if n.type == "CampaignCompleted"]
    assert [(n.version, n.payload["fromStatus"]) for n in completions] == [
        (5, "Auditing"),
        (7, "Generating"),
    ]


def test_a_new_version_announces_the_artifact_generated_with_its_type_and_number() -> None:
    stream = CampaignStream()
    copy = stream.artifact("ShortCopy")
    stream.version(copy)
    version_id = stream.version(copy, run_id="run-7")
    notification = notification_of(last_event(stream))
    assert notification is not None
    assert notification.to_json() == {
        "type": "ArtifactGenerated",
        "campaignId": stream.campaign_id,
        "version": 4,
        "occurredAt": last_event(stream).timestamp,
        "correlationId": None,
        "artifactId": copy,
        "artifactType": "ShortCopy",
        "versionId": version_id,
        "versionNumber": 2,
        "runId": "run-7",
    }


@pytest.mark.parametrize(
    ("overall", "version_status"), [("Pass", "Audited"), ("Fail", "Generated")]
)
def test_an_audit_announces_a_completed_compliance_check_with_its_overall_status(
    overall: str, version_status: str
) -> None:
    stream = CampaignStream()
    version_id = stream.version(stream.artifact())
    report_id = stream.audit(version_id, overall)
    notification = notification_of(last_event(stream))
    assert notification is not None
    assert notification.type == "ComplianceCheckCompleted"
    assert dict(notification.payload) == {
        "auditReportId": report_id,
        "artifactId": stream.events[1].data["artifactId"],
        "versionId": version_id,
        "overallStatus": overall,
        "versionStatus": version_status,
        "categoryScores": last_event(stream).data["categoryScores"],
    }


def test_a_failed_run_announces_a_generation_failure_with_its_error() -> None:
    stream = CampaignStream()
    run_id = stream.queue_run()
    stream.emit("RunStarted", runId=run_id)
    stream.emit("RunFailed", runId=run_id, errorMessage="model timed out")
    notification = notification_of(last_event(stream))
    assert notification is not None
    assert (notification.type, notification.version) == ("GenerationFailed", 4)
    assert dict(notification.payload) == {"runId": run_id, "errorMessage": "model timed out"}


def test_the_correlation_id_of_the_command_travels_with_its_notification() -> None:
    stream = CampaignStream()
    event = stream.emit("StatusChanged", fromStatus="Draft", toStatus="Generating")
    correlated = RecordedEvent(
        campaign_id=event.campaign_id,
        version=event.version,
        type=event.type,
        data=event.data,
        metadata={**event.metadata, "correlationId": "orchestrator-42"},
        timestamp=event.timestamp,
    )
    notification = notification_of(correlated)
    assert notification is not None
    assert notification.to_json()["correlationId"] == "orchestrator-42"


def test_the_scripted_scenario_announces_exactly_these_in_stream_order() -> None:
    launch, paused, gone = scripted_scenario()
    assert [(n.type, n.version) for n in notifications_of(launch.events)] == [
        ("CampaignStarted", 3),
        ("ArtifactGenerated", 6),
        ("ComplianceCheckCompleted", 7),
        ("ArtifactGenerated", 8),
        ("ComplianceCheckCompleted", 10),
        ("ArtifactGenerated", 14),
        ("ComplianceCheckCompleted", 16),
        ("GenerationFailed", 25),
        ("RevisionRequested", 29),
        ("ArtifactGenerated", 30),
    ]
    assert [n.type for n in notifications_of(paused.events)] == ["ArtifactGenerated"]
    assert notifications_of(gone.events) == []


def test_the_same_event_always_gives_the_same_notification() -> None:
    launch, _, _ = scripted_scenario()
    assert notifications_of(launch.events) == notifications_of(scripted_scenario()[0].events)
