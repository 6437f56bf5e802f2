"""One rebuild in a process of its own, so that its peak memory (VmHWM) is the rebuild's (to
its new views live: ``seconds``), then the removal of the generation it retired, timed apart
(``removalSeconds``: ``projections.retirement``, which the processor does when idle):
``python -m bench.rebuild_worker <sqlite file> [workers]`` prints one JSON line of figures (its
coordinating process's peak is ``peakKib``, the largest replay worker's ``workerPeakKib``)."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from functools import partial
from pathlib import Path

from bench.machine import memory_kib
from documentstore.sqlite import SqliteDocumentStore
from projections.rebuild import RebuildProgress, rebuild_views
from projections.retirement import remove_retired


class PhaseClock:
    """Seconds spent in each phase of the rebuild, from its progress callbacks."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._phase = ""
        self._since = time.perf_counter()

    def track(self, step: RebuildProgress) -> None:
        if step.phase != self._phase:
            self.finish()
            self._phase = step.phase

    def finish(self) -> None:
        now = time.perf_counter()
        if self._phase:
            self.seconds[self._phase] = self.seconds.get(self._phase, 0.0) + now - self._since
        self._since = now


def open_sqlite(path: Path) -> SqliteDocumentStore:
    """The store, opened again in a replay worker."""
    store = SqliteDocumentStore(path)
    store.initialise()
    return store


def cpu_seconds() -> float:
    """User and system CPU of this process and of its finished children: the steadier figure
    on a machine other work shares. The replay workers, forked by a server process, are not
    its children: the rebuild's report gives theirs."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(path: Path, workers: int) -> None:
    store = open_sqlite(path)
    ready_kib = memory_kib(os.getpid(), "VmRSS")
    clock = PhaseClock()
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    report = rebuild_views(
        store,
        progress=clock.track,
        workers=workers,
        open_store=partial(open_sqlite, path),
    )
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu_before + report.workers_cpu_seconds
    clock.finish()
    removal_started = time.perf_counter()
    removed = remove_retired(store, grace_seconds=0.0).documents
    removal_seconds = time.perf_counter() - removal_started
    store.close()
    figures = {
        "events": report.events,
        "campaigns": report.campaigns,
        "seconds": seconds,
        "cpuSeconds": cpu,
        "phases": clock.seconds,
        "switched": report.switched,
        "differences": len(report.differences),
        "verified": report.verified,
        "removalSeconds": removal_seconds,
        "removedDocuments": removed,
        "retiringUnits": report.retiring_units,
        "readyKib": ready_kib,
        "peakKib": memory_kib(os.getpid()),
        "workerPeakKib": max(
            report.workers_peak_kib, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        ),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1)
