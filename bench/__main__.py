"""``python -m bench`` (``make bench``): every benchmark, side by side in one run, one table.

``--only`` runs some sections (names below); ``--write-docs`` also puts the table into
``docs/performance.md`` between its results markers. The live-update fan-out benchmark
(``bench/stream_fanout.py``) runs last as a subprocess and its own table is printed as is."""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import (
    append_throughput,
    command_cost,
    growth,
    hostile,
    http_load,
    machine,
    operations_throughput,
    past_reads,
    rebuild_throughput,
    retirement_stall,
    side_by_side,
    snapshot_reads,
    telemetry_cost,
)
from bench.cosmos import cosmos_account, cosmos_store
from bench.report import ResultTable, Row
from documentstore.sqlite import SqliteDocumentStore

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
FANOUT = ROOT / "bench" / "stream_fanout.py"

Section = Callable[[Path, ResultTable], None]


def command_costs(directory: Path, table: ResultTable) -> None:
    sqlite = SqliteDocumentStore(directory / "command-cost.sqlite3")
    sqlite.initialise()
    try:
        table.add(command_cost.measure(sqlite, "SQLite"))
    finally:
        sqlite.close()
    with cosmos_account() as account:
        if account is None:
            table.add(
                Row(
                    "Store round trips per command, Cosmos test server",
                    "≤ 2, flat",
                    "not run: no COSMOS_ENDPOINT and no test server",
                    "MISSED",
                )
            )
            return
        with cosmos_store(account) as cosmos:
            table.add(command_cost.measure(cosmos, "Cosmos test server"))


def growths(directory: Path, table: ResultTable) -> None:
    for shape in (growth.SPREAD, growth.ONE_ARTIFACT):
        table.add(*growth.measure_sqlite(directory, shape))
    with cosmos_account() as account:
        if account is None:
            table.add(
                Row(
                    "Growth, Cosmos test server",
                    "as on SQLite",
                    "not run: no COSMOS_ENDPOINT and no test server",
                    "MISSED",
                )
            )
            return
        table.add(*growth.measure_cosmos(account, directory))


def snapshots(directory: Path, table: ResultTable) -> None:
    table.add(*snapshot_reads.measure(directory))


def past(directory: Path, table: ResultTable) -> None:
    table.add(past_reads.measure_sqlite(directory))
    with cosmos_account() as account:
        if account is None:
            table.add(
                Row(
                    "Snapshot at atVersion, Cosmos test server",
                    "one read of the log prefix",
                    "not run: no COSMOS_ENDPOINT and no test server",
                    "MISSED",
                )
            )
            return
        table.add(past_reads.measure_cosmos(account))


def appends(directory: Path, table: ResultTable) -> None:
    table.add(append_throughput.measure(prior_events=2))
    table.add(append_throughput.measure(prior_events=100))


def load(directory: Path, table: ResultTable) -> None:
    table.add(*http_load.measure(directory))


def references(directory: Path, table: ResultTable) -> None:
    table.add(*side_by_side.measure(directory))


def rebuilds(directory: Path, table: ResultTable) -> None:
    table.add(*rebuild_throughput.measure(directory))


def retirements(directory: Path, table: ResultTable) -> None:
    table.add(*retirement_stall.measure(directory))


def operations(directory: Path, table: ResultTable) -> None:
    table.add(*operations_throughput.measure(directory))


def telemetry(directory: Path, table: ResultTable) -> None:
    table.add(*telemetry_cost.measure(directory))


def hostile_clients(directory: Path, table: ResultTable) -> None:
    table.add(*hostile.measure(directory))


SECTIONS: dict[str, Section] = {
    "command-cost": command_costs,
    "growth": growths,
    "snapshot": snapshots,
    "append": appends,
    "load": load,
    "references": references,
    "rebuild": rebuilds,
    "retirement": retirements,
    "past": past,
    "operations": operations,
    "telemetry": telemetry,
    "hostile": hostile_clients,
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--write-docs", action="store_true", help="update docs/performance.md")
    parser.add_argument("--no-fanout", action="store_true", help="skip bench/stream_fanout.py")
    arguments = parser.parse_args(argv)
    chosen = [name.strip() for name in arguments.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {sorted(SECTIONS)}")
    command = "python -m bench" + (f" {shlex.join(argv)}" if argv else "")
    described = machine.description(command)
    print(described, flush=True)
    table = ResultTable()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        for name in chosen:
            print(f"[{name}]", flush=True)
            SECTIONS[name](Path(directory), table)
    table.note(f"all sections took {time.monotonic() - started:.0f} s")
    fanout = "" if arguments.no_fanout else _fanout()
    print()
    print(table.markdown())
    if fanout:
        print()
        print(fanout)
    if arguments.write_docs:
        _write_docs(described, table.markdown(), fanout)
    return 0


def _fanout() -> str:
    """The fan-out benchmark's own printed table (it is another helper's module)."""
    if not FANOUT.exists():
        return ""
    print("[stream-fanout]", flush=True)
    finished = subprocess.run(
        [sys.executable, "-m", "bench.stream_fanout"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    if finished.returncode != 0:
        return f"bench/stream_fanout.py failed ({finished.returncode}):\n{finished.stderr[-2000:]}"
    return finished.stdout.strip()


def _write_docs(described: str, results: str, fanout: str) -> None:
    text = DOCS.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOCS} has no {BEGIN} ... {END} block")
    block = f"{BEGIN}\n{described}\n\n{results}\n"
    if fanout:
        block += f"\nLive-update fan-out (`python -m bench.stream_fanout`):\n\n```\n{fanout}\n```\n"
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    DOCS.write_text(f"{before}{block}{END}{after}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
