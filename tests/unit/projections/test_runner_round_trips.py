"""What projecting costs in store round trips: a campaign new to the views is read with one
partition query, not with one point read per document it will have."""

from __future__ import annotations

from documentstore.memory import InMemoryDocumentStore
from projections.runner import ProjectionRunner
from tests.integration.eventstore.counting import CountingDocumentStore
from tests.unit.projections.campaign_events import CampaignStream


def test_a_campaign_new_to_the_views_is_read_with_one_query_however_many_documents_it_gets() -> (
    None
):
    stream = CampaignStream("Fresh")
    copy = stream.artifact("Copy")
    for number in range(12):
        stream.audit(stream.version(copy, f"draft {number}"))
    store = CountingDocumentStore(InMemoryDocumentStore())

    outcome = ProjectionRunner(store).project(stream.documents())

    assert outcome.applied == len(stream.events)
    assert store.calls["query"] == 1
    assert store.calls["read"] == 5, (
        "the live generation, the snapshot, the list entry, the statistics contribution and "
        "the partial it moves"
    )
