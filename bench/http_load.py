"""Commands per second over HTTP with 8 concurrent clients, projection lag under that load, and
the service's peak memory.

Three phases against services on the embedded store (``bench.served_ledger``):

* 8 clients on 8 campaigns (one each) and 8 clients on one campaign, one service;
* 8 clients on one campaign split over two services sharing the data directory (two
  processes, as two instances would): the writers of different processes collide, so this
  phase shows conflicts and retries that the in-process campaign locks avoid.

Each client sends a fixed number of commands (a version with about 1 KB of content, then its
audit), each with a fresh ``X-Command-Id`` and the entity's id, so a retry after 429/503 is the
same command (it honours ``Retry-After``). Conflicts and retries of the service are its
``ConflictTally`` (``GET /bench/counters``); the clients count their own retries.

Projection lag is the time from the client receiving a command's answer to the snapshot first
showing its version, observed by a process of its own (``bench.lag_observer``) reading the
snapshot documents of the SQLite file every 2 ms: observations earlier than the answer count as
zero lag."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.report import Row, milliseconds, percentile, verdict
from bench.served_ledger import ServedLedger, served_ledger
from bench.workload import ARTIFACT_TYPES, audit_json, brief_json, content, new_id

CLIENTS = 8
ITERATIONS_PER_CLIENT = 60
"""Each iteration is two commands: a version and its audit."""
PHASE_DEADLINE_SECONDS = 120.0
LAG_TARGET_SECONDS = 0.250
MAX_CLIENT_ATTEMPTS = 20


@dataclass
class Acknowledged:
    campaign_id: str
    version: int
    at: float


@dataclass
class ClientLog:
    acknowledged: list[Acknowledged] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    retries: int = 0
    failed: int = 0


@dataclass
class PhaseResult:
    name: str
    seconds: float
    logs: list[ClientLog]
    lags: list[float]
    server_conflicts: dict[str, int]

    @property
    def commands(self) -> int:
        return sum(len(log.acknowledged) for log in self.logs)

    @property
    def latencies(self) -> list[float]:
        return [latency for log in self.logs for latency in log.latencies]

    @property
    def statuses(self) -> Counter[int]:
        total: Counter[int] = Counter()
        for log in self.logs:
            total += log.statuses
        return total


def measure(directory: Path) -> list[Row]:
    results: list[PhaseResult] = []
    data_dir = directory / "load-ledger"
    with served_ledger(data_dir) as served:
        started_kib = served.peak_memory_kib()
        results.append(_phase(served, [served], "8 clients on 8 campaigns", campaigns=8))
        results.append(_phase(served, [served], "8 clients on one campaign", campaigns=1))
        peak_kib = served.peak_memory_kib()
    with ExitStack() as stack:
        pair = [stack.enter_context(served_ledger(data_dir)) for _ in range(2)]
        results.append(
            _phase(pair[0], pair, "8 clients on one campaign, two service processes", campaigns=1)
        )
    rows = [_throughput_row(result) for result in results]
    one_service = [lag for result in results[:2] for lag in result.lags]
    p99 = percentile(one_service, 0.99)
    by_phase = "; ".join(
        f"{result.name}: p50 {milliseconds(percentile(result.lags, 0.5))}, "
        f"p99 {milliseconds(percentile(result.lags, 0.99))}"
        for result in results
    )
    rows.append(
        Row(
            "Projection lag (command answered -> snapshot shows it) under the load above",
            "p99 ≤ 250 ms embedded",
            f"one service, both phases: p50 {milliseconds(percentile(one_service, 0.5))}, "
            f"p99 {milliseconds(p99)} ({len(one_service):,} commands); {by_phase}",
            verdict(p99 <= LAG_TARGET_SECONDS),
        )
    )
    rows.append(
        Row(
            "Peak memory of the service (VmHWM) during the load",
            "report",
            f"{peak_kib / 1024:.0f} MiB after the load ({started_kib / 1024:.0f} MiB once "
            "started and healthy)",
        )
    )
    return rows


def _throughput_row(result: PhaseResult) -> Row:
    statuses = result.statuses
    refused = {status: count for status, count in sorted(statuses.items()) if status >= 400}
    conflicts = result.server_conflicts
    return Row(
        f"Commands per second over HTTP, {result.name}",
        "report; conflicts and retries counted",
        f"{result.commands / result.seconds:,.0f} commands/s ({result.commands:,} in "
        f"{result.seconds:.1f} s); latency p50 {milliseconds(percentile(result.latencies, 0.5))}"
        f", p99 {milliseconds(percentile(result.latencies, 0.99))}; service conflicts "
        f"{conflicts['conflicts']}, retries {conflicts['retries']}, gave up "
        f"{conflicts['exhausted']}; client retries {sum(log.retries for log in result.logs)}"
        f" after {refused or 'no refusals'}; unanswered {sum(log.failed for log in result.logs)}",
    )


def _phase(
    observed: ServedLedger, services: Sequence[ServedLedger], name: str, *, campaigns: int
) -> PhaseResult:
    with observed.client() as setup:
        targets = [_new_campaign(setup) for _ in range(campaigns)]
    before = [service.counters()["conflicts"] for service in services]
    logs = [ClientLog() for _ in range(CLIENTS)]
    deadline = time.monotonic() + PHASE_DEADLINE_SECONDS
    with _lag_observer(observed.data_dir, [cid for cid, _ in targets]) as observer:
        start = threading.Barrier(CLIENTS + 1)
        threads = [
            threading.Thread(
                target=_client,
                args=(services[index % len(services)], targets[index % campaigns], index),
                kwargs={"log": logs[index], "start": start, "deadline": deadline},
            )
            for index in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.monotonic()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - began
        acknowledged = [ack for log in logs for ack in log.acknowledged]
        lags = observer.lags(acknowledged, settle=2.0)
    after = [service.counters()["conflicts"] for service in services]
    conflicts = {
        key: sum(late[key] - early[key] for early, late in zip(before, after, strict=True))
        for key in after[0]
    }
    return PhaseResult(name, seconds, logs, lags, conflicts)


def _new_campaign(client: httpx.Client) -> tuple[str, list[str]]:
    answer = client.post("/api/campaigns", json={"name": "Load", "brief": brief_json()})
    campaign_id = str(answer.raise_for_status().json()["id"])
    artifacts = [
        str(
            client.post(f"/api/campaigns/{campaign_id}/artifacts", json={"type": artifact_type})
            .raise_for_status()
            .json()["id"]
        )
        for artifact_type in ARTIFACT_TYPES
    ]
    return campaign_id, artifacts


def _client(
    service: ServedLedger,
    target: tuple[str, list[str]],
    index: int,
    *,
    log: ClientLog,
    start: threading.Barrier,
    deadline: float,
) -> None:
    campaign_id, artifacts = target
    artifact_id = artifacts[index % len(artifacts)]
    with service.client() as client:
        start.wait()
        for number in range(ITERATIONS_PER_CLIENT):
            if time.monotonic() > deadline:
                return
            version_id = new_id()
            _send(
                client,
                log,
                campaign_id,
                f"/api/campaigns/{campaign_id}/artifacts/{artifact_id}/versions",
                {"id": version_id, "content": content(number)},
            )
            _send(
                client,
                log,
                campaign_id,
                f"/api/campaigns/{campaign_id}/versions/{version_id}/audits",
                {"id": new_id(), **audit_json("Pass")},
            )


def _send(
    client: httpx.Client, log: ClientLog, campaign_id: str, path: str, body: dict[str, Any]
) -> None:
    """POST one command until it is answered, retrying 429/503 as the orchestrator would."""
    headers = {"X-Command-Id": new_id()}
    started = time.monotonic()
    for attempt in range(MAX_CLIENT_ATTEMPTS):
        response = client.post(path, json=body, headers=headers)
        log.statuses[response.status_code] += 1
        if response.status_code in (429, 503):
            log.retries += 1
            time.sleep(min(float(response.headers.get("Retry-After", "1")), 1.0) * (attempt + 1))
            continue
        response.raise_for_status()
        now = time.monotonic()
        log.latencies.append(now - started)
        log.acknowledged.append(Acknowledged(campaign_id, int(response.json()["version"]), now))
        return
    log.failed += 1


class LagObserver:
    """The snapshots of some campaigns, watched by ``bench.lag_observer`` in its own process."""

    def __init__(self, data_dir: Path, campaign_ids: list[str]) -> None:
        self._campaigns = campaign_ids
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.lag_observer",
                str(data_dir / "ledger.sqlite3"),
                *campaign_ids,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        assert self._process.stdout is not None
        if self._process.stdout.readline().strip() != "WATCHING":
            raise RuntimeError("the lag observer did not start")
        self._seen: dict[str, list[tuple[int, float]]] = {}

    def lags(self, acknowledged: list[Acknowledged], *, settle: float) -> list[float]:
        """Each command's lag (``settle`` seconds are left for the last ones to show; a
        command never seen counts as ``settle``)."""
        time.sleep(settle)
        self.stop()
        lags: list[float] = []
        for ack in acknowledged:
            shown = next(
                (
                    at
                    for version, at in self._seen.get(ack.campaign_id, [])
                    if version >= ack.version
                ),
                None,
            )
            lags.append(settle if shown is None else max(0.0, shown - ack.at))
        return lags

    def stop(self) -> None:
        if self._process.poll() is not None:
            return
        output, _ = self._process.communicate(input="", timeout=30)
        seen = json.loads(output.strip().splitlines()[-1])
        self._seen = {cid: [(int(v), float(t)) for v, t in pairs] for cid, pairs in seen.items()}


@contextmanager
def _lag_observer(data_dir: Path, campaign_ids: list[str]) -> Iterator[LagObserver]:
    observer = LagObserver(data_dir, campaign_ids)
    try:
        yield observer
    finally:
        observer.stop()
