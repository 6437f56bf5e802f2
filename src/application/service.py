"""The application service: one method per command of API.md, plain values in, ids and the new
stream version out, plus the reads of raw events.

The signatures are the contract the HTTP layer and the CLI build on. Every command runs the same
way: load the campaign (one head read with a head-keeping store), check the tenant and the
soft-delete state, let the aggregate decide, and append what it decided together with the new
head snapshot. A pinned ``expected_version`` is checked after the decision: a command that
appends nothing (a repeat, or an effect already in place) answers its result whatever the pin;
one that would append, or that the aggregate refuses, meets ``PreconditionFailed`` when the
campaign is not at the pinned version. Writers of one campaign in this process take turns
(``CampaignLocks``); a writer in another process that appended first makes the append fail
(``ConcurrencyConflict``), and the command is then re-decided from a fresh load
(``ConflictRetryPolicy``), unless the caller pinned a version, who then gets
``PreconditionFailed``. Shape and domain rules are the aggregate's; the service only turns plain
strings into the domain's types (ids, enum members).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from application.campaign_application import CampaignApplication
from application.campaign_locks import CampaignLocks
from application.retry_policy import ConflictRetryPolicy, ConflictTally
from domain import validation
from domain.artifact_types import ArtifactTypeRegistry
from domain.campaign import Campaign, Outcome
from domain.errors import (
    CampaignNotFound,
    ConcurrencyConflict,
    FieldError,
    InvalidInput,
    PreconditionFailed,
    RuleViolation,
)
from domain.metadata import CommandMetadata
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
    Trigger,
)

logger = logging.getLogger(__name__)

MAX_EVENTS_PAGE = 1_000

Command = Callable[[Campaign, CommandMetadata], Outcome]
"""A decision of the aggregate: given the campaign and the command's metadata, its outcome."""

AppendListener = Callable[[str, int], None]
"""Told the campaign id and its new stream version after a command appended."""


def _new_id() -> str:
    return str(uuid.uuid4())


_end_turn: ContextVar[Callable[[], None] | None] = ContextVar("end_turn", default=None)
"""Ends the campaign turn of the attempt running in this context: its append passes it to the
store, which calls it once the append is queued for its commit (``CampaignLocks.turn``)."""


