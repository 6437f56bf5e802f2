"""The operator commands on a real embedded store: init, events, follow, status, rebuild."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from application.service import CommandContext
from bootstrap.container import build_ledger
from bootstrap.settings import Settings
from cli.main import app
from domain.values import Brief

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("LEDGER_API_KEYS", "LEDGER_STORE", "LEDGER_ARTIFACT_TYPES_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path / "ledger"))
    return tmp_path / "ledger"


def write_campaign(data_dir: Path) -> str:
    """A campaign with two events, written through the service with no processor running."""
    ledger = build_ledger(Settings(ledger_data_dir=data_dir))
    try:
        ctx = CommandContext(tenant_id="acme", actor="ops")
        brief = Brief(objective="o", target_audience="a", product_details="p")
        cid = ledger.commands.create_campaign(ctx, name="Spring", brief=brief).id
        ledger.commands.update_campaign(ctx, cid, name="Summer")
        return cid
    finally:
        ledger.close()


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
    one = runner.invoke(app, ["rebuild", "--campaign", cid])
    assert one.exit_code == 0, one.output

    ledger = build_ledger(Settings(ledger_data_dir=data_dir))
    try:
        assert ledger.reads.campaign("acme", cid).body["name"] == "Summer"
    finally:
        ledger.close()
