"""The projections on a real adapter (SQLite, Cosmos DB): after a scripted scenario, the views
the incremental path wrote equal a fresh rebuild byte for byte, and the reads answer from them.

The scenario runs through the application service (``CampaignService`` on our event store over
the store under test, as the composition root wires it) while the change-feed
processor follows the log, as the embedded service does. A second scenario appends hand-built
event documents (every event type, deletions included).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from application import CampaignService, CommandContext
from bootstrap.container import campaign_application
from documentstore.port import EVENTS, DocumentStore
from domain.artifact_types import ArtifactTypeRegistry
from domain.errors import CampaignNotFound, EntityNotFound
from domain.values import AuditReport, Brief, ContextArtifact, Iteration, QualityCheck, Trigger
from eventstore.documents import event_id
from projections.dead_letters import DeadLetterBox
from projections.events import parse_event_document
from projections.generations import ProjectionStateStore
from projections.processor import ChangeFeedProcessor
from projections.reads import Moment, ReadModel
from projections.rebuild import RebuildProgress, rebuild_views
from projections.retirement import remove_retired
from projections.runner import ProjectionRunner
from projections.statistics import PARTIAL_PREFIX
from projections.status import projection_status
from projections.view_size import MAX_VIEW_DOCUMENT_BYTES
from tests.unit.projections.campaign_events import (
    HASH,
    CampaignStream,
    append_to_log,
    event_document,
    scripted_scenario,
)
from tests.unit.projections.views_dump import dump_views


@pytest.fixture
def ledger(store: DocumentStore) -> CampaignService:
    return CampaignService(
        campaign_application(store),
        artifact_types=ArtifactTypeRegistry.standard(),
        restore_window=timedelta(days=30),
    )


def drive_scenario(ledger: CampaignService, follow: ChangeFeedProcessor) -> dict[str, str]:
    """Every command of API.md on three campaigns; the processor catches up now and then."""
    ctx = CommandContext(tenant_id="acme", actor="integration")
    brief = Brief(objective="Launch", target_audience="Runners", product_details="Shoe")
    launch = ledger.create_campaign(ctx, name="Launch", brief=brief).id
    ledger.update_campaign(ctx, launch, name="Launch 2")
    ledger.change_status(ctx, launch, "Generating")
    copy = ledger.create_artifact(ctx, launch, artifact_type="Copy").id
    short = ledger.create_artifact(ctx, launch, artifact_type="ShortCopy").id
    first = ledger.create_version(ctx, launch, copy, content="First draft").id
    follow.run_until_caught_up()
    ledger.record_audit(ctx, launch, first, report=_report("Fail"))
    second = ledger.create_version(ctx, launch, copy, content="Second draft ✓").id
    ledger.log_iteration(
        ctx,
        launch,
        iteration=Iteration(
            artifact_id=copy, old_version_id=first, new_version_id=second, feedback_text="Warmer"
        ),
    )
    ledger.record_audit(ctx, launch, second, report=_report("Pass"))
    ledger.set_active_version(ctx, launch, "Copy", second)
    ledger.approve_version(ctx, launch, second)
    ledger.archive_version(ctx, launch, first)
    tagline = ledger.create_version(ctx, launch, short, content="Run further").id
    ledger.set_active_version(ctx, launch, "ShortCopy", tagline)
    ledger.record_audit(ctx, launch, tagline, report=_report("Conditional"))
    follow.run_until_caught_up()
    ledger.change_status(ctx, launch, "Generated")
    run = ledger.queue_run(
        ctx,
        launch,
        execution_mode="Sequential",
        workflow_name="launch",
        trigger=Trigger(type="manual", initiated_by="ops"),
    ).id
    ledger.start_run(ctx, launch, run)
    plan = "6f1c1c1e-0000-4000-8000-000000000001"
    ledger.attach_step_result(
        ctx,
        launch,
        run,
        step_id="plan",
        input_hash=HASH,
        artifacts=[ContextArtifact(id=plan, type="plan", uri="blob://plan.json", hash=HASH)],
    )
    ledger.record_quality_check(
        ctx,
        launch,
        run,
        check=QualityCheck(artifact_id=plan, check_type="schema", status="passed"),
    )
    ledger.complete_run(ctx, launch, run, artifact_version_ids=[second])
    retry = ledger.queue_run(ctx, launch, execution_mode="Parallel", base_run_id=run).id
    ledger.start_run(ctx, launch, retry)
    ledger.fail_run(ctx, launch, retry, error_message="model timed out")
    dropped = ledger.queue_run(ctx, launch, execution_mode="Sequential").id
    ledger.cancel_run(ctx, launch, dropped)

    paused = ledger.create_campaign(ctx, name="Paused", brief=brief).id
    visual = ledger.create_artifact(ctx, paused, artifact_type="VisualConcept").id
    ledger.create_version(ctx, paused, visual, content="A shoe at dawn")
    ledger.delete_campaign(ctx, paused)
    follow.run_until_caught_up()
    ledger.restore_campaign(ctx, paused)
    ledger.change_status(ctx, paused, "Cancelled")
    gone = ledger.create_campaign(ctx, name="Gone", brief=brief).id
    ledger.delete_campaign(ctx, gone)
    follow.run_until_caught_up()
    return {"launch": launch, "paused": paused, "gone": gone, "second": second, "run": retry}


def _answered(read: Any) -> Any:
    """The body a read answers, or the code of its refusal."""
    try:
        return read().body
    except EntityNotFound as refused:
        return refused.code


def _report(status: str) -> AuditReport:
    return AuditReport(
        overall_status=status,
        category_scores={"tone": {"score": 88.5, "notes": "ok"}},
        flagged_items=[{"category": "tone", "severity": "Low", "description": "a bit loud"}],
        recommendations=[{"category": "tone", "text": "softer", "priority": 2}],
    )


def served_bodies(reads: ReadModel, ids: dict[str, str]) -> list[Any]:
    return [
        reads.campaign("acme", ids["launch"]).body,
        reads.campaign("acme", ids["paused"]).body,
        reads.version("acme", ids["launch"], ids["second"]).body,
        reads.audits("acme", ids["launch"], ids["second"]).body,
        reads.iterations("acme", ids["launch"]).body,
        reads.run("acme", ids["launch"], ids["run"]).body,
        reads.list_campaigns("acme", limit=1).items,
        reads.list_campaigns("acme").items,
        reads.artifacts("acme", ids["launch"]).body,
        reads.list_campaigns("acme", deleted=True).items,
    ]


class ViewsOnAStore:
    """The tests; a subclass provides the ``store`` fixture (one adapter)."""

    def test_incremental_views_of_the_application_scenario_equal_a_fresh_rebuild_byte_for_byte(
        self, store: DocumentStore, ledger: CampaignService
    ) -> None:
        follow = ChangeFeedProcessor(store, max_items=7)
        ids = drive_scenario(ledger, follow)
        incremental = dump_views(store, generation=1)
        reads = ReadModel(store, generation_cache_seconds=0)
        served = served_bodies(reads, ids)

        report = rebuild_views(store)

        assert report.switched
        assert report.differences == []
        assert report.verified == 3
        assert report.written_meanwhile == []
        assert dump_views(store, generation=2) == incremental
        remove_retired(store, grace_seconds=0)
        assert dump_views(store, generation=1) == {}
        assert served_bodies(reads, ids) == served
        with pytest.raises(CampaignNotFound):
            reads.campaign("acme", ids["gone"])
        with pytest.raises(CampaignNotFound):
            reads.campaign("other-tenant", ids["launch"])
        assert [item["name"] for item in reads.list_campaigns("acme").items] == [
            "Paused",
            "Launch 2",
        ]
        assert [item["name"] for item in reads.list_campaigns("acme", deleted=True).items] == [
            "Gone"
        ]

    def test_a_rebuild_stopped_midway_leaves_the_live_views_serving_and_can_be_run_again(
        self, store: DocumentStore, ledger: CampaignService
    ) -> None:
        follow = ChangeFeedProcessor(store, max_items=7)
        ids = drive_scenario(ledger, follow)
        incremental = dump_views(store, generation=1)
        reads = ReadModel(store, generation_cache_seconds=0)
        served = served_bodies(reads, ids)

        def stop_midway(step: RebuildProgress) -> None:
            if step.phase == "replay":
                raise KeyboardInterrupt  # as an operator's Ctrl-C or a killed process would

        with pytest.raises(KeyboardInterrupt):
            rebuild_views(store, progress=stop_midway)

        assert ProjectionStateStore(store).read().live == 1
        assert served_bodies(reads, ids) == served
        report = rebuild_views(store)
        assert report.switched
        assert report.differences == []
        assert dump_views(store, generation=3) == incremental
        remove_retired(store, grace_seconds=0)
        assert dump_views(store, generation=1) == {}
        assert dump_views(store, generation=2) == {}
        assert served_bodies(reads, ids) == served

    def test_the_past_folded_from_the_log_is_what_the_live_views_served_then(
        self, store: DocumentStore
    ) -> None:
        stream = scripted_scenario(tenant_id="past")[0]
        artifact = stream.events[3].data["artifactId"]
        append_to_log(store, stream)
        reads = ReadModel(store, generation_cache_seconds=0)
        served: dict[int, list[Any]] = {}
        for event in stream.events:
            ProjectionRunner(store).project([event_document(event)])
            served[event.version] = [
                reads.campaign("past", stream.campaign_id).body,
                _answered(lambda: reads.version_history("past", stream.campaign_id, artifact)),
            ]
        for version, then in served.items():
            moment = Moment(version=version)
            assert [
                reads.campaign_at("past", stream.campaign_id, moment).body,
                _answered(
                    lambda m=moment: reads.version_history_at(
                        "past", stream.campaign_id, artifact, m
                    )
                ),
            ] == then, version

    def test_the_event_documents_the_event_store_wrote_read_as_the_events_of_the_log(
        self, store: DocumentStore, ledger: CampaignService
    ) -> None:
        ctx = CommandContext(tenant_id="acme", actor="integration")
        brief = Brief(objective="Launch", target_audience="Runners", product_details="Shoe ✓")
        campaign = ledger.create_campaign(ctx, name="Launch", brief=brief).id
        copy = ledger.create_artifact(ctx, campaign, artifact_type="Copy").id
        version = ledger.create_version(ctx, campaign, copy, content="First draft é").id
        ledger.record_audit(ctx, campaign, version, report=_report("Conditional"))
        log = ledger.read_events("acme", campaign)

        stored = [store.read(EVENTS, campaign, event_id(event.version)) for event in log]

        assert [parse_event_document(document or {}) for document in stored] == log
        assert [document and document["classVersion"] for document in stored] == [1, 1, 1, 2]

    def test_hand_built_logs_project_to_the_same_bytes_as_on_the_in_memory_store(
        self, store: DocumentStore
    ) -> None:
        from documentstore.memory import InMemoryDocumentStore

        streams = scripted_scenario(tenant_id="hand-built")
        reference = InMemoryDocumentStore()
        for stream in streams:
            append_to_log(store, stream)
            ProjectionRunner(reference).project(stream.documents())
        ChangeFeedProcessor(store, max_items=5).run_until_caught_up()

        def by_campaign(dump: dict[tuple[str, str], bytes]) -> dict[tuple[str, str], bytes]:
            """The campaigns' documents: the partials are per feed range, named by the store."""
            return {key: value for key, value in dump.items() if PARTIAL_PREFIX not in key[1]}

        assert by_campaign(dump_views(store, generation=1)) == by_campaign(
            dump_views(reference, generation=1)
        )
        statistics = ReadModel(store).statistics("hand-built").body
        assert statistics == ReadModel(reference).statistics("hand-built").body
        assert statistics["campaigns"]["total"] == 2
        status = projection_status(store)["projections"][0]
        assert status["eventsBehind"] == 0
        assert status["deadLetters"]["count"] == 0

    def test_a_poison_event_is_dead_lettered_in_leases_and_the_stream_goes_on(
        self, store: DocumentStore
    ) -> None:
        stream = CampaignStream("Poison", tenant_id="poison")
        stream.emit("RunStarted", runId="never-queued")
        stream.status("Generating")
        append_to_log(store, stream)
        ChangeFeedProcessor(store).run_until_caught_up()
        letters = [
            each for each in DeadLetterBox(store).list() if each.campaign_id == stream.campaign_id
        ]
        assert [(letter.version, letter.event_type) for letter in letters] == [(2, "RunStarted")]
        body = ReadModel(store).campaign("poison", stream.campaign_id).body
        assert body["status"] == "Generating"

    def test_an_event_too_large_for_its_view_is_dead_lettered_and_the_feed_goes_on(
        self, store: DocumentStore
    ) -> None:
        crowded = CampaignStream("Crowded", tenant_id="crowded")
        copy = crowded.artifact("Copy")
        large = MAX_VIEW_DOCUMENT_BYTES * 3 // 5
        version = crowded.version(copy, "v" * large)
        crowded.long_audit(version, large)
        crowded.status("Generating")
        append_to_log(store, crowded)

        ChangeFeedProcessor(store).run_until_caught_up()

        letters = [
            each for each in DeadLetterBox(store).list() if each.campaign_id == crowded.campaign_id
        ]
        assert [(letter.version, letter.error_code) for letter in letters] == [
            (4, "view-too-large")
        ]
        reads = ReadModel(store)
        assert reads.campaign("crowded", crowded.campaign_id).body["status"] == "Generating"
        kept = reads.version("crowded", crowded.campaign_id, version).body
        assert (kept["status"], kept["auditReportIds"], len(kept["content"])) == (
            "Generated",
            [],
            large,
        )
        assert reads.audits("crowded", crowded.campaign_id, version).body["items"] == []
