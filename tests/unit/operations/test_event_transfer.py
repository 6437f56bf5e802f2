"""Export and import of event logs between stores (in memory here; SQLite and Cosmos DB in
tests/integration/operations): what moves, what is refused, what a crash leaves."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import pytest

from bootstrap.container import campaign_application
from documentstore.memory import InMemoryDocumentStore
from documentstore.port import EVENTS, Document, Operation, Query, Upsert
from domain.errors import CampaignNotFound, OperationFailed
from eventstore.documents import event_id
from operations.event_export import ExportReport, export_lines
from operations.event_import import CampaignImported, EventImport, ImportOutcome
from operations.event_lines import EventLine
from projections.processor import ChangeFeedProcessor
from tests.unit.application.builders import brief
from tests.unit.operations.campaigns import Campaigns, dump_events, export_all, import_into
from tests.unit.projections.views_dump import dump_views


class Crash(BaseException):
    """The process dies: nothing catches it."""


class CrashingStore(InMemoryDocumentStore):
    """Dies at the ``crash_at``-th batch written to ``events`` (counting from 1)."""

    def __init__(self, crash_at: int) -> None:
        super().__init__()
        self.crash_at = crash_at
        self.batches = 0

    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        if container == EVENTS:
            self.batches += 1
            if self.batches == self.crash_at:
                raise Crash
        return super().execute_batch(container, partition_key, operations)


def filled_store(campaigns: int = 3, versions: int = 4) -> tuple[InMemoryDocumentStore, list[str]]:
    store = InMemoryDocumentStore()
    writer = Campaigns(store)
    ids = [writer.create() for _ in range(campaigns)]
    for campaign_id in ids:
        writer.fill(campaign_id, versions=versions)
    return store, ids


def project(store: InMemoryDocumentStore) -> dict[tuple[str, str], bytes]:
    ChangeFeedProcessor(store).run_until_caught_up()
    return dump_views(store)


def test_an_export_has_one_line_per_event_with_the_contract_fields_in_stream_order() -> None:
    store, ids = filled_store(campaigns=2)
    report = ExportReport()

    lines = [json.loads(line) for line in export_lines(store, report)]

    assert report.campaigns == 2
    assert report.events == len(lines)
    assert [list(line) for line in lines[:1]] == [
        ["campaignId", "tenantId", "version", "type", "data", "metadata", "recordedAt"]
    ]
    for campaign_id in ids:
        own = [line for line in lines if line["campaignId"] == campaign_id]
        assert [line["version"] for line in own] == list(range(1, len(own) + 1))
        assert own[0]["type"] == "CampaignCreated"
        assert {line["tenantId"] for line in own} == {"acme"}
        assert own[0]["metadata"]["actor"] == "ops-test"
    assert {line["campaignId"] for line in lines[: len(lines) // 2]} != set(ids)  # grouped


def test_export_then_import_gives_the_same_events_and_after_projection_the_same_views() -> None:
    source, _ = filled_store()
    target = InMemoryDocumentStore()

    report = import_into(target, export_all(source))

    assert report.outcomes == {"imported": 3}
    assert report.refused == []
    assert dump_events(target) == dump_events(source)
    assert project(target) == project(source)


def test_an_imported_campaign_takes_commands_and_answers_repeated_creates_as_before() -> None:
    source, [campaign_id, *_] = filled_store()
    target = InMemoryDocumentStore()
    import_into(target, export_all(source))
    writer = Campaigns(target)

    repeated = writer.service.create_campaign(
        writer.ctx(), name="Spring", brief=brief(), campaign_id=campaign_id
    )
    appended = writer.service.update_campaign(writer.ctx(), campaign_id, name="Summer")

    assert (repeated.version, repeated.appended) == (1, False)
    assert appended.version == writer.service.application.load_campaign(UUID(campaign_id)).version
    with pytest.raises(CampaignNotFound):
        writer.service.update_campaign(writer.ctx("other"), campaign_id, name="Theirs")


def test_a_soft_deleted_campaign_moves_deleted() -> None:
    source = InMemoryDocumentStore()
    writer = Campaigns(source)
    deleted = writer.create()
    writer.delete(deleted)
    target = InMemoryDocumentStore()

    import_into(target, export_all(source))

    with pytest.raises(CampaignNotFound):
        Campaigns(target).service.read_events("acme", deleted)
    moved = campaign_application(target).load_campaign(UUID(deleted))
    assert moved.is_deleted


def test_importing_the_same_file_again_changes_nothing() -> None:
    source, _ = filled_store()
    target = InMemoryDocumentStore()
    lines = export_all(source)
    import_into(target, lines)
    before = target.read_feed(EVENTS, "range-0", None, max_items=10_000)

    again = import_into(target, lines)

    assert again.outcomes == {"unchanged": 3}
    assert again.written == 0
    assert target.read_feed(EVENTS, "range-0", None, max_items=10_000) == before


def test_a_campaign_whose_log_differs_is_reported_and_left_as_it_was() -> None:
    source, [_, second, third] = filled_store()
    target = InMemoryDocumentStore()
    lines = export_all(source)
    import_into(target, [line for line in lines if json.loads(line)["campaignId"] != third])
    Campaigns(target).service.update_campaign(Campaigns(target).ctx(), second, name="Local")
    target_writer = Campaigns(target)
    target_writer.create(third)  # the same id, another campaign
    before = dump_events(target)

    report = import_into(target, lines)

    assert report.outcomes == {"unchanged": 1, "divergent": 2}
    assert {(c.campaign_id, c.outcome) for c in report.refused} == {
        (second, ImportOutcome.DIVERGENT),
        (third, ImportOutcome.DIVERGENT),
    }
    assert all("left untouched" in c.detail for c in report.refused)
    assert dump_events(target) == before


def test_a_file_whose_events_a_campaign_cannot_apply_imports_nothing_of_that_campaign() -> None:
    source, [first, second, third] = filled_store()
    lines = [json.loads(line) for line in export_all(source)]
    gap = [line for line in lines if not (line["campaignId"] == first and line["version"] == 3)]
    for line in gap:
        if line["campaignId"] == second and line["type"] == "VersionCreated":
            line["type"] = "VersionInvented"
    target = InMemoryDocumentStore()

    report = import_into(target, [json.dumps(line) for line in gap])

    assert {(c.campaign_id, c.outcome) for c in report.refused} == {
        (first, ImportOutcome.INVALID),
        (second, ImportOutcome.INVALID),
    }
    assert report.outcomes["imported"] == 1
    assert {partition for partition, _ in dump_events(target)} == {third}
    assert target.query(EVENTS, Query(partition_key=first)).items == []


def test_a_line_that_is_not_an_exported_event_stops_the_import_there() -> None:
    source, _ = filled_store()
    lines = export_all(source)
    first, second, _ = dict.fromkeys(json.loads(line)["campaignId"] for line in lines)
    cut = next(i for i, line in enumerate(lines) if json.loads(line)["campaignId"] == second) + 2
    target = InMemoryDocumentStore()

    with pytest.raises(OperationFailed, match=f"line {cut + 1}"):
        import_into(target, [*lines[:cut], '{"campaignId": 1}', *lines[cut:]])

    assert {partition for partition, _ in dump_events(target)} == {first}
    assert target.query(EVENTS, Query(partition_key=second)).items == []


@pytest.mark.parametrize("crash_at", [1, 2, 4, 7])
def test_an_import_killed_midway_then_run_again_completes_with_nothing_doubled(
    crash_at: int,
) -> None:
    source, ids = filled_store(versions=40)
    lines = export_all(source)
    clean = InMemoryDocumentStore()
    import_into(clean, lines)
    crashing = CrashingStore(crash_at)
    importer = EventImport(crashing, campaign_application(crashing), flush_bytes=30_000)

    with pytest.raises(Crash):
        importer.run(lines)
    exported = {json.loads(line)["campaignId"] for line in export_all(crashing)}
    for campaign_id in set(ids) - exported:  # half written: no head, so no campaign yet
        with pytest.raises(CampaignNotFound):
            Campaigns(crashing).service.read_events("acme", campaign_id)
    crashing.crash_at = 0
    report = import_into(crashing, lines)

    assert report.refused == []
    assert report.outcomes["imported"] >= 1
    assert dump_events(crashing) == dump_events(clean)
    assert project(crashing) == project(clean)
    for campaign_id in ids:
        stored = crashing.query(EVENTS, Query(partition_key=campaign_id)).items
        assert len(stored) == len(clean.query(EVENTS, Query(partition_key=campaign_id)).items)


def planted(line: dict[str, Any], **changes: Any) -> Document:
    """The event document an import writes for ``line``, changed as given."""
    return {**EventLine.from_json(line).event_document(append_id="earlier"), **changes}


def test_an_interrupted_import_of_another_file_is_replaced_by_the_new_one() -> None:
    source, [campaign_id] = filled_store(campaigns=1, versions=6)
    lines = export_all(source)
    target = InMemoryDocumentStore()
    stale, last = json.loads(lines[2]), json.loads(lines[-1])
    beyond = len(lines) + 5
    target.execute_batch(
        EVENTS,
        campaign_id,
        [
            Upsert(planted(stale, data={**stale["data"], "name": "stale"})),
            Upsert(planted(last, id=event_id(beyond), version=beyond)),
        ],
    )
    told: list[CampaignImported] = []

    EventImport(target, campaign_application(target)).run(lines, on_campaign=told.append)

    [imported] = told
    assert imported.outcome is ImportOutcome.IMPORTED
    assert "interrupted" in imported.detail
    clean = InMemoryDocumentStore()
    import_into(clean, lines)
    assert dump_events(target) == dump_events(clean)


def test_an_export_may_be_narrowed_to_campaigns_or_a_tenant() -> None:
    store = InMemoryDocumentStore()
    writer = Campaigns(store)
    mine, theirs = writer.create(), writer.create(tenant_id="globex")
    report = ExportReport()

    named = list(export_lines(store, report, campaign_ids=[theirs, "missing-id"]))
    tenants = [json.loads(line)["campaignId"] for line in export_all(store, tenant_id="acme")]

    assert {json.loads(line)["campaignId"] for line in named} == {theirs}
    assert report.not_found == ["missing-id"]
    assert tenants == [mine]


class CreatingMeanwhile(InMemoryDocumentStore):
    """Another writer creates ``campaign_id`` just before the import's first send."""

    campaign_id: str | None = None

    def execute_batches(self, container: str, batches: Any) -> Any:
        if self.campaign_id is not None:
            campaign_id, self.campaign_id = self.campaign_id, None
            Campaigns(self).create(campaign_id)
        return super().execute_batches(container, batches)


