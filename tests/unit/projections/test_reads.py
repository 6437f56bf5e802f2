"""The read model: one point read per answer, 404 rules, the paginated list, freshness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from documentstore.memory import InMemoryDocumentStore
from domain.errors import CampaignNotFound, EntityNotFound, InvalidInput
from projections.reads import ReadModel
from projections.runner import ProjectionRunner
from tests.unit.projections.campaign_events import CampaignStream, scripted_scenario


class CountingStore(InMemoryDocumentStore):
    reads = 0
    queries = 0

    def read(self, container: str, partition_key: str, document_id: str):  # type: ignore[no-untyped-def]
        self.reads += 1
        return super().read(container, partition_key, document_id)

    def read_many(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.reads += 1
        return super().read_many(*args, **kwargs)

    @property
    def round_trips(self) -> int:
        return self.reads + self.queries

    def query(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.queries += 1
        return super().query(*args, **kwargs)


@pytest.fixture
def scenario_store() -> tuple[CountingStore, list[CampaignStream]]:
    store = CountingStore()
    streams = scripted_scenario("acme")
    for stream in streams:
        ProjectionRunner(store).project(stream.documents())
    return store, streams


def test_a_read_of_one_document_is_one_round_trip_and_a_list_page_two(
    scenario_store: tuple[CountingStore, list[CampaignStream]],
) -> None:
    store, [launch, *_] = scenario_store
    reads = ReadModel(store, generation_cache_seconds=60)
    reads.campaign("acme", launch.campaign_id)  # warms the generation cache
    version_id = launch.events[7].data["versionId"]
    artifact_id = launch.events[3].data["artifactId"]
    run_id = launch.events[18].data["runId"]
    for read, round_trips in (
        (lambda: reads.campaign("acme", launch.campaign_id), 1),
        (lambda: reads.version("acme", launch.campaign_id, version_id), 1),
        (lambda: reads.run("acme", launch.campaign_id, run_id), 1),
        (lambda: reads.audits("acme", launch.campaign_id, version_id), 2),
        (lambda: reads.version_history("acme", launch.campaign_id, artifact_id), 2),
        (lambda: reads.iterations("acme", launch.campaign_id), 2),
        (lambda: reads.campaign_audits("acme", launch.campaign_id), 2),
        (lambda: reads.runs("acme", launch.campaign_id), 2),
    ):
        before = store.round_trips
        read()
        assert store.round_trips - before == round_trips


def test_the_campaign_view_is_the_snapshot_body_with_its_version(
    scenario_store: tuple[CountingStore, list[CampaignStream]],
) -> None:
    store, [launch, *_] = scenario_store
    view = ReadModel(store).campaign("acme", launch.campaign_id)
    assert view.body["id"] == launch.campaign_id
    assert view.version == view.body["version"] == len(launch.events)
    assert set(view.body["activeVersions"]) == {"Copy", "ShortCopy"}


def test_a_foreign_tenant_reads_nothing_of_the_campaign(
    scenario_store: tuple[CountingStore, list[CampaignStream]],
) -> None:
    store, [launch, *_] = scenario_store
    reads = ReadModel(store)
    version_id = launch.events[7].data["versionId"]
    with pytest.raises(CampaignNotFound):
        reads.campaign("other", launch.campaign_id)
    with pytest.raises(CampaignNotFound):
        reads.version("other", launch.campaign_id, version_id)
    with pytest.raises(CampaignNotFound):
        reads.iterations("other", launch.campaign_id)


def test_a_deleted_campaign_answers_not_found_and_a_restored_one_answers_again(
    scenario_store: tuple[CountingStore, list[CampaignStream]],
) -> None:
    store, [_, paused, gone] = scenario_store
    reads = ReadModel(store)
    assert reads.campaign("acme", paused.campaign_id).body["status"] == "Cancelled"
    with pytest.raises(CampaignNotFound):
        reads.campaign("acme", gone.campaign_id)
    artifact = gone.events[1].data["artifactId"]
    with pytest.raises(CampaignNotFound):
        reads.version_history("acme", gone.campaign_id, artifact)


def test_an_unknown_entity_of_a_visible_campaign_is_entity_not_found(
    scenario_store: tuple[CountingStore, list[CampaignStream]],
) -> None:
    store, [launch, *_] = scenario_store
    reads = ReadModel(store)
    with pytest.raises(EntityNotFound):
        reads.version("acme", launch.campaign_id, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(CampaignNotFound):
        reads.version("acme", "00000000-0000-0000-0000-000000000001", "x")


def test_iterations_can_be_filtered_by_artifact_with_a_distinct_etag(
    scenario_store: tuple[CountingStore, list[CampaignStream]],
) -> None:
    store, [launch, *_] = scenario_store
    reads = ReadModel(store)
    artifact = launch.events[3].data["artifactId"]
    everything = reads.iterations("acme", launch.campaign_id)
    filtered = reads.iterations("acme", launch.campaign_id, artifact)
    none = reads.iterations("acme", launch.campaign_id, "another")
    assert len(everything.body["items"]) == len(filtered.body["items"]) == 2
    assert none.body == {"items": [], "continuation": None}
    assert len({everything.etag, filtered.etag, none.etag}) == 3


def test_the_etag_changes_when_the_body_changes(store: InMemoryDocumentStore) -> None:
    stream = CampaignStream()
    ProjectionRunner(store).project(stream.documents())
    reads = ReadModel(store)
    before = reads.campaign("default", stream.campaign_id).etag
    assert reads.campaign("default", stream.campaign_id).etag == before
    stream.status("Generating")
    ProjectionRunner(store).project(stream.documents())
    assert reads.campaign("default", stream.campaign_id).etag != before


def list_store(count: int) -> tuple[InMemoryDocumentStore, list[CampaignStream]]:
    store = InMemoryDocumentStore()
    start = datetime(2026, 5, 1, tzinfo=UTC)
    streams = []
    for number in range(count):
        stream = CampaignStream(
            f"C{number}", tenant_id="t", start=start + timedelta(hours=number // 2)
        )
        if number % 3 == 0:
            stream.status("Generating")
        streams.append(stream)
        ProjectionRunner(store).project(stream.documents())
    return store, streams


def test_the_list_pages_newest_first_then_by_id_and_ends_with_a_null_continuation() -> None:
    store, streams = list_store(7)
    reads = ReadModel(store)
    seen: list[str] = []
    token = None
    while True:
        page = reads.list_campaigns("t", limit=3, continuation=token)
        seen += [item["id"] for item in page.items]
        token = page.continuation
        if token is None:
            break
    expected = sorted(
        streams,
        key=lambda s: (-datetime.fromisoformat(s.events[0].timestamp).timestamp(), s.campaign_id),
    )
    assert seen == [stream.campaign_id for stream in expected]


def test_a_page_that_exactly_ends_the_list_has_no_continuation() -> None:
    store, _ = list_store(4)
    page = ReadModel(store).list_campaigns("t", limit=4)
    assert len(page.items) == 4
    assert page.continuation is None


def test_the_list_filters_by_status_and_leaves_deleted_campaigns_out() -> None:
    store, streams = list_store(6)
    streams[0].emit("CampaignDeleted", restoreUntil="2026-06-01T00:00:00+00:00")
    ProjectionRunner(store).project(streams[0].documents())
    reads = ReadModel(store)
    generating = reads.list_campaigns("t", status="Generating").items
    assert {item["id"] for item in generating} == {streams[3].campaign_id}
    assert all(item["status"] == "Generating" for item in generating)
    assert len(reads.list_campaigns("t").items) == 5
    assert reads.list_campaigns("someone-else").items == []
    assert set(reads.list_campaigns("t").items[0]) == {
        "id",
        "name",
        "status",
        "createdAt",
        "updatedAt",
    }


@pytest.mark.parametrize("token", ["garbage", "e30", "eyJhZnRlciI6IDN9", "!!!"])
def test_a_malformed_continuation_is_invalid_input(token: str) -> None:
    store, _ = list_store(1)
    with pytest.raises(InvalidInput) as refused:
        ReadModel(store).list_campaigns("t", continuation=token)
    assert refused.value.code == "invalid-continuation"


def test_wait_for_answers_true_once_the_projection_reaches_the_version(
    store: InMemoryDocumentStore,
) -> None:
    stream = CampaignStream()
    ProjectionRunner(store).project(stream.documents())
    waits: list[float] = []
    clock = [0.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    reads = ReadModel(store, monotonic=lambda: clock[0], sleep=sleep, poll_interval=0.1)
    assert reads.wait_for(stream.campaign_id, 1, timeout=1.0) is True
    assert waits == []
    assert reads.wait_for(stream.campaign_id, 2, timeout=1.0) is False
    assert 9 <= len(waits) <= 11


def test_content_spilled_from_the_snapshot_is_read_from_the_version_document(
    store: InMemoryDocumentStore,
) -> None:
    from projections.projectors.snapshot import INLINE_CONTENT_BUDGET

    stream = CampaignStream()
    big = stream.version(stream.artifact("Copy"), "x" * (INLINE_CONTENT_BUDGET - 10))
    small = stream.version(stream.artifact("ShortCopy"), "spilled words")
    stream.activate(big)
    stream.activate(small)
    ProjectionRunner(store).project(stream.documents())
    active = ReadModel(store).campaign("default", stream.campaign_id).body["activeVersions"]
    assert active["ShortCopy"]["content"] == "spilled words"
    assert len(active["Copy"]["content"]) == INLINE_CONTENT_BUDGET - 10
    stored = store.read("views", stream.campaign_id, "g1.snapshot")
    assert stored is not None
    assert stored["body"]["activeVersions"]["ShortCopy"]["content"] is None
