"""Approving, archiving and activating versions."""

from __future__ import annotations

import pytest

from domain.errors import EntityNotFound, RuleViolation, UnknownReference
from domain.values import ArtifactType, AuditStatus, VersionStatus
from tests.unit.domain.builders import Scenario, meta, new_id


def test_a_version_whose_latest_audit_passes_can_be_approved(scenario: Scenario) -> None:
    artifact_id = scenario.artifact()
    version_id = scenario.audited(artifact_id, AuditStatus.CONDITIONAL)

    outcome = scenario.campaign.approve_version(version_id, meta())

    assert outcome.status == VersionStatus.APPROVED
    assert scenario.campaign.artifact_version(version_id).status == VersionStatus.APPROVED


@pytest.mark.parametrize("audit", [None, AuditStatus.FAIL])
def test_a_version_without_a_passing_latest_audit_is_not_approvable(
    scenario: Scenario, audit: AuditStatus | None
) -> None:
    artifact_id = scenario.artifact()
    version_id = (
        scenario.version(artifact_id) if audit is None else scenario.audited(artifact_id, audit)
    )

    with pytest.raises(RuleViolation) as refusal:
        scenario.campaign.approve_version(version_id, meta())

    assert refusal.value.code == "version-not-approvable"


def test_an_archived_version_cannot_be_approved(scenario: Scenario) -> None:
    version_id = scenario.audited(scenario.artifact())
    scenario.campaign.archive_version(version_id, meta())

    with pytest.raises(RuleViolation) as refusal:
        scenario.campaign.approve_version(version_id, meta())

    assert refusal.value.code == "version-archived"


def test_approving_an_approved_version_appends_nothing(scenario: Scenario) -> None:
    version_id = scenario.approved(scenario.artifact())

    assert scenario.appended(lambda: scenario.campaign.approve_version(version_id, meta())) == 0
    assert scenario.campaign.approve_version(version_id, meta()).appended is False


def test_approving_an_unknown_version_is_not_found(scenario: Scenario) -> None:
    with pytest.raises(EntityNotFound):
        scenario.campaign.approve_version(new_id(), meta())


def test_archiving_keeps_the_version_and_its_audits(scenario: Scenario) -> None:
    version_id = scenario.audited(scenario.artifact())

    outcome = scenario.campaign.archive_version(version_id, meta())

    version = scenario.campaign.artifact_version(version_id)
    assert (outcome.status, version.status) == (VersionStatus.ARCHIVED, VersionStatus.ARCHIVED)
    assert version.audit_count == 1


def test_an_approved_version_that_is_not_active_can_be_archived(scenario: Scenario) -> None:
    version_id = scenario.approved(scenario.artifact())

    scenario.campaign.archive_version(version_id, meta())

    assert scenario.campaign.artifact_version(version_id).status == VersionStatus.ARCHIVED


def test_archiving_an_archived_version_appends_nothing(scenario: Scenario) -> None:
    version_id = scenario.version(scenario.artifact())
    scenario.campaign.archive_version(version_id, meta())

    assert scenario.appended(lambda: scenario.campaign.archive_version(version_id, meta())) == 0


def test_the_active_version_cannot_be_archived(scenario: Scenario) -> None:
    version_id = scenario.version(scenario.artifact(ArtifactType.COPY))
    scenario.campaign.set_active_version(ArtifactType.COPY, version_id, meta())

    with pytest.raises(RuleViolation) as refusal:
        scenario.campaign.archive_version(version_id, meta())

    assert refusal.value.code == "active-version-cannot-be-archived"


def test_a_version_of_the_artifact_of_that_type_becomes_active(scenario: Scenario) -> None:
    artifact_id = scenario.artifact(ArtifactType.VISUAL_CONCEPT)
    version_id = scenario.version(artifact_id)

    scenario.campaign.set_active_version(ArtifactType.VISUAL_CONCEPT, version_id, meta())

    event = scenario.campaign.pending_events[-1]
    assert (event.artifact_type, event.artifact_id) == (  # type: ignore[attr-defined]
        "VisualConcept",
        artifact_id,
    )
    assert scenario.campaign.active_versions == {"VisualConcept": version_id}


def test_a_newer_version_replaces_the_active_one(scenario: Scenario) -> None:
    artifact_id = scenario.artifact()
    first, second = scenario.version(artifact_id), scenario.version(artifact_id)
    scenario.campaign.set_active_version(ArtifactType.COPY, first, meta())

    scenario.campaign.set_active_version(ArtifactType.COPY, second, meta())

    assert scenario.campaign.active_versions["Copy"] == second


def test_activating_a_version_of_another_type_is_a_mismatch(scenario: Scenario) -> None:
    version_id = scenario.version(scenario.artifact(ArtifactType.COPY))

    with pytest.raises(RuleViolation) as refusal:
        scenario.campaign.set_active_version(ArtifactType.SHORT_COPY, version_id, meta())

    assert refusal.value.code == "version-artifact-mismatch"


def test_an_archived_version_cannot_be_activated(scenario: Scenario) -> None:
    version_id = scenario.version(scenario.artifact())
    scenario.campaign.archive_version(version_id, meta())

    with pytest.raises(RuleViolation) as refusal:
        scenario.campaign.set_active_version(ArtifactType.COPY, version_id, meta())

    assert refusal.value.code == "version-archived"


def test_activating_an_unknown_version_is_an_unknown_reference(scenario: Scenario) -> None:
    scenario.artifact()

    with pytest.raises(UnknownReference):
        scenario.campaign.set_active_version(ArtifactType.COPY, new_id(), meta())


def test_setting_the_active_version_it_already_is_appends_nothing(scenario: Scenario) -> None:
    version_id = scenario.version(scenario.artifact())
    scenario.campaign.set_active_version(ArtifactType.COPY, version_id, meta())

    outcome = scenario.campaign.set_active_version(ArtifactType.COPY, version_id, meta())

    assert (outcome.appended, outcome.version) == (False, scenario.campaign.version)
