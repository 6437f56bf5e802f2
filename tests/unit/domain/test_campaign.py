"""The campaign itself: creation, updates, the status machine, soft delete and tenancy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from domain.campaign import Campaign
from domain.errors import (
    CampaignNotFound,
    IdConflict,
    InvalidInput,
    InvalidStatusTransition,
    RuleViolation,
)
from domain.lifecycle import CAMPAIGN_TRANSITIONS
from domain.values import (
    ArtifactType,
    CampaignStatus,
    Iteration,
    QualityCheck,
    QualityCheckStatus,
)
from tests.unit.domain.builders import (
    T0,
    Scenario,
    brief,
    context_artifact,
    later,
    meta,
    new_id,
    report,
)

S = CampaignStatus


def test_a_new_campaign_is_a_draft_owned_by_the_creating_tenant() -> None:
    campaign = Campaign.create(new_id(), name="Spring", brief=brief(), meta=meta(tenant_id="acme"))

    assert campaign.status == "Draft"
    assert campaign.tenant_id == "acme"
    assert campaign.version == 1
    assert [type(e).__name__ for e in campaign.pending_events] == ["CampaignCreated"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_campaign_name_must_be_one_to_two_hundred_characters_and_not_blank(name: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        Campaign.create(new_id(), name=name, brief=brief(), meta=meta())

    assert refusal.value.errors[0].field == "name"


def test_a_repeated_creation_answers_the_first_version_without_appending(
    scenario: Scenario,
) -> None:
    campaign = scenario.campaign
    scenario.artifact()

    outcome = campaign.answer_repeated_creation(name="Spring", brief=brief(), tenant_id="default")

    assert (outcome.version, outcome.appended) == (1, False)


@pytest.mark.parametrize(
    ("name", "objective", "tenant"),
    [
        ("Autumn", "Launch the spring range", "default"),
        ("Spring", "Other", "default"),
        ("Spring", "Launch the spring range", "acme"),
    ],
)
def test_a_creation_repeating_the_id_with_another_payload_or_tenant_is_an_id_conflict(
    scenario: Scenario, name: str, objective: str, tenant: str
) -> None:
    with pytest.raises(IdConflict):
        scenario.campaign.answer_repeated_creation(
            name=name, brief=brief(objective), tenant_id=tenant
        )


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_repeated_creation_with_a_name_that_breaks_its_rule_is_invalid_input_not_a_conflict(
    scenario: Scenario, name: str
) -> None:
    with pytest.raises(InvalidInput) as refusal:
        scenario.campaign.answer_repeated_creation(name=name, brief=brief(), tenant_id="default")

    assert refusal.value.errors[0].field == "name"


def test_an_update_records_only_what_it_changes(scenario: Scenario) -> None:
    outcome = scenario.campaign.update(name="Summer", brief=None, meta=meta())

    event = scenario.campaign.pending_events[-1]
    assert type(event).__name__ == "CampaignUpdated"
    assert (event.name, event.brief) == ("Summer", None)  # type: ignore[attr-defined]
    assert outcome.version == 2


def test_an_update_with_neither_name_nor_brief_is_refused(scenario: Scenario) -> None:
    with pytest.raises(InvalidInput):
        scenario.campaign.update(name=None, brief=None, meta=meta())


def test_an_update_with_a_blank_name_is_refused(scenario: Scenario) -> None:
    with pytest.raises(InvalidInput):
        scenario.campaign.update(name=" ", brief=brief(), meta=meta())


ALLOWED = [(a, b) for a, targets in CAMPAIGN_TRANSITIONS.items() for b in targets]
REFUSED = [(a, b) for a in S for b in S if a != b and b not in CAMPAIGN_TRANSITIONS[a]]


def _campaign_in(status: CampaignStatus) -> Campaign:
    path = {
        S.DRAFT: [],
        S.GENERATING: [S.GENERATING],
        S.GENERATED: [S.GENERATING, S.GENERATED],
        S.AUDITING: [S.GENERATING, S.GENERATED, S.AUDITING],
        S.COMPLETED: [S.GENERATING, S.GENERATED, S.AUDITING, S.COMPLETED],
        S.CANCELLED: [S.CANCELLED],
    }[status]
    campaign = Scenario().campaign
    for step in path:
        campaign.change_status(step, meta())
    return campaign


def test_the_status_machine_matches_the_contract() -> None:
    assert set(ALLOWED) == {
        (S.DRAFT, S.GENERATING),
        (S.GENERATING, S.GENERATED),
        (S.GENERATED, S.AUDITING),
        (S.AUDITING, S.COMPLETED),
        (S.GENERATED, S.GENERATING),
        (S.AUDITING, S.GENERATING),
        (S.COMPLETED, S.GENERATING),
        (S.DRAFT, S.CANCELLED),
        (S.GENERATING, S.CANCELLED),
        (S.GENERATED, S.CANCELLED),
        (S.AUDITING, S.CANCELLED),
        (S.COMPLETED, S.CANCELLED),
    }


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_an_allowed_status_change_is_recorded_with_both_ends(
    current: CampaignStatus, target: CampaignStatus
) -> None:
    campaign = _campaign_in(current)

    outcome = campaign.change_status(target, meta())

    event = campaign.pending_events[-1]
    assert (event.from_status, event.to_status) == (current, target)  # type: ignore[attr-defined]
    assert (campaign.status, outcome.status) == (target, target)


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_any_other_status_change_is_an_invalid_status_transition(
    current: CampaignStatus, target: CampaignStatus
) -> None:
    campaign = _campaign_in(current)

    with pytest.raises(InvalidStatusTransition):
        campaign.change_status(target, meta())
    assert campaign.status == current


@pytest.mark.parametrize("status", list(S))
def test_asking_for_the_current_status_appends_nothing(status: CampaignStatus) -> None:
    campaign = _campaign_in(status)
    version = campaign.version

    outcome = campaign.change_status(status, meta())

    assert (outcome.appended, outcome.version, campaign.version) == (False, version, version)


def test_a_cancelled_campaign_takes_no_new_work(scenario: Scenario) -> None:
    artifact_id = scenario.artifact()
    scenario.cancel_campaign()

    with pytest.raises(RuleViolation) as refusal:
        scenario.campaign.create_version(
            new_id(), artifact_id, content="x", run_id=None, meta=meta()
        )
    assert refusal.value.code == "campaign-cancelled"
    with pytest.raises(RuleViolation, match="cancelled"):
        scenario.campaign.update(name="Other", brief=None, meta=meta())


def test_a_delete_records_the_end_of_the_restore_window(scenario: Scenario) -> None:
    scenario.campaign.delete(timedelta(days=30), meta(at=T0))

    event = scenario.campaign.pending_events[-1]
    assert type(event).__name__ == "CampaignDeleted"
    assert event.restore_until == later(30).isoformat()  # type: ignore[attr-defined]
    assert scenario.campaign.is_deleted


def test_a_deleted_campaign_is_hidden_from_its_own_tenant(scenario: Scenario) -> None:
    scenario.campaign.delete(timedelta(days=30), meta())

    with pytest.raises(CampaignNotFound):
        scenario.campaign.ensure_visible_to("default")
    scenario.campaign.ensure_owned_by("default")


def test_a_campaign_of_another_tenant_is_not_found(scenario: Scenario) -> None:
    with pytest.raises(CampaignNotFound):
        scenario.campaign.ensure_visible_to("acme")
    with pytest.raises(CampaignNotFound):
        scenario.campaign.ensure_owned_by("acme")


def test_deleting_a_deleted_campaign_is_not_found(scenario: Scenario) -> None:
    scenario.campaign.delete(timedelta(days=30), meta())

    with pytest.raises(CampaignNotFound):
        scenario.campaign.delete(timedelta(days=30), meta())


def test_a_restore_within_the_window_makes_the_campaign_visible_again(
    scenario: Scenario,
) -> None:
    scenario.campaign.delete(timedelta(days=30), meta(at=T0))

    scenario.campaign.restore(meta(at=later(30)))

    assert not scenario.campaign.is_deleted
    scenario.campaign.ensure_visible_to("default")


def test_a_restore_after_the_window_is_refused(scenario: Scenario) -> None:
    scenario.campaign.delete(timedelta(days=30), meta(at=T0))

    with pytest.raises(RuleViolation) as refusal:
        scenario.campaign.restore(meta(at=later(30.001)))

    assert refusal.value.code == "restore-window-expired"
    assert scenario.campaign.is_deleted


def test_restoring_a_campaign_that_is_not_deleted_is_refused(scenario: Scenario) -> None:
    with pytest.raises(RuleViolation) as refusal:
        scenario.campaign.restore(meta())

    assert refusal.value.code == "campaign-not-deleted"


def _cancelled_commands(s: Scenario) -> dict[str, Callable[[], object]]:
    """Each command that adds work or content, set up so that only cancellation refuses it."""
    c = s.campaign
    copy = s.artifact(ArtifactType.COPY)
    old, new = s.version(copy), s.version(copy)
    audited = s.audited(copy)
    queued, running = s.run(started=False), s.run()
    plan = context_artifact("plan")
    s.step(running, plan, step_id="first")
    iteration = Iteration(
        artifact_id=copy, old_version_id=old, new_version_id=new, feedback_text="x"
    )
    check = QualityCheck(artifact_id=plan.id, check_type="size", status=QualityCheckStatus.PASSED)
    s.cancel_campaign()
    return {
        "update": lambda: c.update(name="Other", brief=None, meta=meta()),
        "artifact": lambda: c.create_artifact(new_id(), ArtifactType.SHORT_COPY, meta()),
        "version": lambda: c.create_version(new_id(), copy, content="x", run_id=None, meta=meta()),
        "audit": lambda: c.record_audit(new_id(), new, report(), meta()),
        "approve": lambda: c.approve_version(audited, meta()),
        "activate": lambda: c.set_active_version(ArtifactType.COPY, new, meta()),
        "iteration": lambda: c.log_iteration(new_id(), iteration, meta()),
        "queue": lambda: s.run(started=False),
        "start": lambda: c.start_run(queued, meta()),
        "step": lambda: s.step(running, context_artifact("bgm"), step_id="second"),
        "check": lambda: c.record_quality_check(running, check, meta()),
    }


@pytest.mark.parametrize(
    "command",
    [
        "update",
        "artifact",
        "version",
        "audit",
        "approve",
        "activate",
        "iteration",
        "queue",
        "start",
        "step",
        "check",
    ],
)
def test_every_command_that_adds_work_is_refused_on_a_cancelled_campaign(
    scenario: Scenario, command: str
) -> None:
    attempt = _cancelled_commands(scenario)[command]

    with pytest.raises(RuleViolation) as refusal:
        attempt()

    assert refusal.value.code == "campaign-cancelled"


def test_a_cancelled_campaign_may_still_archive_end_runs_and_be_deleted(
    scenario: Scenario,
) -> None:
    version_id = scenario.version(scenario.artifact())
    running, queued = scenario.run(), scenario.run(started=False)
    scenario.cancel_campaign()
    campaign = scenario.campaign

    campaign.archive_version(version_id, meta())
    campaign.complete_run(running, [version_id], meta())
    campaign.cancel_run(queued, meta())
    campaign.delete(timedelta(days=1), meta())

    assert campaign.is_deleted
