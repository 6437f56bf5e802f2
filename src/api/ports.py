"""What the hosts (the HTTP API, the CLI, the Functions app) need of the service: the commands,
the reads and the services that bundle them. The composition root's ``CampaignService`` and
``ReadModel`` satisfy these Protocols; tests give fakes that implement them.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from starlette.types import ASGIApp

from application.command_execution import CommandContext
from bootstrap.settings import Settings
from domain.artifact_types import ArtifactTypeRegistry
from domain.campaign import Outcome
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


class CampaignCommands(Protocol):
    """The write side: one method per command of API.md, and the raw events of a campaign.

    Every method raises only ``domain.errors`` exceptions (see ``CampaignService``)."""

    def create_campaign(
        self, ctx: CommandContext, *, name: str, brief: Brief, campaign_id: str | None = None
    ) -> Outcome: ...

    def update_campaign(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        name: str | None = None,
        brief: Brief | None = None,
    ) -> Outcome: ...

    def change_status(self, ctx: CommandContext, campaign_id: str, status: str) -> Outcome: ...

    def delete_campaign(self, ctx: CommandContext, campaign_id: str) -> Outcome: ...

    def restore_campaign(self, ctx: CommandContext, campaign_id: str) -> Outcome: ...

    def create_artifact(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        artifact_type: str,
        artifact_id: str | None = None,
    ) -> Outcome: ...

    def create_version(
        self,
        ctx: CommandContext,
        campaign_id: str,
        artifact_id: str,
        *,
        content: str,
        run_id: str | None = None,
        version_id: str | None = None,
    ) -> Outcome: ...

    def record_audit(
        self,
        ctx: CommandContext,
        campaign_id: str,
        version_id: str,
        *,
        report: AuditReport,
        audit_id: str | None = None,
    ) -> Outcome: ...

    def approve_version(
        self, ctx: CommandContext, campaign_id: str, version_id: str
    ) -> Outcome: ...

    def archive_version(
        self, ctx: CommandContext, campaign_id: str, version_id: str
    ) -> Outcome: ...

    def set_active_version(
        self, ctx: CommandContext, campaign_id: str, artifact_type: str, version_id: str
    ) -> Outcome: ...

    def log_iteration(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        iteration: Iteration,
        iteration_id: str | None = None,
    ) -> Outcome: ...

    def request_revision(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        revision: Revision,
        revision_id: str | None = None,
    ) -> Outcome: ...

    @property
    def artifact_types(self) -> ArtifactTypeRegistry:
        """The artifact-type registry the commands check context artifacts against."""
        ...

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
    ) -> Outcome: ...

    def start_run(self, ctx: CommandContext, campaign_id: str, run_id: str) -> Outcome: ...

    def attach_step_result(
        self,
        ctx: CommandContext,
        campaign_id: str,
        run_id: str,
        *,
        step_id: str,
        artifacts: list[ContextArtifact],
        input_hash: str | None = None,
    ) -> Outcome: ...

    def record_quality_check(
        self, ctx: CommandContext, campaign_id: str, run_id: str, *, check: QualityCheck
    ) -> Outcome: ...

    def complete_run(
        self,
        ctx: CommandContext,
        campaign_id: str,
        run_id: str,
        *,
        artifact_version_ids: list[str] | None = None,
    ) -> Outcome: ...

    def fail_run(
        self, ctx: CommandContext, campaign_id: str, run_id: str, *, error_message: str
    ) -> Outcome: ...

    def cancel_run(self, ctx: CommandContext, campaign_id: str, run_id: str) -> Outcome: ...

    def read_events(
        self,
        tenant_id: str,
        campaign_id: str,
        *,
        after: int = 0,
        limit: int = 100,
        restorable: bool = False,
    ) -> list[RecordedEvent]:
        """Events of one campaign in stream order with version > ``after``; with
        ``restorable``, also of a soft-deleted campaign within its restore window."""
        ...


class CampaignReads(Protocol):
    """The read side: point reads of the projections, the campaign list, projection lag.

    Unknown, foreign and deleted campaigns raise ``CampaignNotFound``; an unknown entity of a
    visible campaign raises ``EntityNotFound``; a past the campaign does not have raises
    ``VersionNotFound`` (see ``projections.reads.ReadModel``). Arguments
    before ``/`` go by position: implementations name them as they like."""

    def campaign(self, tenant_id: str, campaign_id: str, /) -> View: ...

    def campaign_at(self, tenant_id: str, campaign_id: str, moment: Moment, /) -> View:
        """The snapshot as it stood at ``moment`` (``VersionNotFound`` for a past the campaign
        does not have)."""
        ...

    def artifacts(self, tenant_id: str, campaign_id: str, /) -> View: ...

    def artifact(self, tenant_id: str, campaign_id: str, artifact_id: str, /) -> View: ...

    def latest_version(self, tenant_id: str, campaign_id: str, artifact_id: str, /) -> View: ...

    def version_history(
        self,
        tenant_id: str,
        campaign_id: str,
        artifact_id: str,
        /,
        *,
        limit: int = 1_000,
        continuation: str | None = None,
    ) -> View: ...

    def version_history_at(
        self,
        tenant_id: str,
        campaign_id: str,
        artifact_id: str,
        moment: Moment,
        /,
        *,
        limit: int = 1_000,
        continuation: str | None = None,
    ) -> View: ...

    def version(self, tenant_id: str, campaign_id: str, version_id: str, /) -> View: ...

    def audits(
        self,
        tenant_id: str,
        campaign_id: str,
        version_id: str,
        /,
        *,
        limit: int = 1_000,
        continuation: str | None = None,
    ) -> View: ...

    def campaign_audits(
        self,
        tenant_id: str,
        campaign_id: str,
        /,
        *,
        artifact_id: str | None = None,
        version_id_: str | None = None,
        overall_status: str | None = None,
        limit: int = 100,
        continuation: str | None = None,
    ) -> View: ...

    def iterations(
        self,
        tenant_id: str,
        campaign_id: str,
        artifact_id: str | None = None,
        /,
        *,
        limit: int = 1_000,
        continuation: str | None = None,
    ) -> View: ...

    def run(self, tenant_id: str, campaign_id: str, run_id: str, /) -> View: ...

    def runs(
        self,
        tenant_id: str,
        campaign_id: str,
        /,
        *,
        status: str | None = None,
        limit: int = 100,
        continuation: str | None = None,
    ) -> View: ...

    def revisions(
        self,
        tenant_id: str,
        campaign_id: str,
        /,
        *,
        limit: int = 100,
        continuation: str | None = None,
    ) -> View: ...

    def statistics(self, tenant_id: str, /) -> View: ...

    def list_campaigns(
        self,
        tenant_id: str,
        *,
        status: str | None = None,
        deleted: bool = False,
        limit: int = 20,
        continuation: str | None = None,
    ) -> CampaignPage: ...

    def has_reached(self, tenant_id: str, campaign_id: str, min_version: int, /) -> bool:
        """Whether the tenant's campaign is projected up to ``min_version`` (one point read);
        False alike for a campaign that does not exist, is another tenant's or is deleted."""
        ...

    def projection_status(self, tenant_id: str | None = None, /) -> dict[str, Any]: ...

    def check_store(self) -> None:
        """Return when the store answers a point read; its ``StoreError`` otherwise."""
        ...


class ApiServices(Protocol):
    """What the HTTP app serves: the commands and reads, and its settings. Services with live
    updates also have a ``notification_hub`` (see ``LiveUpdates``): the app then serves the SSE
    route; services with a ``telemetry`` (an ``HttpTelemetry``) get request telemetry and
    ``GET /metrics``."""

    @property
    def settings(self) -> Settings: ...

    @property
    def commands(self) -> CampaignCommands: ...

    @property
    def reads(self) -> CampaignReads: ...


class LiveUpdates(Protocol):
    """Services that may feed the SSE route: their in-process hub, None with live updates off."""

    @property
    def notification_hub(self) -> NotificationHub | None: ...


@runtime_checkable
class HttpTelemetry(Protocol):
    """The telemetry the HTTP app serves: a middleware that traces and measures each request,
    and the Prometheus text of ``GET /metrics``."""

    def request_middleware(self, app: ASGIApp, /) -> ASGIApp: ...

    def route_middleware(self, app: ASGIApp, /) -> ASGIApp: ...

    def metrics_exposition(self) -> bytes: ...


class ClosableApiServices(ApiServices, LiveUpdates, Protocol):
    """Services their builder hands over (the hosts' containers): whoever holds them closes
    them."""

    def close(self) -> None: ...
