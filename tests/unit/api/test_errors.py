"""Every refusal of API.md as problem+json with its status and stable code."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.errors import (
    CampaignNotFound,
    CommandTooLarge,
    ContextCapacityExceeded,
    DuplicateArtifactId,
    EntityNotFound,
    FieldError,
    IdConflict,
    InvalidArtifactType,
    InvalidContinuation,
    InvalidInput,
    InvalidRunTransition,
    InvalidStatusTransition,
    LedgerError,
    PreconditionFailed,
    RuleViolation,
    StoreThrottled,
    StoreUnavailable,
    UnknownReference,
    WriteContention,
)
from tests.unit.api.fakes import FakeServices
from tests.unit.api.samples import AID, CID, RID, VID, brief, context_artifact

B = f"/api/campaigns/{CID}"


def problem_of(response: Any, status: int, code: str) -> dict[str, Any]:
    """The problem document of ``response``, after checking its status, code and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["type"] == f"urn:campaign-ledger:problem:{code}"
    assert problem["title"]
    assert problem["detail"]
    return problem


def fields_of(problem: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["message"] for error in problem["errors"]}


def post_raw(client: TestClient, path: str, raw: bytes, **headers: str) -> Any:
    return client.post(path, content=raw, headers={"content-type": "application/json", **headers})


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "x",',
        b'{"name": NaN}',
        b'{"score": Infinity}',
        b'{"name": "\\ud800", "brief": {}}',
        b'\xff\xfe{"name"',
    ],
)
def test_a_body_that_is_not_strict_json_is_400_malformed_json(
    client: TestClient, raw: bytes
) -> None:
    problem_of(post_raw(client, "/api/campaigns", raw), 400, "malformed-json")


def test_a_body_that_is_not_declared_as_json_is_415(client: TestClient) -> None:
    response = client.post(
        "/api/campaigns", content=b"name=x", headers={"content-type": "text/plain"}
    )
    problem_of(response, 415, "unsupported-media-type")


def test_a_json_body_without_content_type_is_read_as_json(
    client: TestClient, services: FakeServices
) -> None:
    response = client.post(f"{B}/artifacts", content=b'{"type": "Copy"}')
    assert response.status_code == 201


@pytest.mark.parametrize("tenant", ["", "a" * 65, "acme corp", "ac/me", "é"])
def test_a_bad_tenant_header_is_400_invalid_tenant_on_commands_and_reads(
    client: TestClient, tenant: str
) -> None:
    headers = {"X-Tenant-Id": tenant.encode("utf-8")}
    problem_of(client.delete(B, headers=headers), 400, "invalid-tenant")
    problem_of(client.get(B, headers=headers), 400, "invalid-tenant")


@pytest.mark.parametrize("value", ["abc", "*", 'W/"3"', "-1", "1.5", '"3', "99999999999999999"])
def test_an_if_match_that_is_not_a_version_is_400(client: TestClient, value: str) -> None:
    problem_of(client.delete(B, headers={"If-Match": value}), 400, "invalid-if-match")


def test_an_overlong_command_id_is_400(client: TestClient) -> None:
    problem_of(client.delete(B, headers={"X-Command-Id": "x" * 201}), 400, "invalid-header")


def test_an_unknown_route_is_a_404_problem(client: TestClient) -> None:
    problem_of(client.get("/api/nothing-here"), 404, "route-not-found")
    problem_of(client.get("/elsewhere"), 404, "route-not-found")


def test_a_method_the_route_does_not_take_is_a_405_problem_with_allow(client: TestClient) -> None:
    response = client.put("/api/campaigns", json={})
    problem_of(response, 405, "method-not-allowed")
    assert "POST" in response.headers["allow"]


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("GET", "/api/campaigns/not-a-uuid", "campaign-not-found"),
        ("DELETE", "/api/campaigns/42", "campaign-not-found"),
        ("POST", f"{B}/versions/nope/approve", "entity-not-found"),
        ("GET", f"{B}/runs/nope", "entity-not-found"),
    ],
)
def test_an_id_in_the_path_that_is_not_a_uuid_names_nothing_404(
    client: TestClient, method: str, path: str, code: str
) -> None:
    problem_of(client.request(method, path), 404, code)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (CampaignNotFound("no campaign"), 404),
        (EntityNotFound("no version"), 404),
        (InvalidStatusTransition("Draft to Completed"), 409),
        (InvalidRunTransition("Queued to Completed"), 409),
        (UnknownReference("no such run"), 409),
        (IdConflict("same id, other payload"), 409),
        (DuplicateArtifactId("twice"), 409),
        (ContextCapacityExceeded("over 50"), 409),
        (RuleViolation("archived version", code="version-archived"), 409),
        (CommandTooLarge("over 2 MB"), 413),
        (InvalidArtifactType("unknown type"), 422),
    ],
)
def test_domain_refusals_answer_their_status_and_keep_their_code(
    client: TestClient, services: FakeServices, error: LedgerError, status: int
) -> None:
    services.commands.error = error
    problem = problem_of(client.post(f"{B}/restore"), status, error.code)
    assert problem["detail"] == error.detail


