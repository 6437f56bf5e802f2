"""Rebuild throughput and memory: logs of 20,000 and 100,000 events (copies of one reviewed
campaign, ``bench.event_log``) are projected live by the change-feed processor, then rebuilt
(``rebuild_views``: replay into a new generation, verify against the live one byte for byte,
switch, delete the old generation) in a process of its own, whose peak memory (VmHWM) is the
rebuild's. Memory should not grow with the number of events: the replay holds one page."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.event_log import copy_campaigns, template_campaign
from bench.report import Row, verdict
from documentstore.sqlite import SqliteDocumentStore
from projections.processor import ChangeFeedProcessor

SIZES = (20_000, 100_000)
TARGET_EVENTS_PER_SECOND = 20_000
FLAT_MEMORY_RATIO = 1.15
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RebuildFigures:
    events: int
    live_seconds: float
    worker: dict[str, Any]

    @property
    def replay_rate(self) -> float:
        return self.events / float(self.worker["phases"]["replay"])

    @property
    def rebuild_rate(self) -> float:
        return self.events / float(self.worker["seconds"])

    @property
    def peak_mib(self) -> float:
        return float(self.worker["peakKib"]) / 1024

    @property
    def ready_mib(self) -> float:
        return float(self.worker["readyKib"]) / 1024

    @property
    def replay_worker_mib(self) -> float:
        return float(self.worker.get("workerPeakKib", 0)) / 1024


def measure(directory: Path, sizes: tuple[int, ...] = SIZES) -> list[Row]:
    template = template_campaign()
    figures = [_rebuild(directory, template, size) for size in sizes]
    largest = figures[-1]
    phases = ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in largest.worker["phases"].items()
    )
    rows = [
        Row(
            f"Rebuild throughput, {largest.events:,} events "
            f"({largest.worker['campaigns']:,} campaigns of {len(template) - 1} events)",
            "≥ 20,000 events/s embedded",
            f"whole rebuild {largest.rebuild_rate:,.0f} events/s ({largest.worker['seconds']:.1f}"
            f" s: {phases}; {largest.worker.get('workers', 1)} replay processes); replay alone "
            f"{largest.replay_rate:,.0f} events/s; "
            f"{largest.worker['differences']} differences; the live processor built the same "
            f"views at {largest.events / largest.live_seconds:,.0f} events/s",
            verdict(largest.rebuild_rate >= TARGET_EVENTS_PER_SECOND),
        )
    ]
    smallest = figures[0]
    ratio = largest.peak_mib / smallest.peak_mib
    rows.append(
        Row(
            "Peak memory (VmHWM) of a rebuild in its own process, by log size",
            "report; flat in the number of events",
            " vs ".join(
                f"{figure.peak_mib:.0f} MiB at {figure.events:,} events "
                f"({figure.ready_mib:.0f} MiB before it started; largest replay worker "
                f"{figure.replay_worker_mib:.0f} MiB)"
                for figure in figures
            )
            + f": ratio {ratio:.2f}",
            verdict(ratio <= FLAT_MEMORY_RATIO),
        )
    )
    return rows


def _rebuild(directory: Path, template: list[dict[str, Any]], events: int) -> RebuildFigures:
    path = directory / f"rebuild-{events}.sqlite3"
    store = SqliteDocumentStore(path)
    store.initialise()
    try:
        written = copy_campaigns(store, template, events)
        started = time.perf_counter()
        ChangeFeedProcessor(store).run_until_caught_up()
        live_seconds = time.perf_counter() - started
    finally:
        store.close()
    finished = subprocess.run(
        [sys.executable, "-m", "bench.rebuild_worker", str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=600,
    )
    worker: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    path.unlink()
    return RebuildFigures(written, live_seconds, worker)
