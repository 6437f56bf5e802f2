"""The OpenAPI document at /api/openapi.json describes every route of API.md with its answer
schema, and every refusal as problem+json."""

from __future__ import annotations

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
