"""The Functions host gets everything from the composition root: one settings read, one runner
and one read model per process, built on first use."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bootstrap import container
from bootstrap.container import (
    forget_functions_host,
    functions_api_keys,
    functions_ledger,
    functions_read_model,
    functions_runner,
    functions_settings,
)
from documentstore.memory import InMemoryDocumentStore
from domain.errors import ConfigurationError
from projections.generations import ProjectionState, ProjectionStateStore
from tests.unit.projections.campaign_events import CampaignStream

FUNCTIONS_SOURCES = Path(__file__).resolve().parents[3] / "src" / "functions"


@dataclass
class Opened:
    """What the factories asked the composition root for."""

    store: InMemoryDocumentStore = field(default_factory=InMemoryDocumentStore)
    settings_reads: int = 0
    stores_opened: int = 0


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[Opened]:
    forget_functions_host()
    monkeypatch.setenv("LEDGER_LEASE_PREFIX", "views-g1-")
    monkeypatch.setenv("LEDGER_API_KEYS", '{"key-of-acme": "acme"}')
    seen = Opened()

    class CountedSettings(container.Settings):
        def __init__(self, **values: Any) -> None:
            seen.settings_reads += 1
            super().__init__(**values)

    def document_store(settings: Any) -> InMemoryDocumentStore:
        seen.stores_opened += 1
        return seen.store

    monkeypatch.setattr(container, "Settings", CountedSettings)
    monkeypatch.setattr(container, "open_document_store", document_store)
    yield seen
    forget_functions_host()


def test_the_functions_host_reads_its_settings_once_and_builds_one_runner_and_read_model(
    opened: Opened,
) -> None:
    runner, reads = functions_runner(), functions_read_model()

    assert functions_runner() is runner
    assert functions_read_model() is reads
    assert functions_api_keys() == {"key-of-acme": "acme"}
    assert functions_settings().functions_auth_level == "anonymous"
    assert (opened.settings_reads, opened.stores_opened) == (1, 1)
    assert runner.store is opened.store


def test_the_functions_runner_projects_only_for_the_generation_of_its_lease_prefix(
    opened: Opened,
) -> None:
    ProjectionStateStore(opened.store).save(ProjectionState(live=2))
    with pytest.raises(ConfigurationError, match="LEDGER_LEASE_PREFIX=views-g2-"):
        functions_runner().project(CampaignStream().documents())


def test_the_functions_read_model_says_the_trigger_projects_so_lag_is_not_measured_here(
    opened: Opened,
) -> None:
    [projection] = functions_read_model().projection_status()["projections"]
    assert projection["source"] == "functions-trigger"
    assert projection["eventsBehind"] is None


def test_the_http_ledger_under_functions_reports_lag_as_the_triggers(
    opened: Opened, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(
        container, "build_container", lambda settings, **options: built.append((settings, options))
    )
    functions_ledger()
    assert built == [(functions_settings(), {"lag_source": "functions-trigger"})]
    assert opened.settings_reads == 1


def test_without_a_lease_prefix_the_functions_host_refuses_to_start(
    opened: Opened, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEDGER_LEASE_PREFIX")
    forget_functions_host()
    with pytest.raises(ConfigurationError, match="LEDGER_LEASE_PREFIX"):
        functions_runner()


def test_nothing_under_src_functions_reads_settings_or_builds_the_runner_or_read_model() -> None:
    for source in FUNCTIONS_SOURCES.glob("*.py"):
        text = source.read_text()
        for construction in ("Settings(", "ProjectionRunner(", "ReadModel(", "document_store("):
            assert construction not in text, f"{source.name} builds {construction[:-1]} itself"
