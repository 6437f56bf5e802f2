"""Reads of the tenant as a whole (API.md round 2): the statistics of its campaigns
(``GET /api/stats``, kept by a projection, never computed by scanning campaigns) and the registry
of context-artifact types (``GET /api/artifact-types``). Both send an ``ETag`` and answer 304 to
a matching ``If-None-Match``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from api.dependencies import Commands, Reads
from api.preconditions import hash_entity_tag, is_not_modified, quote_entity_tag
from api.read_answers import IfNoneMatch, read_responses
from api.routing import StrictJsonRoute
from api.tenancy import Tenant
from api.views import View

router = APIRouter(prefix="/api", route_class=StrictJsonRoute, tags=["reads"])

_CACHING = {"Cache-Control": "private, no-cache", "Vary": "X-Tenant-Id, X-Api-Key, Authorization"}
_TENANT_REFUSALS = (400, 401, 403, 413, 422, 429, 500, 503)


class Distribution(View):
    p50: int
    p90: int
    max: int
    mean: float


class CampaignCounts(View):
    total: int = Field(description="The tenant's campaigns, soft-deleted ones left out.")
    by_status: dict[str, int]


class IterationCounts(View):
    total: int
    mean_per_campaign: float


class RevisionCounts(View):
    total: int
    audit_failed: int
    user_feedback: int


class Statistics(View):
    """The analytics output of the data model, for the calling tenant."""

    campaigns: CampaignCounts
    versions_per_campaign: Distribution = Field(
        description="p50, p90 and max exact below 256, else at most 0.8 % below (docs)."
    )
    audit_reports_per_campaign: Distribution
    audits: dict[str, int] = Field(description="Audit reports by overallStatus.")
    iterations: IterationCounts
    revisions: RevisionCounts
    orphan_audit_reports: int = Field(description="Audit reports whose version does not exist.")


class ArtifactTypeView(View):
    name: str
    ref_name: str = Field(description="Its key in a run context's refs.")
    standard: bool
    description: str


class ArtifactTypeList(View):
    items: list[ArtifactTypeView]


def _answer(body: Any, etag: str, if_none_match: str | None) -> Response:
    headers = {"ETag": etag, **_CACHING}
    if is_not_modified(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(body, headers=headers)


@router.get("/stats", response_model=Statistics, responses=read_responses(*_TENANT_REFUSALS))
def read_statistics(tenant: Tenant, if_none_match: IfNoneMatch = None, *, reads: Reads) -> Response:
    """Counts and distributions over the tenant's campaigns (soft-deleted ones left out)."""
    view = reads.statistics(tenant)
    return _answer(view.body, quote_entity_tag(view.etag), if_none_match)


@router.get(
    "/artifact-types", response_model=ArtifactTypeList, responses=read_responses(*_TENANT_REFUSALS)
)
def read_artifact_types(
    tenant: Tenant, if_none_match: IfNoneMatch = None, *, commands: Commands
) -> Response:
    """The registry: the standard types in their order, then the custom types in file order."""
    body = {"items": [entry.to_json() for entry in commands.artifact_types.entries()]}
    return _answer(body, hash_entity_tag(body), if_none_match)
