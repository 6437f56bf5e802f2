"""The application service: each command through persistence, ids, versions and refusals."""

from __future__ import annotations

import pytest

from application.service import CampaignService
from domain.artifact_types import ArtifactTypeRegistry
from domain.errors import (
    CampaignNotFound,
    EntityNotFound,
    IdConflict,
    InvalidArtifactType,
    InvalidInput,
    RuleViolation,
    UnknownReference,
)
from domain.values import ContextArtifact, Iteration, QualityCheck, Trigger
from tests.unit.application.builders import (
    T0,
    Clock,
    brief,
    ctx,
    ledger,
    new_id,
    report,
)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(clock: Clock) -> CampaignService:
    registry = ArtifactTypeRegistry.from_config(
        {"customTypes": [{"name": "voice_over", "description": "Narration"}]}
    )
    return ledger(clock=clock, registry=registry)


@pytest.fixture
def campaign_id(service: CampaignService) -> str:
    return service.create_campaign(ctx(), name="Spring", brief=brief()).id


def _types(service: CampaignService, campaign_id: str) -> list[str]:
    return [e.type for e in service.read_events("default", campaign_id, limit=1000)]


def _version(service: CampaignService, campaign_id: str) -> str:
    artifact_id = service.create_artifact(ctx(), campaign_id, artifact_type="Copy").id
    return service.create_version(ctx(), campaign_id, artifact_id, content="Run further.").id


def _running_run(service: CampaignService, campaign_id: str) -> str:
    run_id = service.queue_run(ctx(), campaign_id, execution_mode="Sequential").id
    service.start_run(ctx(), campaign_id, run_id)
    return run_id


def _artifact(artifact_type: str = "plan") -> ContextArtifact:
    return ContextArtifact(id=new_id(), type=artifact_type, uri="https://b/x", hash="f" * 64)


# -- campaigns ---------------------------------------------------------------------------


def test_a_created_campaign_answers_its_id_and_version_one(service: CampaignService) -> None:
    given = "6F1C2A52-1D0B-4A52-9A43-0D5A3F0B7E11"

    result = service.create_campaign(ctx(), name="Spring", brief=brief(), campaign_id=given)

    assert (result.id, result.version, result.appended) == (given.lower(), 1, True)


def test_a_campaign_id_that_is_not_a_uuid_is_invalid_input(service: CampaignService) -> None:
    with pytest.raises(InvalidInput):
        service.create_campaign(ctx(), name="Spring", brief=brief(), campaign_id="spring")


def test_a_repeated_campaign_creation_answers_the_first_result_and_appends_nothing(
    service: CampaignService, campaign_id: str
) -> None:
    service.update_campaign(ctx(), campaign_id, name="Renamed")

    again = service.create_campaign(ctx(), name="Spring", brief=brief(), campaign_id=campaign_id)

    assert (again.id, again.version, again.appended) == (campaign_id, 1, False)
    assert _types(service, campaign_id) == ["CampaignCreated", "CampaignUpdated"]


@pytest.mark.parametrize(("tenant", "name"), [("default", "Autumn"), ("acme", "Spring")])
def test_a_campaign_id_reused_with_another_payload_or_tenant_is_an_id_conflict(
    service: CampaignService, campaign_id: str, tenant: str, name: str
) -> None:
    with pytest.raises(IdConflict):
        service.create_campaign(ctx(tenant), name=name, brief=brief(), campaign_id=campaign_id)


def test_a_status_change_answers_the_new_status(service: CampaignService, campaign_id: str) -> None:
    result = service.change_status(ctx(), campaign_id, "Generating")

    assert (result.id, result.status, result.version) == (campaign_id, "Generating", 2)


def test_an_unknown_status_name_is_invalid_input(
    service: CampaignService, campaign_id: str
) -> None:
    with pytest.raises(InvalidInput):
        service.change_status(ctx(), campaign_id, "Done")


def test_an_unknown_or_malformed_campaign_is_not_found(service: CampaignService) -> None:
    for missing in (new_id(), "not-a-uuid"):
        with pytest.raises(CampaignNotFound):
            service.change_status(ctx(), missing, "Generating")
        with pytest.raises(CampaignNotFound):
            service.read_events("default", missing)


