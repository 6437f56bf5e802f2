"""Live updates in Azure: notifications through Azure SignalR Service (serverless mode).

- The change-feed function (``functions.projection_trigger``) sends each notification of the
  events it projected, once the views are written, to the SignalR group named by the campaign id
  (``projection_trigger.group_messages``): target = the notification type, one argument = its
  JSON.
- ``negotiate`` (``POST /api/negotiate``, what a SignalR client calls first) answers the
  connection info of the ``signalRConnectionInfo`` input binding. The connection's user id is the
  caller's tenant (``X-Tenant-Id``, required here), checked by the HTTP API's own rules
  (``api.tenancy``; with API keys configured, against the key's tenant) and refused with its
  problem documents (``api.problems``), so the service signs it into the token.
- ``join_campaign_group`` is the SignalR trigger of the hub method
  ``JoinCampaignGroup(campaignId)``: when the campaign is visible to the connection's tenant it
  adds the connection to the campaign's group through the SignalR output binding; otherwise it
  answers the connection ``JoinRefused`` and adds nothing.
- ``leave_campaign_group`` is the trigger of ``LeaveCampaignGroup(campaignId)``: it removes the
  connection from the campaign's group (no visibility check: leaving discloses nothing and a
  connection may leave a campaign deleted meanwhile); an argument that is not a campaign id
  changes nothing.

Bindings read the connection string from app setting ``AzureSignalRConnectionString`` and the
hub name from ``LEDGER_SIGNALR_HUB``. Nothing is built at import time: the read model and the
API keys come from the composition root (``bootstrap.functions_host``) on first use.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import azure.functions as func
from fastapi.responses import JSONResponse

from api.ports import CampaignReads
from api.problems import HttpProblem, problem_response
from api.tenancy import authorised_tenant, validated_tenant
from domain.errors import CampaignNotFound
from domain.formats import canonical_uuid
from functions.projection_trigger import HUB_NAME_SETTING, SIGNALR_CONNECTION_SETTING

JOIN_METHOD = "JoinCampaignGroup"
JOIN_REFUSED = "JoinRefused"
NEGOTIATE_FUNCTION = "negotiate"
NEGOTIATE_ROUTE = "api/negotiate"
JOIN_FUNCTION = "join_campaign_group"
LEAVE_METHOD = "LeaveCampaignGroup"
LEAVE_FUNCTION = "leave_campaign_group"

CampaignAccess = Callable[[str, str], bool]
"""``(tenant id, campaign id) -> whether the campaign is visible to the tenant``."""
ApiKeys = Mapping[str, str]

logger = logging.getLogger(__name__)


def signalr_binding(**fields: Any) -> dict[str, Any]:
    """The fields every SignalR binding of this app shares, plus ``fields``."""
    return {
        "hubName": HUB_NAME_SETTING,
        "connectionStringSetting": SIGNALR_CONNECTION_SETTING,
        **fields,
    }


def campaign_access_of(reads: CampaignReads) -> CampaignAccess:
    """Visibility from the live snapshot, through ``reads``."""

    def is_visible(tenant_id: str, campaign_id: str) -> bool:
        try:
            reads.campaign(tenant_id, campaign_id)
        except CampaignNotFound:
            return False
        return True

    return is_visible


def negotiating_tenant(headers: Mapping[str, str], api_keys: ApiKeys) -> str:
    """The tenant a negotiation is for, by the HTTP API's check (``api.tenancy``), except that
    ``X-Tenant-Id`` is required first (the binding signs it into the token); ``HttpProblem``
    else."""
    header = headers.get("x-tenant-id")
    if header is None:
        raise HttpProblem(
            400,
            "invalid-tenant",
            "Negotiation needs X-Tenant-Id (1-64 characters of A-Z, a-z, 0-9, '_' and '-').",
        )
    tenant = validated_tenant(header)
    return authorised_tenant(api_keys, tenant, presented_key(headers))


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The API key of a request's headers: ``X-Api-Key``, else ``Authorization: Bearer``."""
    presented = headers.get("x-api-key")
    authorization = headers.get("authorization", "")
    if presented is None and authorization.lower().startswith("bearer "):
        presented = authorization[len("bearer ") :].strip()
    return presented


def negotiation_refusal(request: func.HttpRequest, api_keys: ApiKeys) -> func.HttpResponse | None:
    """Why ``request`` may not negotiate (the API's problem response), or None when it may."""
    try:
        negotiating_tenant(request.headers, api_keys)
    except HttpProblem as problem:
        return _function_response(
            problem_response(problem.status, problem.code, problem.detail, headers=problem.headers)
        )
    return None


