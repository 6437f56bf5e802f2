"""Live updates in Azure: the SignalR bindings of the change-feed function, ``negotiate`` and
``join_campaign_group``, called as the host would call them, with fake inputs and outputs."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import azure.functions as func
import pytest

from api.problems import problem_response
from documentstore.memory import InMemoryDocumentStore
from functions.app import build_function_app
from functions.live_updates import (
    JOIN_FUNCTION,
    JOIN_METHOD,
    JOIN_REFUSED,
    LEAVE_FUNCTION,
    NEGOTIATE_FUNCTION,
    CampaignAccess,
)
from functions.projection_trigger import FUNCTION_NAME
from projections.reads import ReadModel
from projections.runner import ProjectionRunner
from tests.unit.functions.hosts import PartsHost, never_built
from tests.unit.functions.outputs import CapturedOutput
from tests.unit.projections.campaign_events import CampaignStream, interleaved_documents

HUB = "%LEDGER_SIGNALR_HUB%"
CONNECTION = "AzureSignalRConnectionString"
CAMPAIGN = "6f1c9d7e-3b0a-4c55-9d6e-0a1b2c3d4e5f"


def function_of(app: Any, name: str) -> Any:
    [function] = [f for f in app.get_functions() if f.get_function_name() == name]
    return function


def bindings_of(app: Any, name: str) -> dict[str, dict[str, Any]]:
    """The function's bindings as the host indexes them, by type."""
    bindings = json.loads(function_of(app, name).get_function_json())["bindings"]
    return {binding["type"]: binding for binding in bindings}


def app_with(
    runner_factory: Callable[[], ProjectionRunner] = never_built,
    campaign_access: Callable[[], CampaignAccess] = never_built,
    api_keys: Callable[[], Mapping[str, str]] = never_built,
) -> Any:
    return build_function_app(PartsHost(runner_factory, campaign_access, api_keys))


def document_list(documents: list[dict[str, Any]]) -> func.DocumentList:
    return func.DocumentList([func.Document.from_dict(document) for document in documents])


# --- the change-feed function -----------------------------------------------------------------


def test_the_change_feed_function_has_a_signalr_output_on_the_configured_hub() -> None:
    output = bindings_of(app_with(), FUNCTION_NAME)["signalR"]
    assert output["direction"] == "OUT"
    assert output["name"] == "notifications"
    assert output["hubName"] == HUB
    assert output["connectionStringSetting"] == CONNECTION


def test_an_invocation_sends_each_notification_to_its_campaign_group_in_stream_order() -> None:
    store = InMemoryDocumentStore()
    trigger = function_of(app_with(runner_factory=lambda: ProjectionRunner(store)), FUNCTION_NAME)
    launch, other = CampaignStream("Launch"), CampaignStream("Other")
    launch.status("Generating")
    copy = launch.artifact("Copy")
    first = launch.version(copy)
    launch.audit(first, "Fail")
    launch.emit("RunFailed", runId=launch.queue_run(), errorMessage="model timed out")
    other.status("Generating")
    sent = CapturedOutput()

    trigger.get_user_function()(document_list(interleaved_documents([launch, other])), sent)

    messages = sent.sent()
    by_group = {
        campaign: [
            (m["target"], m["arguments"][0]["version"])
            for m in messages
            if m["groupName"] == campaign
        ]
        for campaign in (launch.campaign_id, other.campaign_id)
    }
    assert by_group[launch.campaign_id] == [
        ("CampaignStarted", 2),
        ("ArtifactGenerated", 4),
        ("ComplianceCheckCompleted", 5),
        ("GenerationFailed", 7),
    ]
    assert by_group[other.campaign_id] == [("CampaignStarted", 2)]
    failure = next(m for m in messages if m["target"] == "GenerationFailed")["arguments"][0]
    assert (failure["campaignId"], failure["errorMessage"]) == (
        launch.campaign_id,
        "model timed out",
    )
    # the views were written before the invocation returned, so before the host sends
    assert ReadModel(store).campaign("default", launch.campaign_id).version == 7


def test_a_revision_and_an_audit_go_to_the_group_with_their_payloads() -> None:
    store = InMemoryDocumentStore()
    trigger = function_of(app_with(runner_factory=lambda: ProjectionRunner(store)), FUNCTION_NAME)
    stream = CampaignStream("Revised")
    version = stream.version(stream.artifact("Copy"))
    report = stream.audit(version, "Fail")
    stream.status("Generated")
    revision = stream.revision("audit-failed")
    sent = CapturedOutput()

    trigger.get_user_function()(document_list(stream.documents()), sent)

    messages = {message["target"]: message for message in sent.sent()}
    checked = messages["ComplianceCheckCompleted"]["arguments"][0]
    assert (checked["auditReportId"], checked["categoryScores"]) == (
        report,
        {"tone": {"score": 40}},
    )
    requested = messages["RevisionRequested"]
    assert requested["groupName"] == stream.campaign_id
    assert requested["arguments"] == [
        {
            "type": "RevisionRequested",
            "campaignId": stream.campaign_id,
            "version": len(stream.events),
            "occurredAt": stream.events[-1].timestamp,
            "correlationId": None,
            "revisionId": revision,
            "revisionNumber": 1,
            "reason": "audit-failed",
        }
    ]


