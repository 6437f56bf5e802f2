"""The projection status: lag per feed range from the checkpoint, and the dead letters."""

from __future__ import annotations

from datetime import datetime

from documentstore.memory import InMemoryDocumentStore
from documentstore.port import FeedPage
from projections.generations import ProjectionState, ProjectionStateStore
from projections.processor import ChangeFeedProcessor
from projections.reads import ReadModel
from projections.status import FUNCTIONS_TRIGGER, projection_status
from tests.unit.projections.campaign_events import CampaignStream, append_to_log


def test_unprocessed_events_count_as_lag_with_the_age_of_the_oldest() -> None:
    store = InMemoryDocumentStore()
    stream = CampaignStream()
    stream.status("Generating")
    append_to_log(store, stream)
    created = datetime.fromisoformat(stream.events[0].timestamp).timestamp()
    report = projection_status(store, clock=lambda: created + 90)
    [projection] = report["projections"]
    [feed_range] = projection["feedRanges"]
    assert feed_range["checkpoint"] is None
    assert feed_range["eventsBehind"] == 2  # head documents are not events
    assert feed_range["secondsBehind"] == 90.0
    assert projection["eventsBehind"] == 2
    assert projection["liveGeneration"] == 1


def test_a_caught_up_processor_shows_no_lag_and_its_checkpoint() -> None:
    store = InMemoryDocumentStore(feed_range_count=2)
    for name in ("A", "B", "C"):
        append_to_log(store, CampaignStream(name))
    ChangeFeedProcessor(store).run_until_caught_up()
    report = projection_status(store)
    ranges = report["projections"][0]["feedRanges"]
    assert len(ranges) == 2
    assert all(r["eventsBehind"] == 0 and r["secondsBehind"] == 0.0 for r in ranges)
    assert all(r["checkpoint"] is not None and r["checkpointUpdatedAt"] for r in ranges)


def test_the_peek_stops_at_its_limit_and_says_so() -> None:
    store = InMemoryDocumentStore()
    stream = CampaignStream()
    for _ in range(12):
        stream.artifact("Copy")
    append_to_log(store, stream)
    feed_range = projection_status(store, peek_limit=5)["projections"][0]["feedRanges"][0]
    assert feed_range["eventsBehind"] >= 5
    assert feed_range["eventsBehindIsLowerBound"] is True


def test_dead_letters_are_reported_with_their_error() -> None:
    store = InMemoryDocumentStore()
    stream = CampaignStream()
    stream.emit("RunStarted", runId="no-such-run")
    append_to_log(store, stream)
    ChangeFeedProcessor(store).run_until_caught_up()
    letters = projection_status(store)["projections"][0]["deadLetters"]
    assert letters["count"] == 1
    [item] = letters["items"]
    assert item["campaignId"] == stream.campaign_id
    assert item["eventType"] == "RunStarted"
    assert item["version"] == 2
    assert item["attempts"] == 1


def poisoned_campaign(store: InMemoryDocumentStore, tenant_id: str) -> CampaignStream:
    stream = CampaignStream(f"Poisoned for {tenant_id}", tenant_id=tenant_id)
    stream.emit("RunStarted", runId="no-such-run")
    append_to_log(store, stream)
    return stream


def test_a_tenant_is_shown_only_its_own_dead_letters() -> None:
    store = InMemoryDocumentStore()
    ours = poisoned_campaign(store, "acme")
    poisoned_campaign(store, "globex")
    ChangeFeedProcessor(store).run_until_caught_up()

    letters = ReadModel(store).projection_status("acme")["projections"][0]["deadLetters"]

    assert letters["count"] == 1
    [item] = letters["items"]
    assert (item["campaignId"], item["tenantId"]) == (ours.campaign_id, "acme")
    everyone = ReadModel(store).projection_status()["projections"][0]["deadLetters"]
    assert everyone["count"] == 2  # the operator's view (campaigns status)


class FeedCountingStore(InMemoryDocumentStore):
    feed_reads = 0

    def read_feed(
        self, container: str, feed_range: str, continuation: str | None, *, max_items: int = 100
    ) -> FeedPage:
        self.feed_reads += 1
        return super().read_feed(container, feed_range, continuation, max_items=max_items)


def test_before_the_triggers_first_reading_its_lag_is_unknown_not_counted_from_the_start() -> None:
    store = FeedCountingStore(feed_range_count=2)
    for name in ("A", "B", "C"):
        append_to_log(store, CampaignStream(name))  # projected by the trigger, not by us

    report = ReadModel(store, lag_source=FUNCTIONS_TRIGGER).projection_status()

    [projection] = report["projections"]
    assert projection["source"] == "functions-trigger"
    assert projection["eventsBehind"] is None
    assert len(projection["feedRanges"]) == 2
    for feed_range in projection["feedRanges"]:
        assert feed_range["source"] == "functions-trigger"
        assert feed_range["checkpoint"] is None
        assert (feed_range["eventsBehind"], feed_range["secondsBehind"]) == (None, None)
    assert store.feed_reads == 0


def test_the_status_names_the_lease_prefix_of_the_live_generation() -> None:
    store = InMemoryDocumentStore()
    assert projection_status(store)["projections"][0]["leasePrefix"] == "views-g1-"
    ProjectionStateStore(store).save(ProjectionState(live=3))
    assert projection_status(store)["projections"][0]["leasePrefix"] == "views-g3-"


def test_a_tenant_sees_the_lag_of_its_own_events_and_not_the_feeds_position() -> None:
    store = InMemoryDocumentStore()
    ours = CampaignStream("Ours", tenant_id="acme")
    ours.status("Generating")
    append_to_log(store, ours)
    ChangeFeedProcessor(store).run_until_caught_up()
    theirs = CampaignStream("Theirs", tenant_id="globex")
    for _ in range(5):
        theirs.artifact("Copy")
    append_to_log(store, theirs)  # another tenant's activity, not yet projected

    [acme_range] = projection_status(store, tenant_id="acme")["projections"][0]["feedRanges"]
    [globex_range] = projection_status(store, tenant_id="globex")["projections"][0]["feedRanges"]
    [operator_range] = projection_status(store)["projections"][0]["feedRanges"]

    assert (acme_range["checkpoint"], acme_range["checkpointUpdatedAt"]) == (None, None)
    assert (acme_range["eventsBehind"], acme_range["secondsBehind"]) == (0, 0.0)
    assert globex_range["checkpoint"] is None
    assert globex_range["eventsBehind"] == 6
    assert operator_range["checkpoint"] is not None
    assert operator_range["eventsBehind"] == 6
