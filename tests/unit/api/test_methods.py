"""Paths are matched exactly and methods answered as RFC 9110 says (issue #17, item 8): no
redirect that would echo the client's Host, a 405 whose ``Allow`` lists every method of the
path, and ``HEAD`` wherever ``GET`` is served."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.unit.api.fakes import FakeServices
from tests.unit.api.samples import CID, RID
from tests.unit.api.test_errors import problem_of
from tests.unit.api.test_reads import put_snapshot

B = f"/api/campaigns/{CID}"


@pytest.mark.parametrize("path", ["/api/campaigns/", f"{B}/", "/api/health/", "/api//campaigns"])
def test_a_trailing_slash_is_404_not_a_redirect_built_from_the_host(
    client: TestClient, path: str
) -> None:
    response = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
    problem_of(response, 404, "route-not-found")
    assert "location" not in response.headers


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", B, "GET, HEAD, PATCH, DELETE"),
        ("OPTIONS", B, "GET, HEAD, PATCH, DELETE"),
        ("DELETE", "/api/campaigns", "GET, HEAD, POST"),
        ("GET", f"{B}/runs/{RID}/start", "POST"),
        ("POST", "/api/health", "GET, HEAD"),
    ],
)
def test_a_405_lists_every_method_the_path_serves(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    problem_of(response, 405, "method-not-allowed")
    assert response.headers["allow"] == allow


def test_head_answers_the_headers_of_get_without_a_body(
    client: TestClient, services: FakeServices
) -> None:
    put_snapshot(services)
    got = client.get(B)
    head = client.head(B)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == got.headers["content-length"]
    assert client.head("/api/health").status_code == 200


def test_head_of_what_get_refuses_is_refused_alike(client: TestClient) -> None:
    response = client.head("/api/campaigns/not-a-uuid")
    assert response.status_code == 404
    assert response.content == b""
    head_of_a_command = client.head(f"{B}/runs/{RID}/start")
    assert head_of_a_command.status_code == 405
    assert head_of_a_command.headers["allow"] == "POST"
