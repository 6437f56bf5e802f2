"""Builders for domain tests: a campaign with a fixed clock and fresh ids."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from domain.artifact_types import ArtifactTypeRegistry
from domain.campaign import Campaign
from domain.metadata import CommandMetadata
from domain.values import (
    ArtifactType,
    AuditReport,
    AuditStatus,
    Brief,
    CampaignStatus,
    ContextArtifact,
    ExecutionMode,
    Trigger,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def new_id() -> str:
    return str(uuid4())


def meta(at: datetime = T0, tenant_id: str = "default") -> CommandMetadata:
    return CommandMetadata(command_id=new_id(), actor="tester", tenant_id=tenant_id, at=at)


def brief(objective: str = "Launch the spring range") -> Brief:
    return Brief(objective=objective, target_audience="Runners", product_details="Trail shoe")


def report(status: AuditStatus = AuditStatus.PASS, score: float = 90) -> AuditReport:
    return AuditReport(overall_status=status, category_scores={"brand": {"score": score}})


def context_artifact(
    artifact_type: str = "plan", artifact_id: str | None = None
) -> ContextArtifact:
    return ContextArtifact(
        id=artifact_id or new_id(),
        type=artifact_type,
        uri=f"https://blob.example/{artifact_type}",
        hash="A" * 64,
    )


class Scenario:
    """A campaign under test and shortcuts to the commands that set up a rule."""

    def __init__(self) -> None:
        self.campaign = Campaign.create(new_id(), name="Spring", brief=brief(), meta=meta())
        self.registry = ArtifactTypeRegistry.standard()

    def artifact(self, artifact_type: ArtifactType = ArtifactType.COPY) -> str:
        artifact_id = new_id()
        self.campaign.create_artifact(artifact_id, artifact_type, meta())
        return artifact_id

    def version(self, artifact_id: str, content: str = "Run further.") -> str:
        version_id = new_id()
        self.campaign.create_version(
            version_id, artifact_id, content=content, run_id=None, meta=meta()
        )
        return version_id

    def audited(self, artifact_id: str, status: AuditStatus = AuditStatus.PASS) -> str:
        version_id = self.version(artifact_id)
        self.campaign.record_audit(new_id(), version_id, report(status), meta())
        return version_id

    def approved(self, artifact_id: str) -> str:
        version_id = self.audited(artifact_id)
        self.campaign.approve_version(version_id, meta())
        return version_id

    def run(self, *, started: bool = True, base_run_id: str | None = None) -> str:
        run_id = new_id()
        self.campaign.queue_run(
            run_id,
            execution_mode=ExecutionMode.SEQUENTIAL,
            workflow_name="launch",
            trigger=Trigger(),
            base_run_id=base_run_id,
            meta=meta(),
        )
        if started:
            self.campaign.start_run(run_id, meta())
        return run_id

    def step(self, run_id: str, *artifacts: ContextArtifact, step_id: str = "plan") -> None:
        self.campaign.attach_step_result(
            run_id,
            step_id=step_id,
            input_hash="in-1",
            artifacts=list(artifacts),
            registry=self.registry,
            meta=meta(),
        )

    def cancel_campaign(self) -> None:
        self.campaign.change_status(CampaignStatus.CANCELLED, meta())

    def appended(self, action: Callable[[], object]) -> int:
        """How many events ``action`` appended."""
        before = len(self.campaign.pending_events)
        action()
        return len(self.campaign.pending_events) - before


def later(days: float) -> datetime:
    return T0 + timedelta(days=days)
