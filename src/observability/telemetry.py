"""The process's telemetry: metric and tracer providers, their exporters, and the pieces the
composition root hands to the seams (``Telemetry``).

What is exported depends on the settings only:

- metrics are always kept in process (an OpenTelemetry ``MeterProvider``) and served as
  Prometheus text at ``GET /metrics`` (a Prometheus reader on a registry of this telemetry's
  own, so that two services in one process never mix their series);
- ``OTEL_EXPORTER_OTLP_ENDPOINT`` adds OTLP/HTTP export of traces (``<endpoint>/v1/traces``,
  at most a few new traces a second unless ``OTEL_TRACES_SAMPLER`` says otherwise, decided
  where a trace starts: ``observability.sampling``, ``observability.roots``);
  metrics go there too (``<endpoint>/v1/metrics``, every ``OTEL_METRIC_EXPORT_INTERVAL`` ms)
  only when ``OTEL_METRICS_EXPORTER`` names ``otlp``: each metric reader is a second storage
  the SDK feeds on every measurement (6-9 µs each), and the contract asks only that
  ``/metrics`` serve them (docs/observability.md, "What it costs");
- ``APPLICATIONINSIGHTS_CONNECTION_STRING`` hands all of it to the Azure Monitor distro
  (``observability.azure``);
- with neither, nothing is traced: no span is started anywhere, so tracing costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import (
    AlwaysOffExemplarFilter,
    ExemplarFilter,
    MeterProvider,
    TraceBasedExemplarFilter,
)
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from prometheus_client import CollectorRegistry, generate_latest
from starlette.types import ASGIApp

from application.retry_policy import ConflictTally
from documentstore.port import DocumentStore
from observability.azure import AzureConfigurer, configure_azure_monitor
from observability.commands import CommandTelemetry
from observability.histograms import DirectHistograms
from observability.http import RequestMetrics, RequestTelemetry, RouteWatch
from observability.logs import LogFormat, install_log_format
from observability.metrics import LedgerMetrics, StatusSource
from observability.projections import BatchTelemetry
from observability.sampling import TracePolicy, policy_of
from observability.store import TracedDocumentStore
from projections.notification_hub import NotificationHub

SCOPE = "campaign-ledger"
UNTRACED_PATHS = frozenset({"/metrics", "/api/health"})
"""Scrapes and liveness probes: neither spans nor HTTP metrics."""


@dataclass(frozen=True)
class TelemetryOptions:
    """What the settings say about telemetry (the composition root maps them)."""

    service_name: str = "campaign-ledger"
    otlp_endpoint: str | None = None
    azure_connection_string: str | None = None
    log_format: LogFormat = "text"
    under_azure_functions: bool = False
    traces_sampler: str | None = None
    """``OTEL_TRACES_SAMPLER``; None: the default sampler (``observability.sampling``)."""
    traces_sampler_arg: str | None = None
    """``OTEL_TRACES_SAMPLER_ARG``."""
    traces_per_second: float | None = None
    """``LEDGER_TRACES_PER_SECOND``: the default policy's limit on new traces (0: none; None:
    ``observability.sampling.DEFAULT_TRACES_PER_SECOND``)."""
    metrics_exporter: str | None = None
    """``OTEL_METRICS_EXPORTER``: metrics go over OTLP too when it names ``otlp``."""


class Telemetry:
    """One service's providers and instruments, and the observers built on them."""

    def __init__(
        self,
        meter_provider: metrics.MeterProvider,
        registry: CollectorRegistry,
        tracer_provider: trace.TracerProvider | None = None,
        *,
        owns_providers: bool = True,
        policy: TracePolicy | None = None,
        direct: DirectHistograms | None = None,
    ) -> None:
        self.meter_provider = meter_provider
        self.tracer_provider = tracer_provider
        self.registry = registry
        self._owns_providers = owns_providers
        meter = meter_provider.get_meter(SCOPE)
        self.metrics = LedgerMetrics(meter, direct=direct)
        self.request_metrics = RequestMetrics(meter, direct)
        self.tracer = None if tracer_provider is None else tracer_provider.get_tracer(SCOPE)
        self.policy = policy
        """Which traces are kept, decided by the seams (None: the tracer's sampler decides)."""
        self.command_observer = CommandTelemetry(self.metrics, self.tracer, policy)
        self.batch_observer = None if self.tracer is None else BatchTelemetry(self.tracer, policy)

    @property
    def tracing(self) -> bool:
        return self.tracer is not None

    # --- what the composition root wires ---------------------------------------------------

    def traced_store(self, store: DocumentStore) -> DocumentStore:
        """``store`` with a span per call when tracing, else ``store`` itself."""
        return store if self.tracer is None else TracedDocumentStore(store, self.tracer)

    def record_snapshot_read(self, seconds: float) -> None:
        """The read model's hook: one campaign snapshot read took ``seconds``."""
        self.metrics.snapshot_reads.record(seconds)

    def watch(
        self,
        *,
        conflicts: ConflictTally | None = None,
        store: DocumentStore | None = None,
        status: StatusSource | None = None,
        hub: NotificationHub | None = None,
    ) -> None:
        """Name the sources of the observed metrics (the conflict tally, the store's retries,
        the projection status, the live-update subscribers)."""
        sources = self.metrics.sources
        if conflicts is not None:
            sources.conflicts = lambda: conflicts.as_dict()["conflicts"]
        if store is not None:
            sources.retries = store.transient_retries
        if status is not None:
            sources.status = status
        if hub is not None:
            sources.subscribers = lambda: hub.subscriber_count

    # --- what the HTTP app uses ------------------------------------------------------------

    def request_middleware(self, app: ASGIApp) -> ASGIApp:
        """``app`` with a server span per request (continuing the caller's ``traceparent``)
        when tracing, and the HTTP request metrics always; scrapes and probes left out."""
        return RequestTelemetry(
            app,
            metrics=self.request_metrics,
            tracer=self.tracer,
            untraced=UNTRACED_PATHS,
            policy=self.policy,
        )

    def route_middleware(self, app: ASGIApp) -> ASGIApp:
        """The innermost middleware the request telemetry needs: it sees the scope the router
        fills with the route template (a copy of the request's, for ``HEAD``)."""
        return RouteWatch(app)

    def metrics_exposition(self) -> bytes:
        """The metrics as Prometheus text (exposition format 0.0.4)."""
        return bytes(generate_latest(self.registry))

    # --- life cycle ------------------------------------------------------------------------

    def flush_spans(self, timeout_millis: int = 10_000) -> None:
        """Export the spans buffered now (the benchmarks pay each variant's export in its
        own round)."""
        if isinstance(self.tracer_provider, TracerProvider):
            self.tracer_provider.force_flush(timeout_millis)

    def force_flush(self, timeout_millis: int = 10_000) -> None:
        """Export what is buffered now (spans, then metrics)."""
        if isinstance(self.tracer_provider, TracerProvider):
            self.tracer_provider.force_flush(timeout_millis)
        if isinstance(self.meter_provider, MeterProvider):
            self.meter_provider.force_flush(timeout_millis)

    def shutdown(self) -> None:
        """Flush and stop the providers this telemetry owns (the Azure distro's global ones
        live as long as the process, so they are only flushed)."""
        if not self._owns_providers:
            self.force_flush()
            return
        if isinstance(self.tracer_provider, TracerProvider):
            self.tracer_provider.shutdown()
        if isinstance(self.meter_provider, MeterProvider):
            self.meter_provider.shutdown()


