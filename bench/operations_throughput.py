"""Export and import throughput and memory: logs of 20,000 and 100,000 events (copies of one
reviewed campaign, ``bench.event_log``) on the embedded store are exported to a JSON Lines file
and imported into a fresh embedded store, each in a process of its own whose peak memory
(VmHWM) is the operation's. Memory should not grow with the number of events: the export holds
one page, the import one campaign."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.event_log import copy_campaigns, template_campaign
from bench.report import Row, verdict
from documentstore.sqlite import SqliteDocumentStore

SIZES = (20_000, 100_000)
FLAT_MEMORY_RATIO = 1.15
ROOT = Path(__file__).resolve().parents[1]


def measure(directory: Path, sizes: tuple[int, ...] = SIZES) -> list[Row]:
    template = template_campaign()
    per_campaign = sum(1 for document in template if document["docType"] == "event")
    figures = [_round_trip(directory, template, size) for size in sizes]
    largest_export, largest_import = figures[-1]
    rows = [
        Row(
            f"Export, {largest_export['events']:,} events ({largest_export['campaigns']:,} "
            f"campaigns of {per_campaign} events), embedded store to a JSON Lines file",
            "report",
            f"{_rate(largest_export)}, {largest_export['seconds']:.1f} s",
        ),
        Row(
            "Import of that file into a fresh embedded store "
            f"({largest_import['documentsWritten']:,} documents: events, entity states, heads)",
            "report",
            f"{_rate(largest_import)}, {largest_import['seconds']:.1f} s; the file "
            f"{largest_import['fileMib']:.0f} MiB",
        ),
    ]
    for name, index in (("export", 0), ("import", 1)):
        smallest, largest = figures[0][index], figures[-1][index]
        ratio = _peak_mib(largest) / _peak_mib(smallest)
        rows.append(
            Row(
                f"Peak memory (VmHWM) of an {name} in its own process, by log size",
                "flat in the number of events",
                " vs ".join(
                    f"{_peak_mib(figure[index]):.0f} MiB at {figure[index]['events']:,} events "
                    f"({float(figure[index]['readyKib']) / 1024:.0f} MiB before it started)"
                    for figure in figures
                )
                + f": ratio {ratio:.2f}",
                verdict(ratio <= FLAT_MEMORY_RATIO),
            )
        )
    return rows


def _round_trip(
    directory: Path, template: list[dict[str, Any]], events: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    source, target = directory / f"source-{events}", directory / f"target-{events}"
    store = SqliteDocumentStore(source / "ledger.sqlite3")
    store.initialise()
    try:
        copy_campaigns(store, template, events)
    finally:
        store.close()
    export = directory / f"export-{events}.jsonl"
    exported = _worker("export", source, export)
    imported = _worker("import", target, export)
    imported["fileMib"] = export.stat().st_size / 2**20
    export.unlink()
    return exported, imported


def _worker(action: str, data_dir: Path, path: Path) -> dict[str, Any]:
    finished = subprocess.run(
        [sys.executable, "-m", "bench.operations_worker", action, str(data_dir), str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=1200,
    )
    figures: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return figures


def _rate(figures: dict[str, Any]) -> str:
    """Events per second of wall time, and per second of the process's own CPU time (the
    machine is shared: the second says what the code costs)."""
    return (
        f"{figures['events'] / figures['seconds']:,.0f} events/s "
        f"({figures['events'] / figures['cpuSeconds']:,.0f} per CPU-second)"
    )


def _peak_mib(figures: dict[str, Any]) -> float:
    return float(figures["peakKib"]) / 1024
