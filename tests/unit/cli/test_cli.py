"""The operator CLI against fakes: what each command asks of the ledger and prints."""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass, field
from typing import Any

import pytest
from typer.testing import CliRunner

import cli.main
from bootstrap.settings import Settings
from cli.main import app
from cli.server import ShutdownRequested, shutdown_signals
from documentstore.memory import InMemoryDocumentStore
from domain.errors import ConfigurationError
from domain.recorded import RecordedEvent
from projections.dead_letters import DeadLetterBox
from projections.processor import ChangeFeedProcessor
from projections.rebuild import RebuildProgress, RebuildReport, ReplayReport
from projections.runner import ProjectionOutcome
from projections.stored_views import Difference
from tests.unit.api.fakes import FakeCampaignLedger, FakeReadModel

CID = "0f8fad5b-d9cb-469f-a165-70867728950e"


class FakeStore:
    kind = "sqlite"

    def __init__(self) -> None:
        self.initialised = 0

    def initialise(self) -> None:
        self.initialised += 1


class FakeProcessor(ChangeFeedProcessor):
    """Answers prepared outcomes from ``run_once``, then empty ones."""

    def __init__(self, outcomes: list[ProjectionOutcome]) -> None:
        self.outcomes = list(outcomes)
        self.flushed = 0

    def run_once(self) -> ProjectionOutcome:
        return self.outcomes.pop(0) if self.outcomes else ProjectionOutcome()

    def flush(self) -> None:
        self.flushed += 1

    def start(self) -> None:
        raise AssertionError("the CLI runs the processor in the foreground")

    def stop(self, timeout: float = 30.0) -> None:
        self.flush()


@dataclass
class OperatorLedger:
    settings: Settings
    commands: FakeCampaignLedger = field(default_factory=FakeCampaignLedger)
    reads: FakeReadModel = field(default_factory=FakeReadModel)
    store: FakeStore = field(default_factory=FakeStore)
    processor: FakeProcessor = field(default_factory=lambda: FakeProcessor([]))
    closed: int = 0

    def close(self) -> None:
        self.closed += 1
        self.processor.stop()


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> OperatorLedger:
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PORT", raising=False)
    built = OperatorLedger(settings=Settings())
    monkeypatch.setattr(cli.main, "build_container", lambda settings: built)
    return built


runner = CliRunner()


def event(version: int) -> RecordedEvent:
    return RecordedEvent(
        campaign_id=CID,
        version=version,
        type="CampaignCreated",
        data={"name": f"n{version}"},
        metadata={"tenantId": "acme", "actor": "ana"},
        timestamp="2025-01-01T00:00:00+00:00",
    )


