"""``CommandRoute`` answers every request exactly as FastAPI's own handling of the declared
dependencies would: the same statuses, problems, headers and bodies, in the same order of
checks (tenant and key, then the command headers, then path and body)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from api.command_route import CommandRoute
from api.commands import artifacts, campaigns
from api.dependencies import attach_services
from api.problems import install_problem_handlers
from api.routing import StrictJsonRoute
from tests.unit.api.conftest import hermetic_settings
from tests.unit.api.fakes import FakeServices
from tests.unit.api.samples import CID

KEYS = {"key-of-acme": "acme"}
AID = "6f1f7f5e-0f3a-4a52-9a0c-2a8f8e1b6c11"
VERSIONS = f"/api/campaigns/{CID}/artifacts/{AID}/versions"
COMMAND_ID = {"X-Command-Id": "command-1"}
BODY = {"id": AID, "content": "draft"}
KEY = {**COMMAND_ID, "X-Api-Key": "key-of-acme"}


def _app(route_class: type[StrictJsonRoute], services: FakeServices) -> FastAPI:
    router = APIRouter(prefix="/api", route_class=route_class)
    router.add_api_route(
        "/campaigns/{cid}/artifacts/{aid}/versions",
        artifacts.create_version,
        methods=["POST"],
        status_code=201,
        response_model=artifacts.NumberedVersionAnswer,
    )
    router.add_api_route(
        "/campaigns/{cid}/status",
        campaigns.change_status,
        methods=["POST"],
        response_model=campaigns.StatusAnswer,
    )
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    attach_services(app, services)
    return app


@pytest.fixture(params=[{}, KEYS], ids=["open", "with keys"])
def clients(request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, TestClient]]:
    settings = hermetic_settings(ledger_api_keys=request.param)
    fast = _app(CommandRoute, FakeServices(settings=settings))
    usual = _app(StrictJsonRoute, FakeServices(settings=settings))
    with (
        TestClient(fast, raise_server_exceptions=False) as fast_client,
        TestClient(usual, raise_server_exceptions=False) as usual_client,
    ):
        yield fast_client, usual_client


def _answer(client: TestClient, path: str, body: Any, headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if isinstance(body, bytes):
        kwargs["content"] = body
    elif body is not None:
        kwargs["json"] = body
    answer = client.post(path, **kwargs)
    return answer.status_code, dict(answer.headers), answer.content


CASES: list[tuple[str, str, Any, dict[str, str]]] = [
    ("a version", VERSIONS, {"id": AID, "content": "draft"}, COMMAND_ID),
    ("a version by key", VERSIONS, BODY, KEY),
    ("a bearer key", VERSIONS, BODY, {**COMMAND_ID, "Authorization": "Bearer key-of-acme"}),
    ("another tenant's key", VERSIONS, BODY, {**KEY, "X-Tenant-Id": "globex"}),
    ("a bad tenant", VERSIONS, BODY, {**COMMAND_ID, "X-Tenant-Id": "no spaces"}),
    ("a bad tenant and body", VERSIONS, {"nothing": 1}, {**COMMAND_ID, "X-Tenant-Id": "no spaces"}),
    ("an empty command id", VERSIONS, BODY, {"X-Command-Id": ""}),
    ("a long actor", VERSIONS, BODY, {**COMMAND_ID, "X-Actor": "a" * 201}),
    ("a bad If-Match", VERSIONS, BODY, {**COMMAND_ID, "If-Match": "soon"}),
    ("a pinned version", VERSIONS, BODY, {**COMMAND_ID, "If-Match": '"3"'}),
    ("a body without content", VERSIONS, {"runId": 5}, COMMAND_ID),
    ("a body that is not JSON", VERSIONS, b"{not json", COMMAND_ID),
    ("no body", VERSIONS, None, COMMAND_ID),
    ("a path that is not a UUID", f"/api/campaigns/x/artifacts/{AID}/versions", BODY, COMMAND_ID),
    ("a status", f"/api/campaigns/{CID}/status", {"status": "Generating"}, COMMAND_ID),
    ("an unknown status", f"/api/campaigns/{CID}/status", {"status": "Nope"}, COMMAND_ID),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "headers"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_a_command_route_answers_as_the_declared_dependencies_would(
    clients: tuple[TestClient, TestClient], path: str, body: Any, headers: dict[str, str]
) -> None:
    fast, usual = clients

    assert _answer(fast, path, body, headers) == _answer(usual, path, body, headers)


def test_a_command_without_an_id_gets_a_fresh_one_as_before(
    clients: tuple[TestClient, TestClient],
) -> None:
    fast, _ = clients

    answer = fast.post(VERSIONS, json=BODY, headers={"X-Api-Key": "key-of-acme"})

    assert answer.status_code == 201
    assert len(answer.headers["X-Command-Id"]) == 36
    assert answer.headers["X-Correlation-Id"] == answer.headers["X-Command-Id"]
