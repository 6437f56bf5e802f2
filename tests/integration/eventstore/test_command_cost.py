"""What one command costs in store round trips, measured through the real application service
on the event store: one read of the head and the entity states the command names (one query of
known ids in the campaign's partition) and one batch, however long the history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application import CampaignService, CommandContext
from bootstrap.container import campaign_application
from documentstore.port import DocumentStore
from domain.artifact_types import ArtifactTypeRegistry
from domain.values import Brief
from tests.integration.eventstore.counting import CountingDocumentStore

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


@pytest.fixture
def counting(store: DocumentStore) -> CountingDocumentStore:
    return CountingDocumentStore(store)


def new_ledger(store: DocumentStore) -> CampaignService:
    """A service as the composition root builds it, on ``store`` (the counted one)."""
    return CampaignService(
        campaign_application(store),
        artifact_types=ArtifactTypeRegistry.standard(),
        restore_window=timedelta(days=30),
    )


def context() -> CommandContext:
    return CommandContext(actor="cost-test")


def campaign_with_history(ledger: CampaignService, events: int) -> tuple[str, str]:
    """A campaign whose stream holds ``events`` events: created, one artifact, versions."""
    brief = Brief(objective="Launch", target_audience="Runners", product_details="Shoe")
    campaign = ledger.create_campaign(context(), name="Cost", brief=brief).id
    artifact = ledger.create_artifact(context(), campaign, artifact_type="Copy").id
    for number in range(events - 2):
        ledger.create_version(context(), campaign, artifact, content=f"draft {number}")
    return campaign, artifact


def round_trips_of_commands(counting: CountingDocumentStore, history: int) -> dict[str, str]:
    """The calls of one ``create_version`` on a campaign with ``history`` prior events: by the
    ledger that built the history, then by a new ledger (as a freshly started process)."""
    writer = new_ledger(counting)
    campaign, artifact = campaign_with_history(writer, history)
    figures: dict[str, str] = {}
    for name, ledger in (("same ledger", writer), ("new ledger", new_ledger(counting))):
        counting.reset()
        result = ledger.create_version(context(), campaign, artifact, content="the new draft")
        assert result.version == history + 1 + len(figures)
        figures[name] = str(dict(counting.calls))
    return figures


def test_a_command_costs_one_read_of_known_ids_and_one_batch_whatever_the_history_length(
    counting: CountingDocumentStore,
) -> None:
    figures = {history: round_trips_of_commands(counting, history) for history in (10, 500)}

    for history, by_ledger in figures.items():
        for ledger, calls in by_ledger.items():
            print(f"\n[{counting.kind}] create_version after {history} events ({ledger}): {calls}")
    measured = {calls for by_ledger in figures.values() for calls in by_ledger.values()}
    assert measured == {str({"read_many": 1, "batch": 1})}
