"""The Azure Functions entry: the services are built on the first request, not before, and closed
on lifespan shutdown."""

from __future__ import annotations

import asyncio

import azure.functions as func
from fastapi.testclient import TestClient

from api.lazy_app import LazyApiApp
from tests.unit.api.conftest import hermetic_settings
from tests.unit.api.fakes import FakeServices
from tests.unit.api.samples import CID


class CountingBuild:
    def __init__(self) -> None:
        self.built: list[FakeServices] = []

    def __call__(self) -> FakeServices:
        services = FakeServices(settings=hermetic_settings())
        self.built.append(services)
        return services


def test_creating_the_app_and_starting_its_lifespan_builds_nothing() -> None:
    build = CountingBuild()
    app = LazyApiApp(build)
    with TestClient(app):
        assert build.built == []
    assert not app.is_built


def test_the_first_request_builds_the_services_once_and_is_served_by_it() -> None:
    build = CountingBuild()
    app = LazyApiApp(build)
    with TestClient(app) as client:
        first = client.get("/api/health")
        second = client.post("/api/campaigns/0f8fad5b-d9cb-469f-a165-70867728950e/restore")
        assert first.json() == {"status": "ok", "store": "sqlite"}
        assert second.status_code == 200
        assert len(build.built) == 1
        assert build.built[0].commands.last.method == "restore_campaign"


def test_lifespan_shutdown_closes_the_built_services() -> None:
    build = CountingBuild()
    with TestClient(LazyApiApp(build)) as client:
        client.get("/api/health")
    assert build.built[0].closed == 1


def test_azure_functions_serves_the_same_paths_through_asgi_function_app() -> None:
    build = CountingBuild()
    function_app = func.AsgiFunctionApp(
        app=LazyApiApp(build), http_auth_level=func.AuthLevel.ANONYMOUS
    )
    assert [f.get_function_name() for f in function_app.get_functions()] == ["http_app_func"]
    assert build.built == []
    request = func.HttpRequest(
        method="POST",
        url=f"http://localhost/api/campaigns/{CID}/artifacts",
        body=b'{"type": "Copy"}',
        headers={"content-type": "application/json", "x-tenant-id": "acme"},
    )

    async def serve_one() -> func.HttpResponse:
        assert await function_app.middleware.notify_startup()
        response = await function_app.middleware.handle_async(request, None)
        await function_app.middleware.notify_shutdown()
        return response

    response = asyncio.run(serve_one())
    assert response.status_code == 201
    assert response.headers["x-campaign-version"] == "1"
    (services,) = build.built
    ctx = services.commands.last.ctx
    assert ctx is not None
    assert ctx.tenant_id == "acme"
    assert services.closed == 1
