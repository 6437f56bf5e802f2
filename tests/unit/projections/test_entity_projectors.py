"""Projectors of the entity documents, the list item documents (history entries, audit
reports, iterations, run entries) and the campaign list entry, on hand-built events; and the
routing that decides which documents an event touches."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import LedgerError
from domain.recorded import RecordedEvent
from projections.campaign_views import CampaignViews, load_nothing
from projections.projectors import ViewKey, project, views_touched
from projections.projectors.campaign_index import project_campaign_index
from projections.projectors.contributions import contribution_id
from projections.projectors.documents import (
    audit_id,
    campaign_index_id,
    descending_time_key,
    entry_id,
    iteration_id,
    run_entry_id,
    run_id,
    tenant_partition,
    version_id,
)
from projections.projectors.runs import project_run
from projections.projectors.versions import (
    project_audit_report,
    project_version,
    project_version_entry,
)
from tests.unit.projections.campaign_events import HASH, CampaignStream


class NoLookup:
    """The lookup of projectors that consult no other document."""

    def version(self, version_id: str) -> dict[str, Any] | None:
        raise AssertionError(f"unexpected lookup of version {version_id}")

    def run(self, run_id: str) -> dict[str, Any] | None:
        raise AssertionError(f"unexpected lookup of run {run_id}")


def fold(projector: Any, events: list[RecordedEvent]) -> dict[str, Any]:
    document = None
    for event in events:
        document = projector(document, event, NoLookup())
    assert document is not None
    return document


def documents_after(stream: CampaignStream) -> dict[str, dict[str, Any]]:
    views = CampaignViews(stream.campaign_id, load_nothing)
    for event in stream.events:
        assert views.apply(event) is None
    return {key.id: document for key, document in views.documents().items()}


def test_a_version_document_has_its_content_status_and_audit_ids() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    version = stream.version(copy, "Hello", run_id=None)
    first = stream.audit(version, "Fail")
    second = stream.audit(version, "Pass")
    stream.approve(version)
    relevant = [e for e in stream.events if e.data.get("versionId") == version]
    document = fold(project_version, relevant)
    assert document["body"] == {
        "id": version,
        "artifactId": copy,
        "artifactType": "Copy",
        "versionNumber": 1,
        "content": "Hello",
        "status": "Approved",
        "createdAt": stream.events[2].timestamp,
        "runId": None,
        "auditReportIds": [first, second],
    }
    assert document["appliedVersion"] == stream.events[-1].version


def test_a_failed_audit_leaves_the_version_generated() -> None:
    stream = CampaignStream()
    version = stream.version(stream.artifact("Copy"))
    stream.audit(version, "Fail")
    relevant = [e for e in stream.events if e.data.get("versionId") == version]
    assert fold(project_version, relevant)["body"]["status"] == "Generated"


def test_each_audit_report_is_a_document_of_its_own_in_recorded_order() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    version = stream.version(copy)
    first = stream.audit(version, "Fail")
    second = stream.audit(version, "Conditional")
    documents = documents_after(stream)
    reports = [documents[audit_id(4)], documents[audit_id(5)]]
    assert [report["body"]["id"] for report in reports] == [first, second]
    assert sorted([audit_id(10), audit_id(9)]) == [audit_id(9), audit_id(10)]
    assert reports[0]["body"] == {
        "id": first,
        "versionId": version,
        "overallStatus": "Fail",
        "categoryScores": {"tone": {"score": 40}},
        "flaggedItems": [{"category": "tone", "severity": "High", "description": "too loud"}],
        "recommendations": [{"category": "tone", "text": "softer", "priority": 1}],
        "createdAt": stream.events[3].timestamp,
        "artifactId": copy,
        "versionNumber": 1,
    }
    assert (reports[1]["versionId"], reports[1]["artifactId"], reports[1]["overallStatus"]) == (
        version,
        copy,
        "Conditional",
    )
    assert documents[version_id(version)]["state"]["latestAuditReport"]["id"] == second


def test_the_version_history_tracks_status_and_latest_audit_of_each_version() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    first = stream.version(copy)
    report = stream.audit(first, "Pass")
    second = stream.version(copy)
    stream.archive(first)
    documents = documents_after(stream)
    entries = [documents[entry_id(copy, 1)], documents[entry_id(copy, 2)]]
    assert {entry["artifactId"] for entry in entries} == {copy}
    assert [entry["body"] for entry in entries] == [
        {
            "id": first,
            "versionNumber": 1,
            "createdAt": stream.events[2].timestamp,
            "status": "Archived",
            "auditStatus": "Pass",
            "auditReportId": report,
        },
        {
            "id": second,
            "versionNumber": 2,
            "createdAt": stream.events[4].timestamp,
            "status": "Generated",
            "auditStatus": None,
            "auditReportId": None,
        },
    ]


def test_each_iteration_is_a_document_of_its_own() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    old, new = stream.version(copy), stream.version(copy)
    iteration = stream.feedback(old, new, "Warmer please")
    logged = documents_after(stream)[iteration_id(stream.events[-1].version)]
    assert logged["artifactId"] == copy
    assert [logged["body"]] == [
        {
            "id": iteration,
            "artifactId": copy,
            "oldVersionId": old,
            "newVersionId": new,
            "feedbackText": "Warmer please",
            "feedbackTags": ["tone"],
            "revisionId": None,
            "createdAt": stream.events[-1].timestamp,
        }
    ]


def test_a_run_document_holds_its_context_exactly_as_the_api_answers() -> None:
    stream = CampaignStream()
    run = stream.queue_run()
    stream.emit("RunStarted", runId=run)
    produced = stream.step(run, "plan")
    stream.quality_check(run, produced, "warning")
    stream.emit("RunFailed", runId=run, errorMessage="timeout")
    relevant = [e for e in stream.events if e.data.get("runId") == run]
    assert fold(project_run, relevant)["body"] == {
        "id": run,
        "status": "Failed",
        "executionMode": "Sequential",
        "startedAt": stream.events[2].timestamp,
        "completedAt": stream.events[5].timestamp,
        "artifactVersionIds": [],
        "errorMessage": "timeout",
        "context": {
            "campaignId": stream.campaign_id,
            "runId": run,
            "workflowName": "launch",
            "trigger": {
                "type": "manual",
                "initiatedBy": "ops",
                "timestamp": stream.events[1].timestamp,
            },
            "refs": {"planArtifactId": produced},
            "artifacts": {
                produced: {
                    "type": "plan",
                    "uri": "blob://plan.json",
                    "hash": HASH,
                    "metadata": None,
                    "createdAt": stream.events[3].timestamp,
                    "stepId": "plan",
                }
            },
            "computed": {
                "inputHashesByStep": {"plan": HASH},
                "qualityChecks": [
                    {
                        "artifactId": produced,
                        "checkType": "schema",
                        "status": "warning",
                        "message": None,
                        "details": {"checked": 3},
                        "timestamp": stream.events[4].timestamp,
                    }
                ],
            },
        },
    }


def test_a_run_queued_from_a_base_starts_from_the_copied_context() -> None:
    stream = CampaignStream()
    base = {
        "refs": {"planArtifactId": "p"},
        "artifacts": {
            "p": {
                "type": "plan",
                "uri": "u",
                "hash": HASH,
                "metadata": {"a": 1},
                "createdAt": "2026-01-01T00:00:00+00:00",
                "stepId": "plan",
            }
        },
        "inputHashesByStep": {"plan": HASH},
    }
    run = stream.queue_run(base=base)
    completed = stream.emit("RunCompleted", runId=run, artifactVersionIds=["v1"])
    body = fold(project_run, [e for e in stream.events if e.data.get("runId") == run])["body"]
    assert body["context"]["refs"] == base["refs"]
    assert body["context"]["artifacts"] == base["artifacts"]
    assert body["context"]["computed"]["inputHashesByStep"] == {"plan": HASH}
    assert body["artifactVersionIds"] == ["v1"]
    assert body["completedAt"] == completed.timestamp


def test_the_list_entry_lives_in_the_tenant_partition_and_follows_name_status_and_deletion() -> (
    None
):
    stream = CampaignStream("Tea", tenant_id="acme")
    stream.emit("CampaignUpdated", name="Green tea", brief=None)
    stream.status("Generating")
    stream.artifact("Copy")
    stream.emit("CampaignDeleted", restoreUntil="2026-04-01T00:00:00+00:00")
    entry = fold(lambda document, event, _: project_campaign_index(document, event), stream.events)
    assert entry["partitionKey"] == tenant_partition("acme")
    assert entry["id"] == campaign_index_id(stream.events[0].timestamp, stream.campaign_id)
    assert entry["status"] == "Generating"
    assert entry["createdAt"] == stream.events[0].timestamp
    assert entry["campaignDeleted"] is True
    assert entry["body"] == {
        "id": stream.campaign_id,
        "name": "Green tea",
        "status": "Generating",
        "createdAt": stream.events[0].timestamp,
        "updatedAt": stream.events[-1].timestamp,
        "deletedAt": stream.events[-1].timestamp,
        "restorableUntil": "2026-04-01T00:00:00+00:00",
    }


def test_a_restored_campaigns_list_entry_drops_the_deletion_fields() -> None:
    stream = CampaignStream("Tea", tenant_id="acme")
    stream.emit("CampaignDeleted", restoreUntil="2026-04-01T00:00:00+00:00")
    stream.emit("CampaignRestored")
    entry = fold(lambda document, event, _: project_campaign_index(document, event), stream.events)
    assert entry["campaignDeleted"] is False
    assert set(entry["body"]) == {"id", "name", "status", "createdAt", "updatedAt"}


def test_list_entry_ids_sort_newest_first_then_by_campaign_id() -> None:
    older = campaign_index_id("2026-01-01T00:00:00+00:00", "b")
    newer = campaign_index_id("2026-01-02T00:00:00.000001+00:00", "z")
    same_time = campaign_index_id("2026-01-02T00:00:00.000001+00:00", "a")
    assert sorted([older, newer, same_time]) == [same_time, newer, older]
    assert descending_time_key("2026-01-01T00:00:00+00:00") == descending_time_key(
        "2026-01-01T01:00:00+01:00"
    )


def test_projectors_refuse_an_update_of_a_document_they_never_created() -> None:
    stream = CampaignStream()
    version = stream.version(stream.artifact("Copy"))
    stream.audit(version)
    audit = stream.events[-1]
    for projector in (project_version, project_version_entry):
        with pytest.raises(LedgerError):
            projector(None, audit, NoLookup())


def test_an_audit_report_of_a_version_the_view_lacks_is_refused() -> None:
    stream = CampaignStream()
    version = stream.version(stream.artifact("Copy"))
    stream.audit(version)

    class Empty(NoLookup):
        def version(self, version_id: str) -> dict[str, Any] | None:
            return None

    with pytest.raises(LedgerError):
        project_audit_report(None, stream.events[-1], Empty())


def test_an_event_at_or_below_a_documents_watermark_leaves_it_unchanged() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    stream.version(copy)
    documents = documents_after(stream)
    entry = documents[entry_id(copy, 1)]
    key = ViewKey(stream.campaign_id, entry_id(copy, 1))
    again = project(key, entry, stream.events[2], NoLookup())
    assert again is entry


def test_deletion_touches_only_the_snapshot_the_list_entry_and_the_contribution() -> None:
    stream = CampaignStream("Tea", tenant_id="acme")
    copy = stream.artifact("Copy")
    version = stream.version(copy)
    run = stream.queue_run()
    views = CampaignViews(stream.campaign_id, load_nothing)
    for event in stream.events:
        assert views.apply(event) is None
    before = views.documents()
    deleted = stream.emit("CampaignDeleted", restoreUntil="2026-04-01T00:00:00+00:00")

    assert views.apply(deleted) is None

    changed = {key.id for key, document in views.documents().items() if before[key] != document}
    index = campaign_index_id(stream.events[0].timestamp, stream.campaign_id)
    contribution = contribution_id(stream.campaign_id)
    assert changed == {"snapshot", index, contribution}
    documents = {key.id: document for key, document in views.documents().items()}
    assert documents["snapshot"]["campaignDeleted"] is True
    assert documents[index]["campaignDeleted"] is True
    assert documents[contribution]["body"]["deleted"] is True
    assert set(documents) == {
        "snapshot",
        index,
        contribution,
        version_id(version),
        entry_id(copy, 1),
        run_id(run),
        run_entry_id(4),
    }
    assert all(document["tenantId"] == "acme" for document in documents.values())


def test_routing_puts_the_list_entry_and_the_contribution_before_the_snapshot_last() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    stream.version(copy)
    views = CampaignViews(stream.campaign_id, load_nothing)
    for event in stream.events[:2]:
        views.apply(event)
    keys = views_touched(stream.events[2], views.snapshot, NoLookup())
    assert keys[-1].id == "snapshot"
    assert [key.partition_key for key in keys[-3:-1]] == [tenant_partition("default")] * 2
    assert keys[-2].id == contribution_id(stream.campaign_id)
    assert {key.id for key in keys[:-3]} == {
        entry_id(copy, 1),
        version_id(stream.events[2].data["versionId"]),
    }
