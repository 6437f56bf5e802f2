"""This service against the two reference services (``bench.reference_services``), over HTTP on
loopback, in alternating rounds, reported as ratios.

Each round starts every service afresh (the order rotates from round to round) and runs two
phases on it, 8 client threads (``bench.load_client``) sending 1 KB versions
(``POST /api/campaigns/{cid}/artifacts/{aid}/versions``, an ``id`` and an ``X-Command-Id``
each) for a fixed time:

* 8 clients on 8 campaigns, one each;
* 8 clients on one campaign already past 500 versions (filled by the same clients first,
  untimed), spread over its artifacts.

A figure is the median over the rounds. For this service the projection lag (a command
answered -> its campaign's snapshot shows it, ``bench.http_load.LagObserver``) is observed
during both phases, and the CPU time of its processes per command is read from /proc."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.http_load import Acknowledged, LagObserver
from bench.load_client import LoadClient
from bench.reference_services import available, served_reference
from bench.report import Row, milliseconds, percentile, verdict
from bench.served_ledger import served_campaigns
from bench.workload import ARTIFACT_TYPES, brief_json, content, new_id

CLIENTS = 8
PHASE_SECONDS = 6.0
ROUNDS = 3
PAST_VERSIONS = 500
LEDGER = "serve-w2"
"""This service as ``make run`` starts it: ``campaigns serve --workers 2`` (two HTTP worker
processes, the projection in the supervising process)."""
SERVE_ARGS = {
    "serve": [],
    "serve-w1": ["--workers", "1"],
    "serve-w2": ["--workers", "2"],
    "before": [],
}
"""The ways of serving this service that the section measures, by kind. ``before`` is
``campaigns serve`` of another checkout, for before/after figures: its ``src`` (and whatever
else it needs first on the path) in ``BENCH_BEFORE_PYTHONPATH``."""
BEFORE_PATH = "BENCH_BEFORE_PYTHONPATH"
KINDS = (LEDGER, "stock", "floor", "serve", "serve-w1")
"""``make run``'s service, the two references, then one process, and one HTTP worker."""
TARGETS = {"8 campaigns": {"stock": 1.5, "floor": 0.5}, "one campaign": {"stock": 1.0}}
LAG_TARGET_SECONDS = 0.250
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Served:
    """A running service: its port, its processes (for CPU time) and, for this service, the
    SQLite file the lag observer watches."""

    kind: str
    port: int
    pids: Callable[[], list[int]]
    data_dir: Path | None = None


@dataclass
class PhaseFigures:
    commands: int
    seconds: float
    cpu_seconds: float
    latencies: list[float]
    lags: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.commands / self.seconds

    @property
    def cpu_ms_per_command(self) -> float:
        return 1000 * self.cpu_seconds / max(self.commands, 1)


Figures = dict[str, dict[str, list[PhaseFigures]]]
"""By service kind, by phase name: one result per round."""


def measure(
    directory: Path,
    *,
    rounds: int = ROUNDS,
    seconds: float = PHASE_SECONDS,
    kinds: tuple[str, ...] = KINDS,
) -> list[Row]:
    if not available():
        return [
            Row(
                "Side by side with the reference services",
                "ratios",
                "not run: ../shared/reference-services/app.py not found",
                "MISSED",
            )
        ]
    order_of_kinds = list(kinds)
    figures: Figures = {kind: {phase: [] for phase in TARGETS} for kind in order_of_kinds}
    for round_number in range(rounds):
        shift = round_number % len(order_of_kinds)
        order = order_of_kinds[shift:] + order_of_kinds[:shift]
        for kind in order:
            data_dir = directory / f"side-{kind}-{round_number}"
            with _serve(kind, data_dir) as served:
                spread = _phase(served, campaigns=8, seconds=seconds)
                figures[kind]["8 campaigns"].append(spread)
                one = _phase(served, campaigns=1, seconds=seconds, past=PAST_VERSIONS)
                figures[kind]["one campaign"].append(one)
            print(
                f"  round {round_number + 1} {kind}: {spread.rate:,.0f} and {one.rate:,.0f} "
                f"commands/s, CPU {spread.cpu_ms_per_command:.2f} and "
                f"{one.cpu_ms_per_command:.2f} ms/command",
                flush=True,
            )
    ours = [kind for kind in order_of_kinds if _is_ours(kind)]
    rows: list[Row] = []
    for kind in ours:
        if {"stock", "floor"} <= set(kinds):
            rows.extend(_ratio_row(figures, phase, kind) for phase in TARGETS)
        rows.append(_lag_row(figures, kind))
    return rows


