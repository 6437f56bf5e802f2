"""Campaigns for the operations tests: written through the real command side on a given store,
with a clock that stands still until told to move."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from application.command_execution import CommandContext
from application.service import CampaignService
from bootstrap.container import campaign_application
from documentstore.port import EVENTS, DocumentStore
from domain.artifact_types import ArtifactTypeRegistry
from domain.values import (
    AuditReport,
    AuditStatus,
    CategoryScore,
    ContextArtifact,
    Iteration,
    QualityCheck,
    QualityCheckStatus,
)
from operations.event_export import ExportReport, export_lines
from operations.event_import import EventImport, ImportReport
from tests.unit.application.builders import Clock, brief


class Campaigns:
    """A command side on ``store``: creates, fills and deletes campaigns of a tenant."""

    def __init__(
        self,
        store: DocumentStore,
        *,
        tenant_id: str = "acme",
        restore_window: timedelta = timedelta(days=30),
    ) -> None:
        self.clock = Clock()
        self.restore_window = restore_window
        self.tenant_id = tenant_id
        self.service = CampaignService(
            campaign_application(store),
            artifact_types=ArtifactTypeRegistry.standard(),
            restore_window=restore_window,
            clock=self.clock,
        )

    def ctx(self, tenant_id: str | None = None) -> CommandContext:
        return CommandContext(tenant_id=tenant_id or self.tenant_id, actor="ops-test")

    def create(self, campaign_id: str | None = None, *, tenant_id: str | None = None) -> str:
        return self.service.create_campaign(
            self.ctx(tenant_id), name="Spring", brief=brief(), campaign_id=campaign_id
        ).id

    def fill(self, campaign_id: str, *, versions: int = 3, tenant_id: str | None = None) -> int:
        """Versions of a copy artifact, each audited, with iterations between them; a run;
        returns the campaign's stream version."""
        ctx = self.ctx(tenant_id)
        self.clock.advance(seconds=1)
        artifact = self.service.create_artifact(ctx, campaign_id, artifact_type="Copy").id
        previous: str | None = None
        for number in range(versions):
            self.clock.advance(seconds=1)
            version = self.service.create_version(
                ctx, campaign_id, artifact, content=f"Copy number {number} ✓"
            ).id
            self.service.record_audit(
                ctx,
                campaign_id,
                version,
                report=AuditReport(
                    overall_status=AuditStatus.FAIL if number < versions - 1 else AuditStatus.PASS,
                    category_scores={"tone": CategoryScore(score=50.5 + number)},
                ),
            )
            if previous is not None:
                self.service.log_iteration(
                    ctx,
                    campaign_id,
                    iteration=Iteration(
                        artifact_id=artifact,
                        old_version_id=previous,
                        new_version_id=version,
                        feedback_text="warmer",
                    ),
                )
            previous = version
        assert previous is not None
        self.service.approve_version(ctx, campaign_id, previous)
        self.service.set_active_version(ctx, campaign_id, "Copy", previous)
        run = self.service.queue_run(ctx, campaign_id, execution_mode="Sequential").id
        self.service.start_run(ctx, campaign_id, run)
        self.service.attach_step_result(
            ctx,
            campaign_id,
            run,
            step_id="draft",
            artifacts=[
                ContextArtifact(
                    id=artifact, type="plan", uri="https://example.com/plan", hash="c" * 64
                )
            ],
        )
        self.service.record_quality_check(
            ctx,
            campaign_id,
            run,
            check=QualityCheck(
                artifact_id=artifact, check_type="tone", status=QualityCheckStatus.PASSED
            ),
        )
        return self.service.complete_run(
            ctx, campaign_id, run, artifact_version_ids=[previous]
        ).version

    def delete(self, campaign_id: str, *, tenant_id: str | None = None) -> None:
        self.clock.advance(seconds=1)
        self.service.delete_campaign(self.ctx(tenant_id), campaign_id)


def dump_events(store: DocumentStore) -> dict[tuple[str, str], dict[str, Any]]:
    """Every event document of the store by ``(campaign, id)``, as the log holds it (the store's
    fields and the id of the append that wrote it left out)."""
    dumped: dict[tuple[str, str], dict[str, Any]] = {}
    continuation: str | None = None
    while True:
        page = store.scan(EVENTS, {"docType": "event"}, continuation=continuation)
        for document in page.items:
            kept = {k: v for k, v in document.items() if k not in ("_etag", "_ts", "appendId")}
            dumped[(document["partitionKey"], document["id"])] = kept
        continuation = page.continuation
        if continuation is None:
            return dumped


def export_all(store: DocumentStore, **options: Any) -> list[str]:
    """The export of ``store`` (lines without newlines)."""
    return list(export_lines(store, ExportReport(), **options))


def import_into(store: DocumentStore, lines: Iterable[str]) -> ImportReport:
    return EventImport(store, campaign_application(store)).run(lines)
