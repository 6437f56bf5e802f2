"""Histogram measurements added straight to the SDK's aggregations, still exported by the SDK.

The OpenTelemetry SDK spends about 55 Python calls on every ``Histogram.record`` (≈ 60,000
instructions, 2 % of an in-process command): it checks and copies the attributes, hashes them
(recursively, through abstract-class checks), finds the instrument's views and the attribute
set's aggregation in each reader's storage, asks the exemplar filter, and only then adds the
value to the aggregation (a lock, a bisect, the sum, min and max). The service's histograms
record under a few attribute sets that never change (one per command kind, one per request
shape), so all but that last step is the same work every time.

So each attribute set is a ``HistogramSeries``. Its first measurement goes through
``Histogram.record`` like any other, which makes the SDK create the set's aggregation in every
reader's storage, through the view ``DirectHistograms.views`` installs (the SDK's own
explicit-bucket histogram, its boundaries from the instrument's advice, exactly as without a
view): the view tells this module which aggregation objects those are. Later measurements are
handed to those objects directly (``aggregate``: about ten calls). The aggregation, its
temporality, the data points and the readers (Prometheus at ``/metrics``) stay the SDK's.

Only where no reader can carry exemplars (``telemetry.exemplar_filter_of``: the Prometheus
reader alone, the default, with or without traces): the SDK's filter then samples none, so the
steps skipped change nothing. With metrics over OTLP or the Azure Monitor distro no view is
installed and every measurement takes ``Histogram.record`` (exemplars of recorded spans, the
exporter's preferred aggregation). This leans on the pinned SDK's aggregation interface
(``_create_aggregation``, ``aggregate``); the unit tests compare the two paths' exports.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from time import time_ns
from typing import Any, cast

from opentelemetry.context import Context
from opentelemetry.metrics import Histogram
from opentelemetry.sdk.metrics import Histogram as SdkHistogram
from opentelemetry.sdk.metrics._internal.aggregation import _Aggregation
from opentelemetry.sdk.metrics._internal.exemplar import ExemplarReservoirBuilder
from opentelemetry.sdk.metrics._internal.instrument import _Instrument
from opentelemetry.sdk.metrics._internal.measurement import Measurement
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.util.types import Attributes, AttributeValue

SeriesKey = tuple[int, tuple[tuple[str, AttributeValue], ...]]
"""An instrument (its ``id``) and an attribute set (its items, sorted)."""

NO_CONTEXT = Context()
"""The context of a direct measurement: only an exemplar filter reads it, and none is asked."""


def key_of(instrument: object, attributes: Attributes) -> SeriesKey:
    return id(instrument), tuple(sorted((attributes or {}).items()))


class DirectHistograms:
    """The SDK aggregations of each histogram series, found as the SDK creates them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._aggregations: dict[SeriesKey, list[_Aggregation[Any]]] = {}

    def views(self) -> list[View]:
        """The view the meter provider needs (every histogram: its default aggregation)."""
        return [View(instrument_type=SdkHistogram, aggregation=_Watched(self._created))]

    def aggregations_of(self, key: SeriesKey) -> tuple[_Aggregation[Any], ...]:
        """The aggregations the SDK made for ``key``, one per reader (none yet: empty)."""
        with self._lock:
            return tuple(self._aggregations.get(key, ()))

    def _created(
        self, instrument: _Instrument, attributes: Attributes, made: _Aggregation[Any]
    ) -> None:
        if attributes is None:  # the view's template aggregation, never fed
            return
        with self._lock:
            self._aggregations.setdefault(key_of(instrument, attributes), []).append(made)


class _Watched(ExplicitBucketHistogramAggregation):
    """The SDK's explicit-bucket histogram (default boundaries: the instrument's advice), each
    aggregation it makes reported to ``created``."""

    def __init__(
        self,
        created: Callable[[_Instrument, Attributes, _Aggregation[Any]], None],
    ) -> None:
        super().__init__()
        self._report = created

    def _create_aggregation(
        self,
        instrument: _Instrument,
        attributes: Attributes,
        reservoir_factory: Callable[[type[_Aggregation[Any]]], ExemplarReservoirBuilder],
        start_time_unix_nano: int,
    ) -> _Aggregation[Any]:
        made = super()._create_aggregation(
            instrument, attributes, reservoir_factory, start_time_unix_nano
        )
        self._report(instrument, attributes, made)
        return made


class HistogramSeries:
    """One attribute set of one histogram: ``record`` a value under it."""

    __slots__ = ("_direct", "_instrument", "_key", "_measured", "_targets", "attributes")

    def __init__(
        self,
        instrument: Histogram,
        attributes: Mapping[str, AttributeValue] | None = None,
        direct: DirectHistograms | None = None,
    ) -> None:
        self._instrument = instrument
        self._measured = cast(_Instrument, instrument)  # what a measurement names (an SDK one)
        self.attributes = attributes
        self._direct = direct
        self._key = key_of(instrument, attributes)
        self._targets: tuple[_Aggregation[Any], ...] = ()

    def record(self, value: float) -> None:
        targets = self._targets
        if targets and 0.0 <= value < math.inf:
            measurement = Measurement(value, time_ns(), self._measured, NO_CONTEXT, None)
            for aggregation in targets:
                aggregation.aggregate(measurement, False)
            return
        self._instrument.record(value, self.attributes)
        direct = self._direct
        if direct is not None and 0.0 <= value < math.inf:
            self._targets = direct.aggregations_of(self._key)
            self._direct = None  # found or not, asked once: with none, always the SDK's path
