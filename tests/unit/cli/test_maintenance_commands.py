"""The operator's store-wide commands against an in-memory store: export, import, compare,
purge and backup, as the command line wires them (exit codes, standard output and error)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from bootstrap.settings import Settings
from cli.main import build_cli
from documentstore.memory import InMemoryDocumentStore
from tests.unit.cli.test_cli import CountingStore, FakeOperatorServices
from tests.unit.operations.campaigns import Campaigns, export_all


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeOperatorServices:
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path))
    return FakeOperatorServices(settings=Settings())


def invoke(services: FakeOperatorServices, args: list[str], stdin: str | None = None) -> Result:
    """Run the CLI with ``args`` (and ``stdin``), every command building ``services``."""
    return CliRunner().invoke(build_cli(lambda settings: services), args, input=stdin)


def filled(services: FakeOperatorServices, campaigns: int = 2) -> list[str]:
    writer = Campaigns(services.store)
    ids = [writer.create() for _ in range(campaigns)]
    for campaign_id in ids:
        writer.fill(campaign_id, versions=2)
    return ids


def output_lines(result: Result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.strip()]


def test_export_writes_one_json_line_per_event_to_standard_output(
    services: FakeOperatorServices,
) -> None:
    ids = filled(services)

    result = invoke(services, ["export"])

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in output_lines(result)]
    assert {line["campaignId"] for line in lines} == set(ids)
    assert f"Exported {len(lines)} events of 2 campaigns" in result.stderr
    assert services.closed == 1


def test_export_to_a_file_and_for_one_campaign(
    services: FakeOperatorServices, tmp_path: Path
) -> None:
    first, _ = filled(services)
    out = tmp_path / "one.jsonl"

    result = invoke(services, ["export", "--campaign", first, "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    lines = out.read_text().splitlines()
    assert {json.loads(line)["campaignId"] for line in lines} == {first}
    assert not (tmp_path / "one.jsonl.partial").exists()


def test_export_of_a_campaign_the_store_lacks_exits_1(services: FakeOperatorServices) -> None:
    result = invoke(services, ["export", "--campaign", "nowhere"])

    assert result.exit_code == 1
    assert "Not found" in result.stderr


def test_import_of_a_file_then_again_reports_imported_then_unchanged(
    services: FakeOperatorServices, tmp_path: Path
) -> None:
    source = InMemoryDocumentStore()
    ids = [Campaigns(source).create() for _ in range(3)]
    export = tmp_path / "export.jsonl"
    export.write_text("\n".join(export_all(source)) + "\n")

    first = invoke(services, ["import", str(export)])
    again = invoke(services, ["import", str(export), "--json"])

    assert first.exit_code == 0, first.output
    assert "campaigns 3 imported" in first.stderr
    assert again.exit_code == 0, again.output
    outcomes = [json.loads(line) for line in output_lines(again)]
    assert {(o["campaignId"], o["outcome"]) for o in outcomes} == {(i, "unchanged") for i in ids}


def test_import_from_standard_input_reports_a_divergent_campaign_and_exits_1(
    services: FakeOperatorServices,
) -> None:
    [campaign_id] = filled(services, campaigns=1)
    other = InMemoryDocumentStore()
    Campaigns(other).create(campaign_id)

    result = invoke(services, ["import", "-"], stdin="\n".join(export_all(other)))

    assert result.exit_code == 1
    assert f"divergent {campaign_id}" in result.stdout
    assert "left untouched" in result.stdout


def test_import_stops_at_a_malformed_line_and_names_it(services: FakeOperatorServices) -> None:
    result = invoke(services, ["import", "-"], stdin='{"campaignId": 7}\n')

    assert result.exit_code == 1
    assert "line 1" in result.stderr


def test_compare_exits_0_for_the_same_logs_and_1_naming_the_differences(
    services: FakeOperatorServices, tmp_path: Path
) -> None:
    ids = filled(services)
    export = tmp_path / "export.jsonl"
    export.write_text("\n".join(export_all(services.store)))

    same = invoke(services, ["compare", str(export)])
    writer = Campaigns(services.store)
    writer.service.update_campaign(writer.ctx(), ids[0], name="Changed")
    different = invoke(services, ["compare", str(export)])

    assert same.exit_code == 0, same.output
    assert "the same logs" in same.stderr
    assert different.exit_code == 1
    assert f"different {ids[0]}" in different.stdout


def test_purge_lists_then_removes_the_expired_campaigns(services: FakeOperatorServices) -> None:
    writer = Campaigns(services.store)
    writer.clock.now = datetime(2020, 1, 1, tzinfo=UTC)
    doomed, kept = writer.create(), writer.create()
    writer.delete(doomed)

    dry = invoke(services, ["purge", "--dry-run"])
    done = invoke(services, ["purge", "--json"])
    again = invoke(services, ["purge"])

    assert dry.exit_code == 0, dry.output
    assert f"would purge {doomed}" in dry.stdout
    assert kept not in dry.stdout
    assert done.exit_code == 0, done.output
    [purged] = [json.loads(line) for line in output_lines(done)]
    assert (purged["campaignId"], purged["tenantId"]) == (doomed, "acme")
    assert purged["removed"]["events"] == 2
    assert "Purged 0 campaigns" in again.stderr


def test_backup_of_a_store_that_cannot_copy_itself_exits_1(
    services: FakeOperatorServices, tmp_path: Path
) -> None:
    services.store = CountingStore()

    result = invoke(services, ["backup", str(tmp_path / "copy")])

    assert result.exit_code == 1
    assert "operation-failed" in result.stderr
    assert "embedded store" in result.stderr
