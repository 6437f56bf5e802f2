"""The operator commands on a real embedded store: init, events, follow, status, rebuild."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from application.command_execution import CommandContext
from bootstrap.container import build_container
from bootstrap.settings import Settings
from cli.main import app
from documentstore.port import EVENTS
from domain.values import Brief
from projections.dead_letters import DeadLetterBox

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("LEDGER_API_KEYS", "LEDGER_STORE", "LEDGER_ARTIFACT_TYPES_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path / "ledger"))
    return tmp_path / "ledger"


def write_campaign(data_dir: Path) -> str:
    """A campaign with two events, written through the service with no processor running."""
    services = build_container(Settings(ledger_data_dir=data_dir))
    try:
        ctx = CommandContext(tenant_id="acme", actor="ops")
        brief = Brief(objective="o", target_audience="a", product_details="p")
        cid = services.commands.create_campaign(ctx, name="Spring", brief=brief).id
        services.commands.update_campaign(ctx, cid, name="Summer")
        return cid
    finally:
        services.close()


def test_operators_initialise_inspect_project_and_rebuild_a_store(data_dir: Path) -> None:
    initialised = runner.invoke(app, ["init"])
    assert initialised.exit_code == 0, initialised.output
    cid = write_campaign(data_dir)

    events = runner.invoke(app, ["events", cid, "--tenant", "acme", "--json"])
    assert events.exit_code == 0, events.output
    lines = [json.loads(line) for line in events.output.splitlines()]
    assert [(e["version"], e["type"]) for e in lines] == [
        (1, "CampaignCreated"),
        (2, "CampaignUpdated"),
    ]
    assert runner.invoke(app, ["events", cid, "--tenant", "other"]).exit_code == 1

    behind = json.loads(runner.invoke(app, ["status", "--json"]).output)
    assert behind["projections"][0]["eventsBehind"] == 2

    followed = runner.invoke(app, ["follow", "--once"])
    assert followed.exit_code == 0, followed.output
    assert "applied 2" in followed.output

    caught_up = json.loads(runner.invoke(app, ["status", "--json"]).output)
    assert caught_up["projections"][0]["eventsBehind"] == 0

    rebuilt = runner.invoke(app, ["rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "yes" in rebuilt.output
    assert "LEDGER_LEASE_PREFIX=views-g2-" in " ".join(rebuilt.output.split())
    in_workers = runner.invoke(app, ["rebuild", "--workers", "2"])
    assert in_workers.exit_code == 0, in_workers.output
    assert "LEDGER_LEASE_PREFIX=views-g3-" in " ".join(in_workers.output.split())
    one = runner.invoke(app, ["rebuild", "--campaign", cid])
    assert one.exit_code == 0, one.output
    vacuumed = runner.invoke(app, ["vacuum"])
    assert vacuumed.exit_code == 0, vacuumed.output
    assert "Room given back" in vacuumed.output

    services = build_container(Settings(ledger_data_dir=data_dir))
    try:
        assert services.reads.campaign("acme", cid).body["name"] == "Summer"
    finally:
        services.close()


def test_operators_list_and_replay_dead_letters(data_dir: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    cid = write_campaign(data_dir)
    assert runner.invoke(app, ["follow", "--once"]).exit_code == 0
    services = build_container(Settings(ledger_data_dir=data_dir))
    try:  # a projector bug met the rename, since fixed
        renamed = services.store.read(EVENTS, cid, "e-0000000002")
        assert renamed is not None
        DeadLetterBox(services.store).record(renamed, RuntimeError("a projector bug"), generation=1)
    finally:
        services.close()

    listed = runner.invoke(app, ["dead-letters", "--json"])
    assert listed.exit_code == 0, listed.output
    [letter] = [json.loads(line) for line in listed.output.splitlines()]
    assert (letter["campaignId"], letter["version"], letter["tenantId"]) == (cid, 2, "acme")

    replayed = runner.invoke(app, ["replay-dead-letters", "--campaign", cid])
    assert replayed.exit_code == 0, replayed.output
    assert "1 dead letters resolved, 0 still failing" in replayed.output
    assert runner.invoke(app, ["dead-letters", "--json"]).output == ""
