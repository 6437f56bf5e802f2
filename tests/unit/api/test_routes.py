"""Routes are module-level functions of their inputs and their dependencies, so one can be read,
imported and called on its own."""

from __future__ import annotations

from fastapi import Response

from api.bodies import CreateCampaign
from api.commands.campaigns import create_campaign
from api.commands.runs import cancel_run
from application.command_execution import CommandContext
from tests.unit.api.fakes import FakeCommands
from tests.unit.api.samples import CID, RID, brief


def test_a_command_route_calls_its_command_and_stamps_the_answer() -> None:
    commands = FakeCommands()
    ctx = CommandContext(tenant_id="acme", command_id="cmd-1", correlation_id="corr-1")
    response = Response()
    body = CreateCampaign.model_validate({"id": CID, "name": "Spring", "brief": brief()})

    answer = create_campaign(body, ctx, response, commands=commands)

    assert (answer.id, answer.version) == (CID, 1)
    assert commands.last.method == "create_campaign"
    assert commands.last.ctx is ctx
    assert response.headers["Location"] == f"/api/campaigns/{CID}"
    assert response.headers["X-Campaign-Version"] == "1"
    assert response.headers["X-Command-Id"] == "cmd-1"
    assert response.headers["X-Correlation-Id"] == "corr-1"


def test_a_status_route_answers_the_status_the_command_reached() -> None:
    commands = FakeCommands()
    commands.version = 6

    answer = cancel_run(CID, RID, CommandContext(), Response(), commands=commands)

    assert (answer.id, answer.status, answer.version) == (RID, "Cancelled", 7)
    assert commands.last.args == (CID, RID)