def join_actions(invocation: str | bytes, is_visible: CampaignAccess) -> dict[str, Any]:
    """The SignalR output for one ``JoinCampaignGroup(campaignId)`` invocation: add the
    connection to the campaign's group, or tell the connection it was refused."""
    context = json.loads(invocation)
    connection_id = str(_field(context, "ConnectionId") or "")
    tenant_id = _field(context, "UserId")
    arguments = _field(context, "Arguments") or []
    requested = arguments[0] if arguments else None
    campaign_id = canonical_uuid(requested)
    if (
        campaign_id is not None
        and isinstance(tenant_id, str)
        and tenant_id
        and is_visible(tenant_id, campaign_id)
    ):
        return {"connectionId": connection_id, "groupName": campaign_id, "action": "add"}
    logger.info("connection %s may not join campaign %r", connection_id, requested)
    return {
        "connectionId": connection_id,
        "target": JOIN_REFUSED,
        "arguments": [{"campaignId": requested, "code": "campaign-not-found"}],
    }


def leave_actions(invocation: str | bytes) -> dict[str, Any] | None:
    """The SignalR output for one ``LeaveCampaignGroup(campaignId)`` invocation: remove the
    connection from the campaign's group; None (no output) when the argument is no campaign
    id."""
    context = json.loads(invocation)
    arguments = _field(context, "Arguments") or []
    campaign_id = canonical_uuid(arguments[0] if arguments else None)
    if campaign_id is None:
        return None
    connection_id = str(_field(context, "ConnectionId") or "")
    return {"connectionId": connection_id, "groupName": campaign_id, "action": "remove"}


def live_updates_blueprint(
    campaign_access: Callable[[], CampaignAccess], api_keys: Callable[[], ApiKeys]
) -> func.Blueprint:
    """``negotiate``, ``join_campaign_group`` and ``leave_campaign_group`` (see the module
    docstring); each invocation asks ``campaign_access`` and ``api_keys`` for what the process
    built on first use."""
    blueprint = func.Blueprint()  # type: ignore[no-untyped-call]  # untyped in azure-functions

    @blueprint.function_name(NEGOTIATE_FUNCTION)
    @blueprint.route(route=NEGOTIATE_ROUTE, methods=["POST"])
    @blueprint.generic_input_binding(
        arg_name="connection_info",
        type="signalRConnectionInfo",
        **signalr_binding(userId="{headers.x-tenant-id}"),
    )
    def negotiate(req: func.HttpRequest, connection_info: str) -> func.HttpResponse:
        refusal = negotiation_refusal(req, api_keys())
        if refusal is not None:
            return refusal
        return func.HttpResponse(
            connection_info,
            status_code=200,
            mimetype="application/json",
            headers={"Cache-Control": "no-store"},
        )

    @blueprint.function_name(JOIN_FUNCTION)
    @blueprint.generic_trigger(
        arg_name="invocation",
        type="signalRTrigger",
        **signalr_binding(category="messages", event=JOIN_METHOD, parameterNames=["campaignId"]),
    )
    @blueprint.generic_output_binding(arg_name="actions", type="signalR", **signalr_binding())
    def join_campaign_group(invocation: str, actions: func.Out[str]) -> None:
        actions.set(json.dumps(join_actions(invocation, campaign_access())))

    @blueprint.function_name(LEAVE_FUNCTION)
    @blueprint.generic_trigger(
        arg_name="invocation",
        type="signalRTrigger",
        **signalr_binding(category="messages", event=LEAVE_METHOD, parameterNames=["campaignId"]),
    )
    @blueprint.generic_output_binding(arg_name="actions", type="signalR", **signalr_binding())
    def leave_campaign_group(invocation: str, actions: func.Out[str]) -> None:
        action = leave_actions(invocation)
        if action is not None:
            actions.set(json.dumps(action))

    return blueprint


def _field(context: Mapping[str, Any], name: str) -> Any:
    """A field of the trigger's invocation context, PascalCase or camelCase."""
    return context.get(name, context.get(name[0].lower() + name[1:]))


def _function_response(response: JSONResponse) -> func.HttpResponse:
    """The Functions form of one of the API's responses."""
    headers = {
        name: value
        for name, value in response.headers.items()
        if name.lower() not in ("content-length", "content-type")
    }
    return func.HttpResponse(
        bytes(response.body),
        status_code=response.status_code,
        mimetype=response.media_type,
        headers=headers,
    )
