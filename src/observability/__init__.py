"""Telemetry at the edge: OpenTelemetry metrics, traces and structured logs.

Only the composition root (``bootstrap``) imports this package; it builds one ``Telemetry``
per process part (``start_telemetry``) and hands its pieces to the seams the inner layers
offer: the application service's ``CommandObserver``, the projection runner's
``BatchObserver``, the read model's snapshot-read hook, a tracing decorator of the
document-store port, and the HTTP app (a request middleware, ``http``, and ``GET /metrics``).
Nothing here runs at import time. ``docs/observability.md`` describes what is measured.

Modules: ``telemetry`` (providers, exporters, the ``Telemetry`` handle), ``metrics`` (the
instruments of API.md and their observed sources), ``commands``, ``projections``, ``store``
and ``http`` (the seams and the request middleware), ``sampling`` (which traces are recorded),
``trace_context`` (W3C ``traceparent``), ``logs`` (JSON logs) and ``azure`` (the Azure Monitor
distro, imported only when configured).
"""

from observability.telemetry import Telemetry, TelemetryOptions, start_telemetry

__all__ = ["Telemetry", "TelemetryOptions", "start_telemetry"]
