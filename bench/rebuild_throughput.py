"""Rebuild throughput and memory: logs of 20,000 and 100,000 events (copies of one reviewed
campaign, ``bench.event_log``) are projected live by the change-feed processor, then rebuilt
(``rebuild_views``: replay into a new generation, verify against the live one byte for byte,
switch; then, timed apart, the removal of the generation it retired, ``remove_retired``, as
the processor or ``campaigns rebuild`` does it after the switch) in a process of its own,
whose peak memory (VmHWM) is the rebuild's (and its replay workers' peak is read from its
children). The target is the rebuild's rate to its new views live; the rate with the removal
included is reported beside it. Memory should not grow with
the number of events: the replay holds a few pages.

The rebuild runs with ``REBUILD_WORKERS`` replay processes, ``ROUNDS`` times on fresh copies
of the largest log (the row gives the fastest and lists them all). With
``LEDGER_BENCH_BASELINE`` naming a directory that holds another checkout's ``src`` and
``bench`` (main's, say: ``git archive <commit> src bench | tar -x -C DIR``), that checkout's
rebuild runs on copies of it too, with as many replay workers, alternating with ours; the
row gives the fastest of each and their ratio: a before/after in one run on the same log (the
file's page size is ours, whichever code reads it: a before/after of the store's page size
needs a log each, ``docs/performance.md``)."""

from __future__ import annotations

import compileall
import json
import os
import shutil
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
REBUILD_WORKERS = 2
BASELINE = "LEDGER_BENCH_BASELINE"
ROUNDS = 3
"""Rebuilds of the largest log, each on a fresh copy (alternating with the baseline's, when
one is given); the row takes the fastest, the one the machine's other tenants disturbed
least, and lists them all."""
TARGET_EVENTS_PER_SECOND = 20_000
FLAT_MEMORY_RATIO = 1.15
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RebuildFigures:
    events: int
    live_seconds: float
    worker: dict[str, Any]
    baseline: dict[str, Any] | None = None
    runs: tuple[float, ...] = ()
    """Each rebuild's seconds to its new views live (``worker`` is the fastest's)."""

    @property
    def replay_rate(self) -> float:
        return self.events / float(self.worker["phases"]["replay"])

    @property
    def rebuild_rate(self) -> float:
        return self.events / float(self.worker["seconds"])

    @property
    def removal_seconds(self) -> float:
        """The retired generation's removal after the rebuild (0 for a checkout that removed
        it inside the rebuild, its ``cleanup`` phase)."""
        return float(self.worker.get("removalSeconds", 0.0))

    @property
    def with_removal_rate(self) -> float:
        """Events per second with the retired generation's removal counted in."""
        return self.events / (float(self.worker["seconds"]) + self.removal_seconds)

    @property
    def peak_mib(self) -> float:
        """The largest of the coordinating process's and a replay worker's peak."""
        peak = max(int(self.worker["peakKib"]), int(self.worker.get("workerPeakKib", 0)))
        return peak / 1024

    @property
    def ready_mib(self) -> float:
        return float(self.worker["readyKib"]) / 1024


