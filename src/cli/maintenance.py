"""The operator's store-wide commands: ``export``, ``import`` and ``compare`` (moving event
logs between stores, e.g. from the embedded store to Cosmos DB), ``purge``, ``backup``,
``vacuum`` and ``cleanup``.

They only wire ``operations`` to the command line: where the lines come from and go to, a
progress bar on standard error (standard output carries the data or the report), exit codes
(1 when something was refused, differs or failed).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from cli.session import errors, load_settings, opened_services
from documentstore.port import DocumentStore
from operations.backup import take_backup
from operations.event_export import ExportReport, export_lines
from operations.event_import import CampaignImported, EventImport
from operations.log_comparison import CampaignCompared, compare_with_file
from operations.purge import CampaignPurge, PurgedCampaign
from projections.retirement import RemovalProgress, remove_all_retired

STANDARD_STREAM = "-"

CampaignOption = Annotated[
    list[str] | None,
    typer.Option("--campaign", metavar="CID", help="Only this campaign (repeat for more)."),
]
TenantOption = Annotated[str | None, typer.Option("--tenant", help="Only this tenant's campaigns.")]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object per campaign.")]


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=errors,
    )


def export(
    ctx: typer.Context,
    campaign: CampaignOption = None,
    tenant: TenantOption = None,
    out: Annotated[
        str, typer.Option("--out", metavar="FILE|-", help="Where the lines go (- : stdout).")
    ] = STANDARD_STREAM,
) -> None:
    """Write event logs as JSON Lines, one event a line, each campaign's events in stream
    order (soft-deleted campaigns included)."""
    report = ExportReport()
    with (
        opened_services(ctx, load_settings()) as services,
        _progress() as bar,
        _output(out) as sink,
    ):
        task = bar.add_task("export", total=None)

        def show(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"export {done:,} events")

        for line in export_lines(
            services.store, report, campaign_ids=campaign or (), tenant_id=tenant, progress=show
        ):
            sink.write(line)
            sink.write("\n")
    errors.print(f"Exported {report.events:,} events of {report.campaigns:,} campaigns.")
    if report.not_found:
        errors.print(f"[red]Not found:[/red] {', '.join(report.not_found)}")
        raise typer.Exit(1)


def import_events(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="An export (- : stdin).")],
    as_json: JsonOption = False,
) -> None:
    """Append exported event logs to this store with their versions, metadata and timestamps;
    campaigns it holds already are compared and left as they are."""
    with opened_services(ctx, load_settings()) as services, _progress() as bar:
        task = bar.add_task("import", total=None)
        with _input(source) as (texts, position):

            def show(lines: int) -> None:
                read, size = position()
                bar.update(task, completed=read, total=size, description=f"import {lines:,} events")

            def told(imported: CampaignImported) -> None:
                if as_json:
                    typer.echo(json.dumps(imported.to_json()))
                elif imported.detail:
                    typer.echo(
                        f"{imported.outcome.value} {imported.campaign_id}: {imported.detail}"
                    )

            report = EventImport(services.store, services.application).run(
                texts, on_campaign=told, progress=show
            )
    counts = ", ".join(f"{count:,} {outcome}" for outcome, count in sorted(report.outcomes.items()))
    errors.print(
        f"Read {report.lines:,} events: campaigns {counts or 'none'}; "
        f"{report.written:,} documents written."
    )
    if report.refused:
        raise typer.Exit(1)


def compare(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="An export (- : stdin).")],
    campaign: CampaignOption = None,
    tenant: TenantOption = None,
    as_json: JsonOption = False,
) -> None:
    """Say whether this store holds the same event logs as an export (exit 1 if not)."""
    with opened_services(ctx, load_settings()) as services, _input(source) as (texts, _):

        def told(compared: CampaignCompared) -> None:
            if as_json:
                typer.echo(json.dumps(compared.to_json()))
            elif compared.verdict.value != "same":
                detail = f": {compared.detail}" if compared.detail else ""
                typer.echo(f"{compared.verdict.value} {compared.campaign_id}{detail}")

        report = compare_with_file(
            services.store,
            texts,
            campaign_ids=campaign or (),
            tenant_id=tenant,
            on_campaign=told,
        )
    counts = ", ".join(f"{count:,} {verdict}" for verdict, count in sorted(report.verdicts.items()))
    verdict = "the same logs" if report.same else "different logs"
    errors.print(f"Compared {report.lines:,} events: {verdict} (campaigns {counts or 'none'}).")
    if not report.same:
        raise typer.Exit(1)


def purge(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be purged.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete for good the soft-deleted campaigns whose restore window has passed (events,
    head, entity states, views, dead letters), leaving a tombstone so the id is never reused."""
    with opened_services(ctx, load_settings()) as services:

        def told(purged: PurgedCampaign) -> None:
            if as_json:
                typer.echo(json.dumps(purged.to_json()))
                return
            removed = purged.removed
            what = (
                ""
                if removed is None
                else (
                    f": {removed.events} event-log, {removed.views} view and "
                    f"{removed.dead_letters} dead-letter documents removed"
                )
            )
            typer.echo(
                f"{'would purge' if dry_run else 'purged'} {purged.campaign_id} (tenant "
                f"{purged.tenant_id}, restorable until {purged.restore_until}){what}"
            )

        report = CampaignPurge(services.store, services.application).run(
            dry_run=dry_run, on_campaign=told
        )
    verb = "Would purge" if dry_run else "Purged"
    errors.print(f"{verb} {len(report.purged)} campaigns.")
    for campaign_id in report.changed_meanwhile:
        errors.print(f"{campaign_id} changed meanwhile: the next purge looks at it again.")


