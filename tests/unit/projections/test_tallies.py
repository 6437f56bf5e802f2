"""The statistics as the runner keeps them: one partial per tenant and feed range, moved in the
batch that writes each contribution, so that every delivery pattern (twice, out of order, a crash
between batches, a repair) leaves the sums of the raw log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from documentstore.memory import InMemoryDocumentStore
from documentstore.port import EVENTS, VIEWS, Document, Operation, Query, Replace
from domain.errors import StoreUnavailable
from projections.generations import stored_id
from projections.processor import ChangeFeedProcessor
from projections.projectors.contributions import contribution_id
from projections.projectors.documents import tenant_partition
from projections.reads import ReadModel
from projections.rebuild import rebuild_campaign, rebuild_views
from projections.retirement import remove_retired
from projections.runner import ProjectionRunner
from projections.statistics import PARTIAL_PREFIX, moved, partial_id
from projections.tallies import MAX_TALLIES_PER_BATCH, PartialMoves
from tests.unit.projections.campaign_events import (
    CampaignStream,
    append_to_log,
    interleaved_documents,
    scripted_scenario,
)
from tests.unit.projections.stats_oracle import expected_stats, figures_from_log


def expected_for(tenant: str, streams: Sequence[CampaignStream]) -> dict[str, Any]:
    documents = [document for stream in streams for document in stream.documents()]
    figures = figures_from_log(documents).values()
    return expected_stats([each for each in figures if each.tenant_id == tenant])


def partials(store: InMemoryDocumentStore, tenant: str, generation: int = 1) -> list[Document]:
    return [
        document
        for document in store.query(VIEWS, Query(partition_key=tenant_partition(tenant))).items
        if document["id"].startswith(stored_id(generation, PARTIAL_PREFIX))
    ]


def many_small_campaigns(count: int, tenant: str = "busy") -> list[CampaignStream]:
    streams = []
    for number in range(count):
        stream = CampaignStream(f"Small {number}", tenant_id=tenant)
        copy = stream.artifact("Copy")
        for _ in range(number % 4):
            stream.audit(stream.version(copy), "Pass" if number % 2 else "Fail")
        streams.append(stream)
    return streams


def test_the_statistics_of_the_scenario_are_the_sums_of_its_log() -> None:
    store = InMemoryDocumentStore()
    streams = scripted_scenario("acme")

    ProjectionRunner(store).project(interleaved_documents(streams))

    assert ReadModel(store).statistics("acme").body == expected_for("acme", streams)
    assert ReadModel(store).statistics("nobody").body == expected_stats([])


def test_campaigns_of_one_tenant_in_one_call_move_their_partial_in_one_batch() -> None:
    store = InMemoryDocumentStore()
    streams = many_small_campaigns(5)

    ProjectionRunner(store).project([d for stream in streams for d in stream.documents()])

    [partial] = partials(store, "busy")
    assert partial["feedRange"] == store.feed_ranges(EVENTS)[0]
    assert ReadModel(store).statistics("busy").body == expected_for("busy", streams)


def test_more_campaigns_of_one_tenant_than_a_batch_holds_are_projected_in_rounds() -> None:
    store = InMemoryDocumentStore()
    streams = many_small_campaigns(MAX_TALLIES_PER_BATCH * 2 + 3)

    outcome = ProjectionRunner(store).project(interleaved_documents(streams))

    assert outcome.applied == sum(len(stream.events) for stream in streams)
    assert ReadModel(store).statistics("busy").body == expected_for("busy", streams)


def test_events_delivered_twice_and_out_of_order_across_campaigns_count_once() -> None:
    store = InMemoryDocumentStore()
    streams = scripted_scenario("acme")
    for stream in streams:
        append_to_log(store, stream)  # the log, for the gaps the runner fills
    runner = ProjectionRunner(store)
    documents = [d for stream in reversed(streams) for d in stream.documents()]

    runner.project(documents[::2])
    runner.project(documents)
    runner.project(documents[5:])

    assert ReadModel(store).statistics("acme").body == expected_for("acme", streams)


def test_each_feed_range_writes_only_its_own_partials() -> None:
    store = InMemoryDocumentStore(feed_range_count=3)
    streams = many_small_campaigns(12)
    for stream in streams:
        append_to_log(store, stream)

    ChangeFeedProcessor(store).run_until_caught_up()

    found = partials(store, "busy")
    assert {partial["feedRange"] for partial in found} == {
        store.feed_range_of(EVENTS, stream.campaign_id) for stream in streams
    }
    for partial in found:
        counted = [
            s for s in streams if store.feed_range_of(EVENTS, s.campaign_id) == partial["feedRange"]
        ]
        assert partial["body"]["campaigns"] == len(counted)
    assert ReadModel(store).statistics("busy").body == expected_for("busy", streams)


class CrashingStore(InMemoryDocumentStore):
    """Fails the n-th batch written to ``views`` as if the process died there."""

    def __init__(self) -> None:
        super().__init__()
        self.crash_on = 0
        self.writes = 0

    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        if container == VIEWS:
            self.writes += 1
            if self.writes == self.crash_on:
                raise StoreUnavailable("the process died here")
        return super().execute_batch(container, partition_key, operations)


@pytest.mark.parametrize("crash_on", range(1, 8))
def test_a_crash_between_batches_and_a_redelivery_count_every_event_once(crash_on: int) -> None:
    store = CrashingStore()
    streams = many_small_campaigns(3)
    documents = interleaved_documents(streams)
    store.crash_on = crash_on

    with pytest.raises(StoreUnavailable):
        ProjectionRunner(store).project(documents)
    ProjectionRunner(store).project(documents)

    assert ReadModel(store).statistics("busy").body == expected_for("busy", streams)


def test_a_soft_deleted_campaign_leaves_the_statistics_until_restored() -> None:
    store = InMemoryDocumentStore()
    stream = CampaignStream("Tea", tenant_id="acme")
    stream.version(stream.artifact("Copy"))
    runner = ProjectionRunner(store)
    runner.project(stream.documents())
    stream.emit("CampaignDeleted", restoreUntil="2026-04-01T00:00:00+00:00")
    runner.project(stream.documents())
    deleted = ReadModel(store).statistics("acme").body
    stream.emit("CampaignRestored")
    runner.project(stream.documents())

    assert deleted == expected_stats([])
    assert ReadModel(store).statistics("acme").body["campaigns"]["total"] == 1


def test_repairing_one_campaign_moves_the_partial_by_what_it_repaired() -> None:
    store = InMemoryDocumentStore()
    streams = scripted_scenario("acme")
    for stream in streams:
        append_to_log(store, stream)
    ChangeFeedProcessor(store).run_until_caught_up()
    launch = streams[0]
    tenant = tenant_partition("acme")
    contribution = store.read(VIEWS, tenant, stored_id(1, contribution_id(launch.campaign_id)))
    partial = store.read(VIEWS, tenant, stored_id(1, partial_id(store.feed_ranges(EVENTS)[0])))
    assert contribution is not None
    assert partial is not None
    true_body = contribution["body"]
    contribution["body"] = {**true_body, "versions": true_body["versions"] + 7}
    partial["body"] = moved(partial["body"], true_body, contribution["body"])  # a bug's tally
    store.execute_batch(
        VIEWS,
        tenant,
        [
            Replace(contribution, if_match=contribution["_etag"]),
            Replace(partial, if_match=partial["_etag"]),
        ],
    )
    assert ReadModel(store).statistics("acme").body != expected_for("acme", streams)

    report = rebuild_campaign(store, launch.campaign_id, accept_differences=True)

    assert [d.document_id for d in report.differences] == [contribution_id(launch.campaign_id)]
    assert ReadModel(store).statistics("acme").body == expected_for("acme", streams)


def test_a_rebuild_reproduces_the_statistics_in_the_new_generation() -> None:
    store = InMemoryDocumentStore(feed_range_count=2)
    streams = [*scripted_scenario("acme"), *many_small_campaigns(6, tenant="acme")]
    for stream in streams:
        append_to_log(store, stream)
    ChangeFeedProcessor(store).run_until_caught_up()
    before = ReadModel(store).statistics("acme").body

    report = rebuild_views(store)

    assert report.switched
    remove_retired(store, grace_seconds=0)
    assert partials(store, "acme", generation=1) == []
    assert ReadModel(store).statistics("acme").body == before == expected_for("acme", streams)


def test_a_reader_with_a_cached_generation_follows_a_rebuild_to_the_new_partials() -> None:
    store = InMemoryDocumentStore()
    streams = scripted_scenario("acme")
    for stream in streams:
        append_to_log(store, stream)
    ChangeFeedProcessor(store).run_until_caught_up()
    reads = ReadModel(store, generation_cache_seconds=3600)
    before = reads.statistics("acme").body

    rebuild_views(store)

    assert reads.statistics("acme").body == before == expected_for("acme", streams)


def test_partials_summed_apart_and_written_once_equal_those_moved_batch_by_batch() -> None:
    store = InMemoryDocumentStore()
    streams = [*scripted_scenario("acme"), *many_small_campaigns(7)]
    ProjectionRunner(store).project(interleaved_documents(streams))
    halves = [PartialMoves(), PartialMoves()]
    for number, stream in enumerate(streams):
        documents = stream.documents()
        half = halves[number % 2]
        ProjectionRunner(store, partial_moves=half).project(documents[:3], generation=2)
        ProjectionRunner(store, partial_moves=half).project(documents, generation=2)
    assert partials(store, "acme", generation=2) == []

    summed = PartialMoves()
    for half in halves:
        summed.absorb(half.moves)
    summed.write(store, generation=2)

    for tenant in ("acme", "busy"):
        [live] = partials(store, tenant)
        [rebuilt] = partials(store, tenant, generation=2)
        assert rebuilt["body"] == live["body"]
        assert rebuilt["feedRange"] == live["feedRange"]