def test_a_campaign_of_another_tenant_is_not_found_for_commands_and_reads(
    service: CampaignService, campaign_id: str
) -> None:
    with pytest.raises(CampaignNotFound):
        service.update_campaign(ctx("acme"), campaign_id, name="Mine now")
    with pytest.raises(CampaignNotFound):
        service.read_events("acme", campaign_id)
    with pytest.raises(CampaignNotFound):
        service.delete_campaign(ctx("acme"), campaign_id)


def test_a_deleted_campaign_is_not_found_for_everything_but_restore(
    service: CampaignService, campaign_id: str
) -> None:
    service.delete_campaign(ctx(), campaign_id)

    with pytest.raises(CampaignNotFound):
        service.create_artifact(ctx(), campaign_id, artifact_type="Copy")
    with pytest.raises(CampaignNotFound):
        service.delete_campaign(ctx(), campaign_id)
    with pytest.raises(CampaignNotFound):
        service.read_events("default", campaign_id)
    with pytest.raises(CampaignNotFound):
        service.restore_campaign(ctx("acme"), campaign_id)
    restored = service.restore_campaign(ctx(), campaign_id)
    assert restored.version == 3
    assert _types(service, campaign_id)[-2:] == ["CampaignDeleted", "CampaignRestored"]


def test_a_deleted_campaigns_log_is_readable_as_restorable_until_its_window_ends(
    service: CampaignService, campaign_id: str, clock: Clock
) -> None:
    service.delete_campaign(ctx(), campaign_id)

    within = service.read_events("default", campaign_id, restorable=True)
    with pytest.raises(CampaignNotFound):
        service.read_events("acme", campaign_id, restorable=True)
    clock.advance(days=30)
    at_the_end = service.read_events("default", campaign_id, restorable=True)
    clock.advance(seconds=1)
    with pytest.raises(CampaignNotFound):
        service.read_events("default", campaign_id, restorable=True)

    assert [e.type for e in within] == ["CampaignCreated", "CampaignDeleted"]
    assert at_the_end == within


def test_a_delete_records_restore_until_from_the_clock_and_the_window(
    service: CampaignService, campaign_id: str
) -> None:
    service.delete_campaign(ctx(), campaign_id)
    service.restore_campaign(ctx(), campaign_id)

    deleted = service.read_events("default", campaign_id, after=1, limit=1)[0]
    assert deleted.data == {"restoreUntil": "2026-01-31T12:00:00+00:00"}
    assert deleted.timestamp == T0.isoformat()


def test_a_restore_after_the_window_is_refused(
    service: CampaignService, campaign_id: str, clock: Clock
) -> None:
    service.delete_campaign(ctx(), campaign_id)
    clock.advance(days=30, seconds=1)

    with pytest.raises(RuleViolation) as refusal:
        service.restore_campaign(ctx(), campaign_id)

    assert refusal.value.code == "restore-window-expired"


def test_restoring_a_campaign_that_is_not_deleted_is_refused(
    service: CampaignService, campaign_id: str
) -> None:
    with pytest.raises(RuleViolation) as refusal:
        service.restore_campaign(ctx(), campaign_id)

    assert refusal.value.code == "campaign-not-deleted"


# -- artifacts, versions, audits, iterations ---------------------------------------------


def test_an_unknown_artifact_type_is_invalid_input(
    service: CampaignService, campaign_id: str
) -> None:
    with pytest.raises(InvalidInput):
        service.create_artifact(ctx(), campaign_id, artifact_type="Poster")


def test_a_repeated_version_creation_answers_the_first_result(
    service: CampaignService, campaign_id: str
) -> None:
    artifact_id = service.create_artifact(ctx(), campaign_id, artifact_type="Copy").id
    version_id = new_id()
    first = service.create_version(
        ctx(), campaign_id, artifact_id, content="x", version_id=version_id
    )
    service.create_version(ctx(), campaign_id, artifact_id, content="y")

    again = service.create_version(
        ctx(), campaign_id, artifact_id, content="x", version_id=version_id
    )

    assert (first.version_number, first.version) == (1, 3)
    assert (again.id, again.version, again.version_number, again.appended) == (
        version_id,
        3,
        1,
        False,
    )
    assert len(_types(service, campaign_id)) == 4


def test_a_version_of_an_unknown_artifact_is_not_found(
    service: CampaignService, campaign_id: str
) -> None:
    with pytest.raises(EntityNotFound):
        service.create_version(ctx(), campaign_id, new_id(), content="x")