def test_a_redelivered_batch_notifies_nothing_again_and_a_quiet_batch_sets_no_output() -> None:
    store = InMemoryDocumentStore()
    trigger = function_of(app_with(runner_factory=lambda: ProjectionRunner(store)), FUNCTION_NAME)
    stream = CampaignStream()
    stream.status("Generating")
    first, again = CapturedOutput(), CapturedOutput()
    trigger.get_user_function()(document_list(stream.documents()), first)
    trigger.get_user_function()(document_list(stream.documents()), again)
    assert [m["target"] for m in first.sent()] == ["CampaignStarted"]
    assert again.value is None

    quiet = CampaignStream("Quiet")
    untouched = CapturedOutput()
    trigger.get_user_function()(document_list(quiet.documents()), untouched)
    assert untouched.value is None


# --- negotiate --------------------------------------------------------------------------------


def negotiate_request(**headers: str) -> func.HttpRequest:
    return func.HttpRequest(
        method="POST", url="/api/negotiate", headers=headers, body=b"", route_params={}
    )


CONNECTION_INFO = json.dumps(
    {"url": "https://hub.example/client/?hub=campaigns", "accessToken": "t"}
)


def test_negotiate_is_a_post_route_with_a_connection_info_input_whose_user_is_the_tenant() -> None:
    bindings = bindings_of(app_with(), NEGOTIATE_FUNCTION)
    http = bindings["httpTrigger"]
    assert http["route"] == "api/negotiate"
    assert http["methods"] == ["POST"]
    info = bindings["signalRConnectionInfo"]
    assert info["direction"] == "IN"
    assert info["hubName"] == HUB
    assert info["connectionStringSetting"] == CONNECTION
    assert info["userId"] == "{headers.x-tenant-id}"


def test_negotiate_answers_the_connection_info_for_a_well_formed_tenant() -> None:
    negotiate = function_of(app_with(api_keys=dict), NEGOTIATE_FUNCTION).get_user_function()
    answer = negotiate(negotiate_request(**{"X-Tenant-Id": "acme"}), CONNECTION_INFO)
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert json.loads(answer.get_body()) == json.loads(CONNECTION_INFO)


@pytest.mark.parametrize("headers", [{}, {"X-Tenant-Id": "not a tenant!"}])
def test_negotiate_refuses_a_missing_or_malformed_tenant(headers: dict[str, str]) -> None:
    negotiate = function_of(app_with(api_keys=dict), NEGOTIATE_FUNCTION).get_user_function()
    answer = negotiate(negotiate_request(**headers), CONNECTION_INFO)
    assert answer.status_code == 400
    assert answer.mimetype == "application/problem+json"
    assert json.loads(answer.get_body())["code"] == "invalid-tenant"


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"X-Tenant-Id": "acme"}, 401, "unauthenticated"),
        ({"X-Tenant-Id": "acme", "X-Api-Key": "wrong"}, 401, "unauthenticated"),
        ({"X-Tenant-Id": "acme", "X-Api-Key": "key-of-globex"}, 403, "tenant-forbidden"),
        ({"X-Tenant-Id": "acme", "X-Api-Key": "key-of-acme"}, 200, None),
        ({"X-Tenant-Id": "acme", "Authorization": "Bearer key-of-acme"}, 200, None),
    ],
)
def test_with_api_keys_negotiate_needs_the_key_of_the_named_tenant(
    headers: dict[str, str], status: int, code: str | None
) -> None:
    keys = {"key-of-acme": "acme", "key-of-globex": "globex"}
    negotiate = function_of(app_with(api_keys=lambda: keys), NEGOTIATE_FUNCTION).get_user_function()
    answer = negotiate(negotiate_request(**headers), CONNECTION_INFO)
    assert answer.status_code == status
    if code is not None:
        assert json.loads(answer.get_body())["code"] == code


def test_a_refused_negotiation_answers_the_same_problem_document_as_the_http_api() -> None:
    negotiate = function_of(
        app_with(api_keys=lambda: {"key-of-acme": "acme"}), NEGOTIATE_FUNCTION
    ).get_user_function()
    answer = negotiate(negotiate_request(**{"X-Tenant-Id": "acme"}), CONNECTION_INFO)
    expected = problem_response(
        401,
        "unauthenticated",
        "A valid API key is required (X-Api-Key or Authorization: Bearer).",
    )
    assert answer.status_code == expected.status_code
    assert json.loads(answer.get_body()) == json.loads(expected.body)
    assert answer.headers["WWW-Authenticate"] == "Bearer"


# --- JoinCampaignGroup ------------------------------------------------------------------------


def invocation(campaign_id: object, *, user: str | None = "acme") -> str:
    return json.dumps(
        {
            "ConnectionId": "conn-1",
            "UserId": user,
            "Hub": "campaigns",
            "Category": "messages",
            "Event": JOIN_METHOD,
            "Arguments": [campaign_id],
        }
    )


