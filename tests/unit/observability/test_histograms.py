"""Histogram series: after their first measurement they add to the SDK's aggregations
directly, and every reader exports exactly what ``Histogram.record`` would have made."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opentelemetry.sdk.metrics import Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader

from observability.histograms import DirectHistograms, HistogramSeries

BUCKETS = (0.001, 0.01, 0.1, 1.0)
VALUES = (0.0, 0.0004, 0.001, 0.003, 0.01, 0.02, 0.5, 1.0, 7.0, 0.003)
LABELS: tuple[dict[str, Any] | None, ...] = (
    {"command": "create_version"},
    {"command": "approve_version"},
    {"http.request.method": "POST", "http.response.status_code": 201, "url.scheme": "http"},
    None,
)


def points(reader: InMemoryMetricReader) -> list[tuple[Any, ...]]:
    """Each histogram point as (attributes, count, sum, min, max, bucket counts, bounds)."""
    data = reader.get_metrics_data()
    assert data is not None
    return sorted(
        (
            tuple(sorted((point.attributes or {}).items())),
            point.count,
            round(point.sum, 12),
            point.min,
            point.max,
            tuple(point.bucket_counts),
            tuple(point.explicit_bounds),
        )
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "duration"
        for point in metric.data.data_points
    )


def recorded(
    direct: DirectHistograms | None, *readers: InMemoryMetricReader
) -> list[HistogramSeries]:
    provider = MeterProvider(
        metric_readers=list(readers), views=() if direct is None else direct.views()
    )
    histogram = provider.get_meter("test").create_histogram(
        "duration", unit="s", explicit_bucket_boundaries_advisory=BUCKETS
    )
    series = [HistogramSeries(histogram, labels, direct) for labels in LABELS]
    for value in VALUES:
        for each in series:
            each.record(value)
    return series


def test_direct_series_export_the_same_points_as_the_sdks_own_path() -> None:
    direct, sdk = InMemoryMetricReader(), InMemoryMetricReader()
    recorded(DirectHistograms(), direct)
    recorded(None, sdk)

    assert points(direct) == points(sdk)
    assert {point[1] for point in points(direct)} == {len(VALUES)}


def test_after_its_first_measurement_a_series_no_longer_calls_the_sdks_record() -> None:
    reader, direct = InMemoryMetricReader(), DirectHistograms()
    provider = MeterProvider(metric_readers=[reader], views=direct.views())
    histogram = provider.get_meter("test").create_histogram("duration", unit="s")
    calls: list[float] = []
    sdk_record = histogram.record

    def counted(value: float, attributes: Any = None, context: Any = None) -> None:
        calls.append(value)
        sdk_record(value, attributes, context)

    histogram.record = counted  # type: ignore[method-assign]
    series = HistogramSeries(histogram, {"command": "x"}, direct)
    for value in VALUES:
        series.record(value)

    assert calls == [VALUES[0]]
    assert points(reader)[0][1] == len(VALUES)


def test_every_reader_gets_every_measurement_whatever_its_temporality() -> None:
    cumulative = InMemoryMetricReader()
    delta = InMemoryMetricReader(preferred_temporality={Histogram: AggregationTemporality.DELTA})
    sdk = InMemoryMetricReader()
    recorded(DirectHistograms(), cumulative, delta)
    recorded(None, sdk)

    assert points(cumulative) == points(sdk) == points(delta)


def test_without_the_view_every_measurement_takes_the_sdks_path_and_counts() -> None:
    reader, sdk = InMemoryMetricReader(), InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])  # no view: nothing found directly
    histogram = provider.get_meter("test").create_histogram(
        "duration", unit="s", explicit_bucket_boundaries_advisory=BUCKETS
    )
    series = [HistogramSeries(histogram, labels, DirectHistograms()) for labels in LABELS]
    for value in VALUES:
        for each in series:
            each.record(value)
    recorded(None, sdk)

    assert points(reader) == points(sdk)


def test_a_negative_or_infinite_value_is_dropped_with_the_sdks_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reader = InMemoryMetricReader()
    series = recorded(DirectHistograms(), reader)[0]
    with caplog.at_level(logging.WARNING):
        series.record(-1.0)
        series.record(float("inf"))

    assert points(reader)[0][1] == len(VALUES)
    assert len([r for r in caplog.records if "Histogram" in r.getMessage()]) == 2
