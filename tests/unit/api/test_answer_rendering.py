"""Command answers rendered in the endpoint's thread are exactly what FastAPI renders: the same
bytes, status, headers and OpenAPI description, and the same failure for an answer that does
not fit its model."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Response
from fastapi.exceptions import ResponseValidationError
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field

from api import context as context_module
from api.answer_rendering import ThreadRenderedRoute
from api.routing import StrictJsonRoute
from bootstrap.settings import Settings
from tests.unit.api.samples import brief


class Answer(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    version_number: int = Field(alias="versionNumber")
    note: str | None = None


class Body(BaseModel):
    text: str


def _app(route_class: type[Any]) -> FastAPI:
    router = APIRouter(prefix="/api", route_class=route_class)

    @router.post("/things/{tid}", status_code=201, response_model=Answer)
    def create(tid: str, body: Body, response: Response) -> Answer:
        response.headers["X-Thing"] = tid
        if body.text == "accepted":
            response.status_code = 202
        return Answer(id=tid, version_number=len(body.text))

    @router.post("/plain", response_model=Answer)
    def plain(body: Body) -> Any:
        if body.text == "unfit":
            return {"id": "x"}
        return {"id": body.text, "versionNumber": 1, "note": "é"}

    @router.post("/raw")
    def raw() -> Response:
        return Response(b"as is", status_code=299, media_type="text/plain")

    app = FastAPI()
    app.include_router(router)
    app.state.services = SimpleNamespace(settings=Settings(ledger_api_keys={}))
    return app


STANDARD = TestClient(_app(StrictJsonRoute))
RENDERED = TestClient(_app(ThreadRenderedRoute))


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/things/t1", {"text": "hello"}),
        ("/api/things/t2", {"text": "accepted"}),
        ("/api/plain", {"text": "p"}),
        ("/api/raw", None),
    ],
)
def test_an_answer_is_the_same_bytes_status_and_headers_as_fastapis(
    path: str, body: dict[str, Any] | None
) -> None:
    standard = STANDARD.post(path, json=body)
    rendered = RENDERED.post(path, json=body)

    assert rendered.status_code == standard.status_code
    assert rendered.content == standard.content
    assert rendered.headers.multi_items() == standard.headers.multi_items()


def test_an_answer_that_does_not_fit_its_model_fails_as_it_does_in_fastapi() -> None:
    with pytest.raises(ResponseValidationError) as standard:
        STANDARD.post("/api/plain", json={"text": "unfit"})
    with pytest.raises(ResponseValidationError) as rendered:
        RENDERED.post("/api/plain", json={"text": "unfit"})

    assert rendered.value.errors() == standard.value.errors()


def test_the_openapi_document_is_unchanged() -> None:
    assert RENDERED.get("/openapi.json").json() == STANDARD.get("/openapi.json").json()


def test_the_command_routes_solve_the_context_from_the_request_in_one_dependency(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenants: list[str] = []
    tenant_of_request = context_module.tenant_of_request

    def counted(request: Any) -> str:
        tenants.append(tenant_of_request(request))
        return tenants[-1]

    monkeypatch.setattr(context_module, "tenant_of_request", counted)

    answer = client.post(
        "/api/campaigns",
        json={"name": "Lean", "brief": brief()},
        headers={"X-Tenant-Id": "acme", "X-Command-Id": "cmd-7"},
    )

    assert answer.status_code == 201
    assert answer.headers["X-Command-Id"] == "cmd-7"
    assert tenants == ["acme"]


def test_a_bad_command_header_is_refused_before_a_bad_body_as_before(client: TestClient) -> None:
    answer = client.post(
        "/api/campaigns", json={"name": 5}, headers={"X-Command-Id": "has space at end "}
    )

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid-header"
