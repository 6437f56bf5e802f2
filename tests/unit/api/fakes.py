"""Fakes of the ports the hosts use (``api.ports``): ``FakeCommands`` and ``FakeReads`` implement
``CampaignCommands`` and ``CampaignReads``, record what a host asked and answer what a test
prepared; ``FakeServices`` bundles them as ``ApiServices``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from application.command_execution import CommandContext
from bootstrap.settings import Settings
from domain.artifact_types import ArtifactTypeRegistry
from domain.campaign import Outcome
from domain.errors import CampaignNotFound, EntityNotFound, InvalidInput, LedgerError
from domain.recorded import RecordedEvent
from domain.values import (
    AuditReport,
    Brief,
    ContextArtifact,
    Iteration,
    QualityCheck,
    Revision,
    Trigger,
)
from projections.notification_hub import NotificationHub
from projections.reads import CampaignPage, Moment, View


@dataclass(frozen=True)
class Call:
    """One call the API made: the method, its context (for commands) and its arguments."""

    method: str
    ctx: CommandContext | None
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class FakeCommands:
    """A ``CampaignCommands`` that answers every command with the next stream version, or raises
    ``error`` when set."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget every call and prepared answer."""
        self.calls: list[Call] = []
        self.error: LedgerError | Exception | None = None
        self.version = 0
        self.status: str | None = None
        self.version_number: int | None = None
        self.revision_number: int | None = None
        self.events: list[RecordedEvent] = []
        self.artifact_types = ArtifactTypeRegistry.standard()

    @property
    def last(self) -> Call:
        return self.calls[-1]

    def _answer(
        self, method: str, ctx: CommandContext, *args: Any, entity_id: str | None = None, **kw: Any
    ) -> Outcome:
        self.calls.append(Call(method, ctx, args, kw))
        if self.error is not None:
            raise self.error
        self.version += 1
        return Outcome(
            id=entity_id or (args[0] if args else str(uuid.uuid4())),
            version=self.version,
            status=self.status,
            version_number=self.version_number,
            revision_number=self.revision_number,
        )

    def create_campaign(
        self, ctx: CommandContext, *, name: str, brief: Brief, campaign_id: str | None = None
    ) -> Outcome:
        return self._answer(
            "create_campaign",
            ctx,
            entity_id=campaign_id,
            name=name,
            brief=brief,
            campaign_id=campaign_id,
        )

    def update_campaign(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        name: str | None = None,
        brief: Brief | None = None,
    ) -> Outcome:
        return self._answer("update_campaign", ctx, campaign_id, name=name, brief=brief)

    def change_status(self, ctx: CommandContext, campaign_id: str, status: str) -> Outcome:
        return self._answer("change_status", ctx, campaign_id, status)

    def delete_campaign(self, ctx: CommandContext, campaign_id: str) -> Outcome:
        return self._answer("delete_campaign", ctx, campaign_id)

    def restore_campaign(self, ctx: CommandContext, campaign_id: str) -> Outcome:
        return self._answer("restore_campaign", ctx, campaign_id)

    def create_artifact(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        artifact_type: str,
        artifact_id: str | None = None,
    ) -> Outcome:
        return self._answer(
            "create_artifact",
            ctx,
            campaign_id,
            entity_id=artifact_id or str(uuid.uuid4()),
            artifact_type=artifact_type,
            artifact_id=artifact_id,
        )

    def create_version(
        self,
        ctx: CommandContext,
        campaign_id: str,
        artifact_id: str,
        *,
        content: str,
        run_id: str | None = None,
        version_id: str | None = None,
    ) -> Outcome:
        return self._answer(
            "create_version",
            ctx,
            campaign_id,
            artifact_id,
            entity_id=version_id or str(uuid.uuid4()),
            content=content,
            run_id=run_id,
            version_id=version_id,
        )

    def record_audit(
        self,
        ctx: CommandContext,
        campaign_id: str,
        version_id: str,
        *,
        report: AuditReport,
        audit_id: str | None = None,
    ) -> Outcome:
        return self._answer(
            "record_audit",
            ctx,
            campaign_id,
            version_id,
            entity_id=audit_id or str(uuid.uuid4()),
            report=report,
            audit_id=audit_id,
        )

    def approve_version(self, ctx: CommandContext, campaign_id: str, version_id: str) -> Outcome:
        return self._answer("approve_version", ctx, campaign_id, version_id, entity_id=version_id)

    def archive_version(self, ctx: CommandContext, campaign_id: str, version_id: str) -> Outcome:
        return self._answer("archive_version", ctx, campaign_id, version_id, entity_id=version_id)

    def set_active_version(
        self, ctx: CommandContext, campaign_id: str, artifact_type: str, version_id: str
    ) -> Outcome:
        return self._answer("set_active_version", ctx, campaign_id, artifact_type, version_id)

    def log_iteration(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        iteration: Iteration,
        iteration_id: str | None = None,
    ) -> Outcome:
        return self._answer(
            "log_iteration",
            ctx,
            campaign_id,
            entity_id=iteration_id or str(uuid.uuid4()),
            iteration=iteration,
            iteration_id=iteration_id,
        )

    def request_revision(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        revision: Revision,
        revision_id: str | None = None,
    ) -> Outcome:
        return self._answer(
            "request_revision",
            ctx,
            campaign_id,
            entity_id=revision_id or str(uuid.uuid4()),
            revision=revision,
            revision_id=revision_id,
        )

    def queue_run(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        execution_mode: str,
        workflow_name: str | None = None,
        trigger: Trigger | None = None,
        base_run_id: str | None = None,
        run_id: str | None = None,
    ) -> Outcome:
        return self._answer(
            "queue_run",
            ctx,
            campaign_id,
            entity_id=run_id or str(uuid.uuid4()),
            execution_mode=execution_mode,
            workflow_name=workflow_name,
            trigger=trigger,
            base_run_id=base_run_id,
            run_id=run_id,
        )

    def start_run(self, ctx: CommandContext, campaign_id: str, run_id: str) -> Outcome:
        return self._answer("start_run", ctx, campaign_id, run_id, entity_id=run_id)

    def attach_step_result(
        self,
        ctx: CommandContext,
        campaign_id: str,
        run_id: str,
        *,
        step_id: str,
        artifacts: list[ContextArtifact],
        input_hash: str | None = None,
    ) -> Outcome:
        return self._answer(
            "attach_step_result",
            ctx,
            campaign_id,
            run_id,
            entity_id=run_id,
            step_id=step_id,
            artifacts=artifacts,
            input_hash=input_hash,
        )

    def record_quality_check(
        self, ctx: CommandContext, campaign_id: str, run_id: str, *, check: QualityCheck
    ) -> Outcome:
        return self._answer(
            "record_quality_check", ctx, campaign_id, run_id, entity_id=run_id, check=check
        )

    def complete_run(
        self,
        ctx: CommandContext,
        campaign_id: str,
        run_id: str,
        *,
        artifact_version_ids: list[str] | None = None,
    ) -> Outcome:
        return self._answer(
            "complete_run",
            ctx,
            campaign_id,
            run_id,
            entity_id=run_id,
            artifact_version_ids=artifact_version_ids,
        )

    def fail_run(
        self, ctx: CommandContext, campaign_id: str, run_id: str, *, error_message: str
    ) -> Outcome:
        return self._answer(
            "fail_run", ctx, campaign_id, run_id, entity_id=run_id, error_message=error_message
        )

    def cancel_run(self, ctx: CommandContext, campaign_id: str, run_id: str) -> Outcome:
        return self._answer("cancel_run", ctx, campaign_id, run_id, entity_id=run_id)

    def read_events(
        self,
        tenant_id: str,
        campaign_id: str,
        *,
        after: int = 0,
        limit: int = 100,
        restorable: bool = False,
    ) -> list[RecordedEvent]:
        self.calls.append(
            Call(
                "read_events",
                None,
                (tenant_id, campaign_id),
                {"after": after, "limit": limit, "restorable": restorable},
            )
        )
        if self.error is not None:
            raise self.error
        mine = [e for e in self.events if e.campaign_id == campaign_id and e.tenant_id == tenant_id]
        if not mine:
            raise CampaignNotFound(f"No campaign {campaign_id}.")
        return [e for e in mine if e.version > after][:limit]


