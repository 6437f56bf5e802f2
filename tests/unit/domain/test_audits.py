"""Audit reports: lineage per version, the latest is current, none without its version."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.campaign import Campaign
from domain.errors import EntityNotFound, IdConflict, RuleViolation
from domain.values import AuditStatus, VersionStatus
from tests.unit.domain.builders import T0, Scenario, meta, new_id, report


@pytest.mark.parametrize(
    ("overall", "expected"),
    [
        (AuditStatus.PASS, VersionStatus.AUDITED),
        (AuditStatus.CONDITIONAL, VersionStatus.AUDITED),
        (AuditStatus.FAIL, VersionStatus.GENERATED),
    ],
)
def test_an_audit_sets_the_version_status_by_its_overall_status(
    scenario: Scenario, overall: AuditStatus, expected: VersionStatus
) -> None:
    version_id = scenario.version(scenario.artifact())

    scenario.campaign.record_audit(new_id(), version_id, report(overall), meta())

    event = scenario.campaign.pending_events[-1]
    assert event.version_status == expected  # type: ignore[attr-defined]
    assert scenario.campaign.artifact_version(version_id).status == expected


def test_a_version_may_be_audited_again_and_its_latest_report_is_current(
    scenario: Scenario,
) -> None:
    version_id = scenario.version(scenario.artifact())
    first, second = new_id(), new_id()

    scenario.campaign.record_audit(first, version_id, report(AuditStatus.PASS), meta())
    scenario.campaign.record_audit(second, version_id, report(AuditStatus.FAIL), meta())

    version = scenario.campaign.artifact_version(version_id)
    assert (version.audit_count, version.latest_audit_report_id) == (2, second)
    lineage = [
        event.audit_report_id
        for event in scenario.campaign.pending_events
        if isinstance(event, Campaign.AuditRecorded) and event.version_id == version_id
    ]
    assert lineage == [first, second]
    assert (version.audit_status, version.status) == (AuditStatus.FAIL, VersionStatus.GENERATED)


def test_an_audit_event_carries_the_report_in_wire_form(scenario: Scenario) -> None:
    artifact_id = scenario.artifact()
    version_id = scenario.version(artifact_id)

    scenario.campaign.record_audit(new_id(), version_id, report(score=75), meta())

    event = scenario.campaign.pending_events[-1]
    assert event.artifact_id == artifact_id  # type: ignore[attr-defined]
    assert event.category_scores == {"brand": {"score": 75.0}}  # type: ignore[attr-defined]
    assert event.flagged_items == []  # type: ignore[attr-defined]


def test_an_audit_of_an_unknown_version_is_not_found(scenario: Scenario) -> None:
    with pytest.raises(EntityNotFound):
        scenario.campaign.record_audit(new_id(), new_id(), report(), meta())


def test_an_archived_version_cannot_be_audited(scenario: Scenario) -> None:
    version_id = scenario.version(scenario.artifact())
    scenario.campaign.archive_version(version_id, meta())

    with pytest.raises(RuleViolation) as refusal:
        scenario.campaign.record_audit(new_id(), version_id, report(), meta())

    assert refusal.value.code == "version-archived"


def test_an_approved_version_cannot_be_audited(scenario: Scenario) -> None:
    version_id = scenario.approved(scenario.artifact())

    with pytest.raises(RuleViolation) as refusal:
        scenario.campaign.record_audit(new_id(), version_id, report(), meta())

    assert refusal.value.code == "version-approved"


def test_repeating_an_audit_answers_the_first_result(scenario: Scenario) -> None:
    version_id = scenario.version(scenario.artifact())
    audit_id = new_id()
    first = scenario.campaign.record_audit(audit_id, version_id, report(), meta())

    again = scenario.campaign.record_audit(audit_id, version_id, report(), meta())

    assert (again.version, again.appended) == (first.version, False)
    version = scenario.campaign.artifact_version(version_id)
    assert (version.audit_count, version.latest_audit_report_id) == (1, audit_id)


def test_an_audit_id_repeated_with_another_report_is_an_id_conflict(scenario: Scenario) -> None:
    version_id = scenario.version(scenario.artifact())
    audit_id = new_id()
    scenario.campaign.record_audit(audit_id, version_id, report(score=90), meta())

    with pytest.raises(IdConflict):
        scenario.campaign.record_audit(audit_id, version_id, report(score=10), meta())


def test_an_audit_event_for_a_version_that_does_not_exist_cannot_be_applied(
    scenario: Scenario,
) -> None:
    campaign: Campaign = scenario.campaign
    forged = Campaign.AuditRecorded(  # type: ignore[call-arg]
        originator_id=campaign.id,
        originator_version=campaign.version + 1,
        timestamp=T0,
        metadata={},
        audit_report_id=new_id(),
        version_id=new_id(),
        artifact_id=new_id(),
        overall_status="Pass",
        category_scores={},
        flagged_items=[],
        recommendations=[],
        version_status="Audited",
    )
    before = campaign.version

    with pytest.raises(EntityNotFound):
        forged.mutate(campaign)

    assert campaign.version == before
    assert forged.audit_report_id not in campaign.receipts
    assert isinstance(campaign.id, UUID)
