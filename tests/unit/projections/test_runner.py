"""The projection runner: at-least-once batches in, exactly-once effect on the views."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from documentstore.memory import InMemoryDocumentStore
from documentstore.port import VIEWS, Document, Operation
from domain.errors import CommandTooLarge, ConfigurationError, StoreThrottled, StoreUnavailable
from projections.dead_letters import DeadLetterBox
from projections.generations import ProjectionState, ProjectionStateStore, stored_id
from projections.projectors import catalog
from projections.reads import ReadModel
from projections.rebuild import replay_dead_letters
from projections.runner import ProjectionRunner
from projections.view_size import MAX_VIEW_DOCUMENT_BYTES
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
    """Enough versions (two documents each) that projecting them at once takes three batches."""
    stream = CampaignStream("Big")
    copy = stream.artifact("Copy")
    for number in range(100):
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
    ProjectionRunner(store).project(stream.documents()[:2])
    store.view_writes.clear()
    ProjectionRunner(store).project(stream.documents()[2:])  # 200 documents and the snapshot
    campaign_batches = [
        ids for partition, ids in store.view_writes if partition == stream.campaign_id
    ]
    assert len(campaign_batches) >= 2
    assert all(len(ids) <= 100 for ids in campaign_batches)
    assert campaign_batches[-1][-1] == stored_id(1, "snapshot")
    assert all(stored_id(1, "snapshot") not in ids for ids in campaign_batches[:-1])
    tenant_writes = [i for i, (p, _) in enumerate(store.view_writes) if p.startswith("tenant:")]
    last = len(store.view_writes) - 1
    assert tenant_writes == [last - 2, last - 1], "the list entry, the contribution and partial"


@pytest.mark.parametrize("crash_on", [1, 2, 3])
def test_a_crash_between_batches_and_a_restart_leave_the_views_of_one_clean_pass(
    crash_on: int,
) -> None:
    stream = big_campaign()
    store = CrashingStore(crash_on_view_write=0)
    runner = ProjectionRunner(store)
    runner.project(stream.documents()[:2])
    store.crash_on = crash_on + len(store.view_writes)
    with pytest.raises(StoreUnavailable):
        runner.project(stream.documents()[2:])
    ProjectionRunner(store).project(stream.documents()[2:])  # the restart re-delivers
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


def test_a_dead_letter_carries_the_tenant_of_its_campaign(store: InMemoryDocumentStore) -> None:
    stream = CampaignStream(tenant_id="acme")
    stream.emit("RunStarted", runId="never-queued")
    documents: list[dict[str, Any]] = stream.documents()
    del documents[1]["metadata"]  # not even the event says whose it is: the snapshot does
    ProjectionRunner(store).project(documents)
    [letter] = DeadLetterBox(store).list()
    assert letter.tenant_id == "acme"
    assert DeadLetterBox(store).list(tenant_id="globex") == []


# --- documents too large to write -------------------------------------------------------------

LARGE = MAX_VIEW_DOCUMENT_BYTES * 3 // 5
"""Characters of one text: one fits a view document, two do not."""


def overflowing_version(stream: CampaignStream) -> str:
    """A version whose content and latest audit report together fill more than one document;
    returns the version document's logical id."""
    copy = stream.artifact("Copy")
    version = stream.version(copy, "v" * LARGE)
    large_audit(stream, version, copy)
    return f"version.{version}"


def large_audit(stream: CampaignStream, version_id: str, artifact_id: str) -> None:
    stream.long_audit(version_id, LARGE)


def overflowing_snapshot(stream: CampaignStream) -> str:
    """Two active versions, each with a large latest audit inlined in the snapshot."""
    for artifact_type in ("Copy", "ShortCopy"):
        artifact = stream.artifact(artifact_type)
        version = stream.version(artifact)
        stream.activate(version)
        large_audit(stream, version, artifact)
    return "snapshot"


@pytest.mark.parametrize(
    "overflow",
    [overflowing_version, overflowing_snapshot],
    ids=["version-with-its-latest-audit", "snapshot-audit-reports"],
)
def test_an_event_that_would_make_a_view_too_large_is_dead_lettered_and_the_range_goes_on(
    store: InMemoryDocumentStore, overflow: Callable[[CampaignStream], str]
) -> None:
    crowded = CampaignStream("Crowded")
    document_id = overflow(crowded)
    refused = crowded.events[-1]
    crowded.status("Generating")
    neighbour = CampaignStream("Neighbour")
    neighbour.status("Generating")

    outcome = ProjectionRunner(store).project(interleaved_documents([crowded, neighbour]))

    assert outcome.dead_lettered == 1
    [letter] = DeadLetterBox(store).list()
    assert (letter.campaign_id, letter.version, letter.event_type) == (
        crowded.campaign_id,
        refused.version,
        refused.type,
    )
    assert letter.error_code == "view-too-large"
    assert repr(document_id) in letter.error
    reads = ReadModel(store)
    crowded_now = reads.campaign("default", crowded.campaign_id).body
    assert (crowded_now["status"], crowded_now["version"]) == ("Generating", refused.version + 1)
    assert reads.campaign("default", neighbour.campaign_id).body["status"] == "Generating"


