"""Azure Monitor: the Azure Monitor OpenTelemetry distro, chosen when
``APPLICATIONINSIGHTS_CONNECTION_STRING`` is set and imported only then.

The distro sets the process's global tracer and meter providers (it is configured once per
process); the service's own pieces are handed to it: the Prometheus reader (so ``/metrics``
keeps working), the OTLP span processor when an OTLP endpoint is set too, the resource. The
distro's own HTTP-server instrumentations are turned off, since our request middleware
(``observability.http``) already makes the request spans; its HTTP-client and Azure SDK
instrumentations stay, so the Cosmos DB calls appear under the store spans. Under Azure
Functions the host already ships the logs to Application Insights, so the distro's log export
is off there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor
from prometheus_client import CollectorRegistry

AzureConfigurer = Callable[..., None]
"""``azure.monitor.opentelemetry.configure_azure_monitor`` (tests give a fake)."""

_SERVER_INSTRUMENTATIONS = ("fastapi", "flask", "django")


@dataclass(frozen=True)
class GlobalProviders:
    """The distro's providers, and the registry of the Prometheus reader handed to it."""

    tracer_provider: trace.TracerProvider
    meter_provider: metrics.MeterProvider
    registry: CollectorRegistry


_CONFIGURED: dict[str, GlobalProviders] = {}
"""The distro's providers once it configured them (under ``PROCESS``): once per process."""
PROCESS = "process"
_lock = threading.Lock()


def import_configurer() -> AzureConfigurer:
    """The distro's entry point, imported now (it loads many instrumentations)."""
    from azure.monitor.opentelemetry import configure_azure_monitor

    configure: AzureConfigurer = configure_azure_monitor
    return configure


def configure_azure_monitor(
    connection_string: str,
    *,
    resource: Resource,
    registry: CollectorRegistry,
    metric_readers: Sequence[MetricReader],
    span_processors: Sequence[SpanProcessor],
    export_logs: bool,
    configurer: AzureConfigurer | None = None,
) -> GlobalProviders:
    """The global providers, once the distro has configured them: the first call does, with
    its ``metric_readers`` (reading into ``registry``); later calls get the same."""
    with _lock:
        if PROCESS not in _CONFIGURED:
            configure = configurer or import_configurer()
            options: dict[str, Any] = {
                "connection_string": connection_string,
                "resource": resource,
                "metric_readers": list(metric_readers),
                "span_processors": list(span_processors),
                "disable_logging": not export_logs,
                "instrumentation_options": {
                    name: {"enabled": False} for name in _SERVER_INSTRUMENTATIONS
                },
            }
            configure(**options)
            _CONFIGURED[PROCESS] = GlobalProviders(
                trace.get_tracer_provider(), metrics.get_meter_provider(), registry
            )
        return _CONFIGURED[PROCESS]
