"""The runner publishes a campaign's notifications only once that campaign's views are written,
and a publisher can never hold up or fail a projection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from documentstore.memory import InMemoryDocumentStore
from documentstore.port import VIEWS, Document, Operation
from domain.errors import StoreUnavailable
from projections.live_views import LiveViews
from projections.notifications import Notification
from projections.processor import ChangeFeedProcessor
from projections.reads import ReadModel
from projections.runner import ProjectionRunner
from projections.tallies import PartialMoves
from tests.unit.projections.campaign_events import (
    CampaignStream,
    append_to_log,
    interleaved_documents,
)


@dataclass
class Publication:
    campaign_id: str
    versions: list[int]
    snapshot_version: int | None
    """What the snapshot showed when the publisher was called."""


@dataclass
class RecordingPublisher:
    """Records each publication and what a reader could see at that moment."""

    store: InMemoryDocumentStore
    publications: list[Publication] = field(default_factory=list)

    def publish(self, campaign_id: str, notifications: Sequence[Notification]) -> None:
        document = LiveViews(self.store).read(campaign_id, "snapshot")[0]
        self.publications.append(
            Publication(
                campaign_id,
                [n.version for n in notifications],
                None if document is None else int(document["appliedVersion"]),
            )
        )


class RefusingPublisher:
    def publish(self, campaign_id: str, notifications: Sequence[Notification]) -> None:
        raise RuntimeError("the hub is broken")


def busy_campaign(name: str = "Launch") -> CampaignStream:
    stream = CampaignStream(name)
    stream.status("Generating")
    copy = stream.artifact("Copy")
    first = stream.version(copy)
    stream.audit(first, "Pass")
    stream.status("Generated")
    stream.status("Auditing")
    stream.status("Completed")
    return stream


def test_each_campaign_is_published_after_its_views_are_written_and_in_stream_order(
    store: InMemoryDocumentStore,
) -> None:
    publisher = RecordingPublisher(store)
    launch, other = busy_campaign("Launch"), busy_campaign("Other")
    outcome = ProjectionRunner(store, publisher=publisher).project(
        interleaved_documents([launch, other])
    )
    assert [(p.campaign_id, p.versions) for p in publisher.publications] == [
        (launch.campaign_id, [2, 4, 5, 8]),
        (other.campaign_id, [2, 4, 5, 8]),
    ]
    for publication in publisher.publications:
        assert publication.snapshot_version == 8  # the reader already sees every one of them
    assert [n.version for n in outcome.notifications] == [2, 4, 5, 8, 2, 4, 5, 8]


def test_a_redelivered_batch_publishes_nothing_again(store: InMemoryDocumentStore) -> None:
    publisher = RecordingPublisher(store)
    runner = ProjectionRunner(store, publisher=publisher)
    stream = busy_campaign()
    runner.project(stream.documents())
    again = runner.project(stream.documents())
    assert len(publisher.publications) == 1
    assert again.notifications == []


def test_events_without_notifications_publish_nothing(store: InMemoryDocumentStore) -> None:
    publisher = RecordingPublisher(store)
    stream = CampaignStream()
    stream.artifact("Copy")
    ProjectionRunner(store, publisher=publisher).project(stream.documents())
    assert publisher.publications == []


def test_a_failed_write_publishes_nothing_and_the_retry_publishes_once() -> None:
    class FailingOnce(InMemoryDocumentStore):
        failures = 1

        def execute_batch(
            self, container: str, partition_key: str, operations: Sequence[Operation]
        ) -> list[Document | None]:
            if container == VIEWS and self.failures:
                self.failures -= 1
                raise StoreUnavailable("the store went away")
            return super().execute_batch(container, partition_key, operations)

    store = FailingOnce()
    publisher = RecordingPublisher(store)
    runner = ProjectionRunner(store, publisher=publisher)
    stream = busy_campaign()
    with pytest.raises(StoreUnavailable):
        runner.project(stream.documents())
    assert publisher.publications == []
    runner.project(stream.documents())
    assert [p.versions for p in publisher.publications] == [[2, 4, 5, 8]]


def test_a_dead_lettered_event_is_not_announced_but_the_rest_of_the_batch_is(
    store: InMemoryDocumentStore,
) -> None:
    publisher = RecordingPublisher(store)
    stream = CampaignStream()
    stream.emit("RunFailed", runId="never-queued", errorMessage="boom")  # a poison event
    stream.status("Generating")
    outcome = ProjectionRunner(store, publisher=publisher).project(stream.documents())
    assert outcome.dead_lettered == 1
    assert [p.versions for p in publisher.publications] == [[3]]


def test_a_failing_publisher_never_fails_the_projection(store: InMemoryDocumentStore) -> None:
    stream = busy_campaign()
    outcome = ProjectionRunner(store, publisher=RefusingPublisher()).project(stream.documents())
    assert outcome.applied == len(stream.events)
    assert ReadModel(store).campaign("default", stream.campaign_id).body["status"] == "Completed"


def test_the_local_processor_hands_its_publisher_to_the_runner(
    store: InMemoryDocumentStore,
) -> None:
    publisher = RecordingPublisher(store)
    stream = busy_campaign()
    append_to_log(store, stream, up_to=4)
    processor = ChangeFeedProcessor(store, publisher=publisher)
    processor.run_until_caught_up()
    append_to_log(store, stream)
    processor.run_until_caught_up()
    assert [p.versions for p in publisher.publications] == [[2, 4], [5, 8]]
    assert all(p.snapshot_version in (4, 8) for p in publisher.publications)


def test_a_replay_into_a_generation_nobody_reads_publishes_nothing(
    store: InMemoryDocumentStore,
) -> None:
    publisher = RecordingPublisher(store)
    launch = busy_campaign()

    outcome = ProjectionRunner(store, publisher=publisher, partial_moves=PartialMoves()).project(
        launch.documents(), generation=2
    )

    assert outcome.applied == len(launch.events)
    assert outcome.notifications == []
    assert publisher.publications == []
