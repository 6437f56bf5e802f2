"""``campaigns``: the operator CLI of Campaign Ledger.

Every command reads the same settings as the service (environment variables, see README) and
gets its services from the builder ``build_cli`` was given: the composition root's
``bootstrap.container.build_container`` for the installed ``campaigns`` (``app``), a fake in
tests.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bootstrap.container import build_container
from bootstrap.stores import replay_store_opener
from cli import maintenance, server
from cli.campaign_tables import snapshot_tables
from cli.ports import ServicesBuilder
from cli.session import (
    errors,
    fail_to_start,
    load_settings,
    opened_services,
    services_builder,
    start_failure,
)
from cli.tables import event_json, events_table, rebuild_table, status_table
from domain.errors import ConfigurationError, LedgerError
from projections.dead_letters import DeadLetter, DeadLetterBox
from projections.generations import lease_prefix_of
from projections.reads import Moment
from projections.rebuild import (
    RebuildProgress,
    RebuildReport,
    rebuild_campaign,
    rebuild_views,
    replay_dead_letters,
)
from projections.status import FUNCTIONS_TRIGGER, projection_status

console = Console()

_FOLLOW_IDLE_SECONDS = 0.2
_SHOWN_DIFFERENCES = 20
_SHOWN_STILL_FAILING = 20


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to bind (default: HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: PORT or 7071).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="HTTP worker processes on the one store, supervised, with the change-feed "
            "processor in the supervising process (default: one process serving and "
            "projecting).",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API and run the change-feed processor until Ctrl-C/SIGTERM."""
    try:
        settings = load_settings(host=host, port=port)
        if workers is not None:
            from cli.workers import serve_workers  # uvicorn's supervisor: only when asked

            serve_workers(settings, console, services_builder(ctx), workers)
            return
        server.serve(settings, console, services_builder(ctx))
    except ConfigurationError as wrong:
        fail_to_start(f"Configuration error: {wrong.detail}", 2)
    except (LedgerError, OSError) as failed:
        fail_to_start(start_failure(failed), 1)


def init(ctx: typer.Context) -> None:
    """Create the store's database and containers (running it again changes nothing)."""
    settings = load_settings()
    with opened_services(ctx, settings) as services:
        services.store.initialise()
    console.print(f"Initialised {server.describe_store(settings)}.")


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM, so a loop stops between two pages, never inside one."""
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def follow(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Stop when the feed has nothing new.")
    ] = False,
) -> None:
    """Run the change-feed processor in the foreground, printing what it applies, until Ctrl-C."""
    settings = load_settings()
    with opened_services(ctx, settings) as services:
        processor = services.processor
        console.print(f"Following the change feed of {server.describe_store(settings)}…")
        applied = 0
        with stop_on_signals() as stop:
            while not stop.is_set():
                outcome = processor.run_once()
                applied += outcome.applied
                if outcome.events:
                    campaigns = ", ".join(sorted(outcome.campaigns)[:3])
                    more = "…" if len(outcome.campaigns) > 3 else ""
                    console.print(
                        f"{datetime.now(UTC):%H:%M:%S} applied {outcome.applied}, "
                        f"skipped {outcome.skipped}, dead-lettered {outcome.dead_lettered} "
                        f"({campaigns}{more})"
                    )
                elif once:
                    break
                else:
                    stop.wait(max(settings.ledger_poll_interval, _FOLLOW_IDLE_SECONDS))
            processor.flush()
        console.print(f"Stopped; {applied} events applied, checkpoints saved.")


def _progress_bar() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    )


def rebuild(
    ctx: typer.Context,
    campaign: Annotated[
        str | None, typer.Option("--campaign", help="Rebuild only this campaign's views.")
    ] = None,
    accept_differences: Annotated[
        bool,
        typer.Option(
            "--accept-differences",
            help="Switch even when the rebuilt views differ (a projector fix meant to change).",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Replay processes projecting campaigns side by side (a full rebuild only).",
        ),
    ] = 1,
    leave_retired: Annotated[
        bool,
        typer.Option(
            "--leave-retired",
            help="Leave the old generation to the change-feed processor (or `cleanup`) rather "
            "than removing it after the report.",
        ),
    ] = False,
) -> None:
    """Replay the log into new views, verify them against the live ones, switch reads over."""
    settings = load_settings()
    with opened_services(ctx, settings) as services:
        with _progress_bar() as bar:
            task = bar.add_task("replay", total=None)

            def show(step: RebuildProgress) -> None:
                detail = f" {step.detail}" if step.detail else ""
                bar.update(task, description=f"{step.phase}{detail}", completed=step.done)
                bar.update(task, total=step.total)

            report: RebuildReport
            if campaign is not None:
                report = rebuild_campaign(
                    services.store, campaign, progress=show, accept_differences=accept_differences
                )
            else:
                report = rebuild_views(
                    services.store,
                    progress=show,
                    accept_differences=accept_differences,
                    workers=workers,
                    open_store=replay_store_opener(settings),
                )
        console.print(rebuild_table(report))
        if report.switched and report.generation != report.previous_generation:
            console.print(
                f"Reads use generation {report.generation}. Under Azure Functions, set the app "
                f"setting LEDGER_LEASE_PREFIX={lease_prefix_of(report.generation)} now: until "
                "then the change-feed trigger refuses to project (docs/projections.md)."
            )
        if report.retiring_units and not leave_retired:
            maintenance.remove_retired_generations(services.store)
    for difference in report.differences[:_SHOWN_DIFFERENCES]:
        console.print(f"  {difference.kind}: {difference.campaign_id} / {difference.document_id}")
    if report.differences and not report.switched:
        errors.print(
            "[red]The rebuilt views differ from the live ones; reads were not switched.[/red] "
            "Pass --accept-differences if a projector change is meant to change them."
        )
        raise typer.Exit(1)


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    trigger: Annotated[
        bool,
        typer.Option(
            "--trigger",
            help="The Azure Functions trigger projects this store: show the lag it measured "
            "(what GET /api/projections/status answers there).",
        ),
    ] = False,
) -> None:
    """Show projection lag per feed range (events and seconds behind) and dead letters."""
    with opened_services(ctx, load_settings()) as services:
        if trigger:
            report = projection_status(services.store, source=FUNCTIONS_TRIGGER)
        else:
            report = services.reads.projection_status()
    if as_json:
        console.print_json(data=report)
    else:
        console.print(status_table(report))


def dead_letters(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the events the projections could not apply, with their errors."""
    with opened_services(ctx, load_settings()) as services:
        letters = DeadLetterBox(services.store).list(tenant_id=tenant)
    if as_json:
        for letter in letters:
            typer.echo(json.dumps(letter.to_json(), ensure_ascii=False))
        return
    console.print(f"{len(letters)} dead letters.")
    for letter in letters:
        console.print(_dead_letter_lines(letter), markup=False, highlight=False)


