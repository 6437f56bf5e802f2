"""Iteration logs: feedback leading from an older version of an artifact to a newer one."""

from __future__ import annotations

import pytest

from domain.errors import IdConflict, RuleViolation, UnknownReference
from domain.values import ArtifactType, Iteration
from tests.unit.domain.builders import Scenario, meta, new_id


def _iteration(artifact_id: str, old: str, new: str, text: str = "Shorter") -> Iteration:
    return Iteration(
        artifact_id=artifact_id, old_version_id=old, new_version_id=new, feedback_text=text
    )


def test_feedback_from_an_older_to_a_newer_version_is_logged(scenario: Scenario) -> None:
    artifact_id = scenario.artifact()
    old, new = scenario.version(artifact_id), scenario.version(artifact_id)
    iteration_id = new_id()

    outcome = scenario.campaign.log_iteration(
        iteration_id, _iteration(artifact_id, old, new), meta()
    )

    event = scenario.campaign.pending_events[-1]
    assert type(event).__name__ == "FeedbackLogged"
    assert (event.old_version_id, event.new_version_id) == (old, new)  # type: ignore[attr-defined]
    assert event.feedback_tags == []  # type: ignore[attr-defined]
    assert outcome.id == iteration_id


def test_archived_versions_may_be_named_in_an_iteration(scenario: Scenario) -> None:
    artifact_id = scenario.artifact()
    old, new = scenario.version(artifact_id), scenario.version(artifact_id)
    scenario.campaign.archive_version(old, meta())

    outcome = scenario.campaign.log_iteration(new_id(), _iteration(artifact_id, old, new), meta())

    assert outcome.appended


def test_the_new_version_must_come_after_the_old_one(scenario: Scenario) -> None:
    artifact_id = scenario.artifact()
    old, new = scenario.version(artifact_id), scenario.version(artifact_id)

    for first, second in ((new, old), (old, old)):
        with pytest.raises(RuleViolation) as refusal:
            scenario.campaign.log_iteration(
                new_id(), _iteration(artifact_id, first, second), meta()
            )
        assert refusal.value.code == "iteration-order"


def test_both_versions_must_belong_to_the_artifact(scenario: Scenario) -> None:
    copy = scenario.artifact(ArtifactType.COPY)
    visual = scenario.artifact(ArtifactType.VISUAL_CONCEPT)
    old, foreign = scenario.version(copy), scenario.version(visual)

    with pytest.raises(RuleViolation) as refusal:
        scenario.campaign.log_iteration(new_id(), _iteration(copy, old, foreign), meta())

    assert refusal.value.code == "version-artifact-mismatch"


def test_an_unknown_version_or_artifact_is_an_unknown_reference(scenario: Scenario) -> None:
    artifact_id = scenario.artifact()
    old = scenario.version(artifact_id)

    with pytest.raises(UnknownReference):
        scenario.campaign.log_iteration(new_id(), _iteration(artifact_id, old, new_id()), meta())
    with pytest.raises(UnknownReference):
        scenario.campaign.log_iteration(new_id(), _iteration(new_id(), old, old), meta())


def test_repeating_an_iteration_answers_the_first_result(scenario: Scenario) -> None:
    artifact_id = scenario.artifact()
    old, new = scenario.version(artifact_id), scenario.version(artifact_id)
    iteration_id = new_id()
    first = scenario.campaign.log_iteration(iteration_id, _iteration(artifact_id, old, new), meta())

    again = scenario.campaign.log_iteration(iteration_id, _iteration(artifact_id, old, new), meta())
    assert (again.version, again.appended) == (first.version, False)
    with pytest.raises(IdConflict):
        scenario.campaign.log_iteration(
            iteration_id, _iteration(artifact_id, old, new, "Longer"), meta()
        )
