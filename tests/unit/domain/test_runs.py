"""Orchestration runs: their status machine and their context."""

from __future__ import annotations

import pytest

from domain.errors import (
    ContextCapacityExceeded,
    DuplicateArtifactId,
    EntityNotFound,
    IdConflict,
    InvalidArtifactType,
    InvalidInput,
    InvalidRunTransition,
    RuleViolation,
    UnknownReference,
)
from domain.lifecycle import RUN_TRANSITIONS
from domain.runs import MAX_CONTEXT_ARTIFACTS, MAX_CONTEXT_BYTES
from domain.values import (
    ContextArtifact,
    ExecutionMode,
    QualityCheck,
    QualityCheckStatus,
    RunStatus,
    Trigger,
)
from tests.unit.domain.builders import Scenario, context_artifact, meta, new_id

R = RunStatus


def _check(
    artifact_id: str, status: QualityCheckStatus = QualityCheckStatus.PASSED
) -> QualityCheck:
    return QualityCheck(artifact_id=artifact_id, check_type="resolution", status=status)


def _run_in(scenario: Scenario, status: RunStatus) -> str:
    run_id = scenario.run(started=status is not R.QUEUED)
    campaign = scenario.campaign
    if status is R.COMPLETED:
        campaign.complete_run(run_id, [], meta())
    elif status is R.FAILED:
        campaign.fail_run(run_id, "boom", meta())
    elif status is R.CANCELLED:
        campaign.cancel_run(run_id, meta())
    return run_id


def _move(scenario: Scenario, run_id: str, target: RunStatus) -> None:
    campaign = scenario.campaign
    {
        R.RUNNING: lambda: campaign.start_run(run_id, meta()),
        R.COMPLETED: lambda: campaign.complete_run(run_id, [], meta()),
        R.FAILED: lambda: campaign.fail_run(run_id, "boom", meta()),
        R.CANCELLED: lambda: campaign.cancel_run(run_id, meta()),
    }[target]()


def test_a_queued_run_starts_with_an_empty_context_and_the_default_trigger(
    scenario: Scenario,
) -> None:
    run_id = scenario.run(started=False)

    event = scenario.campaign.pending_events[-1]
    assert type(event).__name__ == "RunQueued"
    assert event.trigger == {"type": "api"}  # type: ignore[attr-defined]
    assert (event.refs, event.artifacts, event.input_hashes_by_step) == ({}, {}, {})  # type: ignore[attr-defined]
    assert scenario.campaign.run(run_id).status is R.QUEUED


@pytest.mark.parametrize(
    ("current", "target"), [(a, b) for a, targets in RUN_TRANSITIONS.items() for b in targets]
)
def test_a_run_moves_along_its_machine(
    scenario: Scenario, current: RunStatus, target: RunStatus
) -> None:
    run_id = _run_in(scenario, current)

    _move(scenario, run_id, target)

    assert scenario.campaign.run(run_id).status is target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (a, b)
        for a in R
        for b in R
        if b is not R.QUEUED and a is not b and b not in RUN_TRANSITIONS[a]
    ],
)
def test_any_other_run_move_is_an_invalid_run_transition(
    scenario: Scenario, current: RunStatus, target: RunStatus
) -> None:
    run_id = _run_in(scenario, current)

    with pytest.raises(InvalidRunTransition):
        _move(scenario, run_id, target)


@pytest.mark.parametrize("status", [R.RUNNING, R.CANCELLED, R.COMPLETED, R.FAILED])
def test_repeating_the_move_that_put_a_run_where_it_is_appends_nothing(
    scenario: Scenario, status: RunStatus
) -> None:
    run_id = _run_in(scenario, status)

    assert scenario.appended(lambda: _move(scenario, run_id, status)) == 0


def test_failing_a_failed_run_with_another_message_is_an_invalid_run_transition(
    scenario: Scenario,
) -> None:
    run_id = _run_in(scenario, R.FAILED)

    with pytest.raises(InvalidRunTransition):
        scenario.campaign.fail_run(run_id, "another", meta())


def test_a_blank_error_message_is_refused(scenario: Scenario) -> None:
    run_id = scenario.run()

    with pytest.raises(InvalidInput):
        scenario.campaign.fail_run(run_id, "  ", meta())


def test_a_command_on_an_unknown_run_is_not_found(scenario: Scenario) -> None:
    with pytest.raises(EntityNotFound):
        scenario.campaign.start_run(new_id(), meta())


