"""Revisions: feedback saved before the artifacts are regenerated, numbering, idempotency and the
bound on automatic (audit-failed) retries."""

from __future__ import annotations

import pytest

from domain.errors import (
    IdConflict,
    InvalidStatusTransition,
    RetryLimitReached,
    UnknownReference,
)
from domain.values import CampaignStatus, Iteration, Revision, RevisionReason
from tests.unit.domain.builders import Scenario, meta, new_id

USER = RevisionReason.USER_FEEDBACK
AUDIT = RevisionReason.AUDIT_FAILED


def _revision(reason: RevisionReason = USER, *, text: str = "Warmer", **more: object) -> Revision:
    return Revision.model_validate({"reason": reason, "feedbackText": text, **more})


def _generated(scenario: Scenario) -> Scenario:
    scenario.campaign.change_status(CampaignStatus.GENERATING, meta())
    scenario.campaign.change_status(CampaignStatus.GENERATED, meta())
    return scenario


def _revise(scenario: Scenario, reason: RevisionReason = USER, *, limit: int = 5) -> int:
    """Request a revision, then bring the campaign back to Generated; its number."""
    outcome = scenario.campaign.request_revision(
        new_id(), _revision(reason), max_audit_retries=limit, meta=meta()
    )
    scenario.campaign.change_status(CampaignStatus.GENERATED, meta())
    assert outcome.revision_number is not None
    return outcome.revision_number


def test_a_revision_saves_the_feedback_and_moves_the_campaign_to_generating_in_one_append(
    scenario: Scenario,
) -> None:
    artifact_id = scenario.artifact()
    _generated(scenario)
    revision_id = new_id()
    before = len(scenario.campaign.pending_events)

    outcome = scenario.campaign.request_revision(
        revision_id,
        _revision(specificChanges=["shorter intro"], artifactIds=[artifact_id]),
        max_audit_retries=5,
        meta=meta(),
    )

    status, requested = scenario.campaign.pending_events[before:]
    assert type(status).__name__ == "StatusChanged"
    assert (status.from_status, status.to_status) == ("Generated", "Generating")  # type: ignore[attr-defined]
    assert type(requested).__name__ == "RevisionRequested"
    assert requested.revision_number == 1  # type: ignore[attr-defined]
    assert requested.specific_changes == ["shorter intro"]  # type: ignore[attr-defined]
    assert requested.artifact_ids == [artifact_id]  # type: ignore[attr-defined]
    assert scenario.campaign.status == "Generating"
    assert (outcome.id, outcome.revision_number) == (revision_id, 1)
    assert outcome.version == scenario.campaign.version == requested.originator_version


@pytest.mark.parametrize("status", ["Generated", "Auditing", "Completed"])
def test_a_generated_auditing_or_completed_campaign_may_be_revised(
    scenario: Scenario, status: str
) -> None:
    _generated(scenario)
    if status != "Generated":
        scenario.campaign.change_status(CampaignStatus.AUDITING, meta())
    if status == "Completed":
        scenario.campaign.change_status(CampaignStatus.COMPLETED, meta())

    scenario.campaign.request_revision(new_id(), _revision(), max_audit_retries=5, meta=meta())

    assert scenario.campaign.status == "Generating"


@pytest.mark.parametrize("statuses", [[], ["Generating"], ["Cancelled"]])
def test_a_campaign_in_any_other_status_cannot_be_revised(
    scenario: Scenario, statuses: list[str]
) -> None:
    for status in statuses:
        scenario.campaign.change_status(CampaignStatus(status), meta())

    with pytest.raises(InvalidStatusTransition):
        scenario.campaign.request_revision(new_id(), _revision(), max_audit_retries=5, meta=meta())


def test_revisions_are_numbered_one_two_three_per_campaign(scenario: Scenario) -> None:
    _generated(scenario)

    numbers = [_revise(scenario, reason) for reason in (USER, AUDIT, USER)]

    assert numbers == [1, 2, 3]
    assert scenario.campaign.revision_count == 3


def test_the_same_revision_again_answers_its_first_result_and_appends_nothing(
    scenario: Scenario,
) -> None:
    _generated(scenario)
    revision_id = new_id()
    first = scenario.campaign.request_revision(
        revision_id, _revision(), max_audit_retries=5, meta=meta()
    )
    scenario.campaign.change_status(CampaignStatus.GENERATED, meta())

    appended = scenario.appended(
        lambda: scenario.campaign.request_revision(
            revision_id, _revision(), max_audit_retries=5, meta=meta()
        )
    )
    again = scenario.campaign.request_revision(
        revision_id, _revision(), max_audit_retries=5, meta=meta()
    )

    assert appended == 0
    assert (again.version, again.revision_number, again.appended) == (first.version, 1, False)


def test_the_same_revision_id_with_another_payload_is_an_id_conflict(scenario: Scenario) -> None:
    _generated(scenario)
    revision_id = new_id()
    scenario.campaign.request_revision(revision_id, _revision(), max_audit_retries=5, meta=meta())
    scenario.campaign.change_status(CampaignStatus.GENERATED, meta())

    with pytest.raises(IdConflict):
        scenario.campaign.request_revision(
            revision_id, _revision(text="Colder"), max_audit_retries=5, meta=meta()
        )


