"""How every command of ``CampaignService`` runs: load the campaign with the entities the
command names, check the tenant and the soft-delete state, let the aggregate decide, check a
pinned version, append, and retry when a writer in another process appended first.

A pinned ``expected_version`` is checked after the decision: a command that appends nothing (a
repeat, or an effect already in place) answers its result whatever the pin; one that would
append, or that the aggregate refuses, meets ``PreconditionFailed`` when the campaign is not at
the pinned version. Writers of one campaign in this process take turns (``CampaignLocks``); a
writer in another process that appended first makes the append fail (``ConcurrencyConflict``),
and the command is then re-decided from a fresh load (``ConflictRetryPolicy``), unless the
caller pinned a version, who then gets ``PreconditionFailed``.

Appends are pipelined where the store commits in groups: once a command's append is queued for
its commit, its turn on the campaign ends in this process, and the next command loads through
what the queued append will write (``CampaignApplication.load_campaign(pipelined=True)``). Its
own append is checked against those etags, so it stands only if its predecessors commit; a
decision that appends nothing (a repeat, a refusal, a pin that does not match) waits until what
it was decided on is committed, and is decided again if it was not.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from uuid import UUID

from application.campaign_application import CampaignApplication
from application.campaign_locks import CampaignLocks
from application.retry_policy import ConflictRetryPolicy, ConflictTally
from domain import validation
from domain.campaign import Campaign, Outcome
from domain.errors import (
    CampaignNotFound,
    ConcurrencyConflict,
    PreconditionFailed,
    RuleViolation,
)
from domain.metadata import CommandMetadata

logger = logging.getLogger(__name__)

Command = Callable[[Campaign, CommandMetadata], Outcome]
"""A decision of the aggregate: given the campaign and the command's metadata, its outcome."""

AppendListener = Callable[[str, int], None]
"""Told the campaign id and its new stream version after a command appended."""


_turn_ending: ContextVar[Callable[[], None] | None] = ContextVar("turn_ending", default=None)
"""Ends the campaign turn of the command attempt running in this context in this process: its
append hands it to the store, which calls it once the append is queued for its commit."""


def new_entity_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class CommandContext:
    """Who asks, on whose behalf, and under which ids; stored as every event's metadata.

    ``expected_version`` pins the campaign's stream version (HTTP ``If-Match``): a command that
    would append, or that the aggregate refuses, raises ``PreconditionFailed`` on a mismatch
    instead of the silent reload-and-retry used otherwise; a repeat answers its first result.
    Correlation and causation ids left None default to the command id in the events' metadata
    (``CommandMetadata``); ``traceparent`` (W3C trace context), when known, is stored there too.
    """

    tenant_id: str = "default"
    actor: str = "anonymous"
    command_id: str = field(default_factory=new_entity_id)
    correlation_id: str | None = None
    causation_id: str | None = None
    expected_version: int | None = None
    traceparent: str | None = None

    def traced_by(self, traceparent: str | None) -> CommandContext:
        """This context under the trace ``traceparent`` names (a copy; every command of a
        traced service makes one, so it skips ``dataclasses.replace``'s field walk)."""
        traced = object.__new__(CommandContext)
        traced.__dict__.update(self.__dict__, traceparent=traceparent)
        return traced


def utc_now() -> datetime:
    return datetime.now(UTC)


class CommandExecution:
    """The command machinery ``CampaignService`` runs each command through.

    ``on_appended`` (optional) is told the campaign id and new stream version after every command
    that appended (never after a repeat), e.g. to wake the in-process projection processor; its
    failures are logged and never fail the command, which is already stored.
    """

    def __init__(
        self,
        application: CampaignApplication,
        *,
        clock: Callable[[], datetime] = utc_now,
        max_attempts: int = 8,
        on_appended: AppendListener | None = None,
        locks: CampaignLocks | None = None,
    ) -> None:
        self.application = application
        self._clock = clock
        self._on_appended = on_appended
        self._retry = ConflictRetryPolicy(max_attempts=max_attempts)
        self._locks = locks or CampaignLocks()
        self.conflicts = ConflictTally()
        """Collisions with writers in other processes, retries and give-ups since start."""

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
            campaign = self.application.load_campaign(aggregate_id, named, pipelined=True)
            if ctx.expected_version is not None:
                # A pin is checked against committed versions only, as without pipelining.
                try:
                    self.application.confirm_loaded(campaign)
                except ConcurrencyConflict:
                    campaign = self.application.load_campaign(aggregate_id, named)
            try:
                return decide(campaign)
            except ConcurrencyConflict:
                raise
            except Exception:
                # Decided on queued appends: it stands only once they are committed.
                self.application.confirm_loaded(campaign)
                raise

        def decide(campaign: Campaign) -> Outcome:
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
            if not campaign.pending_events:
                self.application.confirm_loaded(campaign)
            self._append(ctx, campaign, loaded_version=loaded_version)
            return outcome

        return self._run(ctx, aggregate_id, attempt)

    def _append(self, ctx: CommandContext, campaign: Campaign, *, loaded_version: int) -> None:
        """Append what the aggregate decided, if anything; only then does a pin have to match."""
        if not campaign.pending_events:
            return
        self._check_expected_version(ctx, loaded_version)
        self.application.save_campaign(campaign, on_queued=_turn_ending.get())

    def _run(
        self, ctx: CommandContext, aggregate_id: UUID, attempt: Callable[[], Outcome]
    ) -> Outcome:
        """Run the command's attempts, then tell ``on_appended`` if it appended; a repeated
        create answers the ids its first command was recorded under."""
        outcome = self._attempt(ctx, aggregate_id, attempt)
        if outcome.appended:
            self._announce_append(str(aggregate_id), outcome.version)
        if outcome.repeated:
            first, correlation = self.application.recorded_ids(aggregate_id, outcome.version)
            outcome = replace(outcome, command_id=first, correlation_id=correlation)
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
                ending = _turn_ending.set(turn.end_here)
                try:
                    return attempt()
                finally:
                    _turn_ending.reset(ending)

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
            traceparent=ctx.traceparent,
        )

    @staticmethod
    def _new_id(given: str | None) -> str:
        """The caller's id for a new entity (canonical UUID), or a fresh one."""
        return new_entity_id() if given is None else validation.entity_id(given, "id")

    @staticmethod
    def _campaign_uuid(campaign_id: str) -> UUID:
        try:
            return UUID(str(campaign_id))
        except ValueError:
            raise CampaignNotFound(f"campaign {campaign_id} not found") from None
