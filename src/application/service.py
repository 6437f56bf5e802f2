"""The application service: one method per command of API.md, plain values in, ids and the new
stream version out, plus the reads of raw events.

INTERFACE DRAFT: the signatures below are the contract the HTTP layer and the CLI build on.
Bodies are filled in by the "Foundation" work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from domain.recorded import RecordedEvent
from domain.values import (
    AuditReport,
    Brief,
    ContextArtifact,
    Iteration,
    QualityCheck,
    Trigger,
)


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class CommandContext:
    """Who asks, on whose behalf, and under which ids; stored as every event's metadata.

    ``expected_version`` pins the campaign's stream version (HTTP ``If-Match``): a mismatch raises
    ``PreconditionFailed`` instead of the silent reload-and-retry used otherwise.
    """

    tenant_id: str = "default"
    actor: str = "anonymous"
    command_id: str = field(default_factory=_new_id)
    correlation_id: str | None = None
    causation_id: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class CommandResult:
    """What a command answers.

    ``id`` is the entity the command created or addressed; ``version`` the campaign's stream
    version after it (for a repeated create: the version of the first answer). ``appended`` is
    False when nothing was appended (a repeat, or an effect already in place).
    """

    id: str
    version: int
    status: str | None = None
    version_number: int | None = None
    appended: bool = True


class CampaignLedger:
    """Use cases of the write side. Every method raises only ``domain.errors`` exceptions."""

    def create_campaign(
        self, ctx: CommandContext, *, name: str, brief: Brief, campaign_id: str | None = None
    ) -> CommandResult:
        raise NotImplementedError

    def update_campaign(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        name: str | None = None,
        brief: Brief | None = None,
    ) -> CommandResult:
        raise NotImplementedError

    def change_status(self, ctx: CommandContext, campaign_id: str, status: str) -> CommandResult:
        raise NotImplementedError

    def delete_campaign(self, ctx: CommandContext, campaign_id: str) -> CommandResult:
        raise NotImplementedError

    def restore_campaign(self, ctx: CommandContext, campaign_id: str) -> CommandResult:
        raise NotImplementedError

    def create_artifact(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        artifact_type: str,
        artifact_id: str | None = None,
    ) -> CommandResult:
        raise NotImplementedError

    def create_version(
        self,
        ctx: CommandContext,
        campaign_id: str,
        artifact_id: str,
        *,
        content: str,
        run_id: str | None = None,
        version_id: str | None = None,
    ) -> CommandResult:
        """``version_number`` of the result is the new version's number."""
        raise NotImplementedError

    def record_audit(
        self,
        ctx: CommandContext,
        campaign_id: str,
        version_id: str,
        *,
        report: AuditReport,
        audit_id: str | None = None,
    ) -> CommandResult:
        raise NotImplementedError

    def approve_version(
        self, ctx: CommandContext, campaign_id: str, version_id: str
    ) -> CommandResult:
        raise NotImplementedError

    def archive_version(
        self, ctx: CommandContext, campaign_id: str, version_id: str
    ) -> CommandResult:
        raise NotImplementedError

    def set_active_version(
        self, ctx: CommandContext, campaign_id: str, artifact_type: str, version_id: str
    ) -> CommandResult:
        raise NotImplementedError

    def log_iteration(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        iteration: Iteration,
        iteration_id: str | None = None,
    ) -> CommandResult:
        raise NotImplementedError

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
    ) -> CommandResult:
        raise NotImplementedError

    def start_run(self, ctx: CommandContext, campaign_id: str, run_id: str) -> CommandResult:
        raise NotImplementedError

    def attach_step_result(
        self,
        ctx: CommandContext,
        campaign_id: str,
        run_id: str,
        *,
        step_id: str,
        artifacts: list[ContextArtifact],
        input_hash: str | None = None,
    ) -> CommandResult:
        raise NotImplementedError

    def record_quality_check(
        self, ctx: CommandContext, campaign_id: str, run_id: str, *, check: QualityCheck
    ) -> CommandResult:
        raise NotImplementedError

    def complete_run(
        self,
        ctx: CommandContext,
        campaign_id: str,
        run_id: str,
        *,
        artifact_version_ids: list[str] | None = None,
    ) -> CommandResult:
        raise NotImplementedError

    def fail_run(
        self, ctx: CommandContext, campaign_id: str, run_id: str, *, error_message: str
    ) -> CommandResult:
        raise NotImplementedError

    def cancel_run(self, ctx: CommandContext, campaign_id: str, run_id: str) -> CommandResult:
        raise NotImplementedError

    def read_events(
        self, tenant_id: str, campaign_id: str, *, after: int = 0, limit: int = 100
    ) -> list[RecordedEvent]:
        """Events of one campaign in stream order with version > ``after``; 404 rules apply."""
        raise NotImplementedError
