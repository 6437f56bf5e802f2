"""The campaign-level reads (API.md round 2, "Campaign-level reads"): the campaign's artifacts,
one artifact and its latest version, the whole audit lineage and the runs (each a page at a
time), with the same freshness and caching rules as the other reads of one campaign
(``api.reads``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.paths import CampaignIdPath, EntityIdPath, campaign_id_from_path, entity_id_from_path
from api.read_answers import (
    Continuation,
    IfNoneMatch,
    MinVersion,
    Views,
    page_limit,
    read_responses,
)
from api.routing import StrictJsonRoute
from api.tenancy import Tenant
from api.views import ArtifactList, ArtifactView, CampaignAuditList, RunList, VersionDetail
from domain.values import AuditStatus, EntityId, RunStatus

router = APIRouter(prefix="/api", route_class=StrictJsonRoute, tags=["reads"])

ShortPageLimit = Annotated[int, page_limit(100)]


@router.get("/campaigns/{cid}/artifacts", response_model=ArtifactList, responses=read_responses())
async def read_artifacts(
    cid: CampaignIdPath,
    tenant: Tenant,
    min_version: MinVersion = None,
    if_none_match: IfNoneMatch = None,
    *,
    views: Views,
) -> Response:
    """The campaign's artifacts in creation order, with their latest and active versions."""
    campaign_id = campaign_id_from_path(cid)
    return await views.answer(
        tenant,
        campaign_id,
        lambda reads: reads.artifacts(tenant, campaign_id),
        min_version,
        if_none_match,
    )


@router.get(
    "/campaigns/{cid}/artifacts/{aid}", response_model=ArtifactView, responses=read_responses()
)
async def read_artifact(
    cid: CampaignIdPath,
    aid: EntityIdPath,
    tenant: Tenant,
    min_version: MinVersion = None,
    if_none_match: IfNoneMatch = None,
    *,
    views: Views,
) -> Response:
    """One artifact: its type, creation time, version count, latest and active versions."""
    campaign_id = campaign_id_from_path(cid)
    artifact_id = entity_id_from_path(aid, "artifact")
    return await views.answer(
        tenant,
        campaign_id,
        lambda reads: reads.artifact(tenant, campaign_id, artifact_id),
        min_version,
        if_none_match,
    )


@router.get(
    "/campaigns/{cid}/artifacts/{aid}/versions/latest",
    response_model=VersionDetail,
    responses=read_responses(),
)
async def read_latest_version(
    cid: CampaignIdPath,
    aid: EntityIdPath,
    tenant: Tenant,
    min_version: MinVersion = None,
    if_none_match: IfNoneMatch = None,
    *,
    views: Views,
) -> Response:
    """The artifact's highest-numbered version with its content (404 entity-not-found when
    it has none yet)."""
    campaign_id = campaign_id_from_path(cid)
    artifact_id = entity_id_from_path(aid, "artifact")
    return await views.answer(
        tenant,
        campaign_id,
        lambda reads: reads.latest_version(tenant, campaign_id, artifact_id),
        min_version,
        if_none_match,
    )


@router.get("/campaigns/{cid}/audits", response_model=CampaignAuditList, responses=read_responses())
async def read_campaign_audits(
    cid: CampaignIdPath,
    tenant: Tenant,
    min_version: MinVersion = None,
    if_none_match: IfNoneMatch = None,
    *,
    artifact_id: Annotated[
        EntityId | None,
        Query(
            alias="artifactId",
            description="Only this artifact's reports.",
            json_schema_extra={"format": "uuid"},
        ),
    ] = None,
    version_id: Annotated[
        EntityId | None,
        Query(
            alias="versionId",
            description="Only this version's reports.",
            json_schema_extra={"format": "uuid"},
        ),
    ] = None,
    overall_status: Annotated[
        AuditStatus | None, Query(alias="overallStatus", description="Only this outcome.")
    ] = None,
    limit: ShortPageLimit = 100,
    continuation: Continuation = None,
    views: Views,
) -> Response:
    """Every audit report of the campaign (superseded ones included), in the order recorded."""
    campaign_id = campaign_id_from_path(cid)
    return await views.answer(
        tenant,
        campaign_id,
        lambda reads: reads.campaign_audits(
            tenant,
            campaign_id,
            artifact_id=artifact_id,
            version_id_=version_id,
            overall_status=None if overall_status is None else overall_status.value,
            limit=limit,
            continuation=continuation,
        ),
        min_version,
        if_none_match,
    )


@router.get("/campaigns/{cid}/runs", response_model=RunList, responses=read_responses())
async def read_runs(
    cid: CampaignIdPath,
    tenant: Tenant,
    min_version: MinVersion = None,
    if_none_match: IfNoneMatch = None,
    *,
    status: Annotated[RunStatus | None, Query(description="Only runs in this status.")] = None,
    limit: ShortPageLimit = 100,
    continuation: Continuation = None,
    views: Views,
) -> Response:
    """The campaign's runs in the order they were queued."""
    campaign_id = campaign_id_from_path(cid)
    return await views.answer(
        tenant,
        campaign_id,
        lambda reads: reads.runs(
            tenant,
            campaign_id,
            status=None if status is None else status.value,
            limit=limit,
            continuation=continuation,
        ),
        min_version,
        if_none_match,
    )
