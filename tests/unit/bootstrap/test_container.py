"""The local composition root: ``build_container`` wires one store it opened into every part,
and the container closes what it opened, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.container import build_container
from bootstrap.settings import Settings
from documentstore.memory import InMemoryDocumentStore
from domain.errors import ConfigurationError
from domain.values import Brief
from tests.unit.application.builders import ctx


class ClosingCountStore(InMemoryDocumentStore):
    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1
        super().close()


def test_every_part_of_the_container_works_on_the_one_store_it_opened() -> None:
    store = ClosingCountStore()
    services = build_container(
        Settings(ledger_store="sqlite", ledger_live_updates=True), open_store=lambda _: store
    )
    try:
        brief = Brief(objective="o", target_audience="a", product_details="p")
        campaign_id = services.commands.create_campaign(ctx(), name="Spring", brief=brief).id
        services.processor.run_until_caught_up()

        assert services.store is store
        assert services.reads.campaign("default", campaign_id).version == 1
        assert services.notification_hub is not None
    finally:
        services.close()


def test_closing_the_container_closes_its_store_once() -> None:
    store = ClosingCountStore()
    services = build_container(
        Settings(ledger_store="sqlite", ledger_live_updates=False), open_store=lambda _: store
    )

    services.close()
    services.close()

    assert store.closed == 1


def test_a_bad_artifact_types_file_stops_start_up_before_a_store_is_opened(tmp_path: Path) -> None:
    types_file = tmp_path / "types.json"
    types_file.write_text("not json", encoding="utf-8")
    opened: list[Settings] = []

    def open_store(settings: Settings) -> InMemoryDocumentStore:
        opened.append(settings)
        return InMemoryDocumentStore()

    with pytest.raises(ConfigurationError, match="not valid JSON"):
        build_container(Settings(ledger_artifact_types_file=types_file), open_store=open_store)
    assert opened == []