def test_artifact_ids_must_be_artifacts_of_the_campaign(scenario: Scenario) -> None:
    scenario.artifact()
    _generated(scenario)

    with pytest.raises(UnknownReference):
        scenario.campaign.request_revision(
            new_id(), _revision(artifactIds=[new_id()]), max_audit_retries=5, meta=meta()
        )


def test_audit_failed_revisions_are_refused_past_the_limit_in_a_row(scenario: Scenario) -> None:
    _generated(scenario)
    for _ in range(3):
        _revise(scenario, AUDIT, limit=3)

    with pytest.raises(RetryLimitReached) as refused:
        scenario.campaign.request_revision(
            new_id(), _revision(AUDIT), max_audit_retries=3, meta=meta()
        )

    assert refused.value.code == "retry-limit-reached"
    assert scenario.campaign.consecutive_audit_retries == 3


def test_a_user_feedback_revision_is_never_refused_by_the_limit_and_resets_the_count(
    scenario: Scenario,
) -> None:
    _generated(scenario)
    for _ in range(2):
        _revise(scenario, AUDIT, limit=2)

    _revise(scenario, USER, limit=2)

    assert scenario.campaign.consecutive_audit_retries == 0
    _revise(scenario, AUDIT, limit=2)
    assert scenario.campaign.consecutive_audit_retries == 1


def test_reaching_completed_resets_the_count(scenario: Scenario) -> None:
    _generated(scenario)
    for _ in range(2):
        _revise(scenario, AUDIT, limit=2)

    scenario.campaign.change_status(CampaignStatus.AUDITING, meta())
    scenario.campaign.change_status(CampaignStatus.COMPLETED, meta())

    assert scenario.campaign.consecutive_audit_retries == 0
    scenario.campaign.request_revision(new_id(), _revision(AUDIT), max_audit_retries=2, meta=meta())
    assert scenario.campaign.consecutive_audit_retries == 1


def test_other_status_changes_do_not_reset_the_count(scenario: Scenario) -> None:
    _generated(scenario)
    _revise(scenario, AUDIT)
    scenario.campaign.change_status(CampaignStatus.AUDITING, meta())
    scenario.campaign.change_status(CampaignStatus.GENERATING, meta())
    scenario.campaign.change_status(CampaignStatus.GENERATED, meta())

    assert scenario.campaign.consecutive_audit_retries == 1


def test_a_limit_of_zero_allows_no_automatic_retry(scenario: Scenario) -> None:
    _generated(scenario)

    with pytest.raises(RetryLimitReached):
        scenario.campaign.request_revision(
            new_id(), _revision(AUDIT), max_audit_retries=0, meta=meta()
        )


def test_a_repeat_is_answered_even_once_the_limit_is_reached(scenario: Scenario) -> None:
    _generated(scenario)
    last = new_id()
    scenario.campaign.request_revision(last, _revision(AUDIT), max_audit_retries=1, meta=meta())
    scenario.campaign.change_status(CampaignStatus.GENERATED, meta())

    again = scenario.campaign.request_revision(
        last, _revision(AUDIT), max_audit_retries=1, meta=meta()
    )

    assert (again.appended, again.revision_number) == (False, 1)


def test_an_iteration_may_name_a_revision_of_the_campaign(scenario: Scenario) -> None:
    artifact_id = scenario.artifact()
    old, new = scenario.version(artifact_id), scenario.version(artifact_id)
    _generated(scenario)
    revision_id = new_id()
    scenario.campaign.request_revision(revision_id, _revision(), max_audit_retries=5, meta=meta())
    iteration = Iteration(
        artifact_id=artifact_id,
        old_version_id=old,
        new_version_id=new,
        feedback_text="Shorter",
        revision_id=revision_id,
    )

    scenario.campaign.log_iteration(new_id(), iteration, meta())

    assert scenario.campaign.pending_events[-1].revision_id == revision_id  # type: ignore[attr-defined]


def test_an_iteration_naming_anything_but_a_revision_of_the_campaign_is_unknown(
    scenario: Scenario,
) -> None:
    artifact_id = scenario.artifact()
    old, new = scenario.version(artifact_id), scenario.version(artifact_id)

    for not_a_revision in (new_id(), artifact_id, old):
        iteration = Iteration(
            artifact_id=artifact_id,
            old_version_id=old,
            new_version_id=new,
            feedback_text="Shorter",
            revision_id=not_a_revision,
        )
        with pytest.raises(UnknownReference):
            scenario.campaign.log_iteration(new_id(), iteration, meta())


def test_a_revision_lives_beside_the_core_and_comes_back_when_named(scenario: Scenario) -> None:
    _generated(scenario)
    revision_id = new_id()
    scenario.campaign.request_revision(revision_id, _revision(), max_audit_retries=5, meta=meta())

    state = scenario.campaign.entity_states()[revision_id]

    assert state["kind"] == "revision"
    assert state["record"] == {"number": 1}
    assert state["receipt"] is not None