def test_a_malformed_run_id_in_a_body_is_invalid_input(
    service: CampaignService, campaign_id: str
) -> None:
    artifact_id = service.create_artifact(ctx(), campaign_id, artifact_type="Copy").id

    with pytest.raises(InvalidInput):
        service.create_version(ctx(), campaign_id, artifact_id, content="x", run_id="run-1")


def test_audit_approve_activate_archive_answer_statuses_and_versions(
    service: CampaignService, campaign_id: str
) -> None:
    version_id = _version(service, campaign_id)
    audit = service.record_audit(ctx(), campaign_id, version_id, report=report())

    approved = service.approve_version(ctx(), campaign_id, version_id)
    active = service.set_active_version(ctx(), campaign_id, "Copy", version_id)
    again = service.set_active_version(ctx(), campaign_id, "Copy", version_id)

    assert audit.version == 4
    assert (approved.id, approved.status, approved.version) == (version_id, "Approved", 5)
    assert (active.version, again.version, again.appended) == (6, 6, False)
    with pytest.raises(RuleViolation, match="active"):
        service.archive_version(ctx(), campaign_id, version_id)


def test_an_audit_of_an_unknown_version_is_not_found(
    service: CampaignService, campaign_id: str
) -> None:
    with pytest.raises(EntityNotFound):
        service.record_audit(ctx(), campaign_id, "nope", report=report())


def test_activating_needs_a_known_type_and_a_known_version(
    service: CampaignService, campaign_id: str
) -> None:
    version_id = _version(service, campaign_id)

    with pytest.raises(InvalidInput):
        service.set_active_version(ctx(), campaign_id, "Poster", version_id)
    with pytest.raises(InvalidInput):
        service.set_active_version(ctx(), campaign_id, "Copy", "nope")
    with pytest.raises(UnknownReference):
        service.set_active_version(ctx(), campaign_id, "Copy", new_id())


def test_archiving_answers_archived_and_again_appends_nothing(
    service: CampaignService, campaign_id: str
) -> None:
    version_id = _version(service, campaign_id)

    first = service.archive_version(ctx(), campaign_id, version_id)
    again = service.archive_version(ctx(), campaign_id, version_id)

    assert (first.status, again.status, again.version, again.appended) == (
        "Archived",
        "Archived",
        first.version,
        False,
    )


def test_an_iteration_is_logged_with_its_id(service: CampaignService, campaign_id: str) -> None:
    artifact_id = service.create_artifact(ctx(), campaign_id, artifact_type="Copy").id
    old = service.create_version(ctx(), campaign_id, artifact_id, content="a").id
    new = service.create_version(ctx(), campaign_id, artifact_id, content="b").id
    iteration = Iteration(
        artifact_id=artifact_id, old_version_id=old, new_version_id=new, feedback_text="Shorter"
    )
    iteration_id = new_id()

    result = service.log_iteration(
        ctx(), campaign_id, iteration=iteration, iteration_id=iteration_id
    )

    assert (result.id, result.version) == (iteration_id, 5)
    assert _types(service, campaign_id)[-1] == "FeedbackLogged"


# -- runs --------------------------------------------------------------------------------


def test_a_run_goes_from_queued_to_completed(service: CampaignService, campaign_id: str) -> None:
    version_id = _version(service, campaign_id)
    queued = service.queue_run(
        ctx(), campaign_id, execution_mode="Parallel", workflow_name="launch"
    )

    started = service.start_run(ctx(), campaign_id, queued.id)
    completed = service.complete_run(
        ctx(), campaign_id, queued.id, artifact_version_ids=[version_id.upper()]
    )

    assert (queued.status, started.status, completed.status) == ("Queued", "Running", "Completed")
    last = service.read_events("default", campaign_id, after=completed.version - 1)[0]
    assert last.data == {"runId": queued.id, "artifactVersionIds": [version_id]}


def test_a_run_uses_the_api_trigger_unless_told_otherwise(
    service: CampaignService, campaign_id: str
) -> None:
    service.queue_run(ctx(), campaign_id, execution_mode="Parallel")
    service.queue_run(ctx(), campaign_id, execution_mode="Parallel", trigger=Trigger(type="manual"))

    events = service.read_events("default", campaign_id)
    assert [e.data["trigger"] for e in events[1:]] == [{"type": "api"}, {"type": "manual"}]


