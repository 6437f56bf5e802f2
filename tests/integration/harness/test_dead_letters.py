"""A projector that raises on one event, met by the real change-feed processor on the embedded
store while the service takes commands: the event is dead-lettered with its error, the campaign's
views keep moving past it, and once the projector is fixed the dead letter is replayed, leaving
views equal to a clean rebuild and no dead letter behind."""

from __future__ import annotations

from typing import Any

import pytest

from application import CommandContext
from documentstore.port import DocumentStore
from domain.recorded import RecordedEvent
from projections.dead_letters import DeadLetterBox
from projections.processor import ChangeFeedProcessor
from projections.projectors import catalog
from projections.reads import ReadModel
from projections.rebuild import rebuild_views, replay_dead_letters
from projections.status import projection_status
from tests.integration.harness.ledgers import ledger_on
from tests.integration.harness.orchestrator import audit, brief, new_id
from tests.unit.projections.views_dump import dump_views

pytestmark = pytest.mark.timeout(60)


def test_an_event_a_projector_cannot_apply_is_dead_lettered_then_replayed_after_the_fix(
    sqlite_store: DocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    poisoned = new_id()
    correct = catalog.project_audit_report

    def project_audit_report_with_a_bug(document: Any, event: RecordedEvent, lookup: Any) -> Any:
        if event.data.get("auditReportId") == poisoned:
            raise RuntimeError("a projector bug met this audit")
        return correct(document, event, lookup)

    monkeypatch.setattr(catalog, "project_audit_report", project_audit_report_with_a_bug)
    ledger = ledger_on(sqlite_store)
    processor = ChangeFeedProcessor(sqlite_store, poll_interval=0.01)
    processor.start()
    reads = ReadModel(sqlite_store, generation_cache_seconds=0)
    try:
        ctx = CommandContext(actor="harness")
        campaign = ledger.create_campaign(ctx, name="Poison", brief=brief()).id
        artifact = ledger.create_artifact(ctx, campaign, artifact_type="Copy").id
        first = ledger.create_version(ctx, campaign, artifact, content="one").id
        ledger.record_audit(ctx, campaign, first, report=audit("Fail"))
        second = ledger.create_version(ctx, campaign, artifact, content="two").id
        bad = ledger.record_audit(ctx, campaign, second, report=audit("Pass"), audit_id=poisoned)
        ledger.approve_version(ctx, campaign, second)
        third = ledger.create_version(ctx, campaign, artifact, content="three").id
        last = ledger.change_status(ctx, campaign, "Generating")
        assert reads.wait_for(campaign, last.version, timeout=20), "the partition is stuck"
    finally:
        processor.stop()

    [letter] = DeadLetterBox(sqlite_store).list()
    assert (letter.campaign_id, letter.version, letter.event_type) == (
        campaign,
        bad.version,
        "AuditRecorded",
    )
    assert letter.error_code == "RuntimeError"
    assert "a projector bug" in letter.error
    stored = DeadLetterBox(sqlite_store).read(letter.id)
    assert stored is not None
    assert stored["event"]["data"]["auditReportId"] == poisoned
    status = projection_status(sqlite_store)["projections"][0]
    assert (status["eventsBehind"], status["deadLetters"]["count"]) == (0, 1)
    snapshot = reads.campaign("default", campaign).body
    assert snapshot["version"] == last.version
    assert snapshot["status"] == "Generating"
    assert [a["versionCount"] for a in snapshot["artifacts"]] == [3]
    assert reads.version("default", campaign, third).body["versionNumber"] == 3
    assert reads.audits("default", campaign, second).body["items"] == []

    monkeypatch.setattr(catalog, "project_audit_report", correct)
    replayed = replay_dead_letters(sqlite_store)

    assert (replayed.resolved, replayed.still_failing) == ([letter.id], [])
    assert DeadLetterBox(sqlite_store).list() == []
    assert [item["id"] for item in reads.audits("default", campaign, second).body["items"]] == [
        poisoned
    ]
    live = dump_views(sqlite_store, generation=1)
    report = rebuild_views(sqlite_store)
    assert (report.differences, report.dead_letters, report.verified) == ([], 0, 1)
    assert dump_views(sqlite_store, generation=2) == live