def test_the_join_function_is_the_hub_method_trigger_with_a_signalr_output() -> None:
    bindings = bindings_of(app_with(), JOIN_FUNCTION)
    trigger = bindings["signalRTrigger"]
    assert trigger["direction"] == "IN"
    assert trigger["category"] == "messages"
    assert trigger["event"] == "JoinCampaignGroup"
    assert trigger["parameterNames"] == ["campaignId"]
    assert trigger["hubName"] == HUB
    assert trigger["connectionStringSetting"] == CONNECTION
    output = bindings["signalR"]
    assert output["direction"] == "OUT"
    assert output["hubName"] == HUB
    assert output["connectionStringSetting"] == CONNECTION


def test_joining_a_campaign_of_the_connections_tenant_adds_the_connection_to_its_group() -> None:
    checked: list[tuple[str, str]] = []

    def access() -> Any:
        def is_visible(tenant: str, campaign: str) -> bool:
            checked.append((tenant, campaign))
            return True

        return is_visible

    join = function_of(app_with(campaign_access=access), JOIN_FUNCTION).get_user_function()
    actions = CapturedOutput()
    join(invocation(CAMPAIGN.upper()), actions)
    assert actions.sent() == {"connectionId": "conn-1", "groupName": CAMPAIGN, "action": "add"}
    assert checked == [("acme", CAMPAIGN)]


@pytest.mark.parametrize(
    ("campaign_id", "user"),
    [(CAMPAIGN, "acme"), ("not-a-uuid", "acme"), (CAMPAIGN, None)],
    ids=["not-visible-to-the-tenant", "not-a-campaign-id", "connection-without-tenant"],
)
def test_a_join_the_tenant_may_not_make_is_refused_to_that_connection_only(
    campaign_id: str, user: str | None
) -> None:
    join = function_of(
        app_with(campaign_access=lambda: lambda tenant, campaign: False), JOIN_FUNCTION
    ).get_user_function()
    actions = CapturedOutput()
    join(invocation(campaign_id, user=user), actions)
    sent = actions.sent()
    assert "action" not in sent
    assert "groupName" not in sent
    assert sent["connectionId"] == "conn-1"
    assert sent["target"] == JOIN_REFUSED
    assert sent["arguments"] == [{"campaignId": campaign_id, "code": "campaign-not-found"}]


# --- leave ------------------------------------------------------------------------------------


def test_the_leave_function_is_the_hub_method_trigger_with_a_signalr_output() -> None:
    bindings = bindings_of(app_with(), LEAVE_FUNCTION)
    trigger = bindings["signalRTrigger"]
    assert trigger["direction"] == "IN"
    assert trigger["category"] == "messages"
    assert trigger["event"] == "LeaveCampaignGroup"
    assert trigger["parameterNames"] == ["campaignId"]
    assert trigger["hubName"] == HUB
    assert trigger["connectionStringSetting"] == CONNECTION
    output = bindings["signalR"]
    assert output["direction"] == "OUT"
    assert output["hubName"] == HUB
    assert output["connectionStringSetting"] == CONNECTION


def test_leaving_a_campaign_removes_the_connection_from_its_group_without_a_read() -> None:
    leave = function_of(app_with(), LEAVE_FUNCTION).get_user_function()  # access never built
    actions = CapturedOutput()

    leave(invocation(CAMPAIGN.upper()), actions)

    assert actions.sent() == {"connectionId": "conn-1", "groupName": CAMPAIGN, "action": "remove"}


def test_leaving_with_an_argument_that_is_no_campaign_id_changes_nothing() -> None:
    leave = function_of(app_with(), LEAVE_FUNCTION).get_user_function()
    actions, empty = CapturedOutput(), CapturedOutput()

    leave(invocation("not-a-uuid"), actions)
    leave(json.dumps({"ConnectionId": "conn-1", "Arguments": []}), empty)

    assert actions.value is None
    assert empty.value is None


def test_the_function_app_indexes_the_leave_function_beside_join_and_negotiate() -> None:
    names = {function.get_function_name() for function in app_with().get_functions()}

    assert {NEGOTIATE_FUNCTION, JOIN_FUNCTION, LEAVE_FUNCTION, FUNCTION_NAME} <= names


# --- the in-process hub is for the embedded service only --------------------------------------


def test_live_updates_default_to_off_under_the_functions_host_and_on_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bootstrap.settings import Settings

    monkeypatch.delenv("LEDGER_LIVE_UPDATES", raising=False)
    monkeypatch.delenv("FUNCTIONS_WORKER_RUNTIME", raising=False)
    assert Settings().ledger_live_updates is True
    monkeypatch.setenv("FUNCTIONS_WORKER_RUNTIME", "python")
    assert Settings().ledger_live_updates is False
    monkeypatch.setenv("LEDGER_LIVE_UPDATES", "true")
    assert Settings().ledger_live_updates is True
