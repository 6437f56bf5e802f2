"""Rebuilding the views: a new generation, verified, switched to, the old one removed after."""

from __future__ import annotations

from typing import Any

import pytest

from documentstore.memory import InMemoryDocumentStore
from documentstore.port import VIEWS, Replace
from domain.errors import CampaignNotFound, OperationFailed
from projections.dead_letters import DeadLetterBox
from projections.generations import ProjectionStateStore, stored_id
from projections.processor import ChangeFeedProcessor
from projections.projectors import catalog
from projections.reads import ReadModel
from projections.rebuild import (
    RebuildProgress,
    rebuild_campaign,
    rebuild_views,
    replay_dead_letters,
)
from projections.retirement import remove_retired
from projections.runner import ProjectionRunner
from tests.unit.projections.campaign_events import CampaignStream, append_to_log, scripted_scenario
from tests.unit.projections.views_dump import dump_views


def served_store() -> tuple[InMemoryDocumentStore, list[CampaignStream]]:
    """The log of the scripted scenario and the views the (now stopped) service served."""
    store = InMemoryDocumentStore(feed_range_count=2)
    streams = scripted_scenario()
    for stream in streams:
        append_to_log(store, stream)
    ChangeFeedProcessor(store).run_until_caught_up()
    return store, streams


def tamper(store: InMemoryDocumentStore, campaign_id: str, generation: int = 1) -> None:
    stored = store.read(VIEWS, campaign_id, stored_id(generation, "snapshot"))
    assert stored is not None
    stored["body"]["name"] = "tampered"
    store.execute_batch(VIEWS, campaign_id, [Replace(stored, if_match=stored["_etag"])])


def test_a_rebuild_of_a_stopped_service_reproduces_exactly_what_it_served() -> None:
    store, streams = served_store()
    served = dump_views(store, generation=1)
    phases: list[str] = []
    report = rebuild_views(store, progress=lambda p: phases.append(p.phase))
    assert report.switched
    assert report.differences == []
    assert report.generation == 2
    assert report.verified == len(streams)
    assert report.written_meanwhile == []
    assert dump_views(store, generation=2) == served
    assert ProjectionStateStore(store).read().live == 2
    assert {"replay", "verify", "switch"} <= set(phases)
    body = ReadModel(store).campaign("default", streams[0].campaign_id).body
    assert body["version"] == len(streams[0].events)


def test_the_generation_a_rebuild_retires_stays_until_its_removal_then_goes_whole() -> None:
    store, _ = served_store()
    served = dump_views(store, generation=1)

    report = rebuild_views(store)

    assert report.retiring_units == 1
    assert dump_views(store, generation=1) == served
    assert ProjectionStateStore(store).read().retired == (1,)
    assert remove_retired(store, grace_seconds=0).documents == len(served)
    assert dump_views(store, generation=1) == {}
    state = ProjectionStateStore(store).read()
    assert (state.live, state.retired, state.retiring) == (2, (), ())


def test_differences_stop_the_rebuild_and_leave_the_live_views_alone() -> None:
    store, streams = served_store()
    tamper(store, streams[0].campaign_id)
    before = dump_views(store)
    report = rebuild_views(store)
    assert not report.switched
    assert [(d.campaign_id, d.document_id, d.kind) for d in report.differences] == [
        (streams[0].campaign_id, "snapshot", "different")
    ]
    assert dump_views(store) == before
    state = ProjectionStateStore(store).read()
    assert (state.live, state.building) == (1, None)


def test_accepted_differences_switch_to_the_corrected_generation() -> None:
    store, streams = served_store()
    tamper(store, streams[0].campaign_id)
    report = rebuild_views(store, accept_differences=True)
    assert report.switched
    assert ReadModel(store).campaign("default", streams[0].campaign_id).body["name"] == "Launch 2"


def test_reads_use_the_live_generation_while_the_new_one_is_half_built() -> None:
    store, streams = served_store()
    reads = ReadModel(store, generation_cache_seconds=0)
    expected = reads.campaign("default", streams[0].campaign_id).body
    seen: list[dict[str, Any]] = []

    def during(progress: RebuildProgress) -> None:
        if progress.phase in ("replay", "verify"):
            seen.append(reads.campaign("default", streams[0].campaign_id).body)

    rebuild_views(store, progress=during)
    assert seen
    assert all(body == expected for body in seen)


def test_a_campaign_written_during_the_rebuild_is_not_verified_but_ends_up_complete() -> None:
    store, streams = served_store()
    launch = streams[0]
    written = False

    def write_meanwhile(progress: RebuildProgress) -> None:
        nonlocal written
        if progress.phase == "replay" and not written:
            written = True
            launch.status("Generating")
            append_to_log(store, launch)
            ChangeFeedProcessor(store).run_until_caught_up()  # the live service goes on

    report = rebuild_views(store, progress=write_meanwhile)
    assert report.switched
    body = ReadModel(store).campaign("default", launch.campaign_id).body
    assert body["status"] == "Generating"
    assert body["version"] == len(launch.events)
    clean = InMemoryDocumentStore(feed_range_count=2)  # the same partials per feed range
    for stream in streams:
        ProjectionRunner(clean).project(stream.documents())
    assert dump_views(store, generation=2) == dump_views(clean, generation=1)


