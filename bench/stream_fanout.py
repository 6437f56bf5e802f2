"""Live-update fan-out: command throughput with 100 SSE subscribers on one campaign, beside the
same figure without subscribers, in one run (``python -m bench.stream_fanout``; loopback only,
about 40 s).

Three processes, so that no client's Python time is charged to another's:
- the service (``serve``): ``create_app(build_container())`` on the embedded SQLite store with the
  SSE route, under uvicorn, its change-feed processor publishing to the hub;
- the subscribers (``listen``): 100 SSE streams on one campaign (asyncio + httpx), recording
  when each notification arrives;
- this process: one orchestrator client sending commands (new artifact versions: each one is a
  notification) back to back for a fixed time, first on a campaign nobody follows, then on the
  campaign the 100 subscribers follow.

It prints commands/s of both phases and their ratio, how many notifications reached how many
subscribers (in order, none missing) and the delay from a command's answer to a subscriber
receiving its notification (it includes the projection's poll interval).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from bench.served_ledger import stop

SUBSCRIBERS = 100
PHASE_SECONDS = 10.0
WARM_UP_COMMANDS = 30
DELIVERY_WAIT_SECONDS = 30.0
START_WAIT_SECONDS = 60.0
TENANT = "bench-fanout"
STREAM_PATH = "/api/campaigns/{cid}/stream"
BRIEF = {"objective": "Launch", "targetAudience": "Runners", "productDetails": "A shoe"}
ROOT = Path(__file__).resolve().parents[1]


# --- the service (a subprocess) -----------------------------------------------------------------


def serve(port: int, data_dir: Path) -> None:
    """The service as ``campaigns serve`` runs it, SSE route included."""
    import uvicorn

    from api.app import create_app
    from bootstrap.container import build_container
    from bootstrap.settings import Settings

    settings = Settings(
        ledger_store="sqlite", ledger_data_dir=data_dir, host="127.0.0.1", port=port
    )
    services = build_container(settings)
    app = create_app(services)
    hub = services.notification_hub
    if hub is None:
        raise SystemExit("live updates are off (LEDGER_LIVE_UPDATES)")
    close_hub = hub.close

    class StreamingServer(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # End the streams (they would hold the graceful shutdown); not in the signal
            # handler itself, which may have interrupted a holder of the hub's lock.
            threading.Thread(target=close_hub, daemon=True).start()
            super().handle_exit(sig, frame)

    server = StreamingServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    for handled in (signal.SIGTERM, signal.SIGINT):  # uvicorn raises them again once stopped
        signal.signal(handled, lambda signum, frame: None)
    try:
        services.processor.start()
        server.run()
    finally:
        services.close()


# --- the subscribers (a subprocess) ---------------------------------------------------------------


@dataclass
class Subscriber:
    """What one SSE stream received: stream versions in arrival order, and when."""

    connected: asyncio.Event
    seen: list[int]
    arrivals: dict[int, float]

    async def follow(self, client: httpx.AsyncClient, url: str) -> None:
        async with client.stream("GET", url, headers={"X-Tenant-Id": TENANT}) as response:
            response.raise_for_status()
            self.connected.set()
            async for line in response.aiter_lines():
                if line.startswith("id: "):
                    version = int(line[4:])
                    self.arrivals[version] = time.time()
                    self.seen.append(version)

    @property
    def in_order(self) -> bool:
        return all(later > earlier for earlier, later in itertools.pairwise(self.seen))


async def listen(base_url: str, campaign_id: str, count: int) -> dict[str, Any]:
    """``count`` subscribers; prints READY once all are connected, then reads the final stream
    version from stdin and waits (bounded) until every subscriber has received it."""
    url = base_url + STREAM_PATH.format(cid=campaign_id)
    limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=count + 10)
    subscribers = [Subscriber(asyncio.Event(), [], {}) for _ in range(count)]
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(120)) as client:
        tasks = [asyncio.create_task(s.follow(client, url)) for s in subscribers]
        await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in subscribers)), 60)
        print("READY", flush=True)
        last = int(await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline))
        deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
        while time.monotonic() < deadline and any(last not in s.arrivals for s in subscribers):
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "arrivals": [{str(k): v for k, v in s.arrivals.items()} for s in subscribers],
        "inOrder": sum(1 for s in subscribers if s.in_order),
    }


# --- the orchestrator (this process) --------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("LEDGER_", "COSMOS_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    return env


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a live process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def served(data_dir: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    command = [sys.executable, "-m", "bench.stream_fanout", "serve", str(port), str(data_dir)]
    process = subprocess.Popen(command, env=child_env(), cwd=ROOT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_WAIT_SECONDS
        while True:
            if process.poll() is not None:
                raise SystemExit("the service did not start")
            try:
                if httpx.get(f"{base_url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the service did not answer in time")
            time.sleep(0.1)
        yield base_url, process.pid
    finally:
        stop(process, grace_seconds=30)


@dataclass
class Phase:
    name: str
    commands: int
    seconds: float
    answered_at: dict[int, float]
    server_cpu_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.commands / self.seconds


def new_campaign(client: httpx.Client) -> tuple[str, str]:
    answer = client.post("/api/campaigns", json={"name": "Fan-out", "brief": BRIEF})
    campaign_id = str(answer.raise_for_status().json()["id"])
    artifacts = f"/api/campaigns/{campaign_id}/artifacts"
    artifact_id = str(client.post(artifacts, json={"type": "Copy"}).raise_for_status().json()["id"])
    return campaign_id, artifact_id


def drive(
    client: httpx.Client, server_pid: int, name: str, campaign_id: str, artifact_id: str
) -> Phase:
    """New versions back to back for ``PHASE_SECONDS``; the answer time of each version and
    the CPU time the service spent meanwhile."""
    path = f"/api/campaigns/{campaign_id}/artifacts/{artifact_id}/versions"
    answered_at: dict[int, float] = {}
    cpu_before = cpu_seconds(server_pid)
    started = time.monotonic()
    while time.monotonic() - started < PHASE_SECONDS:
        answer = client.post(path, json={"content": f"draft {len(answered_at)}"})
        answered_at[int(answer.raise_for_status().json()["version"])] = time.time()
    seconds = time.monotonic() - started
    server_cpu = cpu_seconds(server_pid) - cpu_before
    return Phase(name, len(answered_at), seconds, answered_at, server_cpu)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    with (
        tempfile.TemporaryDirectory(prefix="fanout-") as scratch,
        served(Path(scratch)) as (url, server_pid),
    ):
        client = httpx.Client(base_url=url, headers={"X-Tenant-Id": TENANT}, timeout=30)
        with client:
            warm_campaign, warm_artifact = new_campaign(client)
            versions = f"/api/campaigns/{warm_campaign}/artifacts/{warm_artifact}/versions"
            for number in range(WARM_UP_COMMANDS):
                client.post(versions, json={"content": f"warm {number}"}).raise_for_status()
            quiet = drive(client, server_pid, "no subscribers", *new_campaign(client))

            followed, artifact_id = new_campaign(client)
            listener = subprocess.Popen(
                [sys.executable, "-m", "bench.stream_fanout", "listen", url, followed],
                env=child_env(),
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert listener.stdin is not None
            assert listener.stdout is not None
            ready = listener.stdout.readline().strip()
            if ready != "READY":
                listener.kill()
                raise SystemExit(f"the subscribers did not connect ({ready!r})")
            listener_cpu_before = cpu_seconds(listener.pid)
            busy = drive(
                client, server_pid, f"{SUBSCRIBERS} SSE subscribers", followed, artifact_id
            )
            listener_cpu = cpu_seconds(listener.pid) - listener_cpu_before
            listener.stdin.write(f"{max(busy.answered_at)}\n")
            listener.stdin.flush()
            report = json.loads(listener.stdout.readline())
            listener.wait(30)
    print_table(quiet, busy, report, listener_cpu)


def print_table(quiet: Phase, busy: Phase, report: dict[str, Any], listener_cpu: float) -> None:
    delays: list[float] = []
    delivered = 0
    for arrivals in report["arrivals"]:
        for version, answered in busy.answered_at.items():
            arrived = arrivals.get(str(version))
            if arrived is not None:
                delivered += 1
                delays.append(max(0.0, arrived - answered) * 1000)
    expected = busy.commands * SUBSCRIBERS
    print()
    print(f"Live updates: {SUBSCRIBERS} SSE subscribers on one campaign")
    print(f"(loopback, embedded SQLite, {os.cpu_count()} CPUs, {PHASE_SECONDS:.0f} s per phase)")
    print()
    print(
        "| scenario            | commands | seconds | commands/s | vs no subscribers "
        "| service CPU ms/command |"
    )
    print(
        "|---------------------|---------:|--------:|-----------:|------------------:"
        "|-----------------------:|"
    )
    for phase in (quiet, busy):
        ratio = phase.per_second / quiet.per_second
        cpu_per_command = 1000 * phase.server_cpu_seconds / max(1, phase.commands)
        print(
            f"| {phase.name:<19} | {phase.commands:>8} | {phase.seconds:>7.1f} "
            f"| {phase.per_second:>10.1f} | {ratio:>16.2f}x | {cpu_per_command:>22.1f} |"
        )
    print()
    print(
        f"notifications delivered: {delivered} of {expected} "
        f"({SUBSCRIBERS} subscribers x {busy.commands}); "
        f"subscribers that received them in order: {report['inOrder']} of {SUBSCRIBERS}"
    )
    print(
        f"the {SUBSCRIBERS} subscribers' own process used {listener_cpu:.1f} CPU-s of the "
        f"{busy.seconds:.0f} s on the same machine"
    )
    if delays:
        print(
            "command answered -> notification received: "
            f"p50 {statistics.median(delays):.0f} ms, p95 {percentile(delays, 0.95):.0f} ms, "
            f"max {max(delays):.0f} ms"
        )


def entry() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stream_fanout")
    commands = parser.add_subparsers(dest="role")
    serving = commands.add_parser("serve")
    serving.add_argument("port", type=int)
    serving.add_argument("data_dir", type=Path)
    listening = commands.add_parser("listen")
    listening.add_argument("url")
    listening.add_argument("campaign_id")
    arguments = parser.parse_args()
    if arguments.role == "serve":
        serve(arguments.port, arguments.data_dir)
    elif arguments.role == "listen":
        result = asyncio.run(listen(arguments.url, arguments.campaign_id, SUBSCRIBERS))
        print(json.dumps(result), flush=True)
    else:
        main()


if __name__ == "__main__":
    entry()
