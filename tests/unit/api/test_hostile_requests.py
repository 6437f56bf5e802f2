"""What a hostile client sends is refused early and cheaply (issue #17): the key and the tenant
before the body is read (item 1), bodies nested too deeply or too large to store refused before
they are built (items 1 and 11), a header named once never sent twice (item 7), two keys never
one chosen (item 13), formats and numbers strict over HTTP too (items 6 and 10)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routing import MAX_BODY_DEPTH, MAX_BODY_VALUES
from domain.errors import ConfigurationError, StoreError, StoreThrottled, StoreUnavailable
from domain.values import MAX_COMMAND_BYTES
from tests.unit.api.conftest import hermetic_settings
from tests.unit.api.fakes import FakeServices
from tests.unit.api.samples import AID, CID, brief, context_artifact
from tests.unit.api.test_errors import fields_of, post_raw, problem_of

KEYS = {"key-of-acme": "acme", "key-of-globex": "globex"}
B = f"/api/campaigns/{CID}"
VERSIONS = f"{B}/artifacts/{AID}/versions"


@pytest.fixture
def keyed_services() -> FakeServices:
    return FakeServices(settings=hermetic_settings(ledger_api_keys=KEYS))


@pytest.fixture
def keyed_client(keyed_services: FakeServices) -> Iterator[TestClient]:
    with TestClient(create_app(keyed_services), raise_server_exceptions=False) as client:
        yield client


def nested_body(depth: int) -> bytes:
    return b'{"content": "x", "p": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize(
    "raw", [b'{"content": ', nested_body(100_000), b'{"content": NaN}', b"\xff\xfe"]
)
def test_without_a_key_a_command_is_401_whatever_its_body(
    keyed_client: TestClient, keyed_services: FakeServices, raw: bytes
) -> None:
    problem_of(post_raw(keyed_client, VERSIONS, raw), 401, "unauthenticated")
    assert keyed_services.commands.calls == []


def test_a_key_for_another_tenant_is_refused_before_the_body_too(
    keyed_client: TestClient,
) -> None:
    headers = {"X-Api-Key": "key-of-acme", "X-Tenant-Id": "globex"}
    problem_of(post_raw(keyed_client, VERSIONS, b"{", **headers), 403, "tenant-forbidden")


def test_a_body_nested_past_the_depth_budget_is_400_before_it_is_parsed(
    client: TestClient,
) -> None:
    problem = problem_of(
        post_raw(client, VERSIONS, nested_body(MAX_BODY_DEPTH)), 400, "malformed-json"
    )
    assert f"more than {MAX_BODY_DEPTH} levels" in problem["detail"]


def test_a_body_nested_within_the_budget_is_parsed(
    client: TestClient, services: FakeServices
) -> None:
    response = post_raw(client, VERSIONS, nested_body(MAX_BODY_DEPTH - 1))
    assert response.status_code == 201, response.text


def test_a_body_holding_more_values_than_the_budget_is_413_before_it_is_parsed(
    client: TestClient, services: FakeServices
) -> None:
    raw = b'{"content": "x", "p": [' + b",".join([b"0"] * MAX_BODY_VALUES) + b"]}"
    problem = problem_of(post_raw(client, VERSIONS, raw), 413, "body-too-large")
    assert f"more than {MAX_BODY_VALUES} JSON values" in problem["detail"]
    assert services.commands.calls == []


def test_commas_and_brackets_inside_strings_are_not_values(
    client: TestClient, services: FakeServices
) -> None:
    content = "[,{" * (MAX_BODY_VALUES // 2)
    response = client.post(VERSIONS, json={"content": content})
    assert response.status_code == 201, response.text[:300]


def test_a_body_over_the_command_byte_limit_once_escaped_is_413(
    client: TestClient, services: FakeServices
) -> None:
    content = "é" * (MAX_COMMAND_BYTES // 6)  # six bytes each as \\u00e9
    problem = problem_of(client.post(VERSIONS, json={"content": content}), 413, "command-too-large")
    assert str(MAX_COMMAND_BYTES) in problem["detail"]
    assert services.commands.calls == []


def test_a_body_at_the_command_byte_limit_once_escaped_is_accepted(
    client: TestClient, services: FakeServices
) -> None:
    envelope = len(json.dumps({"content": ""}, separators=(",", ":")))
    content = "é" * ((MAX_COMMAND_BYTES - envelope) // 6)
    response = client.post(VERSIONS, json={"content": content})
    assert response.status_code == 201, response.text[:300]
    assert services.commands.last.kwargs["content"] == content


def test_a_large_body_is_parsed_exactly_as_a_small_one(
    client: TestClient, services: FakeServices
) -> None:
    artifacts = [{**context_artifact(), "metadata": {"rows": list(range(4_000))}}]
    response = client.post(f"{B}/runs/{CID}/steps", json={"stepId": "s", "artifacts": artifacts})
    assert response.status_code == 200, response.text[:300]
    assert services.commands.last.kwargs["artifacts"][0].metadata == {"rows": list(range(4_000))}


def test_a_repeated_tenant_header_is_400_not_the_first_one_silently(client: TestClient) -> None:
    headers = [("X-Tenant-Id", "acme"), ("X-Tenant-Id", "globex")]
    problem_of(client.get(B, headers=headers), 400, "invalid-tenant")
    problem_of(client.delete(B, headers=headers), 400, "invalid-tenant")


def test_two_different_keys_in_one_request_are_400(
    keyed_client: TestClient, keyed_services: FakeServices
) -> None:
    headers = {"X-Api-Key": "key-of-acme", "Authorization": "Bearer key-of-globex"}
    problem_of(keyed_client.get(B, headers=headers), 400, "invalid-header")
    repeated = [("X-Api-Key", "key-of-acme"), ("X-Api-Key", "key-of-globex")]
    problem_of(keyed_client.delete(B, headers=repeated), 400, "invalid-header")
    assert keyed_services.commands.calls == []


def test_the_same_key_in_both_headers_is_one_key(
    keyed_client: TestClient, keyed_services: FakeServices
) -> None:
    headers = {"X-Api-Key": "key-of-acme", "Authorization": "Bearer key-of-acme"}
    assert keyed_client.delete(B, headers=headers).status_code == 200


@pytest.mark.parametrize("value", ["\u0663", "7\n", "\uff17", " 7\u00a0"])
def test_an_if_match_of_anything_but_ascii_digits_is_400(client: TestClient, value: str) -> None:
    response = client.delete(B, headers={"If-Match": value.encode("utf-8")})
    problem_of(response, 400, "invalid-if-match")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "\u200b\u200b", "brief": brief()}, "name"),
        ({"name": "S", "brief": {**brief(), "brandPalette": ["#FFF\n"]}}, "brief.brandPalette[0]"),
        (
            {"name": "S", "brief": {**brief(), "constraints": {"maxWords": "5"}}},
            "brief.constraints.maxWords",
        ),
        (
            {"name": "S", "brief": {**brief(), "constraints": {"maxWords": True}}},
            "brief.constraints.maxWords",
        ),
        ({"id": "{" + CID + "}", "name": "S", "brief": brief()}, "id"),
    ],
)
def test_loose_formats_and_coerced_numbers_are_422_over_http(
    client: TestClient, services: FakeServices, body: dict[str, object], field: str
) -> None:
    problem = problem_of(client.post("/api/campaigns", json=body), 422, "validation-failed")
    assert field in fields_of(problem)
    assert services.commands.calls == []


@pytest.mark.parametrize(
    "error",
    [
        StoreUnavailable("connection refused by cosmos-7.internal:8081 (ServiceRequestError)"),
        StoreThrottled("429 from cosmos-7.internal:8081, activity 5f2c"),
        StoreError("sqlite3.OperationalError: disk I/O error in /var/lib/ledger"),
        ConfigurationError("COSMOS_KEY for cosmos-7.internal:8081 rejected"),
    ],
)
def test_store_failures_and_bugs_answer_without_internals(
    client: TestClient, services: FakeServices, error: Exception
) -> None:
    services.commands.error = error
    response = client.delete(B)
    assert response.status_code in (429, 500, 503)
    assert "cosmos-7" not in response.text
    assert "/var/lib" not in response.text
    assert "sqlite3" not in response.text
