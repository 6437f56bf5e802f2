"""Projectors of the entity documents, the version history and the campaign list entry, on
hand-built events; and the routing that decides which documents an event touches."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import LedgerError
from domain.recorded import RecordedEvent
from projections.campaign_views import CampaignViews, load_nothing
from projections.projectors import ViewKey, project, views_touched
from projections.projectors.campaign_index import project_campaign_index
from projections.projectors.documents import (
    audits_id,
    campaign_index_id,
    descending_time_key,
    history_id,
    run_id,
    tenant_partition,
    version_id,
)
from projections.projectors.iterations import project_iterations
from projections.projectors.runs import project_run
from projections.projectors.versions import project_audits, project_version, project_version_history
from tests.unit.projections.campaign_events import HASH, CampaignStream


def fold(projector: Any, events: list[RecordedEvent]) -> dict[str, Any]:
    document = None
    for event in events:
        document = projector(document, event)
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


def test_the_audits_document_lists_every_report_oldest_first() -> None:
    stream = CampaignStream()
    version = stream.version(stream.artifact("Copy"))
    first = stream.audit(version, "Fail")
    second = stream.audit(version, "Conditional")
    relevant = [e for e in stream.events if e.data.get("versionId") == version]
    items = fold(project_audits, relevant)["body"]["items"]
    assert [item["id"] for item in items] == [first, second]
    assert items[0] == {
        "id": first,
        "versionId": version,
        "overallStatus": "Fail",
        "categoryScores": {"tone": {"score": 40}},
        "flaggedItems": [{"category": "tone", "severity": "High", "description": "too loud"}],
        "recommendations": [{"category": "tone", "text": "softer", "priority": 1}],
        "createdAt": stream.events[3].timestamp,
    }


def test_the_version_history_tracks_status_and_latest_audit_of_each_version() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    first = stream.version(copy)
    report = stream.audit(first, "Pass")
    second = stream.version(copy)
    stream.archive(first)
    relevant = [e for e in stream.events if e.data.get("artifactId") == copy]
    body = fold(project_version_history, relevant)["body"]
    assert body["artifactId"] == copy
    assert body["type"] == "Copy"
    assert body["versions"] == [
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


def test_the_iteration_log_starts_empty_and_appends_feedback() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    old, new = stream.version(copy), stream.version(copy)
    iteration = stream.feedback(old, new, "Warmer please")
    relevant = [e for e in stream.events if e.type in ("CampaignCreated", "FeedbackLogged")]
    assert fold(project_iterations, relevant[:1])["body"] == {"items": []}
    assert fold(project_iterations, relevant)["body"]["items"] == [
        {
            "id": iteration,
            "artifactId": copy,
            "oldVersionId": old,
            "newVersionId": new,
            "feedbackText": "Warmer please",
            "feedbackTags": ["tone"],
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
            "trigger": {"type": "manual", "initiatedBy": "ops"},
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
    entry = fold(project_campaign_index, stream.events)
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
    }


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
    for projector in (project_version, project_audits, project_version_history):
        with pytest.raises(LedgerError):
            projector(None, audit)


def test_an_event_at_or_below_a_documents_watermark_leaves_it_unchanged() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    stream.version(copy)
    documents = documents_after(stream)
    history = documents[history_id(copy)]
    again = project(ViewKey(stream.campaign_id, history_id(copy)), history, stream.events[2], None)  # type: ignore[arg-type]
    assert again is history


def test_deletion_touches_every_document_of_the_campaign() -> None:
    stream = CampaignStream("Tea", tenant_id="acme")
    copy = stream.artifact("Copy")
    version = stream.version(copy)
    run = stream.queue_run()
    stream.emit("CampaignDeleted", restoreUntil="2026-04-01T00:00:00+00:00")
    documents = documents_after(stream)
    expected = {
        "snapshot",
        "iterations",
        history_id(copy),
        version_id(version),
        audits_id(version),
        run_id(run),
        campaign_index_id(stream.events[0].timestamp, stream.campaign_id),
    }
    assert set(documents) == expected
    assert all(document["campaignDeleted"] for document in documents.values())
    assert all(document["tenantId"] == "acme" for document in documents.values())
    assert all(document["appliedVersion"] == 5 for document in documents.values())


def test_routing_puts_the_list_entry_before_the_snapshot_and_the_snapshot_last() -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    stream.version(copy)
    views = CampaignViews(stream.campaign_id, load_nothing)
    for event in stream.events[:2]:
        views.apply(event)
    keys = views_touched(stream.events[2], views.snapshot)
    assert keys[-1].id == "snapshot"
    assert keys[-2].partition_key == tenant_partition("default")
    assert {key.id for key in keys[:-2]} >= {history_id(copy)}