def test_the_live_runner_follows_the_switch_and_fills_the_gap_from_the_log() -> None:
    store, streams = served_store()
    rebuild_views(store)
    launch = streams[0]
    launch.status("Generating")
    append_to_log(store, launch)
    ChangeFeedProcessor(store).run_until_caught_up()
    assert ReadModel(store).campaign("default", launch.campaign_id).body["status"] == "Generating"


def test_a_reader_with_a_cached_generation_follows_the_switch() -> None:
    store, streams = served_store()
    reads = ReadModel(store, generation_cache_seconds=3600)
    reads.campaign("default", streams[0].campaign_id)
    rebuild_views(store)
    assert reads.campaign("default", streams[0].campaign_id).body["id"] == streams[0].campaign_id
    assert len(reads.list_campaigns("default").items) == 2


def test_an_interrupted_rebuild_is_superseded_and_its_documents_removed() -> None:
    store, streams = served_store()
    states = ProjectionStateStore(store)
    states.save(states.read().with_changes(building=2))
    ProjectionRunner(store).project(streams[0].documents()[:5], generation=2)
    assert dump_views(store, generation=2) != {}
    report = rebuild_views(store)
    assert report.generation == 3
    assert report.switched
    remove_retired(store, grace_seconds=0)
    assert dump_views(store, generation=2) == {}
    state = states.read()
    assert (state.live, state.building, state.retired) == (3, None, ())


def test_a_rebuild_overtaken_by_another_stops_before_the_switch_as_an_operational_failure() -> None:
    store, _ = served_store()
    states = ProjectionStateStore(store)

    def another_rebuild_starts(step: RebuildProgress) -> None:
        state = states.read()
        if step.phase == "verify" and state.building == 2:
            states.save(state.with_changes(building=3, retired=(*state.retired, 2)))

    with pytest.raises(OperationFailed) as stopped:
        rebuild_views(store, progress=another_rebuild_starts)

    assert stopped.value.code == "rebuild-superseded"
    assert states.read().live == 1


def test_rebuilding_a_campaign_without_events_is_campaign_not_found() -> None:
    store, _ = served_store()
    with pytest.raises(CampaignNotFound) as unknown:
        rebuild_campaign(store, "0f8fad5b-d9cb-469f-a165-70867728950e")
    assert unknown.value.code == "campaign-not-found"


def test_rebuilding_one_campaign_verifies_then_repairs_it_in_place() -> None:
    store, streams = served_store()
    launch = streams[0]
    tamper(store, launch.campaign_id)
    refused = rebuild_campaign(store, launch.campaign_id)
    assert not refused.switched
    assert [d.document_id for d in refused.differences] == ["snapshot"]
    assert ReadModel(store).campaign("default", launch.campaign_id).body["name"] == "tampered"
    repaired = rebuild_campaign(store, launch.campaign_id, accept_differences=True)
    assert repaired.switched
    assert ReadModel(store).campaign("default", launch.campaign_id).body["name"] == "Launch 2"
    clean = InMemoryDocumentStore(feed_range_count=2)  # the same partials per feed range
    for stream in streams:
        ProjectionRunner(clean).project(stream.documents())
    assert dump_views(store) == dump_views(clean)


def test_dead_letters_replay_once_the_projector_is_fixed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = InMemoryDocumentStore()
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    stream.version(copy)
    stream.status("Generating")
    append_to_log(store, stream)
    original = catalog.project

    def broken(key: Any, document: Any, event: Any, lookup: Any) -> Any:
        if event.type == "VersionCreated":
            raise ZeroDivisionError("a projector bug")
        return original(key, document, event, lookup)

    monkeypatch.setattr(catalog, "project", broken)
    monkeypatch.setattr("projections.campaign_views.project", broken)
    ChangeFeedProcessor(store).run_until_caught_up()
    [letter] = DeadLetterBox(store).list()
    assert letter.version == 3
    assert letter.error_code == "ZeroDivisionError"
    assert ReadModel(store).campaign("default", stream.campaign_id).body["status"] == "Generating"

    still = replay_dead_letters(store)
    assert still.still_failing == [letter.id]
    assert len(DeadLetterBox(store).list()) == 1

    monkeypatch.setattr("projections.campaign_views.project", original)
    fixed = replay_dead_letters(store)
    assert fixed.resolved == [letter.id]
    assert DeadLetterBox(store).list() == []
    clean = InMemoryDocumentStore()
    ProjectionRunner(clean).project(stream.documents())
    assert dump_views(store) == dump_views(clean)
