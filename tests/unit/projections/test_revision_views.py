"""The read side of revisions: one document per revision, the snapshot's bounded ``revisions``
block (the aggregate's counting rule), ``revisionId`` on iterations, the run's trigger time, and
what the notifications carry."""

from __future__ import annotations

from typing import Any

from projections.campaign_views import CampaignViews, load_nothing
from projections.notifications import notification_of
from projections.projectors import ViewKey
from projections.projectors.contributions import contribution_id
from projections.projectors.documents import iteration_id, revision_id, run_id, tenant_partition
from tests.unit.projections.campaign_events import CampaignStream


def documents_after(stream: CampaignStream) -> dict[str, dict[str, Any]]:
    views = CampaignViews(stream.campaign_id, load_nothing)
    for event in stream.events:
        assert views.apply(event) is None, event.type
    return {key.id: document for key, document in views.documents().items()}


def generated() -> tuple[CampaignStream, str]:
    stream = CampaignStream("Tea", tenant_id="acme")
    copy = stream.artifact("Copy")
    stream.status("Generating")
    stream.version(copy)
    stream.status("Generated")
    return stream, copy


def test_each_revision_is_a_document_listed_in_the_order_requested() -> None:
    stream, copy = generated()
    first = stream.revision("user-feedback", text="Warmer", artifact_ids=[copy])
    stream.status("Generated")
    second = stream.revision("audit-failed", text="Fix the claims")

    documents = documents_after(stream)

    requested = [event for event in stream.events if event.type == "RevisionRequested"]
    bodies = [documents[revision_id(event.version)] for event in requested]
    assert [document["body"] for document in bodies] == [
        {
            "id": first,
            "revisionNumber": 1,
            "reason": "user-feedback",
            "feedbackText": "Warmer",
            "specificChanges": ["shorter intro"],
            "artifactIds": [copy],
            "requestedAt": requested[0].timestamp,
        },
        {
            "id": second,
            "revisionNumber": 2,
            "reason": "audit-failed",
            "feedbackText": "Fix the claims",
            "specificChanges": ["shorter intro"],
            "artifactIds": [],
            "requestedAt": requested[1].timestamp,
        },
    ]
    assert [document["docType"] for document in bodies] == ["revision", "revision"]
    assert revision_id(requested[0].version) < revision_id(requested[1].version)


def test_the_snapshot_counts_revisions_and_shows_the_latest() -> None:
    stream, _ = generated()
    stream.revision("audit-failed")
    stream.status("Generated")
    latest = stream.revision("audit-failed", text="Again")

    block = documents_after(stream)["snapshot"]["body"]["revisions"]

    assert (block["count"], block["consecutiveAuditRetries"]) == (2, 2)
    assert block["latest"]["id"] == latest
    assert block["latest"]["feedbackText"] == "Again"


def test_the_snapshot_resets_the_retry_count_on_user_feedback_and_on_completion() -> None:
    stream, _ = generated()
    stream.revision("audit-failed")
    stream.status("Generated")
    stream.revision("user-feedback")
    after_feedback = documents_after(stream)["snapshot"]["body"]["revisions"]
    stream.status("Generated")
    stream.revision("audit-failed")
    stream.status("Generated")
    stream.status("Auditing")
    stream.status("Completed")

    after_completion = documents_after(stream)["snapshot"]["body"]["revisions"]

    assert (after_feedback["count"], after_feedback["consecutiveAuditRetries"]) == (2, 0)
    assert (after_completion["count"], after_completion["consecutiveAuditRetries"]) == (3, 0)


def test_a_snapshot_projected_before_revisions_existed_gains_the_block_with_the_first() -> None:
    stream, _ = generated()
    views = CampaignViews(stream.campaign_id, load_nothing)
    for event in stream.events:
        views.apply(event)
    snapshot = views.snapshot
    assert snapshot is not None
    del snapshot["body"]["revisions"]  # as an older projector left it
    stream.revision("audit-failed")

    for event in stream.events[-2:]:
        assert views.apply(event) is None

    assert views.snapshot is not None
    assert views.snapshot["body"]["revisions"]["count"] == 1


def test_an_iteration_names_its_revision() -> None:
    stream, copy = generated()
    old = stream.events[3].data["versionId"]
    revision = stream.revision("user-feedback")
    new = stream.version(copy)
    stream.feedback(old, new, revision_id=revision)

    documents = documents_after(stream)

    assert documents[iteration_id(stream.events[-1].version)]["body"]["revisionId"] == revision


def test_a_runs_trigger_carries_the_client_time_or_the_time_it_was_queued() -> None:
    stream = CampaignStream()
    given = stream.queue_run()
    stream.events[-1].data["trigger"]["timestamp"] = "2026-02-01T08:00:00+00:00"
    defaulted = stream.queue_run()

    documents = documents_after(stream)

    assert documents[run_id(given)]["body"]["context"]["trigger"] == {
        "type": "manual",
        "initiatedBy": "ops",
        "timestamp": "2026-02-01T08:00:00+00:00",
    }
    trigger = documents[run_id(defaulted)]["body"]["context"]["trigger"]
    assert trigger["timestamp"] == stream.events[-1].timestamp


def test_a_revision_announces_its_id_number_and_reason() -> None:
    stream, _ = generated()
    revision = stream.revision("audit-failed")

    status, requested = (notification_of(event) for event in stream.events[-2:])

    assert status is None  # the move back to Generating is not a start
    assert requested is not None
    assert (requested.type, requested.version) == ("RevisionRequested", len(stream.events))
    assert dict(requested.payload) == {
        "revisionId": revision,
        "revisionNumber": 1,
        "reason": "audit-failed",
    }


def test_the_contribution_counts_what_the_statistics_need() -> None:
    stream, copy = generated()
    version = stream.events[3].data["versionId"]
    stream.audit(version, "Fail")
    stream.audit(version, "Pass")
    stream.revision("audit-failed")
    newer = stream.version(copy)
    stream.feedback(version, newer)
    stream.revision("user-feedback")

    documents = documents_after(stream)

    contribution = documents[contribution_id(stream.campaign_id)]
    assert contribution["partitionKey"] == tenant_partition("acme")
    assert contribution["appliedVersion"] == len(stream.events)
    assert contribution["body"] == {
        "status": "Generating",
        "deleted": False,
        "versions": 2,
        "auditReports": 2,
        "audits": {"Pass": 1, "Conditional": 0, "Fail": 1},
        "orphanAuditReports": 0,
        "iterations": 1,
        "revisions": {"total": 2, "auditFailed": 1, "userFeedback": 1},
    }


def test_events_that_change_no_figure_leave_the_contribution_alone() -> None:
    stream, _ = generated()
    views = CampaignViews(stream.campaign_id, load_nothing)
    for event in stream.events:
        views.apply(event)
    key = ViewKey(tenant_partition("acme"), contribution_id(stream.campaign_id))
    before = views.document(key)
    stream.emit("CampaignUpdated", name="Tea 2", brief=None)
    stream.queue_run()

    for event in stream.events[-2:]:
        assert views.apply(event) is None

    assert views.document(key) is before