def test_events_prints_one_json_line_per_event_in_stream_order(ledger: OperatorLedger) -> None:
    ledger.commands.events = [event(1), event(2), event(3)]
    result = runner.invoke(app, ["events", CID, "--tenant", "acme", "--after", "1", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["version"] for line in lines] == [2, 3]
    assert lines[0]["recordedAt"] == "2025-01-01T00:00:00+00:00"
    assert ledger.commands.last.kwargs == {"after": 1, "limit": 100}
    assert ledger.closed == 1


def test_events_shows_a_table_with_type_and_actor(ledger: OperatorLedger) -> None:
    ledger.commands.events = [event(1)]
    result = runner.invoke(app, ["events", CID, "--tenant", "acme", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert "CampaignCreated" in result.output
    assert "ana" in result.output
    assert ledger.commands.last.kwargs == {"after": 0, "limit": 5}


def test_events_of_an_unknown_campaign_exits_1_naming_the_code(ledger: OperatorLedger) -> None:
    result = runner.invoke(app, ["events", CID])
    assert result.exit_code == 1
    assert "campaign-not-found" in result.output
    assert ledger.closed == 1


def test_status_prints_the_projection_report(ledger: OperatorLedger) -> None:
    ledger.reads.status = {
        "projections": [
            {
                "name": "views",
                "liveGeneration": 2,
                "buildingGeneration": None,
                "eventsBehind": 7,
                "feedRanges": [
                    {
                        "feedRange": "0",
                        "checkpoint": "12",
                        "checkpointUpdatedAt": None,
                        "eventsBehind": 7,
                        "eventsBehindIsLowerBound": False,
                        "secondsBehind": 1.5,
                    }
                ],
                "deadLetters": {"count": 1, "items": []},
            }
        ]
    }
    table = runner.invoke(app, ["status"])
    assert table.exit_code == 0, table.output
    assert "views" in table.output
    assert "1.5" in table.output
    as_json = runner.invoke(app, ["status", "--json"])
    assert json.loads(as_json.output) == ledger.reads.status


def test_init_initialises_the_store(ledger: OperatorLedger) -> None:
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert ledger.store.initialised == 1
    assert "Initialised sqlite" in result.output


def test_a_configuration_error_exits_2_with_its_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(settings: Settings) -> None:
        raise ConfigurationError("artifact types file names a standard type")

    monkeypatch.setattr(cli.main, "build_container", refuse)
    monkeypatch.setenv("LEDGER_STORE", "cosmos")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    assert "artifact types file" in result.output


def test_invalid_settings_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "70000")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "Invalid settings" in result.output


def test_follow_once_prints_what_it_applied_and_saves_checkpoints(ledger: OperatorLedger) -> None:
    ledger.processor = FakeProcessor(
        [ProjectionOutcome(events=3, applied=2, skipped=1, campaigns={CID})]
    )
    result = runner.invoke(app, ["follow", "--once"])
    assert result.exit_code == 0, result.output
    assert "applied 2, skipped 1, dead-lettered 0" in result.output
    assert CID in result.output
    assert ledger.processor.flushed >= 1


def test_rebuild_of_one_campaign_passes_it_and_reports(
    ledger: OperatorLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def rebuild_one(store: Any, campaign_id: str, **options: Any) -> RebuildReport:
        asked.append(campaign_id)
        options["progress"](RebuildProgress("replay", 4, 4, campaign_id))
        return RebuildReport(generation=1, previous_generation=1, events=4, switched=True)

    monkeypatch.setattr(cli.main, "rebuild_campaign", rebuild_one)
    result = runner.invoke(app, ["rebuild", "--campaign", CID])
    assert result.exit_code == 0, result.output
    assert asked == [CID]
    assert "events replayed" in result.output


def test_a_rebuild_that_differs_and_did_not_switch_exits_1(
    ledger: OperatorLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = RebuildReport(
        generation=3,
        previous_generation=2,
        differences=[Difference(CID, "snapshot", "different")],
        switched=False,
    )
    monkeypatch.setattr(cli.main, "rebuild_views", lambda store, **options: report)
    result = runner.invoke(app, ["rebuild"])
    assert result.exit_code == 1
    assert "different" in result.output
    assert "--accept-differences" in result.output


def test_a_full_rebuild_that_switched_exits_0(
    ledger: OperatorLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def rebuild_all(store: Any, **options: Any) -> RebuildReport:
        seen.update(options)
        return RebuildReport(generation=3, previous_generation=2, switched=True)

    monkeypatch.setattr(cli.main, "rebuild_views", rebuild_all)
    result = runner.invoke(app, ["rebuild", "--accept-differences"])
    assert result.exit_code == 0, result.output
    assert seen["accept_differences"] is True


def test_sigterm_inside_shutdown_signals_becomes_shutdown_requested() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(ShutdownRequested), shutdown_signals():
        signal.raise_signal(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_full_rebuild_that_switched_prints_the_lease_prefix_of_the_new_generation(
    ledger: OperatorLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = RebuildReport(generation=3, previous_generation=2, switched=True)
    monkeypatch.setattr(cli.main, "rebuild_views", lambda store, **options: report)
    result = runner.invoke(app, ["rebuild"])
    assert result.exit_code == 0, result.output
    assert "LEDGER_LEASE_PREFIX=views-g3-" in " ".join(result.output.split())


def dead_letters_in(monkeypatch: pytest.MonkeyPatch) -> DeadLetterBox:
    """A real dead-letter box on an in-memory store, where the commands look for letters."""
    box = DeadLetterBox(InMemoryDocumentStore())
    monkeypatch.setattr(cli.main, "DeadLetterBox", lambda store: box)
    for tenant, version in (("acme", 3), ("globex", 5)):
        box.record(
            {"streamId": CID, "version": version, "type": "RunStarted", "data": {}},
            ValueError(f"no such run in {tenant}'s campaign"),
            generation=1,
            tenant_id=tenant,
        )
    return box


def test_dead_letters_lists_each_letter_with_its_event_and_error(
    ledger: OperatorLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead_letters_in(monkeypatch)
    result = runner.invoke(app, ["dead-letters"])
    assert result.exit_code == 0, result.output
    assert "2 dead letters." in result.output
    assert f"{CID} v3 RunStarted (tenant acme" in result.output
    assert "ValueError: no such run in globex's campaign" in " ".join(result.output.split())
    assert ledger.closed == 1


def test_dead_letters_of_one_tenant_as_json_lines(
    ledger: OperatorLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead_letters_in(monkeypatch)
    result = runner.invoke(app, ["dead-letters", "--tenant", "acme", "--json"])
    assert result.exit_code == 0, result.output
    [letter] = [json.loads(line) for line in result.output.splitlines()]
    assert (letter["tenantId"], letter["version"], letter["errorCode"]) == (
        "acme",
        3,
        "ValueError",
    )


def test_replay_dead_letters_of_one_campaign_reports_and_exits_1_while_some_still_fail(
    ledger: OperatorLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[dict[str, Any]] = []

    def replay(store: Any, **options: Any) -> ReplayReport:
        asked.append({"campaign_id": options["campaign_id"]})
        options["progress"](RebuildProgress("replay", 1, 1, CID))
        return ReplayReport(campaigns=[CID], resolved=["a"], still_failing=["b"])

    monkeypatch.setattr(cli.main, "replay_dead_letters", replay)
    result = runner.invoke(app, ["replay-dead-letters", "--campaign", CID])
    assert result.exit_code == 1
    assert asked == [{"campaign_id": CID}]
    assert "1 dead letters resolved, 1 still failing" in result.output
    assert "still failing: b" in result.output


def test_replay_of_every_dead_letter_that_now_projects_exits_0(
    ledger: OperatorLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    def replay(store: Any, **options: Any) -> ReplayReport:
        assert options["campaign_id"] is None
        return ReplayReport(campaigns=[CID], resolved=["a"])

    monkeypatch.setattr(cli.main, "replay_dead_letters", replay)
    result = runner.invoke(app, ["replay-dead-letters"])
    assert result.exit_code == 0, result.output
    assert "1 dead letters resolved, 0 still failing" in result.output
