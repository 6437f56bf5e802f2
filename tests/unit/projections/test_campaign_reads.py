"""Campaign-level reads of the read model: the artifacts, one artifact, its latest version and
the soft-deleted campaigns, each one point read (or the snapshot and one more read)."""

from __future__ import annotations

import pytest

from documentstore.memory import InMemoryDocumentStore
from domain.errors import CampaignNotFound, EntityNotFound
from projections.reads import ReadModel
from projections.runner import ProjectionRunner
from tests.unit.projections.campaign_events import CampaignStream, scripted_scenario
from tests.unit.projections.test_reads import CountingStore, list_store


@pytest.fixture
def launched() -> tuple[CountingStore, CampaignStream]:
    store = CountingStore()
    streams = scripted_scenario("acme")
    for stream in streams:
        ProjectionRunner(store).project(stream.documents())
    return store, streams[0]


def versions_of(stream: CampaignStream, artifact_id: str) -> list[str]:
    """The artifact's version ids in number order, from the stream's events."""
    return [
        e.data["versionId"]
        for e in stream.events
        if e.type == "VersionCreated" and e.data["artifactId"] == artifact_id
    ]


def active_of(stream: CampaignStream, artifact_type: str) -> str | None:
    """The version the stream's last ActiveVersionSet of that type made active."""
    chosen = [
        e.data["versionId"]
        for e in stream.events
        if e.type == "ActiveVersionSet" and e.data["artifactType"] == artifact_type
    ]
    return chosen[-1] if chosen else None


def test_the_artifacts_are_listed_in_creation_order_with_their_latest_and_active_versions(
    launched: tuple[CountingStore, CampaignStream],
) -> None:
    store, launch = launched
    copy, short = (launch.events[n].data["artifactId"] for n in (3, 4))
    copies, shorts = versions_of(launch, copy), versions_of(launch, short)

    items = ReadModel(store).artifacts("acme", launch.campaign_id).body["items"]

    assert items == [
        {
            "id": copy,
            "type": "Copy",
            "createdAt": launch.events[3].timestamp,
            "versionCount": len(copies),
            "latestVersionId": copies[-1],
            "activeVersionId": active_of(launch, "Copy"),
        },
        {
            "id": short,
            "type": "ShortCopy",
            "createdAt": launch.events[4].timestamp,
            "versionCount": len(shorts),
            "latestVersionId": shorts[-1],
            "activeVersionId": active_of(launch, "ShortCopy"),
        },
    ]


def test_one_artifact_is_its_item_of_the_list_and_an_unknown_one_is_entity_not_found(
    launched: tuple[CountingStore, CampaignStream],
) -> None:
    store, launch = launched
    reads = ReadModel(store)
    short = launch.events[4].data["artifactId"]
    listed = reads.artifacts("acme", launch.campaign_id).body["items"][1]

    assert reads.artifact("acme", launch.campaign_id, short).body == listed
    with pytest.raises(EntityNotFound):
        reads.artifact("acme", launch.campaign_id, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(CampaignNotFound):
        reads.artifact("other", launch.campaign_id, short)


def test_an_artifact_without_versions_has_null_ids_and_no_latest_version() -> None:
    store = InMemoryDocumentStore()
    stream = CampaignStream()
    artifact = stream.artifact("VisualConcept")
    ProjectionRunner(store).project(stream.documents())
    reads = ReadModel(store)

    body = reads.artifact("default", stream.campaign_id, artifact).body

    assert body["versionCount"] == 0
    assert body["latestVersionId"] is body["activeVersionId"] is None
    with pytest.raises(EntityNotFound):
        reads.latest_version("default", stream.campaign_id, artifact)


def test_the_latest_version_is_the_version_body_of_the_highest_number(
    launched: tuple[CountingStore, CampaignStream],
) -> None:
    store, launch = launched
    reads = ReadModel(store)
    copy = launch.events[3].data["artifactId"]
    copies = versions_of(launch, copy)

    latest = reads.latest_version("acme", launch.campaign_id, copy)

    assert latest.body == reads.version("acme", launch.campaign_id, copies[-1]).body
    assert latest.body["versionNumber"] == len(copies) >= 2


def test_artifact_reads_cost_one_round_trip_and_the_latest_version_two(
    launched: tuple[CountingStore, CampaignStream],
) -> None:
    store, launch = launched
    reads = ReadModel(store, generation_cache_seconds=60)
    copy = launch.events[3].data["artifactId"]
    reads.campaign("acme", launch.campaign_id)  # warms the generation cache
    for read, round_trips in (
        (lambda: reads.artifacts("acme", launch.campaign_id), 1),
        (lambda: reads.artifact("acme", launch.campaign_id, copy), 1),
        (lambda: reads.latest_version("acme", launch.campaign_id, copy), 2),
    ):
        before = store.round_trips
        read()
        assert store.round_trips - before == round_trips


def test_artifact_reads_of_a_deleted_campaign_are_campaign_not_found() -> None:
    store = InMemoryDocumentStore()
    gone = scripted_scenario()[2]
    ProjectionRunner(store).project(gone.documents())
    artifact = gone.events[1].data["artifactId"]
    reads = ReadModel(store)
    for read in (
        lambda: reads.artifacts("default", gone.campaign_id),
        lambda: reads.artifact("default", gone.campaign_id, artifact),
        lambda: reads.latest_version("default", gone.campaign_id, artifact),
    ):
        with pytest.raises(CampaignNotFound):
            read()


def test_the_deleted_list_holds_the_soft_deleted_campaigns_only_with_their_window() -> None:
    store, streams = list_store(5)
    for stream, until in ((streams[1], "2026-06-01T00:00:00+00:00"), (streams[4], "2026-06-02")):
        stream.emit("CampaignDeleted", restoreUntil=until)
        ProjectionRunner(store).project(stream.documents())
    streams[4].emit("CampaignRestored")
    streams[3].emit("CampaignDeleted", restoreUntil="2026-06-03T00:00:00+00:00")
    for stream in (streams[3], streams[4]):
        ProjectionRunner(store).project(stream.documents())
    reads = ReadModel(store)

    deleted = reads.list_campaigns("t", deleted=True)
    live = reads.list_campaigns("t")
    generating = reads.list_campaigns("t", deleted=True, status="Generating")

    assert [item["id"] for item in deleted.items] == [
        streams[3].campaign_id,
        streams[1].campaign_id,
    ]
    assert deleted.items[1]["deletedAt"] == streams[1].events[-1].timestamp
    assert deleted.items[1]["restorableUntil"] == "2026-06-01T00:00:00+00:00"
    assert deleted.continuation is None
    assert {item["id"] for item in live.items} == {streams[n].campaign_id for n in (0, 2, 4)}
    assert all("deletedAt" not in item for item in live.items)
    assert [item["id"] for item in generating.items] == [streams[3].campaign_id]
    assert reads.list_campaigns("someone-else", deleted=True).items == []


def test_the_deleted_list_pages_like_the_live_one() -> None:
    store, streams = list_store(5)
    for stream in streams:
        stream.emit("CampaignDeleted", restoreUntil="2026-06-01T00:00:00+00:00")
        ProjectionRunner(store).project(stream.documents())
    reads = ReadModel(store)

    first = reads.list_campaigns("t", deleted=True, limit=3)
    second = reads.list_campaigns("t", deleted=True, limit=3, continuation=first.continuation)

    assert len(first.items) == 3
    assert len(second.items) == 2
    assert second.continuation is None
    assert len({item["id"] for item in first.items + second.items}) == 5