def test_invalid_input_from_the_service_lists_its_fields(
    client: TestClient, services: FakeServices
) -> None:
    services.commands.error = InvalidInput(
        "bad", [FieldError("artifacts[0].type", "not registered")]
    )
    problem = problem_of(client.post(f"{B}/restore"), 422, "validation-failed")
    assert problem["errors"] == [{"field": "artifacts[0].type", "message": "not registered"}]


def test_a_stale_if_match_is_412_with_the_current_version(
    client: TestClient, services: FakeServices
) -> None:
    services.commands.error = PreconditionFailed("moved on", expected=3, actual=5)
    response = client.delete(B, headers={"If-Match": "3"})
    problem = problem_of(response, 412, "precondition-failed")
    assert problem["currentVersion"] == 5
    assert response.headers["X-Campaign-Version"] == "5"


@pytest.mark.parametrize(
    ("error", "status", "retry_after"),
    [
        (StoreThrottled("429", retry_after=0.2), 429, "1"),
        (StoreThrottled("429", retry_after=2.5), 429, "3"),
        (StoreUnavailable("down", retry_after=4), 503, "4"),
        (WriteContention("busy", retry_after=1), 503, "1"),
    ],
)
def test_store_pressure_is_429_or_503_with_retry_after(
    client: TestClient, services: FakeServices, error: LedgerError, status: int, retry_after: str
) -> None:
    services.commands.error = error
    response = client.post(f"{B}/restore")
    problem_of(response, status, error.code)
    assert response.headers["Retry-After"] == retry_after


def test_store_pressure_on_a_read_is_also_retryable(
    client: TestClient, services: FakeServices
) -> None:
    services.reads.error = StoreUnavailable("down", retry_after=2)
    response = client.get(B)
    problem_of(response, 503, "store-unavailable")
    assert response.headers["Retry-After"] == "2"


def test_a_bug_is_a_500_problem_that_does_not_leak_the_error(
    client: TestClient, services: FakeServices
) -> None:
    services.commands.error = RuntimeError("secret internals")
    response = client.post(f"{B}/restore")
    problem_of(response, 500, "internal-error")
    assert "secret" not in response.text


def test_a_missing_field_is_422_with_its_camel_case_path(client: TestClient) -> None:
    body = {"name": "S", "brief": {"objective": "o", "productDetails": "p"}}
    problem = problem_of(client.post("/api/campaigns", json=body), 422, "validation-failed")
    assert "brief.targetAudience" in fields_of(problem)