def exports_metrics_over_otlp(exporters: str | None) -> bool:
    """Whether ``OTEL_METRICS_EXPORTER`` (a comma-separated list, as the SDK reads it) names
    ``otlp``; unset, metrics are served at ``/metrics`` only."""
    if exporters is None:
        return False
    return "otlp" in {name.strip().lower() for name in exporters.split(",")}


def exemplar_filter_of(readers: list[MetricReader]) -> ExemplarFilter:
    """Exemplars (the trace a measurement was made in) only when a reader can carry them: the
    Prometheus text format cannot, so with it alone none is kept, which spares every
    measurement made in a recorded span the SDK's exemplar reservoir (2-3 µs)."""
    if all(isinstance(reader, PrometheusMetricReader) for reader in readers):
        return AlwaysOffExemplarFilter()
    return TraceBasedExemplarFilter()


def start_telemetry(
    options: TelemetryOptions, *, azure_configurer: AzureConfigurer | None = None
) -> Telemetry:
    """The telemetry ``options`` ask for (see the module docstring); also sets the log format."""
    install_log_format(options.log_format)
    resource = Resource.create({"service.name": options.service_name})
    registry = CollectorRegistry(auto_describe=False)
    readers: list[MetricReader] = [
        PrometheusMetricReader(registry=registry, scope_info_enabled=False)
    ]
    processors: list[SpanProcessor] = []
    if options.otlp_endpoint:
        endpoint = options.otlp_endpoint.rstrip("/")
        processors.append(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
        if exports_metrics_over_otlp(options.metrics_exporter):
            readers.append(
                PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics"))
            )
    if options.azure_connection_string:
        providers = configure_azure_monitor(
            options.azure_connection_string,
            resource=resource,
            registry=registry,
            metric_readers=readers,
            span_processors=processors,
            export_logs=not options.under_azure_functions,
            configurer=azure_configurer,
        )
        return Telemetry(
            providers.meter_provider,
            providers.registry,
            providers.tracer_provider,
            owns_providers=False,
        )
    exemplar_filter = exemplar_filter_of(readers)
    # No reader carries exemplars: the histograms' measurements go straight to the SDK's
    # aggregations (``observability.histograms``).
    direct = DirectHistograms() if isinstance(exemplar_filter, AlwaysOffExemplarFilter) else None
    meter_provider = MeterProvider(
        metric_readers=readers,
        resource=resource,
        shutdown_on_exit=False,
        exemplar_filter=exemplar_filter,
        views=() if direct is None else direct.views(),
    )
    tracer_provider = None
    policy = None
    if processors:
        policy = policy_of(
            options.traces_sampler, options.traces_sampler_arg, options.traces_per_second
        )
        # With a policy of ours the seams decide every trace before the SDK is asked, so the
        # SDK records whatever reaches it; without one, the SDK resolves the plug-in's sampler.
        tracer_provider = TracerProvider(
            resource=resource,
            sampler=None if policy is None else ALWAYS_ON,
            shutdown_on_exit=False,
        )
        for processor in processors:
            tracer_provider.add_span_processor(processor)
    return Telemetry(meter_provider, registry, tracer_provider, policy=policy, direct=direct)
