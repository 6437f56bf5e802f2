"""Every command route of API.md against a fake ``CampaignService``: status, body, headers, and
what reaches the service."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
from fastapi.testclient import TestClient

from domain.values import AuditReport, Brief, ContextArtifact, Iteration, QualityCheck, Revision
from tests.unit.api.fakes import FakeServices
from tests.unit.api.samples import AID, CID, HASH, RID, VID, VID2, audit, brief, context_artifact

B = f"/api/campaigns/{CID}"


class Case(NamedTuple):
    method: str
    path: str
    body: dict[str, Any] | None
    status: int
    service_method: str
    keys: set[str]


ENTITY = {"id", "version"}
STATUS = {"id", "status", "version"}

COMMANDS = [
    Case(
        "POST",
        "/api/campaigns",
        {"name": "Spring", "brief": brief()},
        201,
        "create_campaign",
        ENTITY,
    ),
    Case("PATCH", B, {"name": "Summer"}, 200, "update_campaign", ENTITY),
    Case("POST", f"{B}/status", {"status": "Generating"}, 200, "change_status", STATUS),
    Case("DELETE", B, None, 200, "delete_campaign", ENTITY),
    Case("POST", f"{B}/restore", None, 200, "restore_campaign", ENTITY),
    Case("POST", f"{B}/artifacts", {"type": "Copy"}, 201, "create_artifact", ENTITY),
    Case(
        "POST",
        f"{B}/artifacts/{AID}/versions",
        {"content": "Hello"},
        201,
        "create_version",
        {"id", "versionNumber", "version"},
    ),
    Case("POST", f"{B}/versions/{VID}/audits", audit(), 201, "record_audit", ENTITY),
    Case("POST", f"{B}/versions/{VID}/approve", None, 200, "approve_version", STATUS),
    Case("POST", f"{B}/versions/{VID}/archive", None, 200, "archive_version", STATUS),
    Case(
        "PUT",
        f"{B}/active-versions/Copy",
        {"versionId": VID},
        200,
        "set_active_version",
        {"version"},
    ),
    Case(
        "POST",
        f"{B}/iterations",
        {"artifactId": AID, "oldVersionId": VID, "newVersionId": VID2, "feedbackText": "shorter"},
        201,
        "log_iteration",
        ENTITY,
    ),
    Case("POST", f"{B}/runs", {"executionMode": "Parallel"}, 201, "queue_run", ENTITY),
    Case(
        "POST",
        f"{B}/revisions",
        {"reason": "audit-failed", "feedbackText": "Fix the claims"},
        201,
        "request_revision",
        {"id", "revisionNumber", "version"},
    ),
    Case("POST", f"{B}/runs/{RID}/start", None, 200, "start_run", STATUS),
    Case(
        "POST",
        f"{B}/runs/{RID}/steps",
        {"stepId": "plan", "artifacts": [context_artifact()]},
        200,
        "attach_step_result",
        ENTITY,
    ),
    Case(
        "POST",
        f"{B}/runs/{RID}/quality-checks",
        {"artifactId": AID, "checkType": "schema", "status": "passed"},
        200,
        "record_quality_check",
        ENTITY,
    ),
    Case(
        "POST",
        f"{B}/runs/{RID}/complete",
        {"artifactVersionIds": [VID]},
        200,
        "complete_run",
        STATUS,
    ),
    Case("POST", f"{B}/runs/{RID}/fail", {"errorMessage": "timeout"}, 200, "fail_run", STATUS),
    Case("POST", f"{B}/runs/{RID}/cancel", None, 200, "cancel_run", STATUS),
]
CREATES = [case for case in COMMANDS if case.status == 201]


def send(
    client: TestClient,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Any:
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("case", COMMANDS, ids=[case.service_method for case in COMMANDS])
def test_every_command_answers_its_status_body_and_version_header(
    client: TestClient, services: FakeServices, case: Case
) -> None:
    services.commands.version = 6
    response = send(client, case.method, case.path, case.body)
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == case.keys
    assert response.json()["version"] == 7
    assert response.headers["X-Campaign-Version"] == "7"
    assert services.commands.last.method == case.service_method


@pytest.mark.parametrize("case", CREATES, ids=[case.service_method for case in CREATES])
def test_creates_answer_a_location_to_read_what_they_created(
    client: TestClient, case: Case
) -> None:
    response = send(client, case.method, case.path, case.body)
    location = response.headers["Location"]
    assert location.startswith("/api/campaigns/")
    if case.service_method in ("create_campaign", "create_version", "queue_run"):
        assert location.endswith(response.json()["id"])


def test_create_campaign_passes_the_validated_brief_and_the_callers_id(
    client: TestClient, services: FakeServices
) -> None:
    response = send(
        client, "POST", "/api/campaigns", {"id": CID.upper(), "name": "S", "brief": brief()}
    )
    assert response.status_code == 201
    call = services.commands.last
    assert call.kwargs["campaign_id"] == CID
    assert isinstance(call.kwargs["brief"], Brief)
    assert call.kwargs["brief"].constraints is not None
    assert call.kwargs["brief"].constraints.max_words == 120
    assert response.headers["Location"] == f"/api/campaigns/{CID}"


def test_a_command_names_the_campaign_in_canonical_lower_case(
    client: TestClient, services: FakeServices
) -> None:
    send(client, "DELETE", f"/api/campaigns/{CID.upper()}")
    assert services.commands.last.args == (CID,)


def test_command_context_takes_tenant_ids_and_actor_from_the_headers(
    client: TestClient, services: FakeServices
) -> None:
    headers = {
        "X-Tenant-Id": "acme",
        "X-Command-Id": "cmd-1",
        "X-Correlation-Id": "conv-9",
        "X-Causation-Id": "evt-3",
        "X-Actor": "planner-agent",
    }
    response = send(client, "POST", f"{B}/restore", headers=headers)
    ctx = services.commands.last.ctx
    assert ctx is not None
    assert (ctx.tenant_id, ctx.command_id, ctx.correlation_id, ctx.causation_id, ctx.actor) == (
        "acme",
        "cmd-1",
        "conv-9",
        "evt-3",
        "planner-agent",
    )
    assert response.headers["X-Command-Id"] == "cmd-1"
    assert response.headers["X-Correlation-Id"] == "conv-9"


def test_without_headers_a_command_gets_a_fresh_id_that_also_correlates_it(
    client: TestClient, services: FakeServices
) -> None:
    send(client, "POST", f"{B}/restore")
    first = services.commands.last.ctx
    send(client, "POST", f"{B}/restore")
    second = services.commands.last.ctx
    assert first is not None
    assert second is not None
    assert first.tenant_id == "default"
    assert first.actor == "anonymous"
    assert first.command_id != second.command_id
    assert first.correlation_id == first.command_id
    assert first.causation_id is None
    assert first.expected_version is None


@pytest.mark.parametrize(("header", "expected"), [("4", 4), ('"12"', 12), (" 0 ", 0)])
def test_if_match_pins_the_expected_version(
    client: TestClient, services: FakeServices, header: str, expected: int
) -> None:
    response = send(client, "PATCH", B, {"name": "x"}, headers={"If-Match": header})
    assert response.status_code == 200
    ctx = services.commands.last.ctx
    assert ctx is not None
    assert ctx.expected_version == expected


def test_status_answers_carry_the_status_the_service_reports(
    client: TestClient, services: FakeServices
) -> None:
    services.commands.status = "Generated"
    response = send(client, "POST", f"{B}/status", {"status": "Generated"})
    assert response.json()["status"] == "Generated"
    assert services.commands.last.args == (CID, "Generated")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"{B}/versions/{VID}/approve", "Approved"),
        (f"{B}/versions/{VID}/archive", "Archived"),
        (f"{B}/runs/{RID}/start", "Running"),
        (f"{B}/runs/{RID}/cancel", "Cancelled"),
    ],
)
def test_status_answers_fall_back_to_the_status_the_command_sets(
    client: TestClient, path: str, expected: str
) -> None:
    assert send(client, "POST", path).json()["status"] == expected


def test_create_version_answers_the_new_versions_number(
    client: TestClient, services: FakeServices
) -> None:
    services.commands.version_number = 3
    response = send(
        client, "POST", f"{B}/artifacts/{AID}/versions", {"content": "{}", "runId": RID}
    )
    assert response.json()["versionNumber"] == 3
    call = services.commands.last
    assert call.args == (CID, AID)
    assert call.kwargs["run_id"] == RID
    assert call.kwargs["content"] == "{}"


def test_record_audit_passes_the_report_without_the_id(
    client: TestClient, services: FakeServices
) -> None:
    audit_id = "9a1e0e9c-0f1b-4b8e-8d7a-1c2b3c4d5e6f"
    response = send(client, "POST", f"{B}/versions/{VID}/audits", {**audit(), "id": audit_id})
    assert response.status_code == 201
    call = services.commands.last
    report = call.kwargs["report"]
    assert type(report) is AuditReport
    assert report.category_scores["tone"].score == 92.5
    assert call.kwargs["audit_id"] == audit_id
    assert response.json()["id"] == audit_id


def test_log_iteration_passes_the_iteration_with_default_tags(
    client: TestClient, services: FakeServices
) -> None:
    body = {"artifactId": AID, "oldVersionId": VID, "newVersionId": VID2, "feedbackText": "x"}
    send(client, "POST", f"{B}/iterations", body)
    iteration = services.commands.last.kwargs["iteration"]
    assert type(iteration) is Iteration
    assert iteration.feedback_tags == []
    assert iteration.new_version_id == VID2


def test_queue_run_passes_mode_trigger_and_base_run(
    client: TestClient, services: FakeServices
) -> None:
    body = {
        "executionMode": "Sequential",
        "workflowName": "full",
        "trigger": {"type": "manual", "initiatedBy": "ana"},
        "baseRunId": RID,
    }
    send(client, "POST", f"{B}/runs", body)
    kwargs = services.commands.last.kwargs
    assert kwargs["execution_mode"] == "Sequential"
    assert kwargs["workflow_name"] == "full"
    assert kwargs["trigger"].initiated_by == "ana"
    assert kwargs["base_run_id"] == RID


def test_attach_step_result_passes_artifacts_with_lower_case_hashes(
    client: TestClient, services: FakeServices
) -> None:
    artifact = {**context_artifact(), "hash": HASH.upper(), "metadata": {"w": 1}}
    send(
        client,
        "POST",
        f"{B}/runs/{RID}/steps",
        {"stepId": "s1", "inputHash": HASH, "artifacts": [artifact]},
    )
    kwargs = services.commands.last.kwargs
    (passed,) = kwargs["artifacts"]
    assert isinstance(passed, ContextArtifact)
    assert passed.hash == HASH
    assert kwargs["step_id"] == "s1"
    assert kwargs["input_hash"] == HASH


def test_record_quality_check_passes_the_check(client: TestClient, services: FakeServices) -> None:
    body = {"artifactId": AID, "checkType": "schema", "status": "warning", "details": {"n": 1}}
    send(client, "POST", f"{B}/runs/{RID}/quality-checks", body)
    check = services.commands.last.kwargs["check"]
    assert isinstance(check, QualityCheck)
    assert check.status == "warning"
    assert check.details == {"n": 1}


@pytest.mark.parametrize(
    ("body", "expected"), [(None, None), ({}, None), ({"artifactVersionIds": [VID]}, [VID])]
)
def test_complete_run_takes_an_optional_body(
    client: TestClient, services: FakeServices, body: dict[str, Any] | None, expected: Any
) -> None:
    response = send(client, "POST", f"{B}/runs/{RID}/complete", body)
    assert response.status_code == 200
    assert services.commands.last.kwargs["artifact_version_ids"] == expected


def test_fail_run_passes_the_error_message(client: TestClient, services: FakeServices) -> None:
    send(client, "POST", f"{B}/runs/{RID}/fail", {"errorMessage": "model timed out"})
    assert services.commands.last.kwargs["error_message"] == "model timed out"


def test_set_active_version_passes_the_type_from_the_path(
    client: TestClient, services: FakeServices
) -> None:
    send(client, "PUT", f"{B}/active-versions/VisualConcept", {"versionId": VID})
    assert services.commands.last.args == (CID, "VisualConcept", VID)


def test_update_campaign_replaces_the_brief_when_given(
    client: TestClient, services: FakeServices
) -> None:
    send(client, "PATCH", B, {"brief": brief()})
    kwargs = services.commands.last.kwargs
    assert kwargs["name"] is None
    assert isinstance(kwargs["brief"], Brief)


def test_unknown_body_fields_are_ignored(client: TestClient, services: FakeServices) -> None:
    response = send(client, "POST", f"{B}/artifacts", {"type": "Copy", "colour": "red"})
    assert response.status_code == 201
    assert services.commands.last.kwargs["artifact_type"] == "Copy"


def test_a_revision_passes_its_validated_request_and_answers_its_number(
    client: TestClient, services: FakeServices
) -> None:
    services.commands.revision_number = 3
    body = {
        "id": VID.upper(),
        "reason": "user-feedback",
        "feedbackText": "Warmer",
        "specificChanges": ["shorter intro"],
        "artifactIds": [AID],
    }

    response = send(client, "POST", f"{B}/revisions", body)

    assert response.status_code == 201
    assert response.json() == {"id": VID, "revisionNumber": 3, "version": 1}
    assert response.headers["Location"] == f"{B}/revisions"
    call = services.commands.last
    assert call.kwargs["revision_id"] == VID
    assert call.kwargs["revision"] == Revision(
        reason="user-feedback",
        feedback_text="Warmer",
        specific_changes=["shorter intro"],
        artifact_ids=[AID],
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "whim", "feedbackText": "x"}, "reason"),
        ({"reason": "user-feedback", "feedbackText": "  "}, "feedbackText"),
        ({"reason": "user-feedback"}, "feedbackText"),
        ({"reason": "user-feedback", "feedbackText": "x", "artifactIds": ["a"]}, "artifactIds[0]"),
    ],
)
def test_a_revision_that_breaks_a_rule_of_shape_is_422_naming_the_field(
    client: TestClient, services: FakeServices, body: dict[str, Any], field: str
) -> None:
    response = send(client, "POST", f"{B}/revisions", body)

    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]
    assert services.commands.calls == []


def test_an_iteration_passes_the_revision_it_belongs_to(
    client: TestClient, services: FakeServices
) -> None:
    body = {
        "artifactId": AID,
        "oldVersionId": VID,
        "newVersionId": VID2,
        "feedbackText": "shorter",
        "revisionId": RID,
    }

    send(client, "POST", f"{B}/iterations", body)

    assert services.commands.last.kwargs["iteration"].revision_id == RID


def test_a_run_trigger_passes_its_time_in_utc(client: TestClient, services: FakeServices) -> None:
    body = {
        "executionMode": "Parallel",
        "workflowName": "w" * 255,
        "trigger": {"type": "manual", "timestamp": "2026-03-01T10:00:00+02:00"},
    }

    send(client, "POST", f"{B}/runs", body)

    assert services.commands.last.kwargs["trigger"].timestamp == "2026-03-01T08:00:00+00:00"
    assert services.commands.last.kwargs["workflow_name"] == "w" * 255