def backup(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="A new data directory for the copy.")
    ],
) -> None:
    """Copy the embedded store, consistently, while the service runs, into a new data
    directory (LEDGER_DATA_DIR=DIR campaigns serve opens it)."""
    started = time.monotonic()
    with opened_services(ctx, load_settings()) as services:
        path = take_backup(services.store, directory)
    errors.print(
        f"Backed up into {path} ({path.stat().st_size:,} bytes, "
        f"{time.monotonic() - started:.1f} s). Open it with LEDGER_DATA_DIR={directory}."
    )


def vacuum(ctx: typer.Context) -> None:
    """Give the room of deleted documents (retired projection generations, purged campaigns)
    back to the file system: the embedded file shrinks. A rebuild leaves that room for the next
    rebuild to fill; Cosmos DB manages its own, and this does nothing there."""
    started = time.monotonic()
    with opened_services(ctx, load_settings()) as services:
        services.store.reclaim_space()
    errors.print(f"Room given back ({time.monotonic() - started:.1f} s).")


def cleanup(ctx: typer.Context) -> None:
    """Remove what rebuilds retired (old projection generations) now, rather than leaving it to
    the change-feed processor, which removes it when idle."""
    with opened_services(ctx, load_settings()) as services:
        remove_retired_generations(services.store)


def remove_retired_generations(store: DocumentStore) -> None:
    """Remove every unit of the retired generations (after their grace), showing progress."""
    started = time.monotonic()
    with _progress() as bar:
        task = bar.add_task("removing retired generations", total=None)

        def show(step: RemovalProgress) -> None:
            bar.update(task, completed=step.units_done, total=step.units_due)

        removal = remove_all_retired(store, progress=show)
    errors.print(
        f"Removed {removal.documents:,} documents of retired generations in {removal.units} "
        f"units ({time.monotonic() - started:.1f} s)."
    )


def register(cli: typer.Typer) -> None:
    """Add the commands of this module to ``campaigns``."""
    cli.command()(export)
    cli.command("import")(import_events)
    cli.command()(compare)
    cli.command()(purge)
    cli.command()(backup)
    cli.command()(vacuum)
    cli.command()(cleanup)


@contextmanager
def _output(target: str) -> Iterator[IO[str]]:
    """Standard output, or a file written beside its name and renamed once complete (a
    failed export leaves no file that looks whole)."""
    if target == STANDARD_STREAM:
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(target)
    partial = path.with_name(f"{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)


@dataclass
class _Reading:
    """How far an input has been read, for the progress bar (``size`` None: unknown)."""

    read: int = 0
    size: int | None = None

    def position(self) -> tuple[int, int | None]:
        return self.read, self.size


@contextmanager
def _input(source: str) -> Iterator[tuple[Iterator[str], Callable[[], tuple[int, int | None]]]]:
    """The lines of standard input or of a file, one at a time, and how far they are read."""
    reading = _Reading()
    if source == STANDARD_STREAM:
        yield _counted(sys.stdin, reading), reading.position
        return
    path = Path(source)
    if not path.is_file():
        errors.print(f"[red]No such file:[/red] {source}")
        raise typer.Exit(2)
    reading.size = path.stat().st_size
    with path.open("rb") as handle:
        yield _decoded(handle, reading), reading.position


def _counted(texts: IO[str], reading: _Reading) -> Iterator[str]:
    for text in texts:
        reading.read += len(text)
        yield text


def _decoded(handle: IO[bytes], reading: _Reading) -> Iterator[str]:
    for raw in handle:
        reading.read += len(raw)
        yield raw.decode("utf-8")
