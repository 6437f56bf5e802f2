"""``GET /metrics``: the process's metrics as Prometheus text (API.md, "Operations").

Served only when the services have telemetry. With ``LEDGER_METRICS_TOKEN`` set, a scrape must
send ``Authorization: Bearer <token>`` (401 otherwise); API keys do not apply, since no series
carries a tenant or a campaign. Left out of the OpenAPI document: it is not JSON and not for
the orchestrator.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response

from api.dependencies import AppSettings, services_of, telemetry_of
from api.problems import HttpProblem

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"

router = APIRouter()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if that is what it holds."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


@router.get("/metrics", include_in_schema=False)
async def read_metrics(request: Request, settings: AppSettings) -> Response:
    expected = settings.ledger_metrics_token
    if expected:
        presented = bearer_token(request.headers.get("authorization"))
        if presented is None or not hmac.compare_digest(presented.encode(), expected.encode()):
            raise HttpProblem(
                401,
                "unauthenticated",
                "GET /metrics needs Authorization: Bearer <LEDGER_METRICS_TOKEN>.",
                headers={"WWW-Authenticate": "Bearer"},
            )
    telemetry = telemetry_of(services_of(request))
    if telemetry is None:
        raise RuntimeError("no telemetry: the metrics route should not be served")
    return Response(telemetry.metrics_exposition(), media_type=PROMETHEUS_TEXT)