def test_repeating_a_run_creation_answers_the_first_result(scenario: Scenario) -> None:
    run_id = new_id()
    queue = lambda name: scenario.campaign.queue_run(  # noqa: E731
        run_id,
        execution_mode=ExecutionMode.PARALLEL,
        workflow_name=name,
        trigger=Trigger(),
        base_run_id=None,
        meta=meta(),
    )
    first = queue("launch")

    again = queue("launch")

    assert (again.version, again.appended, again.status) == (first.version, False, "Queued")
    with pytest.raises(IdConflict):
        queue("other")


def test_a_step_adds_its_artifacts_and_refs_to_the_context(scenario: Scenario) -> None:
    run_id = scenario.run()
    plan = context_artifact("plan")
    image_1, image_2 = context_artifact("intro_image"), context_artifact("intro_image")

    scenario.step(run_id, plan, image_1, image_2, step_id="s1")

    event = scenario.campaign.pending_events[-1]
    assert event.refs == {  # type: ignore[attr-defined]
        "planArtifactId": plan.id,
        "introImageArtifactId": image_2.id,
    }
    assert event.artifacts[0] == {  # type: ignore[attr-defined]
        "id": plan.id,
        "type": "plan",
        "uri": plan.uri,
        "hash": "a" * 64,
        "metadata": None,
    }
    run = scenario.campaign.run(run_id)
    assert set(run.context_artifacts) == {plan.id, image_1.id, image_2.id}
    assert run.context_artifacts[plan.id]["stepId"] == "s1"
    assert run.input_hashes_by_step == {"s1": "in-1"}


def test_a_later_step_moves_a_ref_to_its_newer_artifact(scenario: Scenario) -> None:
    run_id = scenario.run()
    first, second = context_artifact("plan"), context_artifact("plan")
    scenario.step(run_id, first, step_id="s1")

    scenario.step(run_id, second, step_id="s2")

    assert scenario.campaign.run(run_id).refs == {"planArtifactId": second.id}


def test_attaching_the_same_step_result_again_appends_nothing(scenario: Scenario) -> None:
    run_id = scenario.run()
    plan = context_artifact("plan")
    scenario.step(run_id, plan)

    assert scenario.appended(lambda: scenario.step(run_id, plan)) == 0


def test_an_unknown_context_artifact_type_is_refused(scenario: Scenario) -> None:
    run_id = scenario.run()

    with pytest.raises(InvalidArtifactType) as refusal:
        scenario.step(run_id, context_artifact("hologram"))

    assert refusal.value.errors[0].field == "artifacts[0].type"


def test_an_artifact_id_already_in_the_context_is_a_duplicate(scenario: Scenario) -> None:
    run_id = scenario.run()
    plan = context_artifact("plan")
    scenario.step(run_id, plan, step_id="s1")

    with pytest.raises(DuplicateArtifactId):
        scenario.step(run_id, context_artifact("bgm", artifact_id=plan.id), step_id="s2")


def test_an_artifact_id_repeated_in_one_request_is_a_duplicate(scenario: Scenario) -> None:
    run_id = scenario.run()
    artifact_id = new_id()

    with pytest.raises(DuplicateArtifactId):
        scenario.step(
            run_id,
            context_artifact("bgm", artifact_id=artifact_id),
            context_artifact("sfx", artifact_id=artifact_id),
        )


def test_a_context_holds_at_most_fifty_artifacts(scenario: Scenario) -> None:
    run_id = scenario.run()
    scenario.step(run_id, *[context_artifact("sfx") for _ in range(MAX_CONTEXT_ARTIFACTS)])

    with pytest.raises(ContextCapacityExceeded):
        scenario.step(run_id, context_artifact("bgm"), step_id="one-more")
    assert len(scenario.campaign.run(run_id).context_artifacts) == MAX_CONTEXT_ARTIFACTS


def _heavy(metadata_bytes: int) -> ContextArtifact:
    """A context artifact whose metadata takes about ``metadata_bytes`` as JSON."""
    artifact = context_artifact("sfx").model_dump()
    return ContextArtifact.model_validate({**artifact, "metadata": {"m": "x" * metadata_bytes}})


