"""Builders for application tests: a ledger on in-memory (POPO) persistence and a fake clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from application.campaign_application import CampaignApplication
from application.command_execution import CommandContext
from application.service import CampaignService
from domain.artifact_types import ArtifactTypeRegistry
from domain.values import AuditReport, AuditStatus, Brief

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


class Clock:
    """A clock that stands still until told to move."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def new_id() -> str:
    return str(uuid4())


def ctx(tenant_id: str = "default", **kwargs: object) -> CommandContext:
    return CommandContext(tenant_id=tenant_id, actor="tester", **kwargs)  # type: ignore[arg-type]


def brief(objective: str = "Launch the spring range") -> Brief:
    return Brief(objective=objective, target_audience="Runners", product_details="Trail shoe")


def report(status: AuditStatus = AuditStatus.PASS) -> AuditReport:
    return AuditReport(overall_status=status, category_scores={"brand": {"score": 90}})


def ledger(
    application: CampaignApplication | None = None,
    *,
    clock: Clock | None = None,
    max_attempts: int = 8,
    registry: ArtifactTypeRegistry | None = None,
    on_appended: Callable[[str, int], None] | None = None,
) -> CampaignService:
    return CampaignService(
        application or CampaignApplication(env=POPO),
        artifact_types=registry or ArtifactTypeRegistry.standard(),
        restore_window=timedelta(days=30),
        clock=clock or Clock(),
        max_attempts=max_attempts,
        on_appended=on_appended,
    )
