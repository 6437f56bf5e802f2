"""The Functions host gets everything from one ``FunctionsHost``: one settings read, one store,
one runner and one read model per process, built on first use; no change-feed processor."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bootstrap.functions_host import FunctionsHost
from bootstrap.settings import Settings
from documentstore.memory import InMemoryDocumentStore
from documentstore.port import EVENTS
from domain.errors import ConfigurationError
from domain.values import Brief
from projections.generations import ProjectionState, ProjectionStateStore
from tests.unit.application.builders import ctx
from tests.unit.projections.campaign_events import CampaignStream

FUNCTIONS_SOURCES = Path(__file__).resolve().parents[3] / "src" / "functions"


class ClosingCountStore(InMemoryDocumentStore):
    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1
        super().close()


@dataclass
class Opened:
    """What the host asked the composition root for."""

    store: ClosingCountStore = field(default_factory=ClosingCountStore)
    settings_reads: int = 0
    stores_opened: int = 0


def app_settings(**values: Any) -> Settings:
    """The app settings of a Functions process (hermetic: not from this process's environment)."""
    given: dict[str, Any] = {
        "ledger_store": "cosmos",
        "cosmos_endpoint": "https://account.example",
        "ledger_lease_prefix": "views-g1-",
        "ledger_api_keys": {"key-of-acme": "acme"},
        "ledger_live_updates": False,
        "functions_auth_level": "anonymous",
    }
    return Settings.model_validate({**given, **values})


def host_of(opened: Opened, **values: Any) -> FunctionsHost:
    def read_settings() -> Settings:
        opened.settings_reads += 1
        return app_settings(**values)

    def open_store(settings: Settings) -> InMemoryDocumentStore:
        opened.stores_opened += 1
        opened.store.initialise()  # as ``campaigns init`` did for the Cosmos DB account
        return opened.store

    return FunctionsHost(read_settings, open_store)


@pytest.fixture
def opened() -> Opened:
    return Opened()


@pytest.fixture
def host(opened: Opened) -> FunctionsHost:
    return host_of(opened)


def test_the_functions_host_reads_its_settings_once_and_builds_one_runner_and_read_model(
    opened: Opened, host: FunctionsHost
) -> None:
    runner, reads = host.runner(), host.reads()

    assert host.runner() is runner
    assert host.reads() is reads
    assert host.api_keys() == {"key-of-acme": "acme"}
    assert host.settings.functions_auth_level == "anonymous"
    assert (opened.settings_reads, opened.stores_opened) == (1, 1)
    assert runner.store is opened.store


def test_the_functions_runner_projects_only_for_the_generation_of_its_lease_prefix(
    opened: Opened, host: FunctionsHost
) -> None:
    ProjectionStateStore(opened.store).save(ProjectionState(live=2))
    with pytest.raises(ConfigurationError, match="LEDGER_LEASE_PREFIX=views-g2-"):
        host.runner().project(CampaignStream().documents())


def test_the_functions_read_model_says_the_trigger_projects_so_lag_is_not_measured_here(
    host: FunctionsHost,
) -> None:
    [projection] = host.reads().projection_status()["projections"]
    assert projection["source"] == "functions-trigger"
    assert projection["eventsBehind"] is None


def test_the_http_services_under_functions_share_the_hosts_store_and_report_lag_as_the_triggers(
    opened: Opened, host: FunctionsHost
) -> None:
    services = host.api_services()
    brief = Brief(objective="o", target_audience="a", product_details="p")
    campaign_id = services.commands.create_campaign(ctx(), name="Spring", brief=brief).id

    assert services.reads is host.reads()
    assert not hasattr(services, "processor")
    assert services.notification_hub is None
    assert opened.store.read(EVENTS, campaign_id, "e-0000000001") is not None
    [projection] = services.reads.projection_status()["projections"]
    assert projection["source"] == "functions-trigger"
    assert (opened.settings_reads, opened.stores_opened) == (1, 1)


def test_closing_the_http_services_leaves_the_hosts_store_open_for_the_trigger(
    opened: Opened, host: FunctionsHost
) -> None:
    host.api_services().close()
    assert opened.store.closed == 0
    host.close()
    assert opened.store.closed == 1


def test_without_a_lease_prefix_the_functions_runner_refuses_to_start(opened: Opened) -> None:
    host = host_of(opened, ledger_lease_prefix=None)
    with pytest.raises(ConfigurationError, match="LEDGER_LEASE_PREFIX"):
        host.runner()


def test_nothing_under_src_functions_reads_settings_or_builds_the_runner_or_read_model() -> None:
    for source in FUNCTIONS_SOURCES.glob("*.py"):
        text = source.read_text()
        for construction in (
            "Settings(",
            "ProjectionRunner(",
            "ReadModel(",
            "open_document_store(",
            "ChangeFeedProcessor(",
        ):
            assert construction not in text, f"{source.name} builds {construction[:-1]} itself"
