"""If-Match (``expected_version``): a repeat answers its first result whatever the pin; only a
command that would append, or that the aggregate refuses, must meet the pinned version."""

from __future__ import annotations

import pytest

from application.service import CampaignService
from domain.errors import IdConflict, PreconditionFailed, RuleViolation
from tests.unit.application.builders import brief, ctx, ledger, new_id


@pytest.fixture
def service() -> CampaignService:
    return ledger()


def _event_count(service: CampaignService, campaign_id: str, tenant_id: str = "default") -> int:
    return len(service.read_events(tenant_id, campaign_id, limit=1000))


def test_a_campaign_creation_repeated_with_the_same_if_match_answers_the_first_result(
    service: CampaignService,
) -> None:
    campaign_id = new_id()
    first = service.create_campaign(
        ctx(expected_version=0), name="Spring", brief=brief(), campaign_id=campaign_id
    )

    again = service.create_campaign(
        ctx(expected_version=0), name="Spring", brief=brief(), campaign_id=campaign_id
    )

    assert (first.version, first.appended) == (1, True)
    assert (again.id, again.version, again.appended) == (campaign_id, 1, False)
    assert _event_count(service, campaign_id) == 1


def test_a_new_campaign_under_a_pin_other_than_zero_is_a_failed_precondition(
    service: CampaignService,
) -> None:
    campaign_id = new_id()

    with pytest.raises(PreconditionFailed) as refusal:
        service.create_campaign(
            ctx(expected_version=3), name="Spring", brief=brief(), campaign_id=campaign_id
        )

    assert (refusal.value.expected, refusal.value.actual) == (3, 0)


def test_a_create_repeated_under_its_first_pin_after_other_commands_answers_the_first_result(
    service: CampaignService,
) -> None:
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    artifact_id = new_id()
    first = service.create_artifact(
        ctx(expected_version=1), campaign_id, artifact_type="Copy", artifact_id=artifact_id
    )
    service.update_campaign(ctx(), campaign_id, name="Renamed")

    again = service.create_artifact(
        ctx(expected_version=1), campaign_id, artifact_type="Copy", artifact_id=artifact_id
    )

    assert (again.id, again.version, again.appended) == (artifact_id, first.version, False)
    assert _event_count(service, campaign_id) == 3


def test_a_command_whose_effect_is_in_place_answers_the_current_version_whatever_the_pin(
    service: CampaignService,
) -> None:
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    artifact_id = service.create_artifact(ctx(), campaign_id, artifact_type="Copy").id
    version_id = service.create_version(ctx(), campaign_id, artifact_id, content="Run").id
    archived = service.archive_version(ctx(expected_version=3), campaign_id, version_id)

    again = service.archive_version(ctx(expected_version=3), campaign_id, version_id)

    assert (archived.version, archived.appended) == (4, True)
    assert (again.status, again.version, again.appended) == ("Archived", 4, False)
    assert _event_count(service, campaign_id) == 4


def test_a_command_that_would_append_under_a_stale_pin_is_refused_and_appends_nothing(
    service: CampaignService,
) -> None:
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    service.update_campaign(ctx(), campaign_id, name="Renamed")

    with pytest.raises(PreconditionFailed) as refusal:
        service.update_campaign(ctx(expected_version=1), campaign_id, name="Stale")

    assert (refusal.value.expected, refusal.value.actual) == (1, 2)
    assert _event_count(service, campaign_id) == 2


def test_a_refusal_decided_on_a_state_other_than_the_pinned_one_is_a_failed_precondition(
    service: CampaignService,
) -> None:
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    artifact_id = service.create_artifact(ctx(), campaign_id, artifact_type="Copy").id
    version_id = service.create_version(ctx(), campaign_id, artifact_id, content="Run").id

    with pytest.raises(PreconditionFailed):
        service.approve_version(ctx(expected_version=1), campaign_id, version_id)
    with pytest.raises(RuleViolation) as refusal:
        service.approve_version(ctx(expected_version=3), campaign_id, version_id)

    assert refusal.value.code == "version-not-approvable"


def test_a_campaign_id_reused_by_another_tenant_stays_an_id_conflict_under_a_stale_pin(
    service: CampaignService,
) -> None:
    campaign_id = service.create_campaign(ctx("acme"), name="Spring", brief=brief()).id
    service.update_campaign(ctx("acme"), campaign_id, name="Renamed")

    # A 412 would tell the other tenant the campaign's version.
    with pytest.raises(IdConflict):
        service.create_campaign(
            ctx("globex", expected_version=0),
            name="Spring",
            brief=brief(),
            campaign_id=campaign_id,
        )
