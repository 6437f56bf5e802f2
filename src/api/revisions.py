"""The feedback loop (API.md round 2, "Revisions"): ask for a revision of a campaign's artifacts
(its feedback saved before they are regenerated; the campaign back to ``Generating``), and the
campaign's revisions a page at a time, with the freshness and caching rules of every read of one
campaign (``api.reads``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.answers import RevisionAnswer
from api.bodies import RequestRevision
from api.campaign_lists import ShortPageLimit
from api.commands.outcomes import command_router, documented, stamp
from api.context import Context
from api.dependencies import Commands
from api.paths import CampaignIdPath, campaign_id_from_path
from api.read_answers import Continuation, IfNoneMatch, MinVersion, Views, read_responses
from api.routing import StrictJsonRoute
from api.tenancy import Tenant
from api.views import RevisionList

commands_router = command_router()
reads_router = APIRouter(prefix="/api", route_class=StrictJsonRoute, tags=["reads"])


@commands_router.post(
    "/campaigns/{cid}/revisions",
    status_code=201,
    response_model=RevisionAnswer,
    responses=documented(201),
)
def request_revision(
    cid: CampaignIdPath,
    body: RequestRevision,
    ctx: Context,
    response: Response,
    *,
    commands: Commands,
) -> RevisionAnswer:
    """Save a revision's feedback and move the campaign back to Generating (it must be
    Generated, Auditing or Completed). An `audit-failed` revision past
    `LEDGER_MAX_AUDIT_RETRIES` in a row is 409 `retry-limit-reached`."""
    campaign_id = campaign_id_from_path(cid)
    result = commands.request_revision(
        ctx, campaign_id, revision=body.revision(), revision_id=body.id
    )
    stamp(response, ctx, result, f"/api/campaigns/{campaign_id}/revisions")
    return RevisionAnswer(
        id=result.id, revision_number=result.revision_number or 0, version=result.version
    )


@reads_router.get(
    "/campaigns/{cid}/revisions", response_model=RevisionList, responses=read_responses()
)
async def read_revisions(
    cid: CampaignIdPath,
    tenant: Tenant,
    min_version: MinVersion = None,
    if_none_match: IfNoneMatch = None,
    *,
    limit: ShortPageLimit = 100,
    continuation: Continuation = None,
    views: Views,
) -> Response:
    """The campaign's revisions in the order requested, a page at a time."""
    campaign_id = campaign_id_from_path(cid)
    return await views.answer(
        tenant,
        campaign_id,
        lambda reads: reads.revisions(tenant, campaign_id, limit=limit, continuation=continuation),
        min_version,
        if_none_match,
    )
