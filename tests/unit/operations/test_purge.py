"""The purge: with an injected clock it deletes for good exactly the soft-deleted campaigns
whose restore window has passed, and leaves tombstones that keep their ids from coming back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from bootstrap.container import campaign_application
from documentstore.memory import InMemoryDocumentStore
from documentstore.port import EVENTS, LEASES, VIEWS, Document, JsonScalar, Page, Query
from domain.errors import CampaignNotFound, IdConflict
from operations.event_import import ImportOutcome
from operations.purge import CampaignPurge, PurgeReport
from projections.dead_letters import DeadLetterBox
from projections.events import read_campaign_events
from projections.processor import ChangeFeedProcessor
from projections.runner import ProjectionRunner
from tests.unit.application.builders import brief
from tests.unit.operations.campaigns import Campaigns, export_all, import_into


def partition(store: InMemoryDocumentStore, container: str, key: str) -> list[Document]:
    return store.query(container, Query(partition_key=key), page_size=1000).items


def list_entries(store: InMemoryDocumentStore, campaign_id: str) -> list[Document]:
    entries = partition(store, VIEWS, "tenant:acme")
    return [entry for entry in entries if entry.get("campaignId") == campaign_id]


def purge_at(store: InMemoryDocumentStore, now: datetime, *, dry_run: bool = False) -> PurgeReport:
    return CampaignPurge(store, campaign_application(store), clock=lambda: now).run(dry_run=dry_run)


@pytest.fixture
def store() -> InMemoryDocumentStore:
    return InMemoryDocumentStore()


def test_a_purge_removes_exactly_the_campaigns_whose_restore_window_has_passed(
    store: InMemoryDocumentStore,
) -> None:
    writer = Campaigns(store)
    first, second, kept, restored = (writer.create() for _ in range(4))
    for campaign_id in (first, second, kept, restored):
        writer.fill(campaign_id)
    writer.delete(first)
    writer.delete(restored)
    writer.service.restore_campaign(writer.ctx(), restored)
    writer.clock.advance(days=10)
    writer.delete(second)
    ChangeFeedProcessor(store).run_until_caught_up()
    untouched = {
        campaign_id: (partition(store, EVENTS, campaign_id), partition(store, VIEWS, campaign_id))
        for campaign_id in (second, kept, restored)
    }

    report = purge_at(store, writer.clock.now + timedelta(days=25))

    assert [purged.campaign_id for purged in report.purged] == [first]
    assert report.purged[0].tenant_id == "acme"
    assert report.purged[0].removed is not None
    assert report.purged[0].removed.events > 10
    [stone] = partition(store, EVENTS, first)
    assert (stone["id"], stone["docType"], stone["cleared"]) == ("head", "tombstone", True)
    assert partition(store, VIEWS, first) == []
    assert list_entries(store, first) == []
    for campaign_id, (events, views) in untouched.items():
        assert partition(store, EVENTS, campaign_id) == events
        assert partition(store, VIEWS, campaign_id) == views

    later = purge_at(store, writer.clock.now + timedelta(days=31))

    assert [purged.campaign_id for purged in later.purged] == [second]


def test_a_dry_run_lists_what_would_go_and_removes_nothing(store: InMemoryDocumentStore) -> None:
    writer = Campaigns(store)
    doomed = writer.create()
    writer.delete(doomed)
    before = partition(store, EVENTS, doomed)

    report = purge_at(store, writer.clock.now + timedelta(days=31), dry_run=True)

    assert [purged.campaign_id for purged in report.purged] == [doomed]
    assert report.purged[0].removed is None
    assert partition(store, EVENTS, doomed) == before


def test_the_restore_window_is_open_up_to_its_last_instant(store: InMemoryDocumentStore) -> None:
    writer = Campaigns(store)
    doomed = writer.create()
    writer.delete(doomed)
    until = writer.clock.now + writer.restore_window

    assert purge_at(store, until).purged == []
    assert len(purge_at(store, until + timedelta(microseconds=1)).purged) == 1


def test_a_purged_campaign_is_gone_and_its_id_is_never_reused(
    store: InMemoryDocumentStore,
) -> None:
    writer = Campaigns(store)
    doomed = writer.create()
    lines = export_all(store)
    writer.delete(doomed)
    purge_at(store, writer.clock.now + timedelta(days=31))

    with pytest.raises(IdConflict) as conflict:
        writer.service.create_campaign(
            writer.ctx(), name="Spring", brief=brief(), campaign_id=doomed
        )
    assert conflict.value.code == "id-conflict"
    with pytest.raises(CampaignNotFound):
        writer.service.read_events("acme", doomed)
    with pytest.raises(CampaignNotFound):
        writer.service.restore_campaign(writer.ctx(), doomed)
    assert export_all(store) == []
    [refused] = import_into(store, lines).refused
    assert refused.outcome is ImportOutcome.PURGED
    assert list(read_campaign_events(store, doomed)) == []


def test_a_purge_removes_the_views_of_every_generation_and_the_dead_letters(
    store: InMemoryDocumentStore,
) -> None:
    writer = Campaigns(store)
    doomed = writer.create()
    writer.fill(doomed)
    writer.delete(doomed)
    ChangeFeedProcessor(store).run_until_caught_up()
    ProjectionRunner(store).project(list(read_campaign_events(store, doomed)), generation=2)
    [event] = list(read_campaign_events(store, doomed, up_to=1))
    DeadLetterBox(store).record(event, ValueError("boom"), generation=1)
    assert {entry["generation"] for entry in list_entries(store, doomed)} == {1, 2}

    [purged] = purge_at(store, writer.clock.now + timedelta(days=31)).purged

    assert partition(store, VIEWS, doomed) == []
    assert list_entries(store, doomed) == []
    assert DeadLetterBox(store).list() == []
    assert store.read(LEASES, f"dead-letter.{doomed}.0000000001", "x") is None
    assert purged.removed is not None
    assert purged.removed.dead_letters == 1


class FailingViews(InMemoryDocumentStore):
    """Fails every batch written to ``views`` while ``failing``."""

    failing = True

    def execute_batch(self, container: str, partition_key: str, operations: Any) -> Any:
        if self.failing and container == VIEWS:
            raise RuntimeError("the process died")
        return super().execute_batch(container, partition_key, operations)


def test_a_purge_interrupted_after_its_tombstone_is_finished_by_the_next_run() -> None:
    store = FailingViews()
    writer = Campaigns(store)
    doomed = writer.create()
    writer.delete(doomed)
    store.failing = False
    ChangeFeedProcessor(store).run_until_caught_up()
    store.failing = True
    now = writer.clock.now + timedelta(days=31)

    with pytest.raises(RuntimeError):
        purge_at(store, now)
    with pytest.raises(IdConflict):
        writer.service.create_campaign(writer.ctx(), name="S", brief=brief(), campaign_id=doomed)
    assert partition(store, VIEWS, doomed) != []
    store.failing = False
    [finished] = purge_at(store, now).purged

    assert finished.campaign_id == doomed
    assert finished.finished_earlier_run
    assert partition(store, VIEWS, doomed) == []
    assert store.read(EVENTS, doomed, "head")["cleared"] is True  # type: ignore[index]
    assert purge_at(store, now).purged == []


class RestoringDuringSweep(InMemoryDocumentStore):
    """Restores a campaign right after the purge's sweep of heads (a command that got in)."""

    restore: Any = None

    def scan(
        self,
        container: str,
        equals: Mapping[str, JsonScalar],
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        page = super().scan(container, equals, page_size=page_size, continuation=continuation)
        if self.restore is not None and page.continuation is None:
            restore, self.restore = self.restore, None
            restore()
        return page


def test_a_campaign_restored_after_the_sweep_is_left_for_the_next_run() -> None:
    store = RestoringDuringSweep()
    writer = Campaigns(store)
    saved = writer.create()
    writer.delete(saved)
    store.restore = lambda: writer.service.restore_campaign(writer.ctx(), saved)

    report = purge_at(store, writer.clock.now + timedelta(days=31))

    assert report.purged == []
    assert report.changed_meanwhile == [saved]
    assert campaign_application(store).load_campaign(UUID(saved)).is_deleted is False
