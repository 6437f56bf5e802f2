"""The command routes (API.md, "Commands"): the orchestrator's writes.

Each route validates its body against the domain's value objects, builds a ``CommandContext`` from
the headers and calls one method of ``CampaignCommands``. The endpoints are plain functions, so
FastAPI runs the (blocking) service in its threadpool, never on the event loop.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Response

from api.answers import EntityAnswer, NumberedVersionAnswer, StatusAnswer, VersionAnswer
from api.bodies import (
    AttachStepResult,
    ChangeStatus,
    CompleteRun,
    CreateArtifact,
    CreateCampaign,
    CreateVersion,
    FailRun,
    LogIteration,
    QueueRun,
    RecordAudit,
    SetActiveVersion,
    UpdateCampaign,
)
from api.paths import (
    CampaignIdPath,
    EntityIdPath,
    campaign_id_from_path,
    entity_id_from_path,
)
from api.ports import CampaignCommands
from api.problems import problem_responses
from api.routing import StrictJsonRoute
from application.service import CommandContext
from domain.campaign import Outcome
from domain.values import ArtifactType, QualityCheck

_COMMAND_HEADERS: dict[str, Any] = {
    "X-Campaign-Version": {
        "description": "The campaign's stream version after the command.",
        "schema": {"type": "integer"},
    },
    "X-Command-Id": {"description": "The command's id.", "schema": {"type": "string"}},
    "X-Correlation-Id": {"description": "The correlation id.", "schema": {"type": "string"}},
}
_CREATED_HEADERS: dict[str, Any] = {
    **_COMMAND_HEADERS,
    "Location": {"description": "Where to read what was created.", "schema": {"type": "string"}},
}

_REFUSALS = (400, 401, 403, 404, 409, 412, 413, 422, 429, 500, 503)


def _documented(success: int, *, body: bool = True) -> dict[int | str, dict[str, Any]]:
    headers = _CREATED_HEADERS if success == 201 else _COMMAND_HEADERS
    refusals = (*_REFUSALS, 415) if body else _REFUSALS
    return {success: {"headers": headers}, **problem_responses(*sorted(refusals))}


def _stamp(
    response: Response, ctx: CommandContext, result: Outcome, location: str | None = None
) -> None:
    response.headers["X-Campaign-Version"] = str(result.version)
    response.headers["X-Command-Id"] = ctx.command_id
    if ctx.correlation_id:
        response.headers["X-Correlation-Id"] = ctx.correlation_id
    if location is not None:
        response.headers["Location"] = location


def _status_answer(
    response: Response, ctx: CommandContext, result: Outcome, fallback_status: str
) -> StatusAnswer:
    _stamp(response, ctx, result)
    return StatusAnswer(
        id=result.id, status=result.status or fallback_status, version=result.version
    )


def command_router(
    commands: CampaignCommands, resolve_context: Callable[..., Awaitable[CommandContext]]
) -> APIRouter:
    """The router of every command route, calling ``commands``."""
    router = APIRouter(prefix="/api", route_class=StrictJsonRoute, tags=["commands"])
    Context = Annotated[CommandContext, Depends(resolve_context)]  # noqa: N806 - a type alias

    @router.post(
        "/campaigns", status_code=201, response_model=EntityAnswer, responses=_documented(201)
    )
    def create_campaign(body: CreateCampaign, ctx: Context, response: Response) -> EntityAnswer:
        """Create a campaign (idempotent with a body ``id``)."""
        result = commands.create_campaign(
            ctx, name=body.name, brief=body.brief, campaign_id=body.id
        )
        _stamp(response, ctx, result, f"/api/campaigns/{result.id}")
        return EntityAnswer(id=result.id, version=result.version)

    @router.patch("/campaigns/{cid}", response_model=EntityAnswer, responses=_documented(200))
    def update_campaign(
        cid: CampaignIdPath, body: UpdateCampaign, ctx: Context, response: Response
    ) -> EntityAnswer:
        """Rename the campaign and/or replace its whole brief."""
        result = commands.update_campaign(
            ctx, campaign_id_from_path(cid), name=body.name, brief=body.brief
        )
        _stamp(response, ctx, result)
        return EntityAnswer(id=result.id, version=result.version)

    @router.post("/campaigns/{cid}/status", response_model=StatusAnswer, responses=_documented(200))
    def change_status(
        cid: CampaignIdPath, body: ChangeStatus, ctx: Context, response: Response
    ) -> StatusAnswer:
        """Move the campaign to another status (409 for a transition the lifecycle forbids)."""
        result = commands.change_status(ctx, campaign_id_from_path(cid), body.status.value)
        return _status_answer(response, ctx, result, body.status.value)

    @router.delete(
        "/campaigns/{cid}", response_model=EntityAnswer, responses=_documented(200, body=False)
    )
    def delete_campaign(cid: CampaignIdPath, ctx: Context, response: Response) -> EntityAnswer:
        """Soft-delete the campaign; ``restore`` undoes it within the retention window."""
        result = commands.delete_campaign(ctx, campaign_id_from_path(cid))
        _stamp(response, ctx, result)
        return EntityAnswer(id=result.id, version=result.version)

    @router.post(
        "/campaigns/{cid}/restore",
        response_model=EntityAnswer,
        responses=_documented(200, body=False),
    )
    def restore_campaign(cid: CampaignIdPath, ctx: Context, response: Response) -> EntityAnswer:
        """Undo a soft delete (409 when not deleted or past the retention window)."""
        result = commands.restore_campaign(ctx, campaign_id_from_path(cid))
        _stamp(response, ctx, result)
        return EntityAnswer(id=result.id, version=result.version)

    @router.post(
        "/campaigns/{cid}/artifacts",
        status_code=201,
        response_model=EntityAnswer,
        responses=_documented(201),
    )
    def create_artifact(
        cid: CampaignIdPath, body: CreateArtifact, ctx: Context, response: Response
    ) -> EntityAnswer:
        """Add the campaign's artifact of a type (at most one per type)."""
        campaign_id = campaign_id_from_path(cid)
        result = commands.create_artifact(
            ctx, campaign_id, artifact_type=body.type.value, artifact_id=body.id
        )
        location = f"/api/campaigns/{campaign_id}/artifacts/{result.id}/versions"
        _stamp(response, ctx, result, location)
        return EntityAnswer(id=result.id, version=result.version)

    @router.post(
        "/campaigns/{cid}/artifacts/{aid}/versions",
        status_code=201,
        response_model=NumberedVersionAnswer,
        responses=_documented(201),
    )
    def create_version(
        cid: CampaignIdPath,
        aid: EntityIdPath,
        body: CreateVersion,
        ctx: Context,
        response: Response,
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
        _stamp(response, ctx, result, f"/api/campaigns/{campaign_id}/versions/{result.id}")
        return NumberedVersionAnswer(
            id=result.id, version_number=result.version_number or 0, version=result.version
        )

    @router.post(
        "/campaigns/{cid}/versions/{vid}/audits",
        status_code=201,
        response_model=EntityAnswer,
        responses=_documented(201),
    )
    def record_audit(
        cid: CampaignIdPath,
        vid: EntityIdPath,
        body: RecordAudit,
        ctx: Context,
        response: Response,
    ) -> EntityAnswer:
        """Record an audit report of a version (all reports are kept, the latest counts)."""
        campaign_id = campaign_id_from_path(cid)
        version_id = entity_id_from_path(vid, "version")
        result = commands.record_audit(
            ctx, campaign_id, version_id, report=body.report(), audit_id=body.id
        )
        location = f"/api/campaigns/{campaign_id}/versions/{version_id}/audits"
        _stamp(response, ctx, result, location)
        return EntityAnswer(id=result.id, version=result.version)

    @router.post(
        "/campaigns/{cid}/versions/{vid}/approve",
        response_model=StatusAnswer,
        responses=_documented(200, body=False),
    )
    def approve_version(
        cid: CampaignIdPath, vid: EntityIdPath, ctx: Context, response: Response
    ) -> StatusAnswer:
        """Approve a version whose latest audit is Pass or Conditional."""
        result = commands.approve_version(
            ctx, campaign_id_from_path(cid), entity_id_from_path(vid, "version")
        )
        return _status_answer(response, ctx, result, "Approved")

    @router.post(
        "/campaigns/{cid}/versions/{vid}/archive",
        response_model=StatusAnswer,
        responses=_documented(200, body=False),
    )
    def archive_version(
        cid: CampaignIdPath, vid: EntityIdPath, ctx: Context, response: Response
    ) -> StatusAnswer:
        """Archive a version (kept readable; no longer auditable, approvable or activatable)."""
        result = commands.archive_version(
            ctx, campaign_id_from_path(cid), entity_id_from_path(vid, "version")
        )
        return _status_answer(response, ctx, result, "Archived")

    @router.put(
        "/campaigns/{cid}/active-versions/{artifactType}",
        response_model=VersionAnswer,
        responses=_documented(200),
    )
    def set_active_version(
        cid: CampaignIdPath,
        artifactType: ArtifactType,  # noqa: N803 - the path names it as API.md does
        body: SetActiveVersion,
        ctx: Context,
        response: Response,
    ) -> VersionAnswer:
        """Make a version the active one of its artifact type."""
        result = commands.set_active_version(
            ctx, campaign_id_from_path(cid), artifactType.value, body.version_id
        )
        _stamp(response, ctx, result)
        return VersionAnswer(version=result.version)

    @router.post(
        "/campaigns/{cid}/iterations",
        status_code=201,
        response_model=EntityAnswer,
        responses=_documented(201),
    )
    def log_iteration(
        cid: CampaignIdPath, body: LogIteration, ctx: Context, response: Response
    ) -> EntityAnswer:
        """Log a round of feedback from an old version of an artifact to a newer one."""
        campaign_id = campaign_id_from_path(cid)
        result = commands.log_iteration(
            ctx, campaign_id, iteration=body.iteration(), iteration_id=body.id
        )
        _stamp(response, ctx, result, f"/api/campaigns/{campaign_id}/iterations")
        return EntityAnswer(id=result.id, version=result.version)

    @router.post(
        "/campaigns/{cid}/runs",
        status_code=201,
        response_model=EntityAnswer,
        responses=_documented(201),
    )
    def queue_run(
        cid: CampaignIdPath, body: QueueRun, ctx: Context, response: Response
    ) -> EntityAnswer:
        """Queue an orchestration run, optionally starting from a base run's context."""
        campaign_id = campaign_id_from_path(cid)
        result = commands.queue_run(
            ctx,
            campaign_id,
            execution_mode=body.execution_mode.value,
            workflow_name=body.workflow_name,
            trigger=body.trigger,
            base_run_id=body.base_run_id,
            run_id=body.id,
        )
        _stamp(response, ctx, result, f"/api/campaigns/{campaign_id}/runs/{result.id}")
        return EntityAnswer(id=result.id, version=result.version)

    @router.post(
        "/campaigns/{cid}/runs/{rid}/start",
        response_model=StatusAnswer,
        responses=_documented(200, body=False),
    )
    def start_run(
        cid: CampaignIdPath, rid: EntityIdPath, ctx: Context, response: Response
    ) -> StatusAnswer:
        """Start a queued run."""
        result = commands.start_run(
            ctx, campaign_id_from_path(cid), entity_id_from_path(rid, "run")
        )
        return _status_answer(response, ctx, result, "Running")

    @router.post(
        "/campaigns/{cid}/runs/{rid}/steps",
        response_model=EntityAnswer,
        responses=_documented(200),
    )
    def attach_step_result(
        cid: CampaignIdPath,
        rid: EntityIdPath,
        body: AttachStepResult,
        ctx: Context,
        response: Response,
    ) -> EntityAnswer:
        """Attach a workflow step's artifacts to a running run's context."""
        result = commands.attach_step_result(
            ctx,
            campaign_id_from_path(cid),
            entity_id_from_path(rid, "run"),
            step_id=body.step_id,
            artifacts=list(body.artifacts),
            input_hash=body.input_hash,
        )
        _stamp(response, ctx, result)
        return EntityAnswer(id=result.id, version=result.version)

    @router.post(
        "/campaigns/{cid}/runs/{rid}/quality-checks",
        response_model=EntityAnswer,
        responses=_documented(200),
    )
    def record_quality_check(
        cid: CampaignIdPath,
        rid: EntityIdPath,
        body: QualityCheck,
        ctx: Context,
        response: Response,
    ) -> EntityAnswer:
        """Record a quality check of an artifact in a running run's context."""
        result = commands.record_quality_check(
            ctx, campaign_id_from_path(cid), entity_id_from_path(rid, "run"), check=body
        )
        _stamp(response, ctx, result)
        return EntityAnswer(id=result.id, version=result.version)

    @router.post(
        "/campaigns/{cid}/runs/{rid}/complete",
        response_model=StatusAnswer,
        responses=_documented(200),
    )
    def complete_run(
        cid: CampaignIdPath,
        rid: EntityIdPath,
        ctx: Context,
        response: Response,
        body: Annotated[CompleteRun | None, Body()] = None,
    ) -> StatusAnswer:
        """Complete a running run, naming the artifact versions it produced."""
        result = commands.complete_run(
            ctx,
            campaign_id_from_path(cid),
            entity_id_from_path(rid, "run"),
            artifact_version_ids=(
                list(body.artifact_version_ids)
                if body is not None and body.artifact_version_ids is not None
                else None
            ),
        )
        return _status_answer(response, ctx, result, "Completed")

    @router.post(
        "/campaigns/{cid}/runs/{rid}/fail",
        response_model=StatusAnswer,
        responses=_documented(200),
    )
    def fail_run(
        cid: CampaignIdPath,
        rid: EntityIdPath,
        body: FailRun,
        ctx: Context,
        response: Response,
    ) -> StatusAnswer:
        """Mark a running run failed, with its error message."""
        result = commands.fail_run(
            ctx,
            campaign_id_from_path(cid),
            entity_id_from_path(rid, "run"),
            error_message=body.error_message,
        )
        return _status_answer(response, ctx, result, "Failed")

    @router.post(
        "/campaigns/{cid}/runs/{rid}/cancel",
        response_model=StatusAnswer,
        responses=_documented(200, body=False),
    )
    def cancel_run(
        cid: CampaignIdPath, rid: EntityIdPath, ctx: Context, response: Response
    ) -> StatusAnswer:
        """Cancel a queued or running run."""
        result = commands.cancel_run(
            ctx, campaign_id_from_path(cid), entity_id_from_path(rid, "run")
        )
        return _status_answer(response, ctx, result, "Cancelled")

    return router
