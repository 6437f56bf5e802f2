"""The read routes (API.md, "Reads"): the dashboard's point reads of the projections, the
campaign list, a campaign's raw events, health and projection lag.

Reads of one campaign's data honour ``?minVersion=N`` (read-your-writes: wait up to
``Settings.ledger_read_wait_seconds`` for the projection, then answer with what it has and
``X-Projection-Stale: true``), send an ``ETag`` and answer 304 to a matching ``If-None-Match``.
The snapshot and an artifact's versions also answer as they stood in the past (``?atVersion=``,
``?asOf=``: ``api.past``), cached for good once they can never change.
Those routes are coroutines: the wait holds no thread (``api.version_waits``) and only the read
itself runs in a worker thread.

Each route is a module-level function; the read model, the commands (for the raw events) and the
caller's tenant come as FastAPI dependencies.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api.dependencies import AppSettings, Commands, Reads
from api.health import StoreProbe
from api.past import AsOf, AtVersion, campaign_read, history_read, moment_of
from api.paths import (
    CampaignIdPath,
    EntityIdPath,
    campaign_id_from_path,
    entity_id_from_path,
)
from api.preconditions import hash_entity_tag
from api.problems import problem_responses
from api.read_answers import (
    MAX_SAFE_INTEGER,
    MAX_TOKEN,
    TOKEN_PATTERN,
    Continuation,
    IfNoneMatch,
    MinVersion,
    PageLimit,
    Views,
    conditional_answer,
    read_responses,
)
from api.routing import StrictJsonRoute
from api.tenancy import Tenant
from api.views import (
    AuditList,
    CampaignList,
    CampaignSnapshot,
    EventList,
    Health,
    IterationList,
    ProjectionStatus,
    RunDetail,
    VersionDetail,
    VersionHistory,
)
from domain.values import CampaignStatus, EntityId

router = APIRouter(prefix="/api", route_class=StrictJsonRoute, tags=["reads"])


@router.get("/campaigns", response_model=CampaignList, responses=read_responses())
def list_campaigns(
    tenant: Tenant,
    if_none_match: IfNoneMatch = None,
    status: Annotated[CampaignStatus | None, Query(description="Only this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    continuation: Annotated[
        str | None,
        Query(
            description="The token of the previous page, as received (any other is 400 "
            "invalid-continuation).",
            min_length=1,
            max_length=MAX_TOKEN,
            json_schema_extra={"pattern": TOKEN_PATTERN},
        ),
    ] = None,
    *,
    deleted: Annotated[
        bool, Query(description="true: only the soft-deleted ones, with their restore window.")
    ] = False,
    reads: Reads,
) -> Response:
    """The tenant's campaigns, newest first; deleted ones left out (or alone, deleted=true)."""
    page = reads.list_campaigns(
        tenant,
        status=status.value if status else None,
        deleted=deleted,
        limit=limit,
        continuation=continuation,
    )
    body = {"items": page.items, "continuation": page.continuation}
    return conditional_answer(body, hash_entity_tag(body), if_none_match)


@router.get("/campaigns/{cid}", response_model=CampaignSnapshot, responses=read_responses())
async def read_campaign(
    cid: CampaignIdPath,
    tenant: Tenant,
    min_version: MinVersion = None,
    if_none_match: IfNoneMatch = None,
    *,
    at_version: AtVersion = None,
    as_of: AsOf = None,
    views: Views,
) -> Response:
    """The campaign snapshot: brief, status, active versions with their audits, runs (as it
    stood then with atVersion or asOf)."""
    campaign_id = campaign_id_from_path(cid)
    return await views.answer(
        tenant,
        campaign_id,
        campaign_read(tenant, campaign_id, moment_of(at_version, as_of)),
        min_version,
        if_none_match,
    )


@router.get(
    "/campaigns/{cid}/artifacts/{aid}/versions",
    response_model=VersionHistory,
    responses=read_responses(),
)
async def read_version_history(
    cid: CampaignIdPath,
    aid: EntityIdPath,
    tenant: Tenant,
    min_version: MinVersion = None,
    if_none_match: IfNoneMatch = None,
    *,
    limit: PageLimit = 1_000,
    continuation: Continuation = None,
    at_version: AtVersion = None,
    as_of: AsOf = None,
    views: Views,
) -> Response:
    """An artifact's versions in ascending number, with their audit state, a page at a time
    (as they stood then with atVersion or asOf)."""
    campaign_id = campaign_id_from_path(cid)
    artifact_id = entity_id_from_path(aid, "artifact")
    moment = moment_of(at_version, as_of)
    return await views.answer(
        tenant,
        campaign_id,
        history_read(
            tenant, campaign_id, artifact_id, moment, limit=limit, continuation=continuation
        ),
        min_version,
        if_none_match,
    )


