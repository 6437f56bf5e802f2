"""The latency of ordinary commands while hostile clients attack (issue #17).

One service (``bench.served_ledger``, as ``campaigns serve`` runs it: the connection guard on,
API keys configured) is measured first alone, then under each attack in turn. During each
phase one ordinary client, on its own keep-alive connection, sends commands one after another
(a version of about 1 KB to one campaign) and times each; the attack runs from threads of the
bench's process, on loopback, as many at once as the attack says:

- ``nested bodies, no key``: 4 MiB bodies of JSON nested 900 levels, sent one after another
  without a key, as fast as the service answers (401 before the body is read);
- ``nested bodies, valid key``: the same with a key (413: more values than a body may hold,
  found by a scan of the bytes before anything is parsed);
- ``deep bodies, valid key``: 4 MiB of text then 100,000 levels of nesting (400: too deep);
- ``nested bodies, valid key, 3 senders at once``: three such clients together, which keep the
  service's one interpreter busy receiving and scanning 4 MiB bodies;
- ``waiting reads``: 300 reads with ``minVersion`` of campaigns that do not exist, each sent
  again as soon as it is answered (2 s later);
- ``slow heads``: 200 connections sending a request's head a byte every 100 ms (closed by the
  head timeout, then opened again);
- ``slow bodies``: 100 connections sending a 1 MB body a byte every 100 ms (408 at the body
  timeout, then opened again);
- ``connection flood``: connections opened and held idle, as many as the process lets in
  (503 past the cap), each opened again when closed.

Goal: the ordinary commands' p99 stays under 100 ms in every phase.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.raw_http import connect, read_answer, request_head, send_quietly

from bench.report import Row, milliseconds, percentile, verdict
from bench.served_ledger import ServedLedger, served_ledger
from bench.workload import brief_json, content, new_id

KEY = "bench-key"
PHASE_SECONDS = 6.0
WARM_UP_SECONDS = 1.0
TARGET_SECONDS = 0.100
MAX_CONNECTIONS = 600
TIMEOUT_SECONDS = 5
WAIT_SECONDS = 2.0

Attack = Callable[[ServedLedger, threading.Event], None]


def nested_body(size: int = 4 * 1024 * 1024, depth: int = 900) -> bytes:
    deep = b"[" * depth + b"0" + b"]" * depth
    copies = size // (len(deep) + 1)
    return b'{"name": "x", "p": [' + b",".join([deep] * copies) + b"]}"


def deep_padded_body(size: int = 4 * 1024 * 1024, depth: int = 100_000) -> bytes:
    nesting = b"[" * depth + b"]" * depth
    padding = b"x" * (size - len(nesting) - 40)
    return b'{"name": "x", "pad": "' + padding + b'", "p": ' + nesting + b"}"


def _bodies(body: bytes, key: str | None, senders: int = 1) -> Attack:
    def attack(served: ServedLedger, stop: threading.Event) -> None:
        def send() -> None:
            headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
            if key is not None:
                headers["X-Api-Key"] = key
            head = request_head("POST", "/api/campaigns", **headers)
            while not stop.is_set():
                try:
                    with connect(served.base_url) as connection:
                        send_quietly(connection, head)
                        send_quietly(connection, body)
                        read_answer(connection, timeout=30)
                except OSError:
                    time.sleep(0.01)

        _run_all(stop, [send] * senders)

    return attack


def _waiting_reads(served: ServedLedger, stop: threading.Event) -> None:
    def wait(connections: int = 100) -> None:
        sockets = [connect(served.base_url) for _ in range(connections)]
        try:
            while not stop.is_set():
                for connection in sockets:
                    path = f"/api/campaigns/{new_id()}?minVersion=7"
                    send_quietly(connection, request_head("GET", path, X_Api_Key=KEY))
                for connection in sockets:
                    read_answer(connection, timeout=30)
        finally:
            for connection in sockets:
                connection.close()

    _run_all(stop, [wait] * 3)


def _dribbling(count: int, head: bytes, payload: bytes) -> Attack:
    """``count`` connections each sending ``head + payload`` a byte every 100 ms, each opened
    again once the server closes it."""

    def attack(served: ServedLedger, stop: threading.Event) -> None:
        def dribble() -> None:
            data = head + payload
            open_ones: list[tuple[socket.socket, int]] = []
            try:
                while not stop.is_set():
                    while len(open_ones) < count:
                        open_ones.append((connect(served.base_url), 0))
                    still_open = []
                    for connection, sent in open_ones:
                        if sent < len(data) and send_quietly(connection, data[sent : sent + 1]):
                            still_open.append((connection, sent + 1))
                        else:
                            connection.close()
                    open_ones = still_open
                    stop.wait(0.1)
            finally:
                for connection, _ in open_ones:
                    connection.close()

        _run_all(stop, [dribble])

    return attack


def _flood(served: ServedLedger, stop: threading.Event) -> None:
    def hold(count: int = MAX_CONNECTIONS + 200) -> None:
        held: list[socket.socket] = []
        try:
            while not stop.is_set():
                while len(held) < count and not stop.is_set():
                    try:
                        connection = connect(served.base_url, timeout=2)
                    except OSError:
                        break
                    connection.setblocking(False)
                    held.append(connection)
                alive = []
                for connection in held:
                    try:
                        closed = connection.recv(65536) == b""
                    except BlockingIOError:
                        closed = False
                    except OSError:
                        closed = True
                    if closed:
                        connection.close()
                    else:
                        alive.append(connection)
                held = alive
                stop.wait(0.05)
        finally:
            for connection in held:
                connection.close()

    _run_all(stop, [hold])


def _run_all(stop: threading.Event, workers: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=worker, daemon=True) for worker in workers]
    for thread in threads:
        thread.start()
    stop.wait()
    for thread in threads:
        thread.join(30)


ATTACKS: dict[str, Attack] = {
    "nested bodies, no key": _bodies(nested_body(), None),
    "nested bodies, valid key": _bodies(nested_body(), KEY),
    "deep bodies, valid key": _bodies(deep_padded_body(), KEY),
    "nested bodies, valid key, 3 senders at once": _bodies(nested_body(), KEY, senders=3),
    "waiting reads (300 minVersion)": _waiting_reads,
    "slow heads (200 connections)": _dribbling(
        200, b"", request_head("GET", "/api/health", X_Padding="p" * 400)[:-4]
    ),
    "slow bodies (100 connections)": _dribbling(
        100,
        request_head("POST", "/api/campaigns", X_Api_Key=KEY, Content_Length="1000000"),
        b'{"name": "' + b"x" * 1000,
    ),
    f"connection flood (cap {MAX_CONNECTIONS})": _flood,
}


@dataclass
class Probe:
    """The ordinary client: versions of one campaign, one after another."""

    served: ServedLedger

    def __post_init__(self) -> None:
        self.client = self.served.client(**{"X-Api-Key": KEY})
        created = self.client.post("/api/campaigns", json={"name": "Probe", "brief": brief_json()})
        self.campaign = created.raise_for_status().json()["id"]
        artifact = self.client.post(
            f"/api/campaigns/{self.campaign}/artifacts", json={"type": "Copy"}
        )
        self.path = f"/api/campaigns/{self.campaign}/artifacts/{artifact.json()['id']}/versions"
        self.number = 0

    def run(self, seconds: float) -> tuple[list[float], int]:
        """Latencies of the commands answered 201 in ``seconds``, and how many were not."""
        latencies: list[float] = []
        refused = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.number += 1
            started = time.monotonic()
            try:
                answer = self.client.post(self.path, json={"content": content(self.number)})
                ok = answer.status_code == 201
            except OSError:
                ok = False
            if ok:
                latencies.append(time.monotonic() - started)
            else:
                refused += 1
        return latencies, refused

    def close(self) -> None:
        self.client.close()


def _row(name: str, latencies: list[float], refused: int, baseline: float) -> Row:
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    worst = max(latencies, default=0.0)
    ratio = f"{p99 / baseline:.1f}x the quiet p99" if baseline else "no baseline"
    measured = (
        f"{len(latencies)} commands: p50 {milliseconds(p50)}, p99 {milliseconds(p99)}, "
        f"max {milliseconds(worst)} ({ratio}); not answered 201: {refused}"
    )
    met = bool(latencies) and p99 < TARGET_SECONDS and refused == 0
    return Row(f"Ordinary commands while: {name}", "p99 < 100 ms", measured, verdict(met))


def measure(directory: Path) -> list[Row]:
    """The ordinary client's latencies alone, then under each attack (same service, one run)."""
    settings = {
        "LEDGER_API_KEYS": json.dumps({KEY: "bench"}),
        "LEDGER_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        "LEDGER_HEADER_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "LEDGER_BODY_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "LEDGER_READ_WAIT_SECONDS": str(WAIT_SECONDS),
    }
    rows = []
    with served_ledger(directory / "hostile", **settings) as served:
        probe = Probe(served)
        try:
            probe.run(WARM_UP_SECONDS)
            quiet, refused = probe.run(PHASE_SECONDS)
            baseline = percentile(quiet, 0.99)
            rows.append(_row("no attack", quiet, refused, baseline))
            for name, attack in ATTACKS.items():
                stop = threading.Event()
                attacker = threading.Thread(target=attack, args=(served, stop), daemon=True)
                attacker.start()
                time.sleep(WARM_UP_SECONDS)
                latencies, refused = probe.run(PHASE_SECONDS)
                stop.set()
                attacker.join(60)
                rows.append(_row(name, latencies, refused, baseline))
                time.sleep(WARM_UP_SECONDS)  # let the server drop what the attack left open
        finally:
            probe.close()
    return rows