@dataclass(frozen=True)
class CommandContext:
    """Who asks, on whose behalf, and under which ids; stored as every event's metadata.

    ``expected_version`` pins the campaign's stream version (HTTP ``If-Match``): a command that
    would append, or that the aggregate refuses, raises ``PreconditionFailed`` on a mismatch
    instead of the silent reload-and-retry used otherwise; a repeat answers its first result.
    Correlation and causation ids left None default to the command id in the events' metadata
    (``CommandMetadata``).
    """

    tenant_id: str = "default"
    actor: str = "anonymous"
    command_id: str = field(default_factory=_new_id)
    correlation_id: str | None = None
    causation_id: str | None = None
    expected_version: int | None = None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CampaignService:
    """Use cases of the write side. Every method raises only ``domain.errors`` exceptions.

    ``on_appended`` (optional) is told the campaign id and new stream version after every command
    that appended (never after a repeat), e.g. to wake the in-process projection processor; its
    failures are logged and never fail the command, which is already stored.
    """

    def __init__(
        self,
        application: CampaignApplication,
        *,
        artifact_types: ArtifactTypeRegistry,
        restore_window: timedelta = timedelta(days=30),
        clock: Callable[[], datetime] = _utc_now,
        max_attempts: int = 8,
        on_appended: AppendListener | None = None,
        locks: CampaignLocks | None = None,
    ) -> None:
        self.application = application
        self.artifact_types = artifact_types
        self.restore_window = restore_window
        self._clock = clock
        self._on_appended = on_appended
        self._retry = ConflictRetryPolicy(max_attempts=max_attempts)
        self._locks = locks or CampaignLocks()
        self.conflicts = ConflictTally()
        """Collisions with writers in other processes, retries and give-ups since start."""

    # -- campaign ---------------------------------------------------------------------------

    def create_campaign(
        self, ctx: CommandContext, *, name: str, brief: Brief, campaign_id: str | None = None
    ) -> Outcome:
        new_id = self._new_id(campaign_id)
        aggregate_id = UUID(new_id)

        def attempt() -> Outcome:
            try:
                existing = self.application.load_campaign(aggregate_id)
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

    def change_status(self, ctx: CommandContext, campaign_id: str, status: str) -> Outcome:
        target = validation.member_of(CampaignStatus, status, "status")
        return self._execute(ctx, campaign_id, lambda c, meta: c.change_status(target, meta))

    def delete_campaign(self, ctx: CommandContext, campaign_id: str) -> Outcome:
        return self._execute(ctx, campaign_id, lambda c, meta: c.delete(self.restore_window, meta))

    def restore_campaign(self, ctx: CommandContext, campaign_id: str) -> Outcome:
        return self._execute(ctx, campaign_id, lambda c, meta: c.restore(meta), restoring=True)

    # -- artifacts and versions -------------------------------------------------------------

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

    def approve_version(self, ctx: CommandContext, campaign_id: str, version_id: str) -> Outcome:
        version = validation.path_id(version_id)
        return self._execute(
            ctx, campaign_id, lambda c, meta: c.approve_version(version, meta), version
        )

    def archive_version(self, ctx: CommandContext, campaign_id: str, version_id: str) -> Outcome:
        version = validation.path_id(version_id)
        return self._execute(
            ctx, campaign_id, lambda c, meta: c.archive_version(version, meta), version
        )

    def set_active_version(
        self, ctx: CommandContext, campaign_id: str, artifact_type: str, version_id: str
    ) -> Outcome:
        kind = validation.member_of(ArtifactType, artifact_type, "artifactType")
        version = validation.entity_id(version_id, "versionId")
        return self._execute(
            ctx, campaign_id, lambda c, meta: c.set_active_version(kind, version, meta), version
        )

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
        )

    # -- runs -------------------------------------------------------------------------------

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

    def start_run(self, ctx: CommandContext, campaign_id: str, run_id: str) -> Outcome:
        run = validation.path_id(run_id)
        return self._execute(ctx, campaign_id, lambda c, meta: c.start_run(run, meta), run)

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

    def record_quality_check(
        self, ctx: CommandContext, campaign_id: str, run_id: str, *, check: QualityCheck
    ) -> Outcome:
        run = validation.path_id(run_id)
        return self._execute(
            ctx, campaign_id, lambda c, meta: c.record_quality_check(run, check, meta), run
        )

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

    def fail_run(
        self, ctx: CommandContext, campaign_id: str, run_id: str, *, error_message: str
    ) -> Outcome:
        run = validation.path_id(run_id)
        return self._execute(
            ctx, campaign_id, lambda c, meta: c.fail_run(run, error_message, meta), run
        )

    def cancel_run(self, ctx: CommandContext, campaign_id: str, run_id: str) -> Outcome:
        run = validation.path_id(run_id)
        return self._execute(ctx, campaign_id, lambda c, meta: c.cancel_run(run, meta), run)

    # -- reads ------------------------------------------------------------------------------

    def read_events(
        self, tenant_id: str, campaign_id: str, *, after: int = 0, limit: int = 100
    ) -> list[RecordedEvent]:
        """Events of one campaign in stream order with version > ``after``; 404 rules apply."""
        if after < 0:
            raise InvalidInput("after: must be 0 or more", [FieldError("after", "must be >= 0")])
        if not 1 <= limit <= MAX_EVENTS_PAGE:
            message = f"must be between 1 and {MAX_EVENTS_PAGE}"
            raise InvalidInput(f"limit: {message}", [FieldError("limit", message)])
        aggregate_id = self._campaign_uuid(campaign_id)
        self.application.load_campaign(aggregate_id).ensure_visible_to(tenant_id)
        events = self.application.events.get(aggregate_id, gt=after, limit=limit)
        return [RecordedEvent.from_domain_event(event) for event in events]

    # -- how every command runs -------------------------------------------------------------

    def _execute(
        self,
        ctx: CommandContext,
        campaign_id: str,
        command: Command,
        *entity_ids: str | None,
        restoring: bool = False,
    ) -> Outcome:
        """Load the campaign with the entities the command names (``entity_ids``: the ids it
        creates or refers to; the aggregate's rules look at no other), check access, decide,
        check the pinned version, append (retrying conflicts)."""
        aggregate_id = self._campaign_uuid(campaign_id)
        named = {entity_id for entity_id in entity_ids if entity_id is not None}

        def attempt() -> Outcome:
            campaign = self.application.load_campaign(aggregate_id, named)
            if restoring:
                campaign.ensure_owned_by(ctx.tenant_id)
            else:
                campaign.ensure_visible_to(ctx.tenant_id)
            loaded_version = campaign.version
            try:
                outcome = command(campaign, self._meta(ctx))
            except RuleViolation:
                # Refused on a state the caller did not expect: its view is stale, so the
                # answer is 412 rather than 409 (RFC 9110, If-Match).
                self._check_expected_version(ctx, loaded_version)
                raise
            self._append(ctx, campaign, loaded_version=loaded_version)
            return outcome

        return self._run(ctx, aggregate_id, attempt)

    def _append(self, ctx: CommandContext, campaign: Campaign, *, loaded_version: int) -> None:
        """Append what the aggregate decided, if anything; only then does a pin have to match."""
        if not campaign.pending_events:
            return
        self._check_expected_version(ctx, loaded_version)
        self.application.save_campaign(campaign, on_queued=_end_turn.get())

    def _run(
        self, ctx: CommandContext, aggregate_id: UUID, attempt: Callable[[], Outcome]
    ) -> Outcome:
        """Run the command's attempts, then tell ``on_appended`` if it appended."""
        outcome = self._attempt(ctx, aggregate_id, attempt)
        if outcome.appended:
            self._announce_append(str(aggregate_id), outcome.version)
        return outcome

    def _announce_append(self, campaign_id: str, version: int) -> None:
        """Call ``on_appended``; the command is stored already, so a failure is only logged."""
        if self._on_appended is None:
            return
        try:
            self._on_appended(campaign_id, version)
        except Exception:
            logger.exception(
                "on_appended failed for campaign %s at version %d", campaign_id, version
            )

    def _attempt(
        self, ctx: CommandContext, aggregate_id: UUID, attempt: Callable[[], Outcome]
    ) -> Outcome:
        """Run ``attempt`` holding the campaign's in-process lock; retry it when a writer in
        another process appended first, unless the caller pinned the version it expects."""
        def locked_attempt() -> Outcome:
            with self._locks.turn(aggregate_id) as turn:
                ending = _end_turn.set(turn.end_here)
                try:
                    return attempt()
                finally:
                    _end_turn.reset(ending)

        if ctx.expected_version is None:
            return self._retry.run(locked_attempt, self.conflicts)
        try:
            return locked_attempt()
        except ConcurrencyConflict:
            self.conflicts.count(conflicts=1, pinned=1)
            actual = self._current_version(aggregate_id)
            raise PreconditionFailed(
                f"the campaign moved on to version {actual} meanwhile",
                expected=ctx.expected_version,
                actual=actual,
            ) from None

    def _current_version(self, aggregate_id: UUID) -> int:
        try:
            return self.application.load_campaign(aggregate_id).version
        except CampaignNotFound:
            return 0

    @staticmethod
    def _check_expected_version(ctx: CommandContext, actual: int) -> None:
        if ctx.expected_version is not None and ctx.expected_version != actual:
            raise PreconditionFailed(
                f"the campaign is at version {actual}, not {ctx.expected_version}",
                expected=ctx.expected_version,
                actual=actual,
            )

    def _meta(self, ctx: CommandContext) -> CommandMetadata:
        return CommandMetadata(
            command_id=ctx.command_id,
            actor=ctx.actor,
            tenant_id=ctx.tenant_id,
            at=self._clock(),
            correlation_id=ctx.correlation_id,
            causation_id=ctx.causation_id,
        )

    @staticmethod
    def _new_id(given: str | None) -> str:
        """The caller's id for a new entity (canonical UUID), or a fresh one."""
        return _new_id() if given is None else validation.entity_id(given, "id")

    @staticmethod
    def _campaign_uuid(campaign_id: str) -> UUID:
        try:
            return UUID(str(campaign_id))
        except ValueError:
            raise CampaignNotFound(f"campaign {campaign_id} not found") from None
