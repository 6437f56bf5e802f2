"""The metric set of API.md ("Operations"), by its exact names and labels.

Counted where they happen: ``ledger_commands_total{command,outcome}`` (in a plain locked tally,
read when the metrics are collected: an SDK counter's ``add`` costs several times more, on
every command), ``ledger_command_duration_seconds{command}``,
``ledger_snapshot_read_duration_seconds`` and ``ledger_orphan_audits_prevented_total``
(``commands``, the read model's hook). Observed when
the metrics are collected (a scrape of ``/metrics`` or an export), from what the service already
keeps: ``ledger_concurrency_conflicts_total`` (the service's ``ConflictTally``),
``ledger_store_retries_total{reason}`` (the store's ``transient_retries``),
``ledger_projection_lag_events`` and ``ledger_projection_lag_seconds`` (by ``feed_range``) and
``ledger_dead_letters`` (the projection status, the numbers ``GET /api/projections/status``
shows), ``ledger_live_subscribers`` (the notification hub). No label carries a campaign id or
a tenant.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from observability.histograms import DirectHistograms, HistogramSeries

logger = logging.getLogger(__name__)

COMMAND_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
READ_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
STATUS_CACHE_SECONDS = 1.0
"""One status read serves the lag and dead-letter gauges of one collection."""

StatusSource = Callable[[], Mapping[str, Any]]


@dataclass
class Sources:
    """Where the observed metrics come from; the composition root fills them in (``watch``)."""

    conflicts: Callable[[], int] | None = None
    retries: Callable[[], Mapping[str, int]] | None = None
    status: StatusSource | None = None
    subscribers: Callable[[], int] | None = None


class CommandTally:
    """Commands counted by ``(command, outcome)``, thread-safe."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def count(self, command: str, outcome: str) -> None:
        with self._lock:
            self._counts[(command, outcome)] += 1

    def as_dict(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)


class LedgerMetrics:
    """The instruments, created once on ``meter``; observed ones read ``sources``; the
    histograms recorded by series (``observability.histograms``, direct with ``direct``)."""

    def __init__(
        self,
        meter: Meter,
        *,
        clock: Callable[[], float] = time.monotonic,
        direct: DirectHistograms | None = None,
    ) -> None:
        self.sources = Sources()
        self._direct = direct
        self._command_durations: dict[str, HistogramSeries] = {}
        self._clock = clock
        self._status_lock = threading.Lock()
        self._status: tuple[float, Mapping[str, Any] | None] = (float("-inf"), None)
        self.commands = CommandTally()
        meter.create_observable_counter(
            "ledger_commands_total",
            callbacks=[self._commands],
            description="Commands by kind and outcome (appended, repeated, refused, failed).",
        )
        self.command_duration = meter.create_histogram(
            "ledger_command_duration_seconds",
            unit="s",
            description="Time a command took in the application service, by kind.",
            explicit_bucket_boundaries_advisory=COMMAND_BUCKETS,
        )
        self.snapshot_read_duration = meter.create_histogram(
            "ledger_snapshot_read_duration_seconds",
            unit="s",
            description="Time a read of a campaign's snapshot view took.",
            explicit_bucket_boundaries_advisory=READ_BUCKETS,
        )
        self.snapshot_reads = HistogramSeries(self.snapshot_read_duration, None, direct)
        self.orphan_audits_prevented = meter.create_counter(
            "ledger_orphan_audits_prevented_total",
            description="Audit reports refused because their version does not exist.",
        )
        self.orphan_audits_prevented.add(0)
        meter.create_observable_counter(
            "ledger_concurrency_conflicts_total",
            callbacks=[self._conflicts],
            description="Appends beaten by a concurrent writer of the same campaign.",
        )
        meter.create_observable_counter(
            "ledger_store_retries_total",
            callbacks=[self._retries],
            description="Transient store faults retried, by reason (throttled, unavailable).",
        )
        meter.create_observable_gauge(
            "ledger_projection_lag_events",
            callbacks=[self._lag_events],
            description="Events not yet projected, by feed range.",
        )
        meter.create_observable_gauge(
            "ledger_projection_lag_seconds",
            unit="s",
            callbacks=[self._lag_seconds],
            description="Age of the oldest event not yet projected, by feed range.",
        )
        meter.create_observable_gauge(
            "ledger_dead_letters",
            callbacks=[self._dead_letters],
            description="Events the projections could not apply, kept as dead letters.",
        )
        meter.create_observable_gauge(
            "ledger_live_subscribers",
            callbacks=[self._subscribers],
            description="Open live-update streams of this process.",
        )

    def command_duration_of(self, command: str) -> HistogramSeries:
        """The ``ledger_command_duration_seconds`` series of ``command`` (made once)."""
        series = self._command_durations.get(command)
        if series is None:
            series = HistogramSeries(self.command_duration, {"command": command}, self._direct)
            self._command_durations[command] = series
        return series

    # --- observed -------------------------------------------------------------------------

    def _commands(self, _: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(count, {"command": command, "outcome": outcome})
            for (command, outcome), count in self.commands.as_dict().items()
        ]

    def _conflicts(self, _: CallbackOptions) -> Iterable[Observation]:
        count = _safely("conflicts", self.sources.conflicts)
        return [] if count is None else [Observation(count)]

    def _retries(self, _: CallbackOptions) -> Iterable[Observation]:
        counts = _safely("store retries", self.sources.retries) or {}
        return [Observation(count, {"reason": reason}) for reason, count in counts.items()]

    def _subscribers(self, _: CallbackOptions) -> Iterable[Observation]:
        count = _safely("live subscribers", self.sources.subscribers)
        return [Observation(count or 0)]

    def _lag_events(self, _: CallbackOptions) -> Iterable[Observation]:
        return self._by_feed_range("eventsBehind")

    def _lag_seconds(self, _: CallbackOptions) -> Iterable[Observation]:
        return self._by_feed_range("secondsBehind")

    def _dead_letters(self, _: CallbackOptions) -> Iterable[Observation]:
        projections = self._projections()
        if not projections:
            return []
        return [Observation(sum(p["deadLetters"]["count"] for p in projections))]

    def _by_feed_range(self, key: str) -> list[Observation]:
        observations = []
        for projection in self._projections():
            for feed_range in projection.get("feedRanges") or []:
                value = feed_range.get(key)
                if isinstance(value, int | float):
                    observations.append(Observation(value, {"feed_range": feed_range["feedRange"]}))
        return observations

    def _projections(self) -> list[Mapping[str, Any]]:
        """The projection status, read at most once per ``STATUS_CACHE_SECONDS``."""
        with self._status_lock:
            read_at, status = self._status
            now = self._clock()
            if now - read_at > STATUS_CACHE_SECONDS:
                status = _safely("projection status", self.sources.status)
                self._status = (now, status)
        return list((status or {}).get("projections", []))


def _safely(what: str, source: Callable[[], Any] | None) -> Any:
    """``source()``, or None when there is none or it fails (a metric must not fail a scrape)."""
    if source is None:
        return None
    try:
        return source()
    except Exception:
        logger.warning("could not observe %s for the metrics", what, exc_info=True)
        return None