class FakeReads:
    """A ``CampaignReads`` serving prepared views keyed by (kind, tenant, campaign, entity); a
    missing key is 404."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget every prepared view, page and look at the projection."""
        self.views: dict[tuple[str, str, str, str | None], View] = {}
        self.pages: dict[tuple[str, str | None], CampaignPage] = {}
        self.projected_version = 0
        self.looks: list[tuple[str, str, int]] = []
        self.store_error: Exception | None = None
        self.error: Exception | None = None
        self.status: dict[str, Any] = {"projections": []}
        self.status_tenant: str | None = None
        self.last_list: tuple[str, str | None, int, str | None] | None = None
        self.last_deleted: bool | None = None
        self.last_page: dict[str, Any] | None = None
        """The paging and filter arguments of the last read of a campaign's list."""
        self.moments: list[Moment] = []
        """The moments the reads of the past were asked for, in order."""

    def put(self, kind: str, tenant: str, campaign_id: str, entity: str | None, view: View) -> None:
        self.views[(kind, tenant, campaign_id, entity)] = view

    def _view(self, kind: str, tenant: str, campaign_id: str, entity: str | None) -> View:
        if self.error is not None:
            raise self.error
        found = self.views.get((kind, tenant, campaign_id, entity))
        if found is not None:
            return found
        if not any(key[1:3] == (tenant, campaign_id) for key in self.views):
            raise CampaignNotFound(f"No campaign {campaign_id}.")
        raise EntityNotFound(f"No {kind} {entity}.")

    def campaign(self, tenant_id: str, campaign_id: str) -> View:
        return self._view("campaign", tenant_id, campaign_id, None)

    def campaign_at(self, tenant_id: str, campaign_id: str, moment: Moment) -> View:
        self.moments.append(moment)
        return self._view("campaign-at", tenant_id, campaign_id, None)

    def artifacts(self, tenant_id: str, campaign_id: str) -> View:
        return self._view("artifacts", tenant_id, campaign_id, None)

    def artifact(self, tenant_id: str, campaign_id: str, artifact_id: str) -> View:
        return self._view("artifact", tenant_id, campaign_id, artifact_id)

    def latest_version(self, tenant_id: str, campaign_id: str, artifact_id: str) -> View:
        return self._view("latest-version", tenant_id, campaign_id, artifact_id)

    def version_history_at(
        self,
        tenant_id: str,
        campaign_id: str,
        artifact_id: str,
        moment: Moment,
        *,
        limit: int = 1_000,
        continuation: str | None = None,
    ) -> View:
        self.moments.append(moment)
        self.last_page = {"limit": limit, "continuation": continuation}
        return self._view("history-at", tenant_id, campaign_id, artifact_id)

    def version_history(
        self,
        tenant_id: str,
        campaign_id: str,
        artifact_id: str,
        *,
        limit: int = 1_000,
        continuation: str | None = None,
    ) -> View:
        self.last_page = {"limit": limit, "continuation": continuation}
        return self._view("history", tenant_id, campaign_id, artifact_id)

    def version(self, tenant_id: str, campaign_id: str, version_id: str) -> View:
        return self._view("version", tenant_id, campaign_id, version_id)

    def audits(
        self,
        tenant_id: str,
        campaign_id: str,
        version_id: str,
        *,
        limit: int = 1_000,
        continuation: str | None = None,
    ) -> View:
        self.last_page = {"limit": limit, "continuation": continuation}
        return self._view("audits", tenant_id, campaign_id, version_id)

    def campaign_audits(
        self,
        tenant_id: str,
        campaign_id: str,
        *,
        artifact_id: str | None = None,
        version_id_: str | None = None,
        overall_status: str | None = None,
        limit: int = 100,
        continuation: str | None = None,
    ) -> View:
        self.last_page = {
            "artifactId": artifact_id,
            "versionId": version_id_,
            "overallStatus": overall_status,
            "limit": limit,
            "continuation": continuation,
        }
        return self._view("campaign-audits", tenant_id, campaign_id, None)

    def iterations(
        self,
        tenant_id: str,
        campaign_id: str,
        artifact_id: str | None = None,
        *,
        limit: int = 1_000,
        continuation: str | None = None,
    ) -> View:
        self.last_page = {"limit": limit, "continuation": continuation}
        return self._view("iterations", tenant_id, campaign_id, artifact_id)

    def run(self, tenant_id: str, campaign_id: str, run_id: str) -> View:
        return self._view("run", tenant_id, campaign_id, run_id)

    def runs(
        self,
        tenant_id: str,
        campaign_id: str,
        *,
        status: str | None = None,
        limit: int = 100,
        continuation: str | None = None,
    ) -> View:
        self.last_page = {"status": status, "limit": limit, "continuation": continuation}
        return self._view("runs", tenant_id, campaign_id, None)

    def revisions(
        self,
        tenant_id: str,
        campaign_id: str,
        *,
        limit: int = 100,
        continuation: str | None = None,
    ) -> View:
        self.last_page = {"limit": limit, "continuation": continuation}
        return self._view("revisions", tenant_id, campaign_id, None)

    def statistics(self, tenant_id: str) -> View:
        if self.error is not None:
            raise self.error
        found = self.views.get(("statistics", tenant_id, "", None))
        return found or View(body={}, version=0, etag="empty")

    def list_campaigns(
        self,
        tenant_id: str,
        *,
        status: str | None = None,
        deleted: bool = False,
        limit: int = 20,
        continuation: str | None = None,
    ) -> CampaignPage:
        if continuation == "not-a-token":
            raise InvalidInput("unreadable continuation", code="invalid-continuation")
        self.last_list = (tenant_id, status, limit, continuation)
        self.last_deleted = deleted
        return self.pages.get((tenant_id, continuation), CampaignPage(items=[], continuation=None))

    def has_reached(self, tenant_id: str, campaign_id: str, min_version: int) -> bool:
        """Reached once ``projected_version`` is, for a campaign the tenant has a view of."""
        self.looks.append((tenant_id, campaign_id, min_version))
        visible = any(key[1:3] == (tenant_id, campaign_id) for key in self.views)
        return visible and self.projected_version >= min_version

    def projection_status(self, tenant_id: str | None = None) -> dict[str, Any]:
        self.status_tenant = tenant_id  # the route asks for the caller's tenant only
        return self.status

    def check_store(self) -> None:
        if self.store_error is not None:
            raise self.store_error


@dataclass
class FakeServices:
    """``ApiServices`` over the fakes, without live updates; counts how often it was closed."""

    commands: FakeCommands = field(default_factory=FakeCommands)
    reads: FakeReads = field(default_factory=FakeReads)
    settings: Settings = field(default_factory=Settings)
    notification_hub: NotificationHub | None = None
    closed: int = 0

    def close(self) -> None:
        self.closed += 1

    def reset(self) -> None:
        self.commands.reset()
        self.reads.reset()
        self.closed = 0


FakeLedger = FakeServices
"""The name ``tests/unit/api/test_openapi.py`` imports: that test stays as it was, to show that
the OpenAPI document did not change when the routes moved."""
