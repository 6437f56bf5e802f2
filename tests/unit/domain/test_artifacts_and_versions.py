"""Artifacts (one per type) and their versions (numbered 1, 2, 3... per artifact)."""

from __future__ import annotations

import pytest

from domain.campaign import Campaign
from domain.errors import EntityNotFound, IdConflict, InvalidInput, RuleViolation, UnknownReference
from domain.values import MAX_CONTENT, ArtifactType
from tests.unit.domain.builders import T0, Scenario, meta, new_id


def test_an_artifact_is_created_with_its_type(scenario: Scenario) -> None:
    artifact_id = scenario.artifact(ArtifactType.SHORT_COPY)

    assert scenario.campaign.artifact(artifact_id).type == "ShortCopy"
    assert scenario.campaign.artifact_ids_by_type == {"ShortCopy": artifact_id}


def test_a_second_artifact_of_the_same_type_is_refused(scenario: Scenario) -> None:
    scenario.artifact(ArtifactType.COPY)

    with pytest.raises(RuleViolation) as refusal:
        scenario.artifact(ArtifactType.COPY)

    assert refusal.value.code == "duplicate-artifact-type"


def test_repeating_an_artifact_creation_answers_the_first_result_and_appends_nothing(
    scenario: Scenario,
) -> None:
    artifact_id = new_id()
    first = scenario.campaign.create_artifact(artifact_id, ArtifactType.COPY, meta())
    scenario.artifact(ArtifactType.VISUAL_CONCEPT)

    again = scenario.campaign.create_artifact(artifact_id, ArtifactType.COPY, meta())

    assert (again.id, again.version, again.appended) == (artifact_id, first.version, False)


def test_reusing_an_artifact_id_for_another_type_is_an_id_conflict(scenario: Scenario) -> None:
    artifact_id = new_id()
    scenario.campaign.create_artifact(artifact_id, ArtifactType.COPY, meta())

    with pytest.raises(IdConflict):
        scenario.campaign.create_artifact(artifact_id, ArtifactType.SHORT_COPY, meta())


def test_reusing_an_entity_id_for_another_kind_of_entity_is_an_id_conflict(
    scenario: Scenario,
) -> None:
    artifact_id = scenario.artifact()

    with pytest.raises(IdConflict):
        scenario.campaign.create_version(
            artifact_id, artifact_id, content="x", run_id=None, meta=meta()
        )


def test_versions_are_numbered_one_two_three_per_artifact(scenario: Scenario) -> None:
    copy = scenario.artifact(ArtifactType.COPY)
    visual = scenario.artifact(ArtifactType.VISUAL_CONCEPT)

    copies = [scenario.version(copy) for _ in range(3)]
    visuals = [scenario.version(visual) for _ in range(2)]

    campaign = scenario.campaign
    assert [campaign.artifact_version(v).number for v in copies] == [1, 2, 3]
    assert [campaign.artifact_version(v).number for v in visuals] == [1, 2]
    assert (campaign.artifact(copy).version_count, campaign.artifact(copy).latest_version_id) == (
        3,
        copies[-1],
    )


def test_a_new_version_is_generated_and_its_event_names_artifact_and_number(
    scenario: Scenario,
) -> None:
    artifact_id = scenario.artifact()
    version_id = new_id()

    outcome = scenario.campaign.create_version(
        version_id, artifact_id, content="Run further.", run_id=None, meta=meta()
    )

    event = scenario.campaign.pending_events[-1]
    assert type(event).__name__ == "VersionCreated"
    assert event.version_number == 1  # type: ignore[attr-defined]
    assert event.artifact_type == "Copy"  # type: ignore[attr-defined]
    assert event.content == "Run further."  # type: ignore[attr-defined]
    assert scenario.campaign.artifact_version(version_id).status == "Generated"
    assert (outcome.version_number, outcome.version) == (1, scenario.campaign.version)


def test_the_campaign_state_keeps_no_version_content(scenario: Scenario) -> None:
    artifact_id = scenario.artifact()
    scenario.version(artifact_id, content="A very particular sentence.")

    assert "A very particular sentence." not in repr(vars(scenario.campaign)["versions"])


def test_repeating_a_version_creation_answers_its_number_and_first_version(
    scenario: Scenario,
) -> None:
    artifact_id = scenario.artifact()
    version_id = new_id()
    first = scenario.campaign.create_version(
        version_id, artifact_id, content="x", run_id=None, meta=meta()
    )
    scenario.version(artifact_id)

    again = scenario.campaign.create_version(
        version_id, artifact_id, content="x", run_id=None, meta=meta()
    )

    assert (again.version, again.version_number, again.appended) == (first.version, 1, False)


def test_a_version_id_repeated_with_other_content_is_an_id_conflict(scenario: Scenario) -> None:
    artifact_id = scenario.artifact()
    version_id = new_id()
    scenario.campaign.create_version(version_id, artifact_id, content="x", run_id=None, meta=meta())

    with pytest.raises(IdConflict):
        scenario.campaign.create_version(
            version_id, artifact_id, content="y", run_id=None, meta=meta()
        )


def test_a_version_of_an_unknown_artifact_is_not_found(scenario: Scenario) -> None:
    with pytest.raises(EntityNotFound):
        scenario.campaign.create_version(new_id(), new_id(), content="x", run_id=None, meta=meta())


def test_a_version_naming_a_run_of_another_campaign_is_an_unknown_reference(
    scenario: Scenario,
) -> None:
    artifact_id = scenario.artifact()

    with pytest.raises(UnknownReference):
        scenario.campaign.create_version(
            new_id(), artifact_id, content="x", run_id=new_id(), meta=meta()
        )


def test_a_version_keeps_the_run_that_produced_it(scenario: Scenario) -> None:
    artifact_id = scenario.artifact()
    run_id = scenario.run()
    version_id = new_id()

    scenario.campaign.create_version(
        version_id, artifact_id, content="x", run_id=run_id, meta=meta()
    )

    assert scenario.campaign.versions[version_id]["run_id"] == run_id


def test_content_longer_than_the_limit_is_refused(scenario: Scenario) -> None:
    artifact_id = scenario.artifact()

    with pytest.raises(InvalidInput):
        scenario.campaign.create_version(
            new_id(), artifact_id, content="x" * (MAX_CONTENT + 1), run_id=None, meta=meta()
        )


def test_a_version_event_that_would_leave_a_gap_in_the_numbers_cannot_be_applied(
    scenario: Scenario,
) -> None:
    campaign = scenario.campaign
    artifact_id = scenario.artifact()
    gap = Campaign.VersionCreated(  # type: ignore[call-arg]
        originator_id=campaign.id,
        originator_version=campaign.version + 1,
        timestamp=T0,
        metadata={},
        version_id=new_id(),
        artifact_id=artifact_id,
        artifact_type="Copy",
        version_number=2,
        content="x",
        run_id=None,
    )

    with pytest.raises(RuleViolation) as refusal:
        gap.mutate(campaign)

    assert refusal.value.code == "version-order"
    assert campaign.versions == {}
