"""``on_appended``: told the campaign id and new version after every append, never after a
repeat or a refusal, never able to fail a command; the composition root wakes the processor."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import pytest

from bootstrap import container
from bootstrap.settings import Settings
from documentstore.memory import InMemoryDocumentStore
from domain.campaign import Outcome
from domain.errors import RuleViolation
from projections.processor import ChangeFeedProcessor
from tests.unit.application.builders import brief, ctx, ledger, new_id


class Listener:
    """Remembers what it was told."""

    def __init__(self) -> None:
        self.told: list[tuple[str, int]] = []

    def __call__(self, campaign_id: str, version: int) -> None:
        self.told.append((campaign_id, version))


def test_the_listener_is_told_the_campaign_and_its_new_version_after_each_append() -> None:
    listener = Listener()
    service = ledger(on_appended=listener)

    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    service.create_artifact(ctx(), campaign_id, artifact_type="Copy")

    assert listener.told == [(campaign_id, 1), (campaign_id, 2)]


def test_the_listener_is_not_told_of_repeats_effects_in_place_or_refusals() -> None:
    listener = Listener()
    service = ledger(on_appended=listener)
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    artifact_id = new_id()
    service.create_artifact(ctx(), campaign_id, artifact_type="Copy", artifact_id=artifact_id)
    listener.told.clear()

    service.create_campaign(ctx(), name="Spring", brief=brief(), campaign_id=campaign_id)
    service.create_artifact(ctx(), campaign_id, artifact_type="Copy", artifact_id=artifact_id)
    service.change_status(ctx(), campaign_id, "Draft")
    with pytest.raises(RuleViolation):
        service.create_artifact(ctx(), campaign_id, artifact_type="Copy")

    assert listener.told == []


def test_a_failing_listener_is_logged_and_the_command_still_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(campaign_id: str, version: int) -> None:
        raise RuntimeError("the processor is gone")

    service = ledger(on_appended=broken)

    with caplog.at_level(logging.ERROR, logger="application.service"):
        result = service.create_campaign(ctx(), name="Spring", brief=brief())

    assert (result.version, result.appended) == (1, True)
    assert service.application.load_campaign(UUID(result.id)).version == 1
    assert "on_appended failed" in caplog.text


def test_a_command_answers_the_domains_outcome_as_it_is() -> None:
    result = ledger().create_campaign(ctx(), name="Spring", brief=brief())

    assert isinstance(result, Outcome)


class CountingProcessor(ChangeFeedProcessor):
    """A processor that counts how often it was woken."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1
        super().wake()


def test_the_composition_root_wakes_the_processor_after_each_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = InMemoryDocumentStore()
    monkeypatch.setattr(container, "ChangeFeedProcessor", CountingProcessor)
    built = container.build_container(
        Settings(ledger_live_updates=False), open_store=lambda settings: store
    )

    campaign_id = built.commands.create_campaign(ctx(), name="Spring", brief=brief()).id
    built.commands.create_campaign(ctx(), name="Spring", brief=brief(), campaign_id=campaign_id)

    assert isinstance(built.processor, CountingProcessor)
    assert built.processor.wakes == 1