def _dead_letter_lines(letter: DeadLetter) -> str:
    """One letter: which event, whose, how often, then the error, indented."""
    version = "?" if letter.version is None else letter.version
    return (
        f"{letter.campaign_id} v{version} {letter.event_type or '?'} "
        f"(tenant {letter.tenant_id or '?'}, generation {letter.generation}, "
        f"{letter.attempts} attempts, last {letter.last_failed_at})\n"
        f"    {letter.error_code}: {letter.error}"
    )


def replay_dead_letters_command(
    ctx: typer.Context,
    campaign: Annotated[
        str | None, typer.Option("--campaign", help="Replay only this campaign's dead letters.")
    ] = None,
) -> None:
    """Re-project the campaigns of dead letters from their logs (after a fix) and forget the
    letters whose events now project; exit 1 while some still fail."""
    with opened_services(ctx, load_settings()) as services, _progress_bar() as bar:
        task = bar.add_task("replay", total=None)

        def show(step: RebuildProgress) -> None:
            bar.update(task, description=f"{step.phase} {step.detail}", completed=step.done)
            bar.update(task, total=step.total)

        report = replay_dead_letters(services.store, campaign_id=campaign, progress=show)
    console.print(
        f"Replayed {len(report.campaigns)} campaigns: {len(report.resolved)} dead letters "
        f"resolved, {len(report.still_failing)} still failing."
    )
    for letter_id in report.still_failing[:_SHOWN_STILL_FAILING]:
        console.print(f"  still failing: {letter_id}")
    if report.still_failing:
        raise typer.Exit(1)


def events(
    ctx: typer.Context,
    campaign_id: Annotated[str, typer.Argument(metavar="CID", help="The campaign's id.")],
    *,
    after: Annotated[int, typer.Option(min=0, help="Only versions greater than this.")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 100,
    tenant: Annotated[str, typer.Option(help="The campaign's tenant.")] = "default",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Print a campaign's events in stream order (a soft-deleted one's within its restore
    window)."""
    with opened_services(ctx, load_settings()) as services:
        found = services.commands.read_events(
            tenant, campaign_id, after=after, limit=limit, restorable=True
        )
    if as_json:
        for event in found:
            typer.echo(event_json(event))
    else:
        console.print(events_table(campaign_id, found))


def show(
    ctx: typer.Context,
    campaign_id: Annotated[str, typer.Argument(metavar="CID", help="The campaign's id.")],
    *,
    at: Annotated[
        int | None,
        typer.Option("--at", min=1, help="The campaign as it stood at this stream version."),
    ] = None,
    tenant: Annotated[str, typer.Option(help="The campaign's tenant.")] = "default",
    as_json: Annotated[bool, typer.Option("--json", help="Print the snapshot as JSON.")] = False,
) -> None:
    """Print a campaign's snapshot (now, or as it stood at a version) as tables."""
    with opened_services(ctx, load_settings()) as services:
        if at is None:
            view = services.reads.campaign(tenant, campaign_id)
        else:
            view = services.reads.campaign_at(tenant, campaign_id, Moment(version=at))
    if as_json:
        typer.echo(json.dumps(view.body, ensure_ascii=False))
        return
    for table in snapshot_tables(view.body, at=at):
        console.print(table)


def build_cli(build_services: ServicesBuilder = build_container) -> typer.Typer:
    """The ``campaigns`` app; each command builds its services with ``build_services``."""
    cli = typer.Typer(
        name="campaigns",
        help="Operate Campaign Ledger: serve the API, initialise the store, follow the change "
        "feed, rebuild projections, show lag and dead letters, print a campaign's events or "
        "its snapshot; export, import and compare event logs, purge expired campaigns, back up "
        "the store.",
        no_args_is_help=True,
        add_completion=False,
        context_settings={"obj": build_services},
    )
    cli.command()(serve)
    cli.command()(init)
    cli.command()(follow)
    cli.command()(rebuild)
    cli.command()(status)
    cli.command("dead-letters")(dead_letters)
    cli.command("replay-dead-letters")(replay_dead_letters_command)
    cli.command()(events)
    cli.command()(show)
    maintenance.register(cli)
    return cli


app = build_cli()
"""The installed ``campaigns`` (``pyproject.toml``), on the composition root's services."""
