"""The campaign snapshot projector: everything GET /api/campaigns/{cid} answers, from events."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import LedgerError
from domain.recorded import RecordedEvent
from projections.campaign_views import CampaignViews, load_nothing
from projections.projectors import snapshot_key
from projections.projectors.snapshot import INLINE_CONTENT_BUDGET, project_snapshot
from tests.unit.projections.campaign_events import BRIEF, CampaignStream


class NoLookup:
    def version(self, version_id: str) -> dict[str, Any] | None:
        return None

    def run(self, run_id: str) -> dict[str, Any] | None:
        return None


def snapshot_after(stream: CampaignStream) -> dict[str, Any]:
    views = CampaignViews(stream.campaign_id, load_nothing)
    for event in stream.events:
        assert views.apply(event) is None
    snapshot = views.document(snapshot_key(stream.campaign_id))
    assert snapshot is not None
    return snapshot


def test_a_created_campaign_is_a_draft_with_its_brief_and_the_event_time() -> None:
    stream = CampaignStream("Tea", tenant_id="acme")
    body = snapshot_after(stream)["body"]
    assert body == {
        "id": stream.campaign_id,
        "tenantId": "acme",
        "name": "Tea",
        "brief": BRIEF,
        "status": "Draft",
        "createdAt": stream.events[0].timestamp,
        "updatedAt": stream.events[0].timestamp,
        "isDeleted": False,
        "version": 1,
        "activeVersions": {},
        "auditReports": {},
        "artifacts": [],
        "runs": [],
        "runCount": 0,
        "revisions": {"count": 0, "consecutiveAuditRetries": 0, "latest": None},
    }


def test_every_event_moves_updated_at_and_the_version() -> None:
    stream = CampaignStream()
    stream.status("Generating")
    stream.artifact("Copy")
    snapshot = snapshot_after(stream)
    assert snapshot["appliedVersion"] == 3
    assert snapshot["body"]["version"] == 3
    assert snapshot["body"]["updatedAt"] == stream.events[-1].timestamp
    assert snapshot["body"]["status"] == "Generating"


def test_an_update_with_null_fields_changes_only_what_it_names() -> None:
    stream = CampaignStream("Old")
    new_brief = {**BRIEF, "objective": "Sell even more tea"}
    stream.emit("CampaignUpdated", name=None, brief=new_brief)
    body = snapshot_after(stream)["body"]
    assert body["name"] == "Old"
    assert body["brief"] == new_brief


def test_artifacts_count_their_versions_and_point_at_the_latest() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    stream.version(copy)
    latest = stream.version(copy)
    [artifact] = snapshot_after(stream)["body"]["artifacts"]
    assert artifact == {"id": copy, "type": "Copy", "versionCount": 2, "latestVersionId": latest}


def test_the_active_version_carries_its_content_status_and_latest_audit() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    version = stream.version(copy, "Hello tea")
    stream.audit(version, "Fail")
    latest = stream.audit(version, "Pass")
    stream.activate(version)
    stream.approve(version)
    body = snapshot_after(stream)["body"]
    assert body["activeVersions"]["Copy"] == {
        "id": version,
        "artifactId": copy,
        "versionNumber": 1,
        "status": "Approved",
        "content": "Hello tea",
        "createdAt": stream.events[2].timestamp,
        "auditReportId": latest,
    }
    assert body["auditReports"][version]["id"] == latest
    assert body["auditReports"][version]["overallStatus"] == "Pass"


def test_an_audit_of_the_active_version_replaces_its_report() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    version = stream.version(copy)
    stream.activate(version)
    assert snapshot_after(stream)["body"]["auditReports"] == {}
    report = stream.audit(version, "Conditional")
    body = snapshot_after(stream)["body"]
    assert body["auditReports"][version]["id"] == report
    assert body["activeVersions"]["Copy"]["status"] == "Audited"


def test_switching_the_active_version_drops_the_old_one_and_its_report() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    old = stream.version(copy, "old")
    stream.audit(old)
    stream.activate(old)
    new = stream.version(copy, "new")
    stream.activate(new)
    body = snapshot_after(stream)["body"]
    assert body["activeVersions"]["Copy"]["id"] == new
    assert body["activeVersions"]["Copy"]["content"] == "new"
    assert body["auditReports"] == {}


def test_content_over_the_inline_budget_is_spilled_to_the_version_document() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    short = stream.artifact("ShortCopy")
    big = stream.version(copy, "x" * (INLINE_CONTENT_BUDGET - 10))
    small = stream.version(short, "y" * 100)
    stream.activate(big)
    stream.activate(small)
    snapshot = snapshot_after(stream)
    assert snapshot["body"]["activeVersions"]["Copy"]["content"] is not None
    assert snapshot["body"]["activeVersions"]["ShortCopy"]["content"] is None
    assert snapshot["state"]["spilledContent"] == [small]


def test_runs_are_summarised_with_their_times() -> None:
    stream = CampaignStream()
    done = stream.queue_run()
    stream.emit("RunStarted", runId=done)
    stream.emit("RunCompleted", runId=done, artifactVersionIds=[])
    failed = stream.queue_run()
    stream.emit("RunStarted", runId=failed)
    stream.emit("RunFailed", runId=failed, errorMessage="boom")
    cancelled = stream.queue_run()
    stream.emit("RunCancelled", runId=cancelled)
    runs = snapshot_after(stream)["body"]["runs"]
    assert [(run["id"], run["status"]) for run in runs] == [
        (done, "Completed"),
        (failed, "Failed"),
        (cancelled, "Cancelled"),
    ]
    assert runs[0]["startedAt"] == stream.events[2].timestamp
    assert runs[0]["completedAt"] == stream.events[3].timestamp
    assert runs[2]["startedAt"] is None


def test_deletion_and_restore_flip_both_the_body_and_the_envelope() -> None:
    stream = CampaignStream()
    stream.emit("CampaignDeleted", restoreUntil="2026-04-01T00:00:00+00:00")
    deleted = snapshot_after(stream)
    assert deleted["campaignDeleted"] is True
    assert deleted["body"]["isDeleted"] is True
    stream.emit("CampaignRestored")
    restored = snapshot_after(stream)
    assert restored["campaignDeleted"] is False
    assert restored["body"]["isDeleted"] is False


def test_the_projector_never_changes_the_document_it_is_given() -> None:
    stream = CampaignStream()
    created = project_snapshot(None, stream.events[0], NoLookup())
    before = repr(created)
    stream.status("Generating")
    project_snapshot(created, stream.events[1], NoLookup())
    assert repr(created) == before


def test_an_event_for_a_missing_snapshot_or_unknown_version_is_refused() -> None:
    stream = CampaignStream()
    with pytest.raises(LedgerError):
        project_snapshot(
            None, RecordedEvent(stream.campaign_id, 2, "StatusChanged", {}), NoLookup()
        )
    created = project_snapshot(None, stream.events[0], NoLookup())
    unknown = RecordedEvent(
        stream.campaign_id, 2, "ActiveVersionSet", {"versionId": "nope", "artifactType": "Copy"}
    )
    with pytest.raises(LedgerError):
        project_snapshot(created, unknown, NoLookup())
    views = CampaignViews(stream.campaign_id, load_nothing)
    assert views.apply(stream.events[0]) is None
    approved = RecordedEvent(
        stream.campaign_id, 2, "VersionApproved", {"versionId": "nope", "artifactId": "nope"}
    )
    failure = views.apply(approved)
    assert failure is not None
    assert isinstance(failure.error, LedgerError)


def test_the_snapshot_keeps_each_artifacts_creation_time_in_its_state() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    short = stream.artifact("ShortCopy")
    state = snapshot_after(stream)["state"]
    assert state["artifactsCreatedAt"] == {
        copy: stream.events[1].timestamp,
        short: stream.events[2].timestamp,
    }


def test_a_snapshot_written_before_creation_times_were_kept_takes_new_artifacts() -> None:
    stream = CampaignStream()
    older = project_snapshot(None, stream.events[0], NoLookup())
    del older["state"]["artifactsCreatedAt"]
    copy = stream.artifact("Copy")
    snapshot = project_snapshot(older, stream.events[-1], NoLookup())
    assert snapshot["state"]["artifactsCreatedAt"] == {copy: stream.events[-1].timestamp}
    assert "artifactsCreatedAt" not in older["state"]
