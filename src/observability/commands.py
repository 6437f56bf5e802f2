"""Every command of the application service, counted, timed and (with tracing) traced.

``CommandTelemetry`` is the service's ``CommandObserver``. A command's outcome is
``appended`` (it appended events), ``repeated`` (it appended nothing: a repeat of an earlier
command, or an effect already in place), ``refused`` (a domain error the caller can act on:
invalid input, not found, a rule, a pinned version, a command too large) or ``failed``
(anything else: the store unavailable, contention that outlasted the retries, a bug). An
audit refused because its version does not exist is also counted as an orphan audit
prevented. With tracing, the command is a span (``command <name>``, child of the request's)
whose ``traceparent`` the command stores in its events' metadata; inside a trace not recorded,
no span is started (it would be dropped too) and the command stores the trace's context as it
is (its sampled flag off): the request seam's (``observability.roots.UNRECORDED_TRACE``), or
the current span's. A command run in process begins a trace of its own, kept or not as the
trace policy says (``observability.roots``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import INVALID_SPAN, Span, Status, StatusCode, Tracer

from application.command_execution import CommandContext
from domain.campaign import Outcome
from domain.errors import CommandTooLarge, EntityNotFound, LedgerError, StoreError
from observability.metrics import LedgerMetrics
from observability.roots import UNRECORDED_TRACE, RootSpans
from observability.sampling import TracePolicy
from observability.trace_context import traceparent_of

APPENDED, REPEATED, REFUSED, FAILED = "appended", "repeated", "refused", "failed"
ORPHAN_GUARDED_COMMANDS = frozenset({"record_audit"})
"""Commands whose missing version (``EntityNotFound``) is an orphan audit prevented."""


def outcome_of(error: BaseException) -> str:
    """``refused`` for a domain error the caller can act on, else ``failed``."""
    if isinstance(error, CommandTooLarge):
        return REFUSED
    if isinstance(error, LedgerError) and not isinstance(error, StoreError):
        return REFUSED
    return FAILED


class CommandTelemetry:
    """The application service's observer: metrics always, a span when ``tracer`` is given.

    The duration histogram's series of each command is made once and reused; a span
    is started bare and made current without the SDK's context-manager layers, and only a span
    the sampler kept is given its attributes (at its start, and its outcome's at its end)."""

    def __init__(
        self,
        metrics: LedgerMetrics,
        tracer: Tracer | None = None,
        policy: TracePolicy | None = None,
    ) -> None:
        self._metrics = metrics
        self._roots = None if tracer is None else RootSpans(tracer, policy)

    def observe(
        self,
        command: str,
        ctx: CommandContext,
        campaign_id: str | None,
        run: Callable[[CommandContext], Outcome],
    ) -> Outcome:
        roots = self._roots
        if roots is None:
            return self._measured(command, lambda: run(ctx))
        known = UNRECORDED_TRACE.get()
        if known is not None:  # inside a request the policy dropped: its trace, as it is
            unsampled = ctx.traced_by(known or None)
            return self._measured(command, lambda: run(unsampled))
        current = trace.get_current_span()  # INVALID_SPAN when none (a command in process)
        if current is not INVALID_SPAN and current.is_recording():
            span = roots.tracer.start_span(f"command {command}")
        else:
            if current is not INVALID_SPAN:
                parent = current.get_span_context()
                if parent.is_valid:  # inside a trace not recorded: its context, as it is
                    unsampled = ctx.traced_by(traceparent_of(parent))
                    return self._measured(command, lambda: run(unsampled))
            recorded, traceparent = roots.new_traceparent(f"command {command}")
            if recorded is None:  # a new trace, not recorded
                return self._unrecorded(command, ctx.traced_by(traceparent), run)
            span = recorded
        token = context.attach(trace.set_span_in_context(span))
        try:
            span.set_attributes(_attributes_of(command, ctx, campaign_id))
            traced = ctx.traced_by(traceparent_of(span.get_span_context()))
            return self._measured(command, lambda: run(traced), span)
        finally:
            context.detach(token)
            span.end()

    def _unrecorded(
        self, command: str, traced: CommandContext, run: Callable[[CommandContext], Outcome]
    ) -> Outcome:
        """An in-process command whose new trace is not recorded: its store calls know it."""
        token = UNRECORDED_TRACE.set(traced.traceparent)
        try:
            return self._measured(command, lambda: run(traced))
        finally:
            UNRECORDED_TRACE.reset(token)

    def _measured(
        self, command: str, run: Callable[[], Outcome], span: Span | None = None
    ) -> Outcome:
        started = time.perf_counter()
        try:
            outcome = run()
        except BaseException as error:
            self._finish(command, started, outcome_of(error), span, error)
            if command in ORPHAN_GUARDED_COMMANDS and isinstance(error, EntityNotFound):
                self._metrics.orphan_audits_prevented.add(1)
            raise
        self._finish(command, started, APPENDED if outcome.appended else REPEATED, span)
        if span is not None:
            span.set_attributes(
                {
                    "ledger.outcome": APPENDED if outcome.appended else REPEATED,
                    "ledger.campaign_version": outcome.version,
                    "ledger.entity_id": outcome.id,
                }
            )
        return outcome

    def _finish(
        self,
        command: str,
        started: float,
        kind: str,
        span: Span | None,
        error: BaseException | None = None,
    ) -> None:
        self._metrics.command_duration_of(command).record(time.perf_counter() - started)
        self._metrics.commands.count(command, kind)
        if span is None or error is None:
            return
        if isinstance(error, LedgerError):
            span.set_attributes({"ledger.outcome": kind, "ledger.error_code": error.code})
        else:
            span.set_attribute("ledger.outcome", kind)
        if kind == FAILED:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))


def _attributes_of(command: str, ctx: CommandContext, campaign_id: str | None) -> dict[str, Any]:
    """A recorded command span's attributes (built only for a span the sampler kept)."""
    attributes: dict[str, Any] = {"ledger.command": command, "ledger.command_id": ctx.command_id}
    if campaign_id is not None:
        attributes["ledger.campaign_id"] = campaign_id
    if ctx.correlation_id is not None:
        attributes["ledger.correlation_id"] = ctx.correlation_id
    return attributes
