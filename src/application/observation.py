"""The seam where the composition root may watch every command: ``CommandObserver``.

``CampaignService`` marks each command method ``@observed_command``; with an observer given,
the call runs inside ``observer.observe``, which may time it, count its outcome, trace it and
hand the command a context carrying its trace (``CommandContext.traceparent``, stored in the
events' metadata). Without one the method runs as it is: one attribute check per command.
The application layer knows nothing of how the observer records (OpenTelemetry, in
``observability``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, Protocol, TypeVar

from domain.campaign import Outcome

if TYPE_CHECKING:
    from application.command_execution import CommandContext

Params = ParamSpec("Params")


class CommandObserver(Protocol):
    """Runs one command: ``run`` takes the context the command is to use (the given one, or
    a copy carrying the trace the observer opened) and answers the command's outcome or
    raises its error, which the observer lets through."""

    def observe(
        self,
        command: str,
        ctx: CommandContext,
        campaign_id: str | None,
        run: Callable[[CommandContext], Outcome],
    ) -> Outcome: ...


class Observable(Protocol):
    """A service whose commands an observer may watch."""

    command_observer: CommandObserver | None


Service = TypeVar("Service", bound=Observable)


def observed_command(
    method: Callable[Concatenate[Service, CommandContext, Params], Outcome],
) -> Callable[Concatenate[Service, CommandContext, Params], Outcome]:
    """A command method run through the service's observer, named by the method's name.

    The campaign is the first argument after the context (``campaign_id`` keyword of a
    create), None when the command creates a campaign without naming it."""
    name = method.__name__

    @functools.wraps(method)
    def run(
        service: Service, ctx: CommandContext, /, *args: Params.args, **kwargs: Params.kwargs
    ) -> Outcome:
        observer = service.command_observer
        if observer is None:
            return method(service, ctx, *args, **kwargs)
        campaign = args[0] if args else kwargs.get("campaign_id")
        return observer.observe(
            name,
            ctx,
            campaign if isinstance(campaign, str) else None,
            lambda given: method(service, given, *args, **kwargs),
        )

    return run
