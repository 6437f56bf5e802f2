"""The command routes of a campaign itself: create, update, change status, delete, restore."""

from fastapi import Response

from api.answers import EntityAnswer, StatusAnswer
from api.bodies import ChangeStatus, CreateCampaign, UpdateCampaign
from api.commands.outcomes import command_router, documented, stamp, status_answer
from api.context import Context
from api.dependencies import Commands
from api.paths import CampaignIdPath, campaign_id_from_path

router = command_router()


@router.post("/campaigns", status_code=201, response_model=EntityAnswer, responses=documented(201))
def create_campaign(
    body: CreateCampaign, ctx: Context, response: Response, *, commands: Commands
) -> EntityAnswer:
    """Create a campaign (idempotent with a body ``id``)."""
    result = commands.create_campaign(ctx, name=body.name, brief=body.brief, campaign_id=body.id)
    stamp(response, ctx, result, f"/api/campaigns/{result.id}")
    return EntityAnswer(id=result.id, version=result.version)


@router.patch("/campaigns/{cid}", response_model=EntityAnswer, responses=documented(200))
def update_campaign(
    cid: CampaignIdPath,
    body: UpdateCampaign,
    ctx: Context,
    response: Response,
    *,
    commands: Commands,
) -> EntityAnswer:
    """Rename the campaign and/or replace its whole brief."""
    result = commands.update_campaign(
        ctx, campaign_id_from_path(cid), name=body.name, brief=body.brief
    )
    stamp(response, ctx, result)
    return EntityAnswer(id=result.id, version=result.version)


@router.post("/campaigns/{cid}/status", response_model=StatusAnswer, responses=documented(200))
def change_status(
    cid: CampaignIdPath, body: ChangeStatus, ctx: Context, response: Response, *, commands: Commands
) -> StatusAnswer:
    """Move the campaign to another status (409 for a transition the lifecycle forbids)."""
    result = commands.change_status(ctx, campaign_id_from_path(cid), body.status.value)
    return status_answer(response, ctx, result, body.status.value)


@router.delete(
    "/campaigns/{cid}", response_model=EntityAnswer, responses=documented(200, body=False)
)
def delete_campaign(
    cid: CampaignIdPath, ctx: Context, response: Response, *, commands: Commands
) -> EntityAnswer:
    """Soft-delete the campaign; ``restore`` undoes it within the retention window."""
    result = commands.delete_campaign(ctx, campaign_id_from_path(cid))
    stamp(response, ctx, result)
    return EntityAnswer(id=result.id, version=result.version)


@router.post(
    "/campaigns/{cid}/restore",
    response_model=EntityAnswer,
    responses=documented(200, body=False),
)
def restore_campaign(
    cid: CampaignIdPath, ctx: Context, response: Response, *, commands: Commands
) -> EntityAnswer:
    """Undo a soft delete (409 when not deleted or past the retention window)."""
    result = commands.restore_campaign(ctx, campaign_id_from_path(cid))
    stamp(response, ctx, result)
    return EntityAnswer(id=result.id, version=result.version)
