"""The OpenAPI document at /api/openapi.json describes every route of API.md with its answer
schema, and every refusal as problem+json."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.unit.api.conftest import hermetic_settings
from tests.unit.api.fakes import FakeLedger

API_MD_ROUTES = [
    ("post", "/api/campaigns", "201"),
    ("patch", "/api/campaigns/{cid}", "200"),
    ("post", "/api/campaigns/{cid}/status", "200"),
    ("delete", "/api/campaigns/{cid}", "200"),
    ("post", "/api/campaigns/{cid}/restore", "200"),
    ("post", "/api/campaigns/{cid}/artifacts", "201"),
    ("post", "/api/campaigns/{cid}/artifacts/{aid}/versions", "201"),
    ("post", "/api/campaigns/{cid}/versions/{vid}/audits", "201"),
    ("post", "/api/campaigns/{cid}/versions/{vid}/approve", "200"),
    ("post", "/api/campaigns/{cid}/versions/{vid}/archive", "200"),
    ("put", "/api/campaigns/{cid}/active-versions/{artifactType}", "200"),
    ("post", "/api/campaigns/{cid}/iterations", "201"),
    ("post", "/api/campaigns/{cid}/runs", "201"),
    ("post", "/api/campaigns/{cid}/runs/{rid}/start", "200"),
    ("post", "/api/campaigns/{cid}/runs/{rid}/steps", "200"),
    ("post", "/api/campaigns/{cid}/runs/{rid}/quality-checks", "200"),
    ("post", "/api/campaigns/{cid}/runs/{rid}/complete", "200"),
    ("post", "/api/campaigns/{cid}/runs/{rid}/fail", "200"),
    ("post", "/api/campaigns/{cid}/runs/{rid}/cancel", "200"),
    ("get", "/api/campaigns/{cid}", "200"),
    ("get", "/api/campaigns", "200"),
    ("get", "/api/campaigns/{cid}/artifacts/{aid}/versions", "200"),
    ("get", "/api/campaigns/{cid}/versions/{vid}", "200"),
    ("get", "/api/campaigns/{cid}/versions/{vid}/audits", "200"),
    ("get", "/api/campaigns/{cid}/iterations", "200"),
    ("get", "/api/campaigns/{cid}/runs/{rid}", "200"),
    ("get", "/api/campaigns/{cid}/events", "200"),
    # API.md round 2, "Campaign-level reads"
    ("get", "/api/campaigns/{cid}/audits", "200"),
    ("get", "/api/campaigns/{cid}/runs", "200"),
    ("get", "/api/campaigns/{cid}/artifacts", "200"),
    ("get", "/api/campaigns/{cid}/artifacts/{aid}", "200"),
    ("get", "/api/campaigns/{cid}/artifacts/{aid}/versions/latest", "200"),
    # API.md round 2, "Revisions", "Artifact types and run context", "Statistics"
    ("post", "/api/campaigns/{cid}/revisions", "201"),
    ("get", "/api/campaigns/{cid}/revisions", "200"),
    ("get", "/api/artifact-types", "200"),
    ("get", "/api/stats", "200"),
    ("get", "/api/health", "200"),
    ("get", "/api/projections/status", "200"),
]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    with TestClient(create_app(FakeLedger(settings=hermetic_settings()))) as client:
        response = client.get("/api/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(("method", "path", "success"), API_MD_ROUTES)
def test_every_route_of_the_contract_is_documented_with_its_answer_schema(
    document: dict[str, Any], method: str, path: str, success: str
) -> None:
    operation = document["paths"][path][method]
    schema = operation["responses"][success]["content"]["application/json"]["schema"]
    assert schema["$ref"].startswith("#/components/schemas/")


def test_the_document_lists_no_route_beyond_the_contract(document: dict[str, Any]) -> None:
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert documented == {(method, path) for method, path, _ in API_MD_ROUTES}


def test_every_refusal_is_documented_as_problem_json(document: dict[str, Any]) -> None:
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]
                    schema = response["content"]["application/problem+json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail", "code"}


def test_command_bodies_are_documented_in_camel_case(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "targetAudience" in schemas["Brief"]["properties"]
    assert set(schemas["CreateVersion"]["properties"]) == {"id", "content", "runId"}


def test_the_interactive_docs_are_served(client: TestClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert "/api/openapi.json" in response.text


def _property(schemas: dict[str, Any], model: str, name: str) -> dict[str, Any]:
    """A body property's schema, the non-null branch of an optional one."""
    schema: dict[str, Any] = schemas[model]["properties"][name]
    branches = [branch for branch in schema.get("anyOf", [schema]) if branch.get("type") != "null"]
    return branches[0]


