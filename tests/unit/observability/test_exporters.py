"""Which exporters the settings choose: metrics in process always; OTLP/HTTP traces with
``OTEL_EXPORTER_OTLP_ENDPOINT``; the Azure Monitor distro with
``APPLICATIONINSIGHTS_CONNECTION_STRING``. No Azure is reachable here, so the distro is
replaced by a fake that records how it was configured: these tests check that it is chosen
and what it is given, not what it sends."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, TraceBasedExemplarFilter
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from bootstrap.settings import Settings
from bootstrap.telemetry import service_telemetry
from observability import TelemetryOptions, start_telemetry
from observability import azure as azure_monitor
from observability.logs import install_log_format
from observability.telemetry import exemplar_filter_of, exports_metrics_over_otlp

CONNECTION = "InstrumentationKey=00000000-0000-0000-0000-000000000000"


class FakeDistro:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **options: Any) -> None:
        self.calls.append(options)


@pytest.fixture
def distro(monkeypatch: pytest.MonkeyPatch) -> FakeDistro:
    """A fake distro, and a process where it was never configured before."""
    monkeypatch.setattr(azure_monitor, "_CONFIGURED", {})
    return FakeDistro()


def test_without_any_exporter_metrics_are_kept_in_process_and_nothing_is_traced() -> None:
    telemetry = start_telemetry(TelemetryOptions())
    try:
        assert not telemetry.tracing
        assert telemetry.batch_observer is None
        assert b"ledger_orphan_audits_prevented_total 0.0" in telemetry.metrics_exposition()
    finally:
        telemetry.shutdown()


def test_a_connection_string_chooses_the_azure_monitor_distro(distro: FakeDistro) -> None:
    telemetry = start_telemetry(
        TelemetryOptions(azure_connection_string=CONNECTION), azure_configurer=distro
    )
    telemetry.shutdown()

    [options] = distro.calls
    assert options["connection_string"] == CONNECTION
    assert any(isinstance(reader, PrometheusMetricReader) for reader in options["metric_readers"])
    assert options["span_processors"] == []
    assert options["disable_logging"] is False
    for server in ("fastapi", "flask", "django"):
        assert options["instrumentation_options"][server] == {"enabled": False}
    assert options["resource"].attributes["service.name"] == "campaign-ledger"


def test_with_otlp_too_the_distro_also_sends_spans_over_otlp_and_is_configured_once(
    distro: FakeDistro,
) -> None:
    options = TelemetryOptions(
        azure_connection_string=CONNECTION,
        otlp_endpoint="http://127.0.0.1:1",
        under_azure_functions=True,
    )
    first = start_telemetry(options, azure_configurer=distro)
    second = start_telemetry(options, azure_configurer=distro)
    first.shutdown()
    second.shutdown()

    [given] = distro.calls
    [processor] = given["span_processors"]
    assert isinstance(processor, BatchSpanProcessor)
    assert given["disable_logging"] is True  # the Functions host ships the logs already
    assert second.registry is first.registry


def test_the_settings_name_the_exporters(
    distro: FakeDistro, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(azure_monitor, "import_configurer", lambda: distro)
    settings = Settings.model_validate(
        {
            "applicationinsights_connection_string": CONNECTION,
            "otel_service_name": "ledger-west",
            "otel_exporter_otlp_endpoint": None,
        }
    )
    service_telemetry(settings).shutdown()

    [options] = distro.calls
    assert options["resource"].attributes["service.name"] == "ledger-west"


def test_the_json_log_format_puts_one_handler_on_the_root_logger() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        install_log_format("text")
        assert root.handlers == before
        install_log_format("json")
        install_log_format("json")
        added = [handler for handler in root.handlers if handler not in before]
        assert len(added) == 1
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
        root.setLevel(level)


def _readers(telemetry: object) -> list[object]:
    provider = telemetry.meter_provider  # type: ignore[attr-defined]
    return list(provider._metric_readers)


def test_with_an_otlp_endpoint_metrics_stay_at_the_prometheus_reader_alone() -> None:
    telemetry = start_telemetry(TelemetryOptions(otlp_endpoint="http://127.0.0.1:1"))
    try:
        assert telemetry.tracing
        [reader] = _readers(telemetry)
        assert isinstance(reader, PrometheusMetricReader)
    finally:
        telemetry.shutdown()


def test_otel_metrics_exporter_naming_otlp_adds_the_otlp_metric_reader() -> None:
    options = TelemetryOptions(otlp_endpoint="http://127.0.0.1:1", metrics_exporter="none, OTLP")
    telemetry = start_telemetry(options)
    try:
        readers = _readers(telemetry)
        assert len(readers) == 2
        assert any(isinstance(reader, PeriodicExportingMetricReader) for reader in readers)
    finally:
        telemetry.shutdown()


@pytest.mark.parametrize(
    ("exporters", "over_otlp"),
    [(None, False), ("", False), ("prometheus", False), ("otlp", True), ("console,otlp", True)],
)
def test_otel_metrics_exporter_is_read_as_the_sdk_reads_it(
    exporters: str | None, over_otlp: bool
) -> None:
    assert exports_metrics_over_otlp(exporters) is over_otlp


def test_exemplars_are_kept_only_for_a_reader_that_can_carry_them() -> None:
    prometheus = PrometheusMetricReader(scope_info_enabled=False)
    otlp = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint="http://127.0.0.1:1/m"))
    try:
        assert isinstance(exemplar_filter_of([prometheus]), AlwaysOffExemplarFilter)
        assert isinstance(exemplar_filter_of([prometheus, otlp]), TraceBasedExemplarFilter)
    finally:
        otlp.shutdown()


@pytest.mark.parametrize(
    ("variables", "description"),
    [
        ({}, "parentbased, ratio 1.0, at most 5.0/s"),
        (
            {"ledger_traces_per_second": 20, "otel_traces_sampler_arg": "0.5"},
            "parentbased, ratio 0.5, at most 20.0/s",
        ),
        ({"ledger_traces_per_second": 0}, "parentbased, ratio 1.0"),
        ({"otel_traces_sampler": "always_on", "ledger_traces_per_second": 3}, "always_on"),
    ],
)
def test_the_settings_choose_the_trace_policy_and_its_rate_limit(
    variables: dict[str, object], description: str
) -> None:
    settings = Settings.model_validate(
        {"otel_exporter_otlp_endpoint": "http://127.0.0.1:1", **variables}
    )
    telemetry = service_telemetry(settings)
    try:
        assert telemetry.policy is not None
        assert telemetry.policy.description == description
    finally:
        telemetry.shutdown()


def test_a_plug_in_sampler_is_left_to_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    telemetry = start_telemetry(
        TelemetryOptions(otlp_endpoint="http://127.0.0.1:1", traces_sampler="xray")
    )
    try:
        assert telemetry.policy is None
        provider = telemetry.tracer_provider
        assert provider is not None
        assert "AlwaysOff" in provider.sampler.get_description()  # type: ignore[attr-defined]
    finally:
        telemetry.shutdown()