def _is_ours(kind: str) -> bool:
    return kind in SERVE_ARGS


def _serve_command(kind: str) -> str:
    """How ``make run`` or an operator starts the service ``kind`` measures."""
    return " ".join(["campaigns serve", *SERVE_ARGS[kind]])


def _median_rate(results: list[PhaseFigures]) -> float:
    return statistics.median(result.rate for result in results)


def _ratio_row(figures: Figures, phase: str, kind: str) -> Row:
    ours = _median_rate(figures[kind][phase])
    ratios = {kind: ours / _median_rate(figures[kind][phase]) for kind in ("stock", "floor")}
    targets = TARGETS[phase]
    met = all(ratios[reference] >= target for reference, target in targets.items())
    rounds = "; ".join(
        f"{name} " + ", ".join(f"{result.rate:,.0f}" for result in results[phase])
        for name, results in figures.items()
    )
    cpu = ", ".join(
        f"{name} {statistics.median(r.cpu_ms_per_command for r in results[phase]):.2f}"
        for name, results in figures.items()
    )
    what = (
        "8 clients on 8 campaigns"
        if phase == "8 campaigns"
        else (f"8 clients on one campaign past {PAST_VERSIONS} versions")
    )
    return Row(
        f"Commands/s over HTTP side by side with the references, {what} (1 KB versions), "
        f"`{_serve_command(kind)}`",
        " and ".join(f"≥ {target}x {reference}" for reference, target in targets.items()),
        f"this service {ours:,.0f}/s, stock {_median_rate(figures['stock'][phase]):,.0f}/s, "
        f"floor {_median_rate(figures['floor'][phase]):,.0f}/s (medians of "
        f"{len(figures[kind][phase])} alternating rounds): {ratios['stock']:.2f}x stock, "
        f"{ratios['floor']:.2f}x floor; rounds: {rounds}; CPU ms per command (all the "
        f"service's processes): {cpu}",
        verdict(met),
    )


def _lag_row(figures: Figures, kind: str) -> Row:
    by_phase = {
        phase: [lag for r in results for lag in r.lags] for phase, results in figures[kind].items()
    }
    every = [lag for lags in by_phase.values() for lag in lags]
    p99 = percentile(every, 0.99)
    detail = "; ".join(
        f"{phase}: p50 {milliseconds(percentile(lags, 0.5))}, p99 "
        f"{milliseconds(percentile(lags, 0.99))}"
        for phase, lags in by_phase.items()
    )
    return Row(
        f"Projection lag (answered -> snapshot shows it) under the side-by-side loads, "
        f"`{_serve_command(kind)}`",
        "p99 ≤ 250 ms",
        f"both phases: p50 {milliseconds(percentile(every, 0.5))}, p99 {milliseconds(p99)} "
        f"({len(every):,} commands); {detail}",
        verdict(p99 <= LAG_TARGET_SECONDS),
    )


@contextmanager
def _serve(kind: str, data_dir: Path) -> Iterator[Served]:
    if _is_ours(kind):
        before = {"PYTHONPATH": os.environ[BEFORE_PATH]} if kind == "before" else {}
        with served_campaigns(data_dir, SERVE_ARGS[kind], **before) as ledger:
            port = int(ledger.base_url.rsplit(":", 1)[1])
            pid = ledger.process.pid
            yield Served(kind, port, lambda: [pid, *_descendants(pid)], data_dir)
        return
    with served_reference(kind, data_dir) as reference:
        pid = reference.process.pid
        yield Served(kind, reference.port, lambda: [pid, *_descendants(pid)])


