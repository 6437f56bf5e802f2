"""A store written before the aggregate's state was split (heads holding the whole aggregate,
``tests/integration/fixtures/layout1``, written by the code of that time) is read and extended:
each campaign moves to the split layout the first time a command loads it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from application import CommandContext
from bootstrap.container import ServiceContainer, build_container
from bootstrap.settings import Settings
from domain.errors import IdConflict, RuleViolation
from domain.values import AuditReport, Iteration
from projections.reads import ReadModel
from projections.rebuild import rebuild_views

FIXTURE = Path(__file__).parent.parent / "fixtures" / "layout1"


@pytest.fixture
def written_before(tmp_path: Path) -> Iterator[tuple[ServiceContainer, dict[str, Any]]]:
    data_dir = tmp_path / "ledger"
    data_dir.mkdir()
    shutil.copy(FIXTURE / "ledger.sqlite3", data_dir / "ledger.sqlite3")
    ledger = build_container(Settings(ledger_data_dir=data_dir, ledger_live_updates=False))
    yield ledger, json.loads((FIXTURE / "manifest.json").read_text())
    ledger.close()


def _heads(path: Path) -> dict[str, Any]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT body FROM documents WHERE id = 'head'").fetchall()
    return {json.loads(body)["streamId"]: json.loads(body) for (body,) in rows}


def test_the_fixture_holds_heads_of_the_old_layout() -> None:
    heads = _heads(FIXTURE / "ledger.sqlite3")

    assert heads
    assert all("layout" not in head for head in heads.values())
    assert any(head["snapshot"]["state"]["state"]["versions"] for head in heads.values())


def test_commands_on_an_old_campaign_see_every_entity_it_had(
    written_before: tuple[ServiceContainer, dict[str, Any]],
) -> None:
    ledger, ids = written_before
    service = ledger.commands
    ctx = CommandContext(tenant_id=ids["tenant"], actor="test")
    campaign = ids["campaign"]
    report = AuditReport.model_validate({"overallStatus": "Pass", "categoryScores": {}})

    version = service.create_version(ctx, campaign, ids["artifacts"]["Copy"], content="next")
    audited_again = service.record_audit(ctx, campaign, ids["versions"][1], report=report)
    iteration = service.log_iteration(
        ctx,
        campaign,
        iteration=Iteration(
            artifact_id=ids["artifacts"]["Copy"],
            old_version_id=ids["versions"][2],
            new_version_id=version.id,
            feedback_text="After the move",
        ),
    )

    assert version.version == ids["campaignVersion"] + 1
    assert version.version_number == 11
    assert (audited_again.version, iteration.version) == (version.version + 1, version.version + 2)
    with pytest.raises(RuleViolation):
        service.record_audit(ctx, campaign, ids["versions"][3], report=report)  # archived
    with pytest.raises(RuleViolation):
        service.archive_version(ctx, campaign, ids["versions"][0])  # the active ShortCopy


def test_an_old_create_repeated_still_answers_its_first_result(
    written_before: tuple[ServiceContainer, dict[str, Any]],
) -> None:
    ledger, ids = written_before
    service = ledger.commands
    ctx = CommandContext(tenant_id=ids["tenant"], actor="test")
    report = AuditReport.model_validate(
        {"overallStatus": "Pass", "categoryScores": {"brand": {"score": 80}}}
    )
    events_before = service.read_events(ids["tenant"], ids["campaign"], limit=1000)

    repeated = service.record_audit(
        ctx, ids["campaign"], ids["versions"][0], report=report, audit_id=ids["audits"][0]
    )

    assert (repeated.id, repeated.appended) == (ids["audits"][0], False)
    assert repeated.version == next(
        event.version
        for event in events_before
        if event.type == "AuditRecorded" and event.data["auditReportId"] == ids["audits"][0]
    )
    with pytest.raises(IdConflict):
        service.create_artifact(
            ctx, ids["campaign"], artifact_type="Copy", artifact_id=ids["audits"][0]
        )


def test_the_first_load_moves_the_campaign_to_the_split_layout_and_later_loads_use_it(
    written_before: tuple[ServiceContainer, dict[str, Any]],
) -> None:
    ledger, ids = written_before
    ctx = CommandContext(tenant_id=ids["tenant"], actor="test")

    ledger.commands.change_status(ctx, ids["campaign"], "Generating")

    heads = _heads(ledger.settings.sqlite_path)
    head = heads[ids["campaign"]]
    assert head["layout"] == 2
    assert head["snapshot"]["state"]["state"]["versions"] == {}
    assert "layout" not in heads[ids["deletedCampaign"]]  # not loaded yet: left as it was
    restored = ledger.commands.restore_campaign(ctx, ids["deletedCampaign"])
    assert _heads(ledger.settings.sqlite_path)[ids["deletedCampaign"]]["layout"] == 2
    assert restored.version == 3


def test_after_the_upgrade_a_rebuild_serves_the_old_campaigns_paged_reads(
    written_before: tuple[ServiceContainer, dict[str, Any]],
) -> None:
    ledger, ids = written_before
    ctx = CommandContext(tenant_id=ids["tenant"], actor="test")
    copy = ids["artifacts"]["Copy"]
    added = ledger.commands.create_version(ctx, ids["campaign"], copy, content="new")

    rebuild_views(ledger.store)

    reads = ReadModel(ledger.store)
    history = reads.version_history(ids["tenant"], ids["campaign"], copy)
    copies = [v for index, v in enumerate(ids["versions"], start=1) if index % 3 == 0]
    assert [item["id"] for item in history.body["versions"]] == [*copies, added.id]
    lineage = reads.campaign_audits(ids["tenant"], ids["campaign"], limit=1_000).body["items"]
    assert [item["id"] for item in lineage] == ids["audits"]
    logged = reads.iterations(ids["tenant"], ids["campaign"]).body["items"]
    assert [item["id"] for item in logged] == ids["iterations"]
    assert reads.campaign(ids["tenant"], ids["campaign"]).body["version"] == added.version