def test_a_campaign_another_writer_creates_meanwhile_is_a_conflict_the_rest_imported() -> None:
    source, ids = filled_store()
    lines = export_all(source)
    raced = json.loads(lines[-1])["campaignId"]
    target = CreatingMeanwhile()
    target.campaign_id = raced

    report = import_into(target, lines)

    [conflict] = report.refused
    assert (conflict.campaign_id, conflict.outcome) == (raced, ImportOutcome.CONFLICT)
    assert "run the import again" in conflict.detail
    assert report.outcomes["imported"] == len(ids) - 1
    assert {campaign_id for campaign_id, _ in dump_events(target)} == set(ids)
    assert [line for line in export_all(target) if raced in line] != [
        line for line in lines if raced in line
    ]


def test_a_campaign_whose_lines_name_another_tenant_than_its_own_is_invalid() -> None:
    source, [campaign_id] = filled_store(campaigns=1)
    lines = [json.loads(line) for line in export_all(source)]
    lines[3]["tenantId"] = "globex"
    target = InMemoryDocumentStore()

    [refused] = import_into(target, [json.dumps(line) for line in lines]).refused

    assert (refused.campaign_id, refused.outcome) == (campaign_id, ImportOutcome.INVALID)
    assert "tenant 'globex'" in refused.detail
    assert dump_events(target) == {}
