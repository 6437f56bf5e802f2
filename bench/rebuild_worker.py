"""One rebuild in a process of its own, so that its peak memory (VmHWM) is the rebuild's (and
its replay workers' the largest peak among its children): ``python -m bench.rebuild_worker
<sqlite file>`` prints one JSON line of figures."""

from __future__ import annotations

import functools
import json
import os
import resource
import sys
import time
from pathlib import Path

from bench.served_ledger import memory_kib
from documentstore.sqlite import SqliteDocumentStore
from projections.rebuild import RebuildProgress, rebuild_views

WORKERS = min(os.cpu_count() or 1, 4)
"""As ``campaigns rebuild`` does by default: one replay process per core, at most 4."""


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


def main(path: Path) -> None:
    store = SqliteDocumentStore(path)
    store.initialise()
    ready_kib = memory_kib(os.getpid(), "VmRSS")
    clock = PhaseClock()
    started = time.perf_counter()
    report = rebuild_views(
        store,
        progress=clock.track,
        grace_seconds=0.0,
        workers=WORKERS,
        open_store=functools.partial(SqliteDocumentStore, path),
    )
    seconds = time.perf_counter() - started
    clock.finish()
    store.close()
    figures = {
        "events": report.events,
        "campaigns": report.campaigns,
        "seconds": seconds,
        "phases": clock.seconds,
        "switched": report.switched,
        "differences": len(report.differences),
        "verified": report.verified,
        "readyKib": ready_kib,
        "peakKib": memory_kib(os.getpid()),
        "workers": WORKERS,
        "workerPeakKib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