def test_a_context_holds_at_most_its_capacity_in_bytes_whatever_its_count(
    scenario: Scenario,
) -> None:
    run_id = scenario.run()
    per_artifact = MAX_CONTEXT_BYTES // 20  # within a free-form object's 64 KiB
    scenario.step(run_id, *[_heavy(per_artifact - 300) for _ in range(19)])

    with pytest.raises(ContextCapacityExceeded, match="bytes"):
        scenario.step(run_id, _heavy(per_artifact), _heavy(per_artifact), step_id="more")
    assert len(scenario.campaign.run(run_id).context_artifacts) == 19
    scenario.step(run_id, _heavy(per_artifact // 2), step_id="what-fits")
    assert len(scenario.campaign.run(run_id).context_artifacts) == 20


@pytest.mark.parametrize("status", [R.QUEUED, R.COMPLETED, R.FAILED, R.CANCELLED])
def test_a_step_or_quality_check_needs_a_running_run(scenario: Scenario, status: RunStatus) -> None:
    run_id = _run_in(scenario, status)

    with pytest.raises(RuleViolation) as step_refusal:
        scenario.step(run_id, context_artifact("plan"))
    with pytest.raises(RuleViolation) as check_refusal:
        scenario.campaign.record_quality_check(run_id, _check(new_id()), meta())

    assert step_refusal.value.code == check_refusal.value.code == "run-not-running"


def test_a_quality_check_names_an_artifact_of_the_context(scenario: Scenario) -> None:
    run_id = scenario.run()
    plan = context_artifact("plan")
    scenario.step(run_id, plan)

    scenario.campaign.record_quality_check(run_id, _check(plan.id), meta())

    event = scenario.campaign.pending_events[-1]
    assert (event.artifact_id, event.status) == (plan.id, "passed")  # type: ignore[attr-defined]
    with pytest.raises(UnknownReference):
        scenario.campaign.record_quality_check(run_id, _check(new_id()), meta())


def test_the_same_quality_check_again_appends_nothing(scenario: Scenario) -> None:
    run_id = scenario.run()
    plan = context_artifact("plan")
    scenario.step(run_id, plan)
    scenario.campaign.record_quality_check(run_id, _check(plan.id), meta())

    again = lambda: scenario.campaign.record_quality_check(run_id, _check(plan.id), meta())  # noqa: E731
    other = lambda: scenario.campaign.record_quality_check(  # noqa: E731
        run_id, _check(plan.id, QualityCheckStatus.WARNING), meta()
    )
    assert (scenario.appended(again), scenario.appended(other)) == (0, 1)


def test_a_run_queued_from_a_base_run_starts_from_its_context(scenario: Scenario) -> None:
    base = scenario.run()
    plan = context_artifact("plan")
    scenario.step(base, plan, step_id="s1")

    run_id = scenario.run(started=False, base_run_id=base)

    event = scenario.campaign.pending_events[-1]
    assert event.base_run_id == base  # type: ignore[attr-defined]
    assert event.refs == {"planArtifactId": plan.id}  # type: ignore[attr-defined]
    assert set(event.artifacts) == {plan.id}  # type: ignore[attr-defined]
    assert event.artifacts[plan.id]["stepId"] == "s1"  # type: ignore[attr-defined]
    assert event.input_hashes_by_step == {"s1": "in-1"}  # type: ignore[attr-defined]
    assert (
        scenario.campaign.run(run_id).context_artifacts
        == scenario.campaign.run(base).context_artifacts
    )


def test_a_run_context_copied_from_a_base_is_independent_of_it(scenario: Scenario) -> None:
    base = scenario.run()
    scenario.step(base, context_artifact("plan"), step_id="s1")
    run_id = scenario.run(base_run_id=base)

    scenario.step(run_id, context_artifact("plan"), step_id="s2")

    assert len(scenario.campaign.run(base).context_artifacts) == 1
    assert len(scenario.campaign.run(run_id).context_artifacts) == 2


def test_a_base_run_of_another_campaign_is_an_unknown_reference(scenario: Scenario) -> None:
    with pytest.raises(UnknownReference):
        scenario.run(base_run_id=new_id())


def test_a_completed_run_names_versions_of_this_campaign(scenario: Scenario) -> None:
    version_id = scenario.version(scenario.artifact())
    run_id = scenario.run()

    with pytest.raises(UnknownReference):
        scenario.campaign.complete_run(run_id, [new_id()], meta())
    scenario.campaign.complete_run(run_id, [version_id], meta())

    event = scenario.campaign.pending_events[-1]
    assert event.artifact_version_ids == [version_id]  # type: ignore[attr-defined]


def test_a_cancelled_campaign_queues_no_run_but_may_wind_its_runs_down(
    scenario: Scenario,
) -> None:
    run_id = scenario.run()
    scenario.cancel_campaign()

    with pytest.raises(RuleViolation, match="cancelled"):
        scenario.run()
    scenario.campaign.cancel_run(run_id, meta())

    assert scenario.campaign.run(run_id).status is R.CANCELLED
