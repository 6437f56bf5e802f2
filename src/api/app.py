"""The HTTP API of Campaign Ledger: one ASGI app, served by uvicorn locally (``campaigns serve``)
and by ``func.AsgiFunctionApp`` in Azure (see ``api.lazy_app``). The contract is API.md;
``docs/http.md`` describes headers, errors, ETags, read-your-writes and API keys.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig

from api import campaign_lists, commands, metrics, reads, revisions, streams, tenant_reads
from api.dependencies import attach_services, notification_hub_of, telemetry_of
from api.health import StoreProbe
from api.limits import BodySizeLimit
from api.methods import HeadAsGet, MethodTable
from api.openapi_document import described
from api.ports import ApiServices
from api.problems import Problem, install_problem_handlers
from api.tenancy import without_key_schemes
from application.artifact_types import load_artifact_types

TITLE = "Campaign Ledger"
API_VERSION = "1.0.0"
OPENAPI_PATH = "/api/openapi.json"
DESCRIPTION = (
    "Event-sourced persistence for marketing-agent campaigns: commands append events to a "
    "campaign's log; reads are point reads of projections. Errors are application/problem+json "
    "with a stable `code`."
)


NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
"""FastAPI's own telemetry stays off (not even global providers): the services' telemetry
observes each request through its own, leaner middleware (``HttpTelemetry``)."""


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(services: ApiServices) -> FastAPI:
    """The ASGI app serving every route of API.md on ``services``; with their telemetry, each
    request is traced (when tracing is configured) and measured, and ``GET /metrics`` served."""
    settings = services.settings
    telemetry = telemetry_of(services)
    app = FastAPI(
        telemetry=NO_TELEMETRY,
        title=TITLE,
        version=API_VERSION,
        description=DESCRIPTION,
        openapi_url=OPENAPI_PATH,
        docs_url="/api/docs",
        redoc_url=None,
        strict_content_type=False,
        generate_unique_id_function=_operation_id,
        redirect_slashes=False,
    )
    install_problem_handlers(app)
    routers = [
        *commands.ROUTERS,
        revisions.commands_router,
        reads.router,
        campaign_lists.router,
        revisions.reads_router,
        tenant_reads.router,
    ]
    if notification_hub_of(services) is not None:
        routers.append(streams.router)
    if telemetry is not None:
        routers.append(metrics.router)
    for router in routers:
        app.include_router(router)
    app.state.method_table = MethodTable.of(
        [*app.router.routes, *(route for router in routers for route in router.routes)]
    )
    if telemetry is not None:
        app.add_middleware(telemetry.route_middleware)  # innermost: the scope the router fills
    app.add_middleware(BodySizeLimit, max_bytes=settings.ledger_max_body_bytes)
    app.add_middleware(HeadAsGet)
    if telemetry is not None:
        app.add_middleware(telemetry.request_middleware)  # outermost of ours: sees HEAD as sent
    app.state.store_probe = StoreProbe()

    def openapi_document() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = described(
                _with_problem_schema(
                    get_openapi(
                        title=app.title,
                        version=app.version,
                        description=app.description,
                        routes=app.routes,
                    )
                ),
                load_artifact_types(settings.ledger_artifact_types_file).names,
            )
            if not settings.ledger_api_keys:
                document = without_key_schemes(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi_document  # type: ignore[method-assign]
    attach_services(app, services)
    return app


def _with_problem_schema(document: dict[str, Any]) -> dict[str, Any]:
    """Add the Problem schema the error responses refer to; drop FastAPI's unused 422 model."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(
        by_alias=True, ref_template="#/components/schemas/{model}", mode="serialization"
    )
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return document