def test_every_broken_field_is_listed_with_list_indexes(client: TestClient) -> None:
    body = {
        "name": "   ",
        "brief": {**brief(), "brandPalette": ["#fff", "red"], "constraints": {"maxWords": 0}},
    }
    problem = problem_of(client.post("/api/campaigns", json=body), 422, "validation-failed")
    fields = fields_of(problem)
    assert fields["name"] == "must not be blank"
    assert "brief.brandPalette[1]" in fields
    assert "brief.constraints.maxWords" in fields


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", f"{B}/status", {"status": "Finished"}, "status"),
        ("POST", f"{B}/artifacts", {"type": "Poster"}, "type"),
        ("POST", f"{B}/artifacts", {"type": "Copy", "id": "not-a-uuid"}, "id"),
        ("POST", f"{B}/artifacts/{AID}/versions", {"content": 5}, "content"),
        ("POST", f"{B}/versions/{VID}/audits", {"overallStatus": "Pass"}, "categoryScores"),
        (
            "POST",
            f"{B}/versions/{VID}/audits",
            {"overallStatus": "Pass", "categoryScores": {"tone": {"score": 101}}},
            "categoryScores.tone.score",
        ),
        ("PUT", f"{B}/active-versions/Poster", {"versionId": VID}, "artifactType"),
        ("PUT", f"{B}/active-versions/Copy", {}, "versionId"),
        (
            "POST",
            f"{B}/iterations",
            {"artifactId": AID, "oldVersionId": VID, "newVersionId": VID, "feedbackText": " "},
            "feedbackText",
        ),
        ("POST", f"{B}/runs", {"executionMode": "Eventually"}, "executionMode"),
        (
            "POST",
            f"{B}/runs",
            {"executionMode": "Parallel", "trigger": {"type": "x"}},
            "trigger.type",
        ),
        (
            "POST",
            f"{B}/runs/{RID}/steps",
            {"stepId": "s", "artifacts": [{**context_artifact(), "hash": "abc"}]},
            "artifacts[0].hash",
        ),
        (
            "POST",
            f"{B}/runs/{RID}/steps",
            {"stepId": "s", "artifacts": [{**context_artifact(), "uri": ""}]},
            "artifacts[0].uri",
        ),
        (
            "POST",
            f"{B}/runs/{RID}/quality-checks",
            {"artifactId": AID, "checkType": "x", "status": "ok"},
            "status",
        ),
        ("POST", f"{B}/runs/{RID}/fail", {"errorMessage": ""}, "errorMessage"),
        ("POST", f"{B}/runs/{RID}/fail", {"errorMessage": "x" * 4001}, "errorMessage"),
        ("PATCH", B, {}, "body"),
        ("POST", "/api/campaigns", [1, 2], "body"),
        ("GET", "/api/campaigns?limit=0", None, "limit"),
        ("GET", "/api/campaigns?limit=101", None, "limit"),
        ("GET", "/api/campaigns?status=Lost", None, "status"),
        ("GET", f"{B}/events?limit=1001", None, "limit"),
        ("GET", f"{B}/events?after=-1", None, "after"),
        ("GET", f"{B}?minVersion=x", None, "minVersion"),
    ],
)
def test_a_body_or_parameter_that_breaks_a_rule_of_shape_is_422_naming_the_field(
    client: TestClient, method: str, path: str, body: Any, field: str
) -> None:
    response = client.request(method, path, json=body)
    problem = problem_of(response, 422, "validation-failed")
    assert field in fields_of(problem), problem["errors"]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        (f"{B}/iterations?artifactId=not-a-uuid", "artifactId"),
        (f"{B}/iterations?artifactId=", "artifactId"),
        ("/api/campaigns?status=draft", "status"),
        ("/api/campaigns?status=", "status"),
        ("/api/campaigns?limit=x", "limit"),
        (f"{B}/events?after=9007199254740992", "after"),
        (f"{B}/events?limit=0", "limit"),
        (f"{B}?minVersion=-1", "minVersion"),
        (f"{B}/iterations?minVersion=9007199254740992", "minVersion"),
        (f"{B}/runs/{RID}?minVersion=1.5", "minVersion"),
    ],
)
def test_a_query_parameter_out_of_its_range_or_vocabulary_is_422_naming_it(
    client: TestClient, services: FakeServices, path: str, parameter: str
) -> None:
    problem = problem_of(client.get(path), 422, "validation-failed")
    assert parameter in fields_of(problem), problem["errors"]


def test_a_missing_body_is_422_naming_the_body(client: TestClient) -> None:
    problem = problem_of(client.post(f"{B}/runs"), 422, "validation-failed")
    assert "body" in fields_of(problem)


def test_a_version_content_over_a_mebibyte_of_characters_is_422(client: TestClient) -> None:
    body = {"content": "x" * (1_048_576 + 1)}
    response = client.post(f"{B}/artifacts/{AID}/versions", json=body)
    assert "content" in fields_of(problem_of(response, 422, "validation-failed"))


def test_an_unreadable_continuation_is_400(client: TestClient) -> None:
    problem_of(client.get("/api/campaigns?continuation=not-a-token"), 400, "invalid-continuation")


def test_an_invalid_continuation_error_is_400_by_its_class(
    client: TestClient, services: FakeServices
) -> None:
    services.reads.error = InvalidContinuation("the continuation token is not valid")
    problem_of(client.get(B), 400, "invalid-continuation")
