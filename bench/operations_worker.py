"""One export or one import in a process of its own, so that its peak memory (VmHWM) is the
operation's: ``python -m bench.operations_worker export DATA_DIR FILE`` or
``python -m bench.operations_worker import DATA_DIR FILE`` prints one JSON line of figures.
Both go through the composition root and ``operations`` exactly as ``campaigns export`` and
``campaigns import`` do (without the progress bar)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from bench.machine import memory_kib
from bootstrap.container import build_container
from bootstrap.settings import Settings
from operations.event_export import ExportReport, export_lines
from operations.event_import import EventImport


def main(action: str, data_dir: Path, path: Path) -> None:
    services = build_container(Settings(ledger_data_dir=data_dir, ledger_api_keys={}))
    ready_kib = memory_kib(os.getpid(), "VmRSS")
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        if action == "export":
            report = ExportReport()
            with path.open("w", encoding="utf-8") as out:
                for line in export_lines(services.store, report):
                    out.write(line)
                    out.write("\n")
            events, campaigns, written = report.events, report.campaigns, 0
        else:
            with path.open(encoding="utf-8") as lines:
                imported = EventImport(services.store, services.application).run(lines)
            events = imported.lines
            campaigns = sum(imported.outcomes.values())
            written = imported.written
    finally:
        services.close()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    figures = {
        "events": events,
        "campaigns": campaigns,
        "documentsWritten": written,
        "seconds": seconds,
        "cpuSeconds": cpu_seconds,
        "readyKib": ready_kib,
        "peakKib": memory_kib(os.getpid()),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
