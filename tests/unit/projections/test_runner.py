"""The projection runner: at-least-once batches in, exactly-once effect on the views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from documentstore.memory import InMemoryDocumentStore
from documentstore.port import VIEWS, Document, Operation
from domain.errors import StoreUnavailable
from projections.dead_letters import DeadLetterBox
from projections.generations import stored_id
from projections.reads import ReadModel
from projections.runner import ProjectionRunner
from tests.unit.projections.campaign_events import (
    CampaignStream,
    append_to_log,
    head_document,
    interleaved_documents,
    scripted_scenario,
)
from tests.unit.projections.views_dump import dump_views


def clean_pass(streams: list[CampaignStream]) -> dict[tuple[str, str], bytes]:
    store = InMemoryDocumentStore()
    for stream in streams:
        ProjectionRunner(store).project(stream.documents())
    return dump_views(store)


class CrashingStore(InMemoryDocumentStore):
    """Fails the n-th write to ``views`` as if the process died there."""

    def __init__(self, crash_on_view_write: int) -> None:
        super().__init__()
        self.crash_on = crash_on_view_write
        self.view_writes: list[tuple[str, list[str]]] = []

    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        if container == VIEWS:
            if len(self.view_writes) + 1 == self.crash_on:
                self.crash_on = 0
                raise StoreUnavailable("the process died here")
            ids = [getattr(op, "document", {}).get("id", "") for op in operations]
            self.view_writes.append((partition_key, ids))
        return super().execute_batch(container, partition_key, operations)


def big_campaign() -> CampaignStream:
    """Enough documents that deleting the campaign takes several batches."""
    stream = CampaignStream("Big")
    copy = stream.artifact("Copy")
    for number in range(60):
        stream.version(copy, f"draft {number}")
    stream.emit("CampaignDeleted", restoreUntil="2026-04-01T00:00:00+00:00")
    return stream


def test_the_same_batch_twice_leaves_the_views_of_one_clean_pass(
    store: InMemoryDocumentStore,
) -> None:
    streams = scripted_scenario()
    batch = interleaved_documents(streams)
    runner = ProjectionRunner(store)
    runner.project(batch)
    again = runner.project(batch)
    assert again.applied == 0
    assert again.skipped == again.events
    assert dump_views(store) == clean_pass(streams)


def test_interleaved_batches_of_different_campaigns_leave_the_views_of_one_clean_pass(
    store: InMemoryDocumentStore,
) -> None:
    streams = scripted_scenario()
    mixed = interleaved_documents(streams)
    runner = ProjectionRunner(store)
    for start in range(0, len(mixed), 7):
        runner.project(mixed[start : start + 7])
    assert dump_views(store) == clean_pass(streams)


def test_head_documents_and_other_documents_are_ignored(store: InMemoryDocumentStore) -> None:
    stream = CampaignStream()
    outcome = ProjectionRunner(store).project(
        [head_document(stream.campaign_id, 1), {"id": "x", "partitionKey": "y"}]
    )
    assert outcome.events == 0
    assert dump_views(store) == {}


def test_a_large_campaign_is_written_in_several_batches_with_the_snapshot_last() -> None:
    stream = big_campaign()
    store = CrashingStore(crash_on_view_write=0)
    ProjectionRunner(store).project(stream.documents())
    store.view_writes.clear()
    restored = stream.emit("CampaignRestored")  # touches all 123 documents again
    ProjectionRunner(store).project(stream.documents()[restored.version - 1 :])
    campaign_batches = [
        ids for partition, ids in store.view_writes if partition == stream.campaign_id
    ]
    assert len(campaign_batches) >= 2
    assert all(len(ids) <= 100 for ids in campaign_batches)
    assert campaign_batches[-1][-1] == stored_id(1, "snapshot")
    assert all(stored_id(1, "snapshot") not in ids for ids in campaign_batches[:-1])
    tenant_write = next(i for i, (p, _) in enumerate(store.view_writes) if p.startswith("tenant:"))
    assert tenant_write == len(store.view_writes) - 2


@pytest.mark.parametrize("crash_on", [1, 2, 3])
def test_a_crash_between_batches_and_a_restart_leave_the_views_of_one_clean_pass(
    crash_on: int,
) -> None:
    stream = big_campaign()
    store = CrashingStore(crash_on_view_write=0)
    runner = ProjectionRunner(store)
    runner.project(stream.documents()[:-1])
    store.crash_on = crash_on + len(store.view_writes)
    with pytest.raises(StoreUnavailable):
        runner.project(stream.documents()[-1:])
    ProjectionRunner(store).project(stream.documents()[-1:])  # the restart re-delivers
    assert dump_views(store) == clean_pass([stream])


def test_a_gap_above_the_watermark_is_filled_from_the_log(store: InMemoryDocumentStore) -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    stream.version(copy)
    stream.status("Generating")
    append_to_log(store, stream)
    runner = ProjectionRunner(store)
    runner.project(stream.documents()[:1])
    outcome = runner.project(stream.documents()[3:])  # versions 2 and 3 never delivered
    assert outcome.applied == 3
    assert dump_views(store) == clean_pass([stream])


def test_an_etag_conflict_rereads_and_reapplies() -> None:
    stream = CampaignStream()
    stream.artifact("Copy")
    documents = stream.documents()

    class RacingStore(InMemoryDocumentStore):
        raced = False

        def execute_batch(
            self, container: str, partition_key: str, operations: Sequence[Operation]
        ) -> list[Document | None]:
            if container == VIEWS and not self.raced:
                self.raced = True
                ProjectionRunner(self).project(documents)  # another host wins the race
            return super().execute_batch(container, partition_key, operations)

    racing = RacingStore()
    outcome = ProjectionRunner(racing).project(documents)
    assert racing.raced
    assert outcome.skipped == 2  # after the conflict it re-read: the rival had applied both
    assert dump_views(racing) == clean_pass([stream])


def test_a_poison_event_is_dead_lettered_and_the_rest_of_the_batch_is_projected(
    store: InMemoryDocumentStore,
) -> None:
    stream = CampaignStream()
    copy = stream.artifact("Copy")
    stream.emit("VersionApproved", versionId="not-a-version", artifactId=copy)
    stream.status("Generating")
    outcome = ProjectionRunner(store).project(stream.documents())
    assert outcome.dead_lettered == 1
    assert outcome.applied == 3
    [letter] = DeadLetterBox(store).list()
    assert (letter.campaign_id, letter.version, letter.event_type) == (
        stream.campaign_id,
        3,
        "VersionApproved",
    )
    assert "not-a-version" in letter.error
    full = DeadLetterBox(store).read(letter.id)
    assert full is not None
    assert full["event"]["data"]["versionId"] == "not-a-version"
    body = ReadModel(store).campaign("default", stream.campaign_id).body
    assert body["status"] == "Generating"
    assert body["version"] == 4


def test_an_event_stored_as_library_bytes_is_dead_lettered_not_dropped(
    store: InMemoryDocumentStore,
) -> None:
    stream = CampaignStream()
    stream.status("Generating")
    documents: list[dict[str, Any]] = stream.documents()
    del documents[1]["data"]
    documents[1]["stateBase64"] = "AAAA"
    outcome = ProjectionRunner(store).project(documents)
    assert outcome.dead_lettered == 1
    [letter] = DeadLetterBox(store).list()
    assert letter.error_code == "unprojectable-event"
    assert "stateBase64" in letter.error


def test_the_same_poison_event_delivered_twice_is_one_dead_letter_with_two_attempts(
    store: InMemoryDocumentStore,
) -> None:
    stream = CampaignStream()
    stream.emit("VersionArchived", versionId="missing", artifactId="missing")
    runner = ProjectionRunner(store)
    runner.project(stream.documents())
    runner.project(stream.documents())
    [letter] = DeadLetterBox(store).list()
    assert letter.attempts == 2
