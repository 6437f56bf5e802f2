"""The local change-feed processor: follows ``events``, checkpoints per feed range."""

from __future__ import annotations

import time

import pytest

from documentstore.memory import InMemoryDocumentStore
from documentstore.port import EVENTS
from projections.processor import ChangeFeedProcessor, Checkpoints
from projections.reads import ReadModel
from tests.unit.projections.campaign_events import CampaignStream, append_to_log, scripted_scenario
from tests.unit.projections.views_dump import dump_views


def test_catching_up_projects_every_campaign_and_checkpoints_each_range() -> None:
    store = InMemoryDocumentStore(feed_range_count=3)
    streams = scripted_scenario()
    for stream in streams:
        append_to_log(store, stream)
    processor = ChangeFeedProcessor(store)
    outcome = processor.run_until_caught_up()
    assert outcome.applied == sum(len(stream.events) for stream in streams)
    for feed_range in store.feed_ranges(EVENTS):
        checkpoint = Checkpoints(store).load(feed_range)
        assert (
            checkpoint.continuation
            == store.read_feed(EVENTS, feed_range, None, max_items=1000).continuation
        )
    assert ReadModel(store).campaign("default", streams[0].campaign_id).version == len(
        streams[0].events
    )


def test_a_restarted_processor_resumes_from_its_checkpoints() -> None:
    store = InMemoryDocumentStore()
    stream = CampaignStream()
    append_to_log(store, stream)
    ChangeFeedProcessor(store).run_until_caught_up()
    stream.status("Generating")
    append_to_log(store, stream)
    outcome = ChangeFeedProcessor(store).run_until_caught_up()
    assert (outcome.events, outcome.applied, outcome.skipped) == (1, 1, 0)


def test_a_page_limit_smaller_than_the_log_still_projects_everything_in_order() -> None:
    store = InMemoryDocumentStore()
    streams = scripted_scenario()
    for stream in streams:
        append_to_log(store, stream)
    ChangeFeedProcessor(store, max_items=3).run_until_caught_up()
    clean = InMemoryDocumentStore()
    for stream in streams:
        append_to_log(clean, stream)
    ChangeFeedProcessor(clean).run_until_caught_up()
    assert dump_views(store) == dump_views(clean)


def test_the_background_processor_projects_new_events_and_stops_cleanly() -> None:
    store = InMemoryDocumentStore()
    stream = CampaignStream()
    processor = ChangeFeedProcessor(store, poll_interval=0.01)
    processor.start()
    try:
        append_to_log(store, stream)
        assert ReadModel(store).wait_for(stream.campaign_id, 1, timeout=5.0)
        stream.status("Generating")
        append_to_log(store, stream)
        processor.wake()
        assert ReadModel(store).wait_for(stream.campaign_id, 2, timeout=5.0)
    finally:
        started = time.monotonic()
        processor.stop()
        assert time.monotonic() - started < 2.0
    [feed_range] = store.feed_ranges(EVENTS)
    assert Checkpoints(store).load(feed_range).continuation is not None
    assert ChangeFeedProcessor(store).run_until_caught_up().events == 0


def test_a_failing_round_is_retried_without_moving_the_checkpoint() -> None:
    store = InMemoryDocumentStore()
    stream = CampaignStream()
    append_to_log(store, stream)

    class FlakyRunner:
        calls = 0

        def project(self, documents: list[dict[str, object]]) -> object:
            self.calls += 1
            raise RuntimeError("disk on fire")

    processor = ChangeFeedProcessor(store, FlakyRunner(), poll_interval=0.01)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        processor.run_once()
    [feed_range] = store.feed_ranges(EVENTS)
    assert Checkpoints(store).load(feed_range).continuation is None
    assert ChangeFeedProcessor(store).run_until_caught_up().applied == 1