def test_an_unknown_execution_mode_is_invalid_input(
    service: CampaignService, campaign_id: str
) -> None:
    with pytest.raises(InvalidInput):
        service.queue_run(ctx(), campaign_id, execution_mode="Eventually")


def test_a_step_with_a_registered_custom_type_sets_its_ref(
    service: CampaignService, campaign_id: str
) -> None:
    run_id = _running_run(service, campaign_id)
    voice = _artifact("voice_over")

    result = service.attach_step_result(
        ctx(), campaign_id, run_id, step_id="narrate", artifacts=[voice]
    )
    again = service.attach_step_result(
        ctx(), campaign_id, run_id, step_id="narrate", artifacts=[voice]
    )

    event = service.read_events("default", campaign_id)[-1]
    assert event.data["refs"] == {"voiceOverArtifactId": voice.id}
    assert (again.version, again.appended, again.id) == (result.version, False, run_id)


def test_a_step_with_an_unregistered_type_is_an_invalid_artifact_type(
    service: CampaignService, campaign_id: str
) -> None:
    run_id = _running_run(service, campaign_id)

    with pytest.raises(InvalidArtifactType):
        service.attach_step_result(
            ctx(), campaign_id, run_id, step_id="s", artifacts=[_artifact("hologram")]
        )


def test_a_quality_check_and_a_failure_are_recorded_on_a_running_run(
    service: CampaignService, campaign_id: str
) -> None:
    run_id = _running_run(service, campaign_id)
    plan = _artifact()
    service.attach_step_result(ctx(), campaign_id, run_id, step_id="plan", artifacts=[plan])

    checked = service.record_quality_check(
        ctx(),
        campaign_id,
        run_id,
        check=QualityCheck(artifact_id=plan.id, check_type="size", status="warning"),
    )
    failed = service.fail_run(ctx(), campaign_id, run_id, error_message="Renderer crashed")

    assert (checked.id, failed.status) == (run_id, "Failed")
    with pytest.raises(InvalidInput):
        service.fail_run(ctx(), campaign_id, run_id, error_message=" ")


def test_a_queued_run_can_be_cancelled_and_a_run_named_in_a_path_must_exist(
    service: CampaignService, campaign_id: str
) -> None:
    run_id = service.queue_run(ctx(), campaign_id, execution_mode="Sequential").id

    assert service.cancel_run(ctx(), campaign_id, run_id).status == "Cancelled"
    with pytest.raises(EntityNotFound):
        service.start_run(ctx(), campaign_id, new_id())


def test_a_malformed_version_id_in_a_completion_is_invalid_input(
    service: CampaignService, campaign_id: str
) -> None:
    run_id = _running_run(service, campaign_id)

    with pytest.raises(InvalidInput):
        service.complete_run(ctx(), campaign_id, run_id, artifact_version_ids=["v1"])


# -- events ------------------------------------------------------------------------------


def test_every_event_carries_the_command_metadata(service: CampaignService) -> None:
    command = ctx("acme", command_id="c-1", correlation_id="flow-7")
    campaign_id = service.create_campaign(command, name="Spring", brief=brief()).id

    event = service.read_events("acme", campaign_id)[0]

    assert event.metadata == {
        "commandId": "c-1",
        "correlationId": "flow-7",
        "causationId": "c-1",
        "actor": "tester",
        "tenantId": "acme",
    }
    assert (event.type, event.version, event.campaign_id) == ("CampaignCreated", 1, campaign_id)
    assert event.data["tenantId"] == "acme"


def test_events_are_read_in_pages_after_a_version(
    service: CampaignService, campaign_id: str
) -> None:
    for status in ("Generating", "Generated", "Auditing"):
        service.change_status(ctx(), campaign_id, status)

    page = service.read_events("default", campaign_id, after=1, limit=2)

    assert [e.version for e in page] == [2, 3]
    assert page[0].data == {"fromStatus": "Draft", "toStatus": "Generating"}


@pytest.mark.parametrize(("after", "limit"), [(-1, 10), (0, 0), (0, 1001)])
def test_an_events_page_out_of_range_is_invalid_input(
    service: CampaignService, campaign_id: str, after: int, limit: int
) -> None:
    with pytest.raises(InvalidInput):
        service.read_events("default", campaign_id, after=after, limit=limit)