@pytest.mark.parametrize(
    ("model", "name", "bound"),
    [
        ("AttachStepResult", "stepId", {"maxLength": 200}),
        ("QueueRun", "workflowName", {"maxLength": 255}),
        ("CompleteRun", "artifactVersionIds", {"maxItems": 200}),
        ("LogIteration", "feedbackText", {"maxLength": 4000}),
        ("LogIteration", "feedbackTags", {"maxItems": 200, "items": {"maxLength": 200}}),
        ("RecordAudit", "categoryScores", {"maxProperties": 200}),
        ("RecordAudit", "flaggedItems", {"maxItems": 200}),
        ("RecordAudit", "recommendations", {"maxItems": 200}),
        ("FlaggedItem", "category", {"maxLength": 200}),
        ("FlaggedItem", "description", {"maxLength": 4000}),
        ("Recommendation", "priority", {"maximum": 2**53, "minimum": -(2**53)}),
        ("CategoryScore", "notes", {"maxLength": 4000}),
        ("Trigger", "initiatedBy", {"maxLength": 200}),
        ("QualityCheck", "checkType", {"maxLength": 200}),
        ("QualityCheck", "message", {"maxLength": 4000}),
        ("ContextArtifact", "type", {"maxLength": 200}),
        ("Brief", "toneGuidelines", {"maxItems": 200, "items": {"maxLength": 4000}}),
        ("Constraints", "channels", {"maxItems": 200, "items": {"maxLength": 200}}),
        ("Constraints", "maxWords", {"maximum": 2**53}),
    ],
)
def test_the_bounds_of_texts_lists_and_numbers_are_in_the_body_schemas(
    document: dict[str, Any], model: str, name: str, bound: dict[str, Any]
) -> None:
    schema = _property(document["components"]["schemas"], model, name)
    for keyword, value in bound.items():
        if keyword == "items":
            assert value.items() <= schema["items"].items()
        else:
            assert schema[keyword] == value


@pytest.mark.parametrize(
    ("model", "name"),
    [("Trigger", "payload"), ("ContextArtifact", "metadata"), ("QualityCheck", "details")],
)
def test_free_form_objects_document_their_size_and_number_rules(
    document: dict[str, Any], model: str, name: str
) -> None:
    description = _property(document["components"]["schemas"], model, name)["description"]
    assert "65536 bytes" in description
    assert "2^53" in description


@pytest.mark.parametrize(
    "path", ["/api/campaigns/{cid}", "/api/campaigns/{cid}/artifacts/{aid}/versions"]
)
def test_reading_the_past_is_documented_with_its_constraints(
    document: dict[str, Any], path: str
) -> None:
    parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
    at_version = parameters["atVersion"]["schema"]
    as_of = parameters["asOf"]["schema"]
    assert (at_version["type"], at_version["minimum"]) == ("integer", 1)
    assert (as_of["type"], as_of["format"]) == ("string", "date-time")
    assert as_of["pattern"]
    headers = document["paths"][path]["get"]["responses"]["200"]["headers"]
    assert "immutable" in headers["Cache-Control"]["description"]


def test_the_deleted_campaigns_are_a_documented_filter_of_the_list(
    document: dict[str, Any],
) -> None:
    parameters = {p["name"]: p for p in document["paths"]["/api/campaigns"]["get"]["parameters"]}
    schema = parameters["deleted"]["schema"]
    assert (schema["type"], schema["default"]) == ("boolean", False)


# -- what the service refuses, said in the document (issue #17, item 16) -------------------


def _parameter(document: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    [found] = [p for p in document["paths"][path][method]["parameters"] if p["name"] == name]
    schema: dict[str, Any] = found["schema"]
    return schema


def test_no_parameter_may_be_null(document: dict[str, Any]) -> None:
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                branches = parameter["schema"].get("anyOf", [])
                assert {"type": "null"} not in branches, parameter["name"]


def _conforms(schema: dict[str, Any], value: str) -> bool:
    return bool(re.search(schema["pattern"], value)) and len(value) >= schema.get("minLength", 0)


@pytest.mark.parametrize(
    ("where", "accepted", "refused"),
    [
        (("/api/campaigns/{cid}", "delete", "If-Match"), ["7", '"7"'], ["", "null", "*", 'W/"7"']),
        (("/api/campaigns/{cid}", "delete", "X-Command-Id"), ["c-1", "a b"], ["", " a", "\u00e9"]),
        (("/api/campaigns/{cid}", "get", "X-Tenant-Id"), ["acme_1"], ["", "acme corp"]),
        (("/api/campaigns", "get", "continuation"), ["eyJhIjoxfQ"], ["", "a b", "a=="]),
    ],
)
def test_header_and_query_formats_are_patterns(
    document: dict[str, Any],
    where: tuple[str, str, str],
    accepted: list[str],
    refused: list[str],
) -> None:
    schema = _parameter(document, *where)
    assert [value for value in accepted if not _conforms(schema, value)] == []
    assert [value for value in refused if _conforms(schema, value)] == []


def test_free_form_objects_and_unknown_fields_hold_exactly_storable_json(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    integer = next(b for b in schemas["JsonValue"]["anyOf"] if b.get("type") == "integer")
    assert (integer["minimum"], integer["maximum"]) == (-(2**53), 2**53)
    reference = {"$ref": "#/components/schemas/JsonValue"}
    assert schemas["CreateCampaign"]["additionalProperties"] == reference
    assert schemas["Brief"]["additionalProperties"] == reference
    metadata = schemas["ContextArtifact"]["properties"]["metadata"]
    assert metadata["anyOf"][0]["additionalProperties"] == reference


def test_a_context_artifact_type_is_one_of_the_registered_types(
    document: dict[str, Any],
) -> None:
    artifact_type = document["components"]["schemas"]["ContextArtifact"]["properties"]["type"]
    assert artifact_type["enum"][:2] == ["plan", "intro_image"]
    assert "campaign_manifest" in artifact_type["enum"]


def test_an_update_must_name_a_name_or_a_brief(document: dict[str, Any]) -> None:
    update = document["components"]["schemas"]["UpdateCampaign"]
    assert [branch["required"] for branch in update["anyOf"]] == [["name"], ["brief"]]
