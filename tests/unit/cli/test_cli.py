"""The operator CLI against fakes: what each command asks of its services and prints."""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass, field
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

import cli.main
from application import CampaignApplication
from bootstrap.container import campaign_application
from bootstrap.settings import Settings
from cli.main import build_cli
from cli.server import ShutdownRequested, shutdown_signals
from documentstore.memory import InMemoryDocumentStore
from domain.errors import ConfigurationError, OperationFailed
from domain.recorded import RecordedEvent
from projections.dead_letters import DeadLetterBox
from projections.rebuild import RebuildProgress, RebuildReport, ReplayReport
from projections.runner import ProjectionOutcome
from projections.stored_views import Difference
from tests.unit.api.fakes import FakeCommands, FakeReads

CID = "0f8fad5b-d9cb-469f-a165-70867728950e"


class CountingStore(InMemoryDocumentStore):
    """The in-memory store, counting how often it was initialised."""

    def __init__(self) -> None:
        super().__init__()
        self.initialised = 0

    def initialise(self) -> None:
        self.initialised += 1
        super().initialise()


class FakeProcessor:
    """A ``FeedProcessor`` answering prepared outcomes from ``run_once``, then empty ones."""

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
class FakeOperatorServices:
    """``OperatorServices`` over fakes; counts how often it was closed."""

    settings: Settings
    commands: FakeCommands = field(default_factory=FakeCommands)
    reads: FakeReads = field(default_factory=FakeReads)
    store: CountingStore = field(default_factory=CountingStore)
    processor: FakeProcessor = field(default_factory=lambda: FakeProcessor([]))
    notification_hub: None = None
    closed: int = 0

    @property
    def application(self) -> CampaignApplication:
        return campaign_application(self.store)

    def close(self) -> None:
        self.closed += 1
        self.processor.stop()


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> FakeOperatorServices:
    monkeypatch.setenv("LEDGER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PORT", raising=False)
    return FakeOperatorServices(settings=Settings())


runner = CliRunner()


def invoke(services: FakeOperatorServices, args: list[str]) -> Result:
    """Run the CLI with ``args``, every command building ``services``."""
    return runner.invoke(build_cli(lambda settings: services), args)


def event(version: int) -> RecordedEvent:
    return RecordedEvent(
        campaign_id=CID,
        version=version,
        type="CampaignCreated",
        data={"name": f"n{version}"},
        metadata={"tenantId": "acme", "actor": "ana"},
        timestamp="2025-01-01T00:00:00+00:00",
    )


