"""The command routes of a campaign's artifacts: artifacts, their versions, audits of versions,
approval, archiving, the active version of a type, and feedback iterations."""

from fastapi import Response

from api.answers import EntityAnswer, NumberedVersionAnswer, StatusAnswer, VersionAnswer
from api.bodies import CreateArtifact, CreateVersion, LogIteration, RecordAudit, SetActiveVersion
from api.commands.outcomes import command_router, documented, stamp, status_answer
from api.context import Context
from api.dependencies import Commands
from api.paths import CampaignIdPath, EntityIdPath, campaign_id_from_path, entity_id_from_path
from domain.values import ArtifactType

router = command_router()


@router.post(
    "/campaigns/{cid}/artifacts",
    status_code=201,
    response_model=EntityAnswer,
    responses=documented(201),
)
def create_artifact(
    cid: CampaignIdPath,
    body: CreateArtifact,
    ctx: Context,
    response: Response,
    *,
    commands: Commands,
) -> EntityAnswer:
    """Add the campaign's artifact of a type (at most one per type)."""
    campaign_id = campaign_id_from_path(cid)
    result = commands.create_artifact(
        ctx, campaign_id, artifact_type=body.type.value, artifact_id=body.id
    )
    location = f"/api/campaigns/{campaign_id}/artifacts/{result.id}/versions"
    stamp(response, ctx, result, location)
    return EntityAnswer(id=result.id, version=result.version)


@router.post(
    "/campaigns/{cid}/artifacts/{aid}/versions",
    status_code=201,
    response_model=NumberedVersionAnswer,
    responses=documented(201),
)
def create_version(
    cid: CampaignIdPath,
    aid: EntityIdPath,
    body: CreateVersion,
    ctx: Context,
    response: Response,
    *,
    commands: Commands,
) -> NumberedVersionAnswer:
    """Add a version of an artifact; versions are numbered 1, 2, 3... per artifact."""
    campaign_id = campaign_id_from_path(cid)
    result = commands.create_version(
        ctx,
        campaign_id,
        entity_id_from_path(aid, "artifact"),
        content=body.content,
        run_id=body.run_id,
        version_id=body.id,
    )
    stamp(response, ctx, result, f"/api/campaigns/{campaign_id}/versions/{result.id}")
    return NumberedVersionAnswer(
        id=result.id, version_number=result.version_number or 0, version=result.version
    )


@router.post(
    "/campaigns/{cid}/versions/{vid}/audits",
    status_code=201,
    response_model=EntityAnswer,
    responses=documented(201),
)
def record_audit(
    cid: CampaignIdPath,
    vid: EntityIdPath,
    body: RecordAudit,
    ctx: Context,
    response: Response,
    *,
    commands: Commands,
) -> EntityAnswer:
    """Record an audit report of a version (all reports are kept, the latest counts)."""
    campaign_id = campaign_id_from_path(cid)
    version_id = entity_id_from_path(vid, "version")
    result = commands.record_audit(
        ctx, campaign_id, version_id, report=body.report(), audit_id=body.id
    )
    location = f"/api/campaigns/{campaign_id}/versions/{version_id}/audits"
    stamp(response, ctx, result, location)
    return EntityAnswer(id=result.id, version=result.version)


@router.post(
    "/campaigns/{cid}/versions/{vid}/approve",
    response_model=StatusAnswer,
    responses=documented(200, body=False),
)
def approve_version(
    cid: CampaignIdPath, vid: EntityIdPath, ctx: Context, response: Response, *, commands: Commands
) -> StatusAnswer:
    """Approve a version whose latest audit is Pass or Conditional."""
    result = commands.approve_version(
        ctx, campaign_id_from_path(cid), entity_id_from_path(vid, "version")
    )
    return status_answer(response, ctx, result, "Approved")


@router.post(
    "/campaigns/{cid}/versions/{vid}/archive",
    response_model=StatusAnswer,
    responses=documented(200, body=False),
)
def archive_version(
    cid: CampaignIdPath, vid: EntityIdPath, ctx: Context, response: Response, *, commands: Commands
) -> StatusAnswer:
    """Archive a version (kept readable; no longer auditable, approvable or activatable)."""
    result = commands.archive_version(
        ctx, campaign_id_from_path(cid), entity_id_from_path(vid, "version")
    )
    return status_answer(response, ctx, result, "Archived")


@router.put(
    "/campaigns/{cid}/active-versions/{artifactType}",
    response_model=VersionAnswer,
    responses=documented(200),
)
def set_active_version(
    cid: CampaignIdPath,
    artifactType: ArtifactType,  # noqa: N803 - the path names it as API.md does
    body: SetActiveVersion,
    ctx: Context,
    response: Response,
    *,
    commands: Commands,
) -> VersionAnswer:
    """Make a version the active one of its artifact type."""
    result = commands.set_active_version(
        ctx, campaign_id_from_path(cid), artifactType.value, body.version_id
    )
    stamp(response, ctx, result)
    return VersionAnswer(version=result.version)


@router.post(
    "/campaigns/{cid}/iterations",
    status_code=201,
    response_model=EntityAnswer,
    responses=documented(201),
)
def log_iteration(
    cid: CampaignIdPath, body: LogIteration, ctx: Context, response: Response, *, commands: Commands
) -> EntityAnswer:
    """Log a round of feedback from an old version of an artifact to a newer one."""
    campaign_id = campaign_id_from_path(cid)
    result = commands.log_iteration(
        ctx, campaign_id, iteration=body.iteration(), iteration_id=body.id
    )
    stamp(response, ctx, result, f"/api/campaigns/{campaign_id}/iterations")
    return EntityAnswer(id=result.id, version=result.version)
