"""The application service: one method per command of API.md, plain values in, ids and the new
stream version out, plus the reads of raw events.

The signatures are the contract the HTTP layer and the CLI build on. Every command runs the same
way (``application.command_execution``): load the campaign with the entities the command names
(one read of known ids), check the tenant and the soft-delete state, let the aggregate decide,
and append what it decided with the head's core snapshot and the entity states it changed.
Shape and domain rules are the aggregate's; the service only turns plain strings into the
domain's types (ids, enum members) and names the entities each command touches.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from application.campaign_application import CampaignApplication
from application.campaign_locks import CampaignLocks
from application.command_execution import (
    AppendListener,
    CommandContext,
    CommandExecution,
    utc_now,
)
from application.observation import CommandObserver, observed_command
from domain import validation
from domain.artifact_types import ArtifactTypeRegistry
from domain.campaign import Campaign, Outcome
from domain.errors import (
    CampaignNotFound,
    CampaignPurged,
    FieldError,
    IdConflict,
    InvalidInput,
)
from domain.recorded import RecordedEvent
from domain.values import (
    ArtifactType,
    AuditReport,
    Brief,
    CampaignStatus,
    ContextArtifact,
    ExecutionMode,
    Iteration,
    QualityCheck,
    Revision,
    Trigger,
)

MAX_EVENTS_PAGE = 1_000


class CampaignService(CommandExecution):
    """Use cases of the write side. Every method raises only ``domain.errors`` exceptions.

    ``on_appended`` (optional) is told the campaign id and new stream version after every command
    that appended (never after a repeat), e.g. to wake the in-process projection processor; its
    failures are logged and never fail the command, which is already stored.
    ``command_observer`` (optional) runs every command (``application.observation``).
    ``locks`` (default: this process's own) are the campaign locks its writers take turns on.
    """

    def __init__(
        self,
        application: CampaignApplication,
        *,
        artifact_types: ArtifactTypeRegistry,
        restore_window: timedelta = timedelta(days=30),
        max_audit_retries: int = 5,
        clock: Callable[[], datetime] = utc_now,
        max_attempts: int = 8,
        on_appended: AppendListener | None = None,
        command_observer: CommandObserver | None = None,
        locks: CampaignLocks | None = None,
    ) -> None:
        super().__init__(
            application,
            clock=clock,
            max_attempts=max_attempts,
            on_appended=on_appended,
            locks=locks,
        )
        self.command_observer = command_observer
        self.artifact_types = artifact_types
        self.restore_window = restore_window
        self.max_audit_retries = max_audit_retries

    # -- campaign ---------------------------------------------------------------------------

    @observed_command
    def create_campaign(
        self, ctx: CommandContext, *, name: str, brief: Brief, campaign_id: str | None = None
    ) -> Outcome:
        new_id = self._new_id(campaign_id)
        aggregate_id = UUID(new_id)

        def attempt() -> Outcome:
            try:
                existing = self.application.load_campaign(aggregate_id)
            except CampaignPurged:
                raise IdConflict(
                    f"campaign id {new_id} belonged to a campaign that was purged; "
                    "ids are never reused"
                ) from None
            except CampaignNotFound:
                campaign = Campaign.create(new_id, name=name, brief=brief, meta=self._meta(ctx))
                self._append(ctx, campaign, loaded_version=0)
                return Outcome(id=new_id, version=campaign.version)
            # A repeat answers its first result whatever the pin. An id conflict stays 409 even
            # under a stale pin: the campaign may be another tenant's, whose version a 412
            # would disclose.
            return existing.answer_repeated_creation(
                name=name, brief=brief, tenant_id=ctx.tenant_id
            )

        return self._run(ctx, aggregate_id, attempt)

    @observed_command
    def update_campaign(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        name: str | None = None,
        brief: Brief | None = None,
    ) -> Outcome:
        return self._execute(
            ctx, campaign_id, lambda c, meta: c.update(name=name, brief=brief, meta=meta)
        )

    @observed_command
    def change_status(self, ctx: CommandContext, campaign_id: str, status: str) -> Outcome:
        target = validation.member_of(CampaignStatus, status, "status")
        return self._execute(ctx, campaign_id, lambda c, meta: c.change_status(target, meta))

    @observed_command
    def delete_campaign(self, ctx: CommandContext, campaign_id: str) -> Outcome:
        return self._execute(ctx, campaign_id, lambda c, meta: c.delete(self.restore_window, meta))

    @observed_command
    def restore_campaign(self, ctx: CommandContext, campaign_id: str) -> Outcome:
        return self._execute(ctx, campaign_id, lambda c, meta: c.restore(meta), restoring=True)

    # -- artifacts and versions -------------------------------------------------------------

    @observed_command
    def create_artifact(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        artifact_type: str,
        artifact_id: str | None = None,
    ) -> Outcome:
        kind = validation.member_of(ArtifactType, artifact_type, "type")
        new_id = self._new_id(artifact_id)
        return self._execute(
            ctx, campaign_id, lambda c, meta: c.create_artifact(new_id, kind, meta), new_id
        )

    @observed_command
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
        """``version_number`` of the result is the new version's number."""
        new_id = self._new_id(version_id)
        artifact = validation.path_id(artifact_id)
        run = None if run_id is None else validation.entity_id(run_id, "runId")
        return self._execute(
            ctx,
            campaign_id,
            lambda c, meta: c.create_version(
                new_id, artifact, content=content, run_id=run, meta=meta
            ),
            new_id,
            run,
        )

    @observed_command
    def record_audit(
        self,
        ctx: CommandContext,
        campaign_id: str,
        version_id: str,
        *,
        report: AuditReport,
        audit_id: str | None = None,
    ) -> Outcome:
        new_id = self._new_id(audit_id)
        version = validation.path_id(version_id)
        return self._execute(
            ctx,
            campaign_id,
            lambda c, meta: c.record_audit(new_id, version, report, meta),
            new_id,
            version,
        )

    @observed_command
    def approve_version(self, ctx: CommandContext, campaign_id: str, version_id: str) -> Outcome:
        version = validation.path_id(version_id)
        return self._execute(
            ctx, campaign_id, lambda c, meta: c.approve_version(version, meta), version
        )

    @observed_command
    def archive_version(self, ctx: CommandContext, campaign_id: str, version_id: str) -> Outcome:
        version = validation.path_id(version_id)
        return self._execute(
            ctx, campaign_id, lambda c, meta: c.archive_version(version, meta), version
        )

    @observed_command
    def set_active_version(
        self, ctx: CommandContext, campaign_id: str, artifact_type: str, version_id: str
    ) -> Outcome:
        kind = validation.member_of(ArtifactType, artifact_type, "artifactType")
        version = validation.entity_id(version_id, "versionId")
        return self._execute(
            ctx, campaign_id, lambda c, meta: c.set_active_version(kind, version, meta), version
        )

    @observed_command
    def log_iteration(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        iteration: Iteration,
        iteration_id: str | None = None,
    ) -> Outcome:
        new_id = self._new_id(iteration_id)
        return self._execute(
            ctx,
            campaign_id,
            lambda c, meta: c.log_iteration(new_id, iteration, meta),
            new_id,
            iteration.old_version_id,
            iteration.new_version_id,
            iteration.revision_id,
        )

    def request_revision(
        self,
        ctx: CommandContext,
        campaign_id: str,
        *,
        revision: Revision,
        revision_id: str | None = None,
    ) -> Outcome:
        """``revision_number`` of the result is the new revision's number."""
        new_id = self._new_id(revision_id)
        return self._execute(
            ctx,
            campaign_id,
            lambda c, meta: c.request_revision(
                new_id, revision, max_audit_retries=self.max_audit_retries, meta=meta
            ),
            new_id,
            *revision.artifact_ids,
        )

    # -- runs -------------------------------------------------------------------------------

    @observed_command
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
        mode = validation.member_of(ExecutionMode, execution_mode, "executionMode")
        new_id = self._new_id(run_id)
        base = None if base_run_id is None else validation.entity_id(base_run_id, "baseRunId")
        given_trigger = trigger or Trigger()
        return self._execute(
            ctx,
            campaign_id,
            lambda c, meta: c.queue_run(
                new_id,
                execution_mode=mode,
                workflow_name=workflow_name,
                trigger=given_trigger,
                base_run_id=base,
                meta=meta,
            ),
            new_id,
            base,
        )

    @observed_command
    def start_run(self, ctx: CommandContext, campaign_id: str, run_id: str) -> Outcome:
        run = validation.path_id(run_id)
        return self._execute(ctx, campaign_id, lambda c, meta: c.start_run(run, meta), run)

    @observed_command
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
        run = validation.path_id(run_id)
        return self._execute(
            ctx,
            campaign_id,
            lambda c, meta: c.attach_step_result(
                run,
                step_id=step_id,
                input_hash=input_hash,
                artifacts=list(artifacts),
                registry=self.artifact_types,
                meta=meta,
            ),
            run,
        )

    @observed_command
    def record_quality_check(
        self, ctx: CommandContext, campaign_id: str, run_id: str, *, check: QualityCheck
    ) -> Outcome:
        run = validation.path_id(run_id)
        return self._execute(
            ctx, campaign_id, lambda c, meta: c.record_quality_check(run, check, meta), run
        )

    @observed_command
    def complete_run(
        self,
        ctx: CommandContext,
        campaign_id: str,
        run_id: str,
        *,
        artifact_version_ids: list[str] | None = None,
    ) -> Outcome:
        run = validation.path_id(run_id)
        versions = [
            validation.entity_id(version_id, f"artifactVersionIds[{index}]")
            for index, version_id in enumerate(artifact_version_ids or [])
        ]
        return self._execute(
            ctx, campaign_id, lambda c, meta: c.complete_run(run, versions, meta), run, *versions
        )

    @observed_command
    def fail_run(
        self, ctx: CommandContext, campaign_id: str, run_id: str, *, error_message: str
    ) -> Outcome:
        run = validation.path_id(run_id)
        return self._execute(
            ctx, campaign_id, lambda c, meta: c.fail_run(run, error_message, meta), run
        )

    @observed_command
    def cancel_run(self, ctx: CommandContext, campaign_id: str, run_id: str) -> Outcome:
        run = validation.path_id(run_id)
        return self._execute(ctx, campaign_id, lambda c, meta: c.cancel_run(run, meta), run)

    def read_events(
        self,
        tenant_id: str,
        campaign_id: str,
        *,
        after: int = 0,
        limit: int = 100,
        restorable: bool = False,
    ) -> list[RecordedEvent]:
        """Events of one campaign in stream order with version > ``after``; 404 rules apply.
        With ``restorable``, a soft-deleted campaign's log stays readable within its restore
        window (``GET …/events``: what an operator checks before restoring)."""
        if after < 0:
            raise InvalidInput("after: must be 0 or more", [FieldError("after", "must be >= 0")])
        if not 1 <= limit <= MAX_EVENTS_PAGE:
            message = f"must be between 1 and {MAX_EVENTS_PAGE}"
            raise InvalidInput(f"limit: {message}", [FieldError("limit", message)])
        aggregate_id = self._campaign_uuid(campaign_id)
        campaign = self.application.load_campaign(aggregate_id)
        if restorable:
            campaign.ensure_restorable_by(tenant_id, self._clock())
        else:
            campaign.ensure_visible_to(tenant_id)
        events = self.application.events.get(aggregate_id, gt=after, limit=limit)
        return [RecordedEvent.from_domain_event(event) for event in events]