def test_events_prints_one_json_line_per_event_in_stream_order(
    services: FakeOperatorServices,
) -> None:
    services.commands.events = [event(1), event(2), event(3)]
    result = invoke(services, ["events", CID, "--tenant", "acme", "--after", "1", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["version"] for line in lines] == [2, 3]
    assert lines[0]["recordedAt"] == "2025-01-01T00:00:00+00:00"
    assert services.commands.last.kwargs == {"after": 1, "limit": 100, "restorable": True}
    assert services.closed == 1


def test_events_shows_a_table_with_type_and_actor(services: FakeOperatorServices) -> None:
    services.commands.events = [event(1)]
    result = invoke(services, ["events", CID, "--tenant", "acme", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert "CampaignCreated" in result.output
    assert "ana" in result.output
    assert services.commands.last.kwargs == {"after": 0, "limit": 5, "restorable": True}


def test_events_of_an_unknown_campaign_exits_1_naming_the_code(
    services: FakeOperatorServices,
) -> None:
    result = invoke(services, ["events", CID])
    assert result.exit_code == 1
    assert "campaign-not-found" in result.output
    assert services.closed == 1


def test_status_prints_the_projection_report(services: FakeOperatorServices) -> None:
    services.reads.status = {
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
    table = invoke(services, ["status"])
    assert table.exit_code == 0, table.output
    assert "views" in table.output
    assert "1.5" in table.output
    as_json = invoke(services, ["status", "--json"])
    assert json.loads(as_json.output) == services.reads.status


def test_init_initialises_the_store(services: FakeOperatorServices) -> None:
    result = invoke(services, ["init"])
    assert result.exit_code == 0, result.output
    assert services.store.initialised == 1
    assert "Initialised sqlite" in result.output


def test_a_configuration_error_exits_2_with_its_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(settings: Settings) -> FakeOperatorServices:
        raise ConfigurationError("artifact types file names a standard type")

    monkeypatch.setenv("LEDGER_STORE", "cosmos")
    result = runner.invoke(build_cli(refuse), ["status"])
    assert result.exit_code == 2
    assert "artifact types file" in result.output


def test_invalid_settings_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "70000")
    result = runner.invoke(build_cli(lambda settings: pytest.fail("built")), ["serve"])
    assert result.exit_code == 2
    assert "Invalid settings" in result.output


def test_follow_once_prints_what_it_applied_and_saves_checkpoints(
    services: FakeOperatorServices,
) -> None:
    services.processor = FakeProcessor(
        [ProjectionOutcome(events=3, applied=2, skipped=1, campaigns={CID})]
    )
    result = invoke(services, ["follow", "--once"])
    assert result.exit_code == 0, result.output
    assert "applied 2, skipped 1, dead-lettered 0" in result.output
    assert CID in result.output
    assert services.processor.flushed >= 1


def test_rebuild_of_one_campaign_passes_it_and_reports(
    services: FakeOperatorServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def rebuild_one(store: Any, campaign_id: str, **options: Any) -> RebuildReport:
        asked.append(campaign_id)
        options["progress"](RebuildProgress("replay", 4, 4, campaign_id))
        return RebuildReport(generation=1, previous_generation=1, events=4, switched=True)

    monkeypatch.setattr(cli.main, "rebuild_campaign", rebuild_one)
    result = invoke(services, ["rebuild", "--campaign", CID])
    assert result.exit_code == 0, result.output
    assert asked == [CID]
    assert "events replayed" in result.output


def test_a_rebuild_that_differs_and_did_not_switch_exits_1(
    services: FakeOperatorServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = RebuildReport(
        generation=3,
        previous_generation=2,
        differences=[Difference(CID, "snapshot", "different")],
        switched=False,
    )
    monkeypatch.setattr(cli.main, "rebuild_views", lambda store, **options: report)
    result = invoke(services, ["rebuild"])
    assert result.exit_code == 1
    assert "different" in result.output
    assert "--accept-differences" in result.output


def test_a_full_rebuild_that_switched_exits_0(
    services: FakeOperatorServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def rebuild_all(store: Any, **options: Any) -> RebuildReport:
        seen.update(options)
        return RebuildReport(generation=3, previous_generation=2, switched=True)

    monkeypatch.setattr(cli.main, "rebuild_views", rebuild_all)
    result = invoke(services, ["rebuild", "--accept-differences"])
    assert result.exit_code == 0, result.output
    assert seen["accept_differences"] is True


def test_a_rebuild_that_cannot_go_on_exits_1_naming_the_code(
    services: FakeOperatorServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    def overtaken(store: Any, **options: Any) -> RebuildReport:
        raise OperationFailed("another rebuild took over", code="rebuild-superseded")

    monkeypatch.setattr(cli.main, "rebuild_views", overtaken)
    result = invoke(services, ["rebuild"])
    assert result.exit_code == 1
    assert "rebuild-superseded" in result.output
    assert "another rebuild took over" in result.output
    assert services.closed == 1


def test_sigterm_inside_shutdown_signals_becomes_shutdown_requested() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(ShutdownRequested), shutdown_signals():
        signal.raise_signal(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_full_rebuild_that_switched_prints_the_lease_prefix_of_the_new_generation(
    services: FakeOperatorServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = RebuildReport(generation=3, previous_generation=2, switched=True)
    monkeypatch.setattr(cli.main, "rebuild_views", lambda store, **options: report)
    result = invoke(services, ["rebuild"])
    assert result.exit_code == 0, result.output
    assert "LEDGER_LEASE_PREFIX=views-g3-" in " ".join(result.output.split())


def dead_letters_in(services: FakeOperatorServices) -> DeadLetterBox:
    """A real dead-letter box on the services' (in-memory) store, holding two letters."""
    box = DeadLetterBox(services.store)
    for tenant, version in (("acme", 3), ("globex", 5)):
        box.record(
            {"streamId": CID, "version": version, "type": "RunStarted", "data": {}},
            ValueError(f"no such run in {tenant}'s campaign"),
            generation=1,
            tenant_id=tenant,
        )
    return box


def test_dead_letters_lists_each_letter_with_its_event_and_error(
    services: FakeOperatorServices,
) -> None:
    dead_letters_in(services)
    result = invoke(services, ["dead-letters"])
    assert result.exit_code == 0, result.output
    assert "2 dead letters." in result.output
    assert f"{CID} v3 RunStarted (tenant acme" in result.output
    assert "ValueError: no such run in globex's campaign" in " ".join(result.output.split())
    assert services.closed == 1


def test_dead_letters_of_one_tenant_as_json_lines(services: FakeOperatorServices) -> None:
    dead_letters_in(services)
    result = invoke(services, ["dead-letters", "--tenant", "acme", "--json"])
    assert result.exit_code == 0, result.output
    [letter] = [json.loads(line) for line in result.output.splitlines()]
    assert (letter["tenantId"], letter["version"], letter["errorCode"]) == (
        "acme",
        3,
        "ValueError",
    )


def test_replay_dead_letters_of_one_campaign_reports_and_exits_1_while_some_still_fail(
    services: FakeOperatorServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[dict[str, Any]] = []

    def replay(store: Any, **options: Any) -> ReplayReport:
        asked.append({"campaign_id": options["campaign_id"]})
        options["progress"](RebuildProgress("replay", 1, 1, CID))
        return ReplayReport(campaigns=[CID], resolved=["a"], still_failing=["b"])

    monkeypatch.setattr(cli.main, "replay_dead_letters", replay)
    result = invoke(services, ["replay-dead-letters", "--campaign", CID])
    assert result.exit_code == 1
    assert asked == [{"campaign_id": CID}]
    assert "1 dead letters resolved, 1 still failing" in result.output
    assert "still failing: b" in result.output


def test_replay_of_every_dead_letter_that_now_projects_exits_0(
    services: FakeOperatorServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    def replay(store: Any, **options: Any) -> ReplayReport:
        assert options["campaign_id"] is None
        return ReplayReport(campaigns=[CID], resolved=["a"])

    monkeypatch.setattr(cli.main, "replay_dead_letters", replay)
    result = invoke(services, ["replay-dead-letters"])
    assert result.exit_code == 0, result.output
    assert "1 dead letters resolved, 0 still failing" in result.output