def test_a_view_that_cannot_be_written_does_not_stall_the_processor() -> None:
    from projections.processor import ChangeFeedProcessor

    store = InMemoryDocumentStore()
    crowded, neighbour = CampaignStream("Crowded"), CampaignStream("Neighbour")
    overflowing_version(crowded)
    neighbour.status("Generating")
    append_to_log(store, crowded)
    append_to_log(store, neighbour)

    ChangeFeedProcessor(store, max_items=3).run_until_caught_up()

    assert [letter.event_type for letter in DeadLetterBox(store).list()] == ["AuditRecorded"]
    assert ReadModel(store).campaign("default", neighbour.campaign_id).version == 2


def test_an_oversized_event_replays_once_the_projector_keeps_the_document_small(
    store: InMemoryDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = CampaignStream()
    version = overflowing_version(stream).removeprefix("version.")
    append_to_log(store, stream)
    ProjectionRunner(store).project(stream.documents())
    [letter] = DeadLetterBox(store).list()

    assert replay_dead_letters(store).still_failing == [letter.id]  # no fix yet: still refused

    correct = catalog.project_version

    def project_version_truncated(document: Any, event: Any, lookup: Any) -> Any:
        projected = correct(document, event, lookup)
        report = projected["state"]["latestAuditReport"]
        if report is not None:
            report["recommendations"] = [
                {**item, "text": item["text"][:100]} for item in report["recommendations"]
            ]
        return projected

    monkeypatch.setattr(catalog, "project_version", project_version_truncated)
    assert replay_dead_letters(store).resolved == [letter.id]
    assert DeadLetterBox(store).list() == []
    read = ReadModel(store).version("default", stream.campaign_id, version).body
    assert (read["status"], len(read["auditReportIds"])) == ("Audited", 1)
    assert len(read["content"]) == LARGE


def test_a_write_the_store_refuses_as_too_large_is_dead_lettered_instead_of_stalling() -> None:
    class StricterStore(InMemoryDocumentStore):
        """Refuses what the port's measure lets through (a server that counts differently)."""

        def execute_batch(
            self, container: str, partition_key: str, operations: Sequence[Operation]
        ) -> list[Document | None]:
            if container == VIEWS and partition_key == crowded.campaign_id:
                raise CommandTooLarge("Cosmos DB batch answered 413: request too large")
            return super().execute_batch(container, partition_key, operations)

    crowded, neighbour = CampaignStream("Crowded"), CampaignStream("Neighbour")
    crowded.status("Generating")
    store = StricterStore()
    outcome = ProjectionRunner(store).project(interleaved_documents([crowded, neighbour]))
    assert outcome.dead_lettered == 2
    letters = DeadLetterBox(store).list()
    assert {(letter.version, letter.error_code) for letter in letters} == {
        (1, "view-too-large"),
        (2, "view-too-large"),
    }
    assert ReadModel(store).campaign("default", neighbour.campaign_id).version == 1


# --- the lease prefix of a generation ---------------------------------------------------------


def test_a_runner_whose_lease_prefix_is_not_the_live_generations_refuses_and_writes_nothing(
    store: InMemoryDocumentStore,
) -> None:
    ProjectionStateStore(store).save(ProjectionState(live=2))
    stream = CampaignStream()
    with pytest.raises(ConfigurationError, match="LEDGER_LEASE_PREFIX=views-g2-"):
        ProjectionRunner(store, lease_prefix="views-g1-").project(stream.documents())
    assert dump_views(store) == {}

    ProjectionRunner(store, lease_prefix="views-g2-").project(stream.documents())
    assert ReadModel(store).campaign("default", stream.campaign_id).version == 1


def test_a_store_fault_reading_a_document_an_event_consults_is_raised_not_dead_lettered() -> None:
    class FailingVersionReads(InMemoryDocumentStore):
        failures = 1

        def read(self, container: str, partition_key: str, document_id: str) -> Any:
            if ".version." in document_id and self.failures:
                self.failures -= 1
                raise StoreUnavailable("the store is away")
            return super().read(container, partition_key, document_id)

    stream = CampaignStream()
    version = stream.version(stream.artifact("Copy"))
    store = FailingVersionReads()
    ProjectionRunner(store).project(stream.documents())
    stream.audit(version)  # consults the version document

    with pytest.raises(StoreUnavailable):
        ProjectionRunner(store).project(stream.documents())
    outcome = ProjectionRunner(store).project(stream.documents())

    assert DeadLetterBox(store).list() == []
    assert outcome.applied == 1


class ThrottledViewReads(InMemoryDocumentStore):
    """Answers the first ``failures`` reads of view documents with 429, as Cosmos DB does."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def read(self, container: str, partition_key: str, document_id: str) -> Document | None:
        if container == VIEWS and self.failures > 0 and document_id.endswith(self._version_ids):
            self.failures -= 1
            raise StoreThrottled("429: too many requests", retry_after=0.0)
        return super().read(container, partition_key, document_id)

    _version_ids: tuple[str, ...] = ()


def test_a_store_fault_while_reading_the_views_is_raised_for_a_retry_not_dead_lettered() -> None:
    stream = CampaignStream("Throttled")
    copy = stream.artifact("Copy")
    version = stream.version(copy, "draft")
    stream.audit(version)
    stream.approve(version)
    store = ThrottledViewReads(failures=1)
    runner = ProjectionRunner(store)
    runner.project(stream.documents()[:-1])
    store._version_ids = (f"version.{version}",)

    with pytest.raises(StoreThrottled):
        runner.project(stream.documents())

    assert DeadLetterBox(store).list() == []
    again = runner.project(stream.documents())  # the processor's retry
    assert again.dead_lettered == 0
    assert dump_views(store) == clean_pass([stream])
