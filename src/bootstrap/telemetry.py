"""The composition root's telemetry: settings turned into ``observability`` options, and the
telemetry handed to what a container or a Functions host builds.

``service_telemetry`` is the default ``TelemetryStarter`` of ``build_container`` and of the
Functions host; a starter that answers None (the benchmarks' baseline) leaves every seam
unobserved, as before telemetry existed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.observation import CommandObserver
from bootstrap.settings import Settings, under_azure_functions
from observability import Telemetry, TelemetryOptions, start_telemetry
from projections.runner import BatchObserver

TelemetryStarter = Callable[[Settings], Telemetry | None]
"""Starts the telemetry of one service from its settings (None: no telemetry at all)."""


def service_telemetry(settings: Settings) -> Telemetry:
    """The telemetry the settings configure: metrics always, traces when an exporter is set."""
    return start_telemetry(
        TelemetryOptions(
            service_name=settings.otel_service_name,
            otlp_endpoint=settings.otel_exporter_otlp_endpoint,
            azure_connection_string=settings.applicationinsights_connection_string,
            log_format=settings.ledger_log_format,
            under_azure_functions=under_azure_functions(),
            traces_sampler=settings.otel_traces_sampler,
            traces_sampler_arg=settings.otel_traces_sampler_arg,
            traces_per_second=settings.ledger_traces_per_second,
            metrics_exporter=settings.otel_metrics_exporter,
        )
    )


@dataclass(frozen=True)
class Observers:
    """What the seams are given: each None when there is no telemetry."""

    commands: CommandObserver | None = None
    batches: BatchObserver | None = None
    snapshot_reads: Callable[[float], None] | None = None


def observers_of(telemetry: Telemetry | None) -> Observers:
    if telemetry is None:
        return Observers()
    return Observers(
        commands=telemetry.command_observer,
        batches=telemetry.batch_observer,
        snapshot_reads=telemetry.record_snapshot_read,
    )
