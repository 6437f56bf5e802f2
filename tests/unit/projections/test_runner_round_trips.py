"""What projecting costs in store round trips: a campaign new to the views is read with one
partition query, not with one point read per document it will have; a replay reads nothing for a
campaign it has not written yet (its generation held nothing when it began)."""

from __future__ import annotations

from documentstore.memory import InMemoryDocumentStore
from projections.runner import ProjectionRunner
from projections.tallies import PartialMoves
from tests.integration.eventstore.counting import CountingDocumentStore
from tests.unit.projections.campaign_events import CampaignStream
from tests.unit.projections.views_dump import dump_views


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


def test_a_replay_reads_nothing_for_a_campaign_until_it_has_written_it_then_reads_it_back() -> None:
    stream = CampaignStream("Replayed")
    copy = stream.artifact("Copy")
    for number in range(6):
        stream.audit(stream.version(copy, f"draft {number}"))
    documents = stream.documents()
    half = len(documents) // 2
    store = CountingDocumentStore(InMemoryDocumentStore())
    replay = ProjectionRunner(store, partial_moves=PartialMoves())
    whole = InMemoryDocumentStore()
    ProjectionRunner(whole, partial_moves=PartialMoves()).project(documents, generation=2)

    replay.project(documents[:half], generation=2)
    first_half = store.round_trips - store.calls["batch"]  # its writes
    store.reset()
    replay.project(documents[half:], generation=2)

    assert first_half == 0
    assert store.calls["read"] >= 1, "the campaign's snapshot, which the first half wrote"
    assert dump_views(store, generation=2) == dump_views(whole, generation=2)