def measure(directory: Path, sizes: tuple[int, ...] = SIZES) -> list[Row]:
    template = template_campaign()
    baseline = os.environ.get(BASELINE)
    _compile(ROOT)
    if baseline is not None:
        _compile(Path(baseline))
    figures = [
        _rebuild(directory, template, size, baseline, rounds=ROUNDS)
        if size == sizes[-1]
        else _rebuild(directory, template, size, None, rounds=1)
        for size in sizes
    ]
    largest = figures[-1]
    phases = ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in largest.worker["phases"].items()
    )
    before = ""
    if "cpuSeconds" in largest.worker:
        phases += f"; CPU {float(largest.worker['cpuSeconds']):.1f} s, workers included"
    if largest.baseline is not None:
        theirs = RebuildFigures(largest.events, largest.live_seconds, largest.baseline)
        rate = theirs.with_removal_rate
        before = (
            f"; the baseline checkout's rebuild on the same log, its removal counted in, "
            f"{rate:,.0f} events/s ({float(largest.baseline['seconds']):.1f} s"
            f"{_cpu_of(largest.baseline)}; the fastest of {ROUNDS}, alternating with ours): "
            f"{largest.with_removal_rate / rate:.2f} times as fast, removals counted in"
        )
    rows = [
        Row(
            f"Rebuild throughput, {largest.events:,} events "
            f"({largest.worker['campaigns']:,} campaigns of {len(template) - 1} events), "
            f"{REBUILD_WORKERS} replay workers",
            "≥ 20,000 events/s embedded",
            f"rebuild to the new views live {largest.rebuild_rate:,.0f} events/s "
            f"({largest.worker['seconds']:.1f} s: {phases}; the fastest of "
            f"{', '.join(f'{seconds:.2f}' for seconds in largest.runs)} s, each on a fresh "
            f"copy); the retired generation's removal "
            f"after it {largest.removal_seconds:.1f} s "
            f"({int(largest.worker.get('removedDocuments', 0)):,} documents in "
            f"{int(largest.worker.get('retiringUnits', 0))} units), both together "
            f"{largest.with_removal_rate:,.0f} events/s; replay alone "
            f"{largest.replay_rate:,.0f} events/s; {largest.worker['differences']} differences; "
            f"the live processor built the same views at "
            f"{largest.events / largest.live_seconds:,.0f} events/s{before}",
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
                f"{figure.peak_mib:.0f} MiB at {figure.events:,} events (coordinator "
                f"{float(figure.worker['peakKib']) / 1024:.0f}, largest worker "
                f"{float(figure.worker.get('workerPeakKib', 0)) / 1024:.0f}) "
                f"({figure.ready_mib:.0f} MiB before it started)"
                for figure in figures
            )
            + f": ratio {ratio:.2f}",
            verdict(ratio <= FLAT_MEMORY_RATIO),
        )
    )
    return rows


def _cpu_of(run: dict[str, Any]) -> str:
    """``, CPU <s> s`` for a run that reports its CPU (older checkouts' workers may not)."""
    return f", CPU {float(run['cpuSeconds']):.1f} s" if "cpuSeconds" in run else ""


def _rebuild(
    directory: Path,
    template: list[dict[str, Any]],
    events: int,
    baseline: str | None,
    *,
    rounds: int,
) -> RebuildFigures:
    """``rounds`` rebuilds of a log of ``events``, each on a fresh copy, alternating with the
    ``baseline`` checkout's when given."""
    path, written, live_seconds = _live_log(directory, template, events)
    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    copy = directory / f"copy-{events}.sqlite3"
    for _ in range(rounds):
        _fresh_copy(path, copy)
        ours.append(_run_worker(ROOT, copy, [str(REBUILD_WORKERS)]))
        if baseline is not None:
            _fresh_copy(path, copy)
            theirs.append(_run_worker(Path(baseline), copy, [str(REBUILD_WORKERS)]))
    copy.unlink()
    path.unlink()
    return RebuildFigures(
        written,
        live_seconds,
        _fastest(ours),
        _fastest(theirs) if theirs else None,
        runs=tuple(float(run["seconds"]) for run in ours),
    )


def _live_log(
    directory: Path, template: list[dict[str, Any]], events: int
) -> tuple[Path, int, float]:
    """A log of at least ``events`` events, projected live by the change-feed processor: its
    file, its events, the processor's seconds."""
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
    return path, written, live_seconds


def _compile(checkout: Path) -> None:
    """The checkout's sources compiled to bytecode, as an installed service's are: where
    ``PYTHONDONTWRITEBYTECODE`` is set (these machines set it) nothing else writes it, and each
    rebuild's replay workers would compile every module of the projection again (0.07 s)."""
    compileall.compile_dir(checkout / "src", quiet=1)


def _fresh_copy(path: Path, copy: Path) -> None:
    """A copy of the log, on disk before a rebuild starts: 600 MB still being written back
    would slow whichever rebuild syncs most (seen: the baseline's 7 s became 10 s)."""
    shutil.copyfile(path, copy)
    os.sync()


def _fastest(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run that took least time: the one the other sessions on the machine disturbed
    least."""
    return min(runs, key=lambda run: float(run["seconds"]))


def _run_worker(checkout: Path, path: Path, arguments: list[str]) -> dict[str, Any]:
    """``bench.rebuild_worker`` of ``checkout`` (its ``src`` first on the path) on ``path``."""
    environment = {**os.environ, "PYTHONPATH": f"{checkout / 'src'}{os.pathsep}{checkout}"}
    finished = subprocess.run(
        [sys.executable, "-m", "bench.rebuild_worker", str(path), *arguments],
        capture_output=True,
        text=True,
        check=True,
        cwd=checkout,
        env=environment,
        timeout=600,
    )
    figures: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return figures
