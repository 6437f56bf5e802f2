"""What the store receives: every event's state is a native JSON document shaped as
docs/events.md says, and older stored forms are upcast on the way back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from application.campaign_application import CampaignApplication
from domain.campaign import Campaign
from domain.metadata import CommandMetadata
from domain.recorded import RecordedEvent, join_state, split_state
from domain.values import ContextArtifact, Iteration, QualityCheck, Revision
from tests.unit.application.builders import POPO, Clock, brief, ctx, ledger, new_id, report

CATALOG: dict[str, set[str]] = {
    "CampaignCreated": {"tenantId", "name", "brief"},
    "CampaignUpdated": {"name", "brief"},
    "StatusChanged": {"fromStatus", "toStatus"},
    "CampaignDeleted": {"restoreUntil"},
    "CampaignRestored": set(),
    "ArtifactCreated": {"artifactId", "artifactType"},
    "VersionCreated": {
        "versionId",
        "artifactId",
        "artifactType",
        "versionNumber",
        "content",
        "runId",
    },
    "AuditRecorded": {
        "auditReportId",
        "versionId",
        "artifactId",
        "overallStatus",
        "categoryScores",
        "flaggedItems",
        "recommendations",
        "versionStatus",
    },
    "VersionApproved": {"versionId", "artifactId"},
    "VersionArchived": {"versionId", "artifactId"},
    "ActiveVersionSet": {"artifactType", "artifactId", "versionId"},
    "FeedbackLogged": {
        "iterationId",
        "artifactId",
        "oldVersionId",
        "newVersionId",
        "feedbackText",
        "feedbackTags",
        "revisionId",
    },
    "RevisionRequested": {
        "revisionId",
        "revisionNumber",
        "reason",
        "feedbackText",
        "specificChanges",
        "artifactIds",
    },
    "RunQueued": {
        "runId",
        "executionMode",
        "workflowName",
        "trigger",
        "baseRunId",
        "refs",
        "artifacts",
        "inputHashesByStep",
    },
    "RunStarted": {"runId"},
    "StepResultAttached": {"runId", "stepId", "inputHash", "artifacts", "refs"},
    "QualityCheckRecorded": {"runId", "artifactId", "checkType", "status", "message", "details"},
    "RunCompleted": {"runId", "artifactVersionIds"},
    "RunFailed": {"runId", "errorMessage"},
    "RunCancelled": {"runId"},
}
"""The data keys of every event type, as docs/events.md lists them."""

METADATA_KEYS = {"commandId", "correlationId", "causationId", "actor", "tenantId"}


def _every_event_type(application: CampaignApplication) -> str:
    """A campaign whose stream holds every event type at least once."""
    service = ledger(application, clock=Clock())
    c = ctx()
    cid = service.create_campaign(c, name="Spring", brief=brief()).id
    service.update_campaign(c, cid, name="Spring launch", brief=brief("Sell more shoes"))
    service.change_status(c, cid, "Generating")
    artifact_id = service.create_artifact(c, cid, artifact_type="Copy").id
    run_id = service.queue_run(c, cid, execution_mode="Parallel", workflow_name="launch").id
    service.start_run(c, cid, run_id)
    old = service.create_version(c, cid, artifact_id, content="Run.", run_id=run_id).id
    new = service.create_version(c, cid, artifact_id, content="Run further.").id
    service.record_audit(c, cid, new, report=report())
    service.approve_version(c, cid, new)
    service.set_active_version(c, cid, "Copy", new)
    service.archive_version(c, cid, old)
    service.change_status(c, cid, "Generated")
    revision = Revision(reason="user-feedback", feedback_text="Warmer", artifact_ids=[artifact_id])
    revision_id = service.request_revision(c, cid, revision=revision).id
    service.log_iteration(
        c,
        cid,
        iteration=Iteration(
            artifact_id=artifact_id,
            old_version_id=old,
            new_version_id=new,
            feedback_text="Longer",
            feedback_tags=["tone"],
            revision_id=revision_id,
        ),
    )
    plan = ContextArtifact(
        id=new_id(), type="plan", uri="https://b/p", hash="e" * 64, metadata={"pages": 2}
    )
    service.attach_step_result(c, cid, run_id, step_id="plan", input_hash="h1", artifacts=[plan])
    service.record_quality_check(
        c,
        cid,
        run_id,
        check=QualityCheck(
            artifact_id=plan.id, check_type="size", status="passed", details={"bytes": 10}
        ),
    )
    service.complete_run(c, cid, run_id, artifact_version_ids=[new])
    based = service.queue_run(c, cid, execution_mode="Sequential", base_run_id=run_id).id
    service.start_run(c, cid, based)
    service.fail_run(c, cid, based, error_message="Renderer crashed")
    service.cancel_run(c, cid, service.queue_run(c, cid, execution_mode="Parallel").id)
    service.delete_campaign(c, cid)
    service.restore_campaign(c, cid)
    return cid


@pytest.fixture(scope="module")
def stored() -> list[StoredEvent]:
    application = CampaignApplication(env=POPO)
    campaign_id = _every_event_type(application)
    return list(application.recorder.select_events(UUID(campaign_id)))


def test_the_scenario_covers_every_event_type_of_the_catalog(stored: list[StoredEvent]) -> None:
    assert {s.topic.rsplit(".", 1)[-1] for s in stored} == set(CATALOG)


def test_every_stored_state_splits_into_a_native_json_document(
    stored: list[StoredEvent],
) -> None:
    for event in stored:
        state = json.loads(event.state)
        parts = split_state(state)

        assert parts is not None, event.topic
        assert join_state(parts) == state
        assert set(parts.data) == CATALOG[event.topic.rsplit(".", 1)[-1]], event.topic
        assert set(parts.metadata) == METADATA_KEYS
        assert all(isinstance(v, str) for v in parts.metadata.values())


def test_ids_in_stored_data_are_canonical_uuid_strings(stored: list[StoredEvent]) -> None:
    for event in stored:
        data = split_state(json.loads(event.state)).data  # type: ignore[union-attr]
        for key, value in data.items():
            if key.endswith("Id") and key not in ("stepId", "tenantId") and value is not None:
                assert value == str(UUID(value)), (event.topic, key)


def test_nested_values_are_stored_in_their_camel_case_wire_form(
    stored: list[StoredEvent],
) -> None:
    by_type = {s.topic.rsplit(".", 1)[-1]: split_state(json.loads(s.state)) for s in stored}

    created = by_type["CampaignCreated"].data  # type: ignore[union-attr]
    queued = by_type["RunQueued"].data  # type: ignore[union-attr]
    assert created["brief"]["targetAudience"] == "Runners"
    assert queued["trigger"] == {"type": "api"}


def test_a_run_queued_from_a_base_run_carries_the_base_context(
    stored: list[StoredEvent],
) -> None:
    queued = [
        split_state(json.loads(s.state)).data  # type: ignore[union-attr]
        for s in stored
        if s.topic.endswith(".RunQueued")
    ]
    based = next(q for q in queued if q["baseRunId"] is not None)

    assert list(based["refs"]) == ["planArtifactId"]
    [entry] = based["artifacts"].values()
    assert set(entry) == {"type", "uri", "hash", "metadata", "createdAt", "stepId"}
    assert (entry["stepId"], entry["metadata"]) == ("plan", {"pages": 2})
    assert based["inputHashesByStep"] == {"plan": "h1"}


def test_a_recorded_event_shows_the_same_data_as_the_stored_document(
    stored: list[StoredEvent],
) -> None:
    application = CampaignApplication(env=POPO)
    for event in stored:
        recorded = RecordedEvent.from_domain_event(application.mapper.to_domain_event(event))
        assert recorded.data == split_state(json.loads(event.state)).data  # type: ignore[union-attr]


def test_a_stored_v1_audit_is_read_as_v2_with_the_version_status_derived() -> None:
    application = CampaignApplication(env=POPO)
    service = ledger(application)
    cid = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    aid = service.create_artifact(ctx(), cid, artifact_type="Copy").id
    vid = service.create_version(ctx(), cid, aid, content="x").id
    v1_state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2026-01-01T12:00:00+00:00"},
        "metadata": {
            "commandId": "c",
            "correlationId": "c",
            "causationId": "c",
            "actor": "a",
            "tenantId": "default",
        },
        "audit_report_id": new_id(),
        "version_id": vid,
        "artifact_id": aid,
        "overall_status": "Fail",
        "category_scores": {},
        "flagged_items": [],
        "recommendations": [],
    }
    v1 = StoredEvent(
        originator_id=UUID(cid),
        originator_version=4,
        topic="domain.campaign:Campaign.AuditRecorded",
        state=json.dumps(v1_state).encode(),
    )

    event = application.mapper.to_domain_event(v1)

    assert Campaign.AuditRecorded.class_version == 2
    assert event.version_status == "Generated"  # type: ignore[attr-defined]
    campaign = application.load_campaign(UUID(cid))
    event.mutate(campaign)  # type: ignore[attr-defined]
    version = campaign.artifact_version(vid)
    assert (version.latest_audit_report_id, version.audit_count) == (
        v1_state["audit_report_id"],
        1,
    )


def test_a_stored_v1_snapshot_is_read_as_v2_with_the_type_index_derived() -> None:
    application = CampaignApplication(env=POPO)
    service = ledger(application)
    cid = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    aid = service.create_artifact(ctx(), cid, artifact_type="VisualConcept").id
    current = application.head_snapshot_of(application.load_campaign(UUID(cid)))
    state = json.loads(current.state)
    state["state"].pop("class_version")
    state["state"].pop("artifact_ids_by_type")
    state["state"]["artifacts"] = {aid: {"type": "VisualConcept", "version_ids": []}}
    v1 = StoredEvent(
        originator_id=current.originator_id,
        originator_version=current.originator_version,
        topic=current.topic,
        state=json.dumps(state).encode(),
    )

    campaign = application.mapper.to_domain_event(v1).mutate(None)  # type: ignore[attr-defined]

    assert Campaign.class_version == 4
    assert campaign.artifact_ids_by_type == {"VisualConcept": aid}
    assert campaign.artifacts[aid] == {
        "type": "VisualConcept",
        "version_count": 0,
        "latest_version_id": None,
    }
    assert campaign.version == 2


def test_a_stored_v2_snapshot_is_read_as_v3_with_counts_and_every_entity_kept() -> None:
    application = CampaignApplication(env=POPO)
    service = ledger(application)
    cid = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    aid = service.create_artifact(ctx(), cid, artifact_type="Copy").id
    first = service.create_version(ctx(), cid, aid, content="x").id
    second = service.create_version(ctx(), cid, aid, content="y").id
    audit = service.record_audit(ctx(), cid, second, report=report()).id
    whole = application.load_campaign(UUID(cid))
    state = {key: value for key, value in vars(whole).items() if not key.startswith("_")}
    state = json.loads(json.dumps(state, default=str))
    state["class_version"] = 2
    state["artifacts"][aid] = {"type": "Copy", "version_ids": [first, second]}
    for version_id, record in state["versions"].items():
        record.pop("audit_count")
        record.pop("latest_audit_report_id")
        record["audit_report_ids"] = [audit] if version_id == second else []

    Campaign.upcast_v2_v3(state)

    assert state["artifacts"][aid] == {
        "type": "Copy",
        "version_count": 2,
        "latest_version_id": second,
    }
    assert state["versions"][second]["audit_count"] == 1
    assert state["versions"][second]["latest_audit_report_id"] == audit
    assert state["versions"][first]["latest_audit_report_id"] is None
    assert set(state["receipts"]) == {cid, aid, first, second, audit}


def test_a_stored_v1_iteration_is_read_as_v2_belonging_to_no_revision() -> None:
    application = CampaignApplication(env=POPO)
    service = ledger(application)
    cid = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    aid = service.create_artifact(ctx(), cid, artifact_type="Copy").id
    old = service.create_version(ctx(), cid, aid, content="x").id
    new = service.create_version(ctx(), cid, aid, content="y").id
    v1_state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2026-01-01T12:00:00+00:00"},
        "metadata": {"commandId": "c", "actor": "a", "tenantId": "default"},
        "iteration_id": new_id(),
        "artifact_id": aid,
        "old_version_id": old,
        "new_version_id": new,
        "feedback_text": "Longer",
        "feedback_tags": [],
    }
    v1 = StoredEvent(
        originator_id=UUID(cid),
        originator_version=5,
        topic="domain.campaign:Campaign.FeedbackLogged",
        state=json.dumps(v1_state).encode(),
    )

    event = application.mapper.to_domain_event(v1)

    assert Campaign.FeedbackLogged.class_version == 2
    assert event.revision_id is None  # type: ignore[attr-defined]
    campaign = application.load_campaign(UUID(cid), [v1_state["iteration_id"]])
    event.mutate(campaign)  # type: ignore[attr-defined]
    repeat = Iteration(
        artifact_id=aid, old_version_id=old, new_version_id=new, feedback_text="Longer"
    )
    meta = CommandMetadata(command_id="c", actor="a", tenant_id="default", at=datetime.now(UTC))
    assert campaign.log_iteration(v1_state["iteration_id"], repeat, meta).version == 5


def test_a_stored_v3_snapshot_is_read_as_v4_without_revisions() -> None:
    application = CampaignApplication(env=POPO)
    service = ledger(application)
    cid = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    current = application.head_snapshot_of(application.load_campaign(UUID(cid)))
    state = json.loads(current.state)
    state["state"]["class_version"] = 3
    for key in ("revisions", "revision_count", "consecutive_audit_retries"):
        state["state"].pop(key)
    v3 = StoredEvent(
        originator_id=current.originator_id,
        originator_version=current.originator_version,
        topic=current.topic,
        state=json.dumps(state).encode(),
    )

    campaign = application.mapper.to_domain_event(v3).mutate(None)  # type: ignore[attr-defined]

    assert (campaign.revisions, campaign.revision_count, campaign.consecutive_audit_retries) == (
        {},
        0,
        0,
    )


def test_a_snapshot_state_survives_the_json_transcoder() -> None:
    application = CampaignApplication(env=POPO)
    cid = _every_event_type(application)
    campaign = application.load_campaign(UUID(cid))

    stored = application.head_snapshot_of(campaign)
    restored = application.mapper.to_domain_event(stored).mutate(None)  # type: ignore[attr-defined]
    restored.admit(campaign.entity_states())

    assert vars(restored) == vars(campaign)
    assert json.loads(stored.state)["state"]["runs"] == {}
    assert campaign.restore_until is None
    assert timedelta(0) <= campaign.modified_on - campaign.created_on
