"""The one upcast table of stored events: camelCase data for the projections, the same steps on
the library's snake_case state for the aggregate."""

from __future__ import annotations

from typing import Any

import pytest

from domain.campaign import Campaign
from domain.upcasting import upcast_data, upcast_library_state


@pytest.mark.parametrize(
    ("overall", "version_status"),
    [("Pass", "Audited"), ("Conditional", "Audited"), ("Fail", "Generated")],
)
def test_a_v1_audit_gains_the_version_status_its_overall_status_implies(
    overall: str, version_status: str
) -> None:
    data = {"auditReportId": "a", "overallStatus": overall}

    assert upcast_data("AuditRecorded", 1, data) == {**data, "versionStatus": version_status}


def test_data_in_its_current_form_is_returned_as_it_is() -> None:
    data = {"overallStatus": "Fail", "versionStatus": "Audited"}

    assert upcast_data("AuditRecorded", 2, data) == data
    assert upcast_data("CampaignCreated", 1, {"name": "x"}) == {"name": "x"}


def test_a_v1_audit_without_an_overall_status_cannot_be_upcast() -> None:
    with pytest.raises(KeyError):
        upcast_data("AuditRecorded", 1, {"auditReportId": "a"})


def test_the_library_state_gains_the_snake_case_field_and_keeps_its_own_keys() -> None:
    state: dict[str, Any] = {
        "originator_id": "c",
        "originator_version": 4,
        "timestamp": "2026-01-01T00:00:00+00:00",
        "metadata": {"tenantId": "acme"},
        "audit_report_id": "a",
        "overall_status": "Fail",
    }
    before = dict(state)

    upcast_library_state("AuditRecorded", 1, state)

    assert state == {**before, "version_status": "Generated"}


def test_the_aggregates_upcast_is_the_table_on_library_state() -> None:
    state: dict[str, Any] = {"overall_status": "Pass"}

    Campaign.AuditRecorded.upcast_v1_v2(state)

    assert state == {"overall_status": "Pass", "version_status": "Audited"}
