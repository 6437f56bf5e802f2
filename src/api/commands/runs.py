"""The command routes of orchestration runs: queue, start, step results, quality checks, and
the ends of a run (complete, fail, cancel)."""

from typing import Annotated

from fastapi import Body, Response

from api.answers import EntityAnswer, StatusAnswer
from api.bodies import AttachStepResult, CompleteRun, FailRun, QueueRun
from api.commands.outcomes import command_router, documented, stamp, status_answer
from api.context import Context
from api.dependencies import Commands
from api.paths import CampaignIdPath, EntityIdPath, campaign_id_from_path, entity_id_from_path
from domain.values import QualityCheck

router = command_router()


@router.post(
    "/campaigns/{cid}/runs",
    status_code=201,
    response_model=EntityAnswer,
    responses=documented(201),
)
def queue_run(
    cid: CampaignIdPath, body: QueueRun, ctx: Context, response: Response, *, commands: Commands
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
    stamp(response, ctx, result, f"/api/campaigns/{campaign_id}/runs/{result.id}")
    return EntityAnswer(id=result.id, version=result.version)


@router.post(
    "/campaigns/{cid}/runs/{rid}/start",
    response_model=StatusAnswer,
    responses=documented(200, body=False),
)
def start_run(
    cid: CampaignIdPath, rid: EntityIdPath, ctx: Context, response: Response, *, commands: Commands
) -> StatusAnswer:
    """Start a queued run."""
    result = commands.start_run(ctx, campaign_id_from_path(cid), entity_id_from_path(rid, "run"))
    return status_answer(response, ctx, result, "Running")


@router.post(
    "/campaigns/{cid}/runs/{rid}/steps",
    response_model=EntityAnswer,
    responses=documented(200),
)
def attach_step_result(
    cid: CampaignIdPath,
    rid: EntityIdPath,
    body: AttachStepResult,
    ctx: Context,
    response: Response,
    *,
    commands: Commands,
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
    stamp(response, ctx, result)
    return EntityAnswer(id=result.id, version=result.version)


@router.post(
    "/campaigns/{cid}/runs/{rid}/quality-checks",
    response_model=EntityAnswer,
    responses=documented(200),
)
def record_quality_check(
    cid: CampaignIdPath,
    rid: EntityIdPath,
    body: QualityCheck,
    ctx: Context,
    response: Response,
    *,
    commands: Commands,
) -> EntityAnswer:
    """Record a quality check of an artifact in a running run's context."""
    result = commands.record_quality_check(
        ctx, campaign_id_from_path(cid), entity_id_from_path(rid, "run"), check=body
    )
    stamp(response, ctx, result)
    return EntityAnswer(id=result.id, version=result.version)


@router.post(
    "/campaigns/{cid}/runs/{rid}/complete",
    response_model=StatusAnswer,
    responses=documented(200),
)
def complete_run(
    cid: CampaignIdPath,
    rid: EntityIdPath,
    ctx: Context,
    response: Response,
    *,
    commands: Commands,
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
    return status_answer(response, ctx, result, "Completed")


@router.post(
    "/campaigns/{cid}/runs/{rid}/fail",
    response_model=StatusAnswer,
    responses=documented(200),
)
def fail_run(
    cid: CampaignIdPath,
    rid: EntityIdPath,
    body: FailRun,
    ctx: Context,
    response: Response,
    *,
    commands: Commands,
) -> StatusAnswer:
    """Mark a running run failed, with its error message."""
    result = commands.fail_run(
        ctx,
        campaign_id_from_path(cid),
        entity_id_from_path(rid, "run"),
        error_message=body.error_message,
    )
    return status_answer(response, ctx, result, "Failed")


@router.post(
    "/campaigns/{cid}/runs/{rid}/cancel",
    response_model=StatusAnswer,
    responses=documented(200, body=False),
)
def cancel_run(
    cid: CampaignIdPath, rid: EntityIdPath, ctx: Context, response: Response, *, commands: Commands
) -> StatusAnswer:
    """Cancel a queued or running run."""
    result = commands.cancel_run(ctx, campaign_id_from_path(cid), entity_id_from_path(rid, "run"))
    return status_answer(response, ctx, result, "Cancelled")