@router.get(
    "/campaigns/{cid}/versions/{vid}", response_model=VersionDetail, responses=read_responses()
)
async def read_version(
    cid: CampaignIdPath,
    vid: EntityIdPath,
    tenant: Tenant,
    min_version: MinVersion = None,
    if_none_match: IfNoneMatch = None,
    *,
    views: Views,
) -> Response:
    """One version with its content."""
    campaign_id = campaign_id_from_path(cid)
    version_id = entity_id_from_path(vid, "version")
    return await views.answer(
        tenant,
        campaign_id,
        lambda reads: reads.version(tenant, campaign_id, version_id),
        min_version,
        if_none_match,
    )


@router.get(
    "/campaigns/{cid}/versions/{vid}/audits",
    response_model=AuditList,
    responses=read_responses(),
)
async def read_audits(
    cid: CampaignIdPath,
    vid: EntityIdPath,
    tenant: Tenant,
    min_version: MinVersion = None,
    if_none_match: IfNoneMatch = None,
    *,
    limit: PageLimit = 1_000,
    continuation: Continuation = None,
    views: Views,
) -> Response:
    """Every audit report of a version, oldest first (its audit lineage), a page at a time."""
    campaign_id = campaign_id_from_path(cid)
    version_id = entity_id_from_path(vid, "version")
    return await views.answer(
        tenant,
        campaign_id,
        lambda reads: reads.audits(
            tenant, campaign_id, version_id, limit=limit, continuation=continuation
        ),
        min_version,
        if_none_match,
    )


@router.get("/campaigns/{cid}/iterations", response_model=IterationList, responses=read_responses())
async def read_iterations(
    cid: CampaignIdPath,
    tenant: Tenant,
    artifact_id: Annotated[
        EntityId | None,
        Query(
            alias="artifactId",
            description="Only this artifact's iterations (a UUID, else 422).",
            json_schema_extra={"format": "uuid"},
        ),
    ] = None,
    min_version: MinVersion = None,
    if_none_match: IfNoneMatch = None,
    *,
    limit: PageLimit = 1_000,
    continuation: Continuation = None,
    views: Views,
) -> Response:
    """The campaign's feedback iterations, oldest first, a page at a time."""
    campaign_id = campaign_id_from_path(cid)
    return await views.answer(
        tenant,
        campaign_id,
        lambda reads: reads.iterations(
            tenant, campaign_id, artifact_id, limit=limit, continuation=continuation
        ),
        min_version,
        if_none_match,
    )


@router.get("/campaigns/{cid}/runs/{rid}", response_model=RunDetail, responses=read_responses())
async def read_run(
    cid: CampaignIdPath,
    rid: EntityIdPath,
    tenant: Tenant,
    min_version: MinVersion = None,
    if_none_match: IfNoneMatch = None,
    *,
    views: Views,
) -> Response:
    """An orchestration run with its context (refs, artifacts, computed)."""
    campaign_id = campaign_id_from_path(cid)
    run_id = entity_id_from_path(rid, "run")
    return await views.answer(
        tenant,
        campaign_id,
        lambda reads: reads.run(tenant, campaign_id, run_id),
        min_version,
        if_none_match,
    )


@router.get("/campaigns/{cid}/events", response_model=EventList, responses=read_responses())
def read_events(
    cid: CampaignIdPath,
    tenant: Tenant,
    after: Annotated[int, Query(ge=0, le=MAX_SAFE_INTEGER)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    if_none_match: IfNoneMatch = None,
    *,
    commands: Commands,
) -> Response:
    """The campaign's events in stream order, straight from the log (a soft-deleted
    campaign's too, within its restore window)."""
    events = commands.read_events(
        tenant, campaign_id_from_path(cid), after=after, limit=limit, restorable=True
    )
    body = {
        "items": [
            {
                "version": event.version,
                "type": event.type,
                "data": event.data,
                "metadata": event.metadata,
                "recordedAt": event.timestamp,
            }
            for event in events
        ]
    }
    return conditional_answer(body, hash_entity_tag(body), if_none_match)


@router.get(
    "/projections/status",
    response_model=ProjectionStatus,
    responses=problem_responses(400, 401, 403, 413, 422, 429, 500, 503),
    tags=["operations"],
)
def read_projection_status(tenant: Tenant, *, reads: Reads) -> JSONResponse:
    """Per projection and feed range: events and seconds behind, checkpoint, the tenant's
    dead letters."""
    return JSONResponse(reads.projection_status(tenant), headers={"Cache-Control": "no-store"})


@router.get(
    "/health",
    response_model=Health,
    responses=problem_responses(413, 500, 503),
    tags=["operations"],
)
async def read_health(request: Request, settings: AppSettings, reads: Reads) -> Health:
    """The process answers and so does its store (503 ``store-unavailable`` when it does not,
    see ``api.health``); names the configured store."""
    probe: StoreProbe = request.app.state.store_probe
    await probe.ensure_answering(reads)
    return Health(status="ok", store=settings.ledger_store)