def _phase(served: Served, *, campaigns: int, seconds: float, past: int = 0) -> PhaseFigures:
    setup = LoadClient("127.0.0.1", served.port)
    try:
        targets = [
            _new_campaign(setup, artifacts=1 if campaigns > 1 else 3) for _ in range(campaigns)
        ]
    finally:
        setup.close()
    clients = [LoadClient("127.0.0.1", served.port) for _ in range(CLIENTS)]
    try:
        paths = [_versions_path(targets[index % campaigns], index) for index in range(CLIENTS)]
        _run_clients(clients, paths, count=max(2, -(-(past + 1) // CLIENTS)))
        observer = (
            LagObserver(served.data_dir, [cid for cid, _ in targets])
            if served.data_dir is not None
            else None
        )
        cpu_before = _cpu_seconds(served.pids())
        acknowledged, latencies, elapsed = _run_clients(clients, paths, seconds=seconds)
        cpu = _cpu_seconds(served.pids()) - cpu_before
        lags = observer.lags(acknowledged, settle=2.0) if observer is not None else []
    finally:
        for client in clients:
            client.close()
    return PhaseFigures(len(acknowledged), elapsed, cpu, latencies, lags)


def _new_campaign(client: LoadClient, *, artifacts: int) -> tuple[str, list[str]]:
    campaign_id = str(
        client.post("/api/campaigns", {"id": new_id(), "name": "Load", "brief": brief_json()}).body[
            "id"
        ]
    )
    return campaign_id, [
        str(client.post(f"/api/campaigns/{campaign_id}/artifacts", {"type": kind}).body["id"])
        for kind in ARTIFACT_TYPES[:artifacts]
    ]


def _versions_path(target: tuple[str, list[str]], index: int) -> tuple[str, str]:
    campaign_id, artifacts = target
    artifact_id = artifacts[index % len(artifacts)]
    return campaign_id, f"/api/campaigns/{campaign_id}/artifacts/{artifact_id}/versions"


def _run_clients(
    clients: list[LoadClient],
    paths: list[tuple[str, str]],
    *,
    count: int | None = None,
    seconds: float | None = None,
) -> tuple[list[Acknowledged], list[float], float]:
    """Every client sends versions, ``count`` each or until ``seconds`` have passed; the
    answers, their latencies and the seconds it took."""
    logs: list[list[Acknowledged]] = [[] for _ in clients]
    latencies: list[list[float]] = [[] for _ in clients]
    start = threading.Barrier(len(clients) + 1)
    deadline = [0.0]

    def send(index: int) -> None:
        campaign_id, path = paths[index]
        client = clients[index]
        start.wait()
        number = 0
        while (count is None or number < count) and (
            seconds is None or time.monotonic() < deadline[0]
        ):
            answer = client.post(
                path,
                {"id": new_id(), "content": content(number)},
                {"X-Command-Id": new_id()},
            )
            now = time.monotonic()
            logs[index].append(Acknowledged(campaign_id, int(answer.body["version"]), now))
            latencies[index].append(answer.seconds)
            number += 1

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    deadline[0] = began + (seconds or 0.0)
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return (
        [ack for log in logs for ack in log],
        [latency for log in latencies for latency in log],
        elapsed,
    )


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (those that exited count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def _descendants(pid: int) -> list[int]:
    """The processes whose parent chain leads to ``pid``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, of in parents.items() if of == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def main() -> None:
    """``python -m bench.side_by_side [ROUNDS] [SECONDS] [KIND...]``: this section alone."""
    import sys
    import tempfile

    arguments = sys.argv[1:]
    rounds = int(arguments[0]) if arguments else ROUNDS
    seconds = float(arguments[1]) if len(arguments) > 1 else PHASE_SECONDS
    kinds = tuple(arguments[2:]) or KINDS
    with tempfile.TemporaryDirectory(prefix="bench-side-") as directory:
        rows = measure(Path(directory), rounds=rounds, seconds=seconds, kinds=kinds)
    for row in rows:
        print(f"{row.benchmark}: {row.measured} [{row.verdict}]")


if __name__ == "__main__":
    main()
