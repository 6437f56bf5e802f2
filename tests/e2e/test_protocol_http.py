"""HTTP-level rules over real HTTP: problem documents for what a client got wrong, the body
limit on the raw stream, API keys, health and projection status."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.views import Health, ProjectionStatus
from tests.e2e.conftest import (
    RunningService,
    brief,
    check,
    conforms,
    create_artifact,
    create_campaign,
    e2e_settings,
    new_id,
    problem,
    running_service,
)

FOUR_MIB = 4 * 1024 * 1024


def test_malformed_json_is_400_and_a_breach_of_shape_is_422_per_field(http: httpx.Client) -> None:
    raw = http.post(
        "/api/campaigns", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    problem(raw, 400, "malformed-json")
    nan = http.post(
        "/api/campaigns", content=b'{"name": NaN}', headers={"content-type": "application/json"}
    )
    problem(nan, 400, "malformed-json")
    invalid = problem(
        http.post(
            "/api/campaigns", json={"name": "", "brief": {**brief(), "brandPalette": ["blue"]}}
        ),
        422,
        "validation-failed",
    )
    fields = {error["field"] for error in invalid["errors"]}
    assert fields == {"name", "brief.brandPalette[0]"}
    problem(
        http.post("/api/campaigns", content=b"name=x", headers={"content-type": "text/plain"}),
        415,
        "unsupported-media-type",
    )


def test_bad_headers_are_400(service: RunningService) -> None:
    with service.client() as client:
        problem(
            client.get("/api/campaigns", headers={"X-Tenant-Id": "no spaces"}),
            400,
            "invalid-tenant",
        )
        problem(
            client.get("/api/campaigns", headers={"X-Tenant-Id": "x" * 65}), 400, "invalid-tenant"
        )
        problem(
            client.delete(f"/api/campaigns/{new_id()}", headers={"If-Match": "*"}),
            400,
            "invalid-if-match",
        )


def test_unknown_routes_and_methods_are_problems(http: httpx.Client) -> None:
    problem(http.get("/api/unknown"), 404, "route-not-found")
    problem(http.get(f"/api/campaigns/{new_id()}"), 404, "campaign-not-found")
    problem(http.get("/api/campaigns/not-a-uuid"), 404, "campaign-not-found")
    not_allowed = problem(http.put("/api/campaigns", json={}), 405, "method-not-allowed")
    assert not_allowed["detail"]


def test_a_body_over_four_mebibytes_is_413_by_content_length(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    aid = create_artifact(http, cid)
    body = b'{"content": "' + b"x" * FOUR_MIB + b'"}'
    response = http.post(
        f"/api/campaigns/{cid}/artifacts/{aid}/versions",
        content=body,
        headers={"content-type": "application/json"},
    )
    problem(response, 413, "body-too-large")
    events = check(http.get(f"/api/campaigns/{cid}/events"), 200)["items"]
    assert [e["type"] for e in events] == ["CampaignCreated", "ArtifactCreated"]


def test_a_chunked_body_over_four_mebibytes_is_413(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    aid = create_artifact(http, cid)

    def chunks() -> Iterator[bytes]:
        yield b'{"content": "'
        for _ in range(5):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    response = http.post(
        f"/api/campaigns/{cid}/artifacts/{aid}/versions",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    problem(response, 413, "body-too-large")


def test_a_version_of_the_largest_allowed_content_is_stored_whole(http: httpx.Client) -> None:
    cid = create_campaign(http)["id"]
    aid = create_artifact(http, cid)
    content = "x" * (1_048_576 - 2) + "é✓"
    created = check(
        http.post(f"/api/campaigns/{cid}/artifacts/{aid}/versions", json={"content": content}), 201
    )
    version = check(
        http.get(f"/api/campaigns/{cid}/versions/{created['id']}?minVersion={created['version']}"),
        200,
    )
    assert version["content"] == content


def test_a_request_cut_off_mid_body_leaves_the_service_answering(service: RunningService) -> None:
    host, port = service.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(
            b"POST /api/campaigns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"name": '
        )
    with service.client() as client:
        assert check(client.get("/api/health"), 200)["status"] == "ok"


def test_health_and_projection_status(service: RunningService) -> None:
    with service.client() as client:
        health = conforms(Health, client.get("/api/health"))
        assert health == {"status": "ok", "store": "sqlite"}
        status = conforms(ProjectionStatus, client.get("/api/projections/status"))
        assert status["projections"]
        assert "eventsBehind" in status["projections"][0]


@pytest.fixture(scope="module")
def keyed_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    keys = {"acme-key": "acme", "globex-key": "globex"}
    data_dir: Path = tmp_path_factory.mktemp("keyed")
    with running_service(e2e_settings(data_dir, ledger_api_keys=keys)) as running:
        yield running


def test_with_api_keys_the_key_decides_the_tenant(keyed_service: RunningService) -> None:
    with keyed_service.client() as anonymous:
        problem(anonymous.get("/api/campaigns"), 401, "unauthenticated")
        problem(
            anonymous.post("/api/campaigns", json={"name": "x", "brief": brief()}),
            401,
            "unauthenticated",
        )
        assert anonymous.get("/api/health").status_code == 200
    with keyed_service.client(**{"X-Api-Key": "acme-key"}) as acme:
        cid = check(acme.post("/api/campaigns", json={"name": "A", "brief": brief()}), 201)["id"]
        events = check(acme.get(f"/api/campaigns/{cid}/events"), 200)["items"]
        assert events[0]["metadata"]["tenantId"] == "acme"
        problem(
            acme.get("/api/campaigns", headers={"X-Tenant-Id": "globex"}), 403, "tenant-forbidden"
        )
    with keyed_service.client(Authorization="Bearer globex-key") as globex:
        problem(globex.get(f"/api/campaigns/{cid}/events"), 404, "campaign-not-found")
