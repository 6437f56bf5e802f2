"""A service under test in a subprocess (``bench.ledger_server``) on a free loopback port with
its own data directory: started, probed, measured (peak memory from /proc) and stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.machine import memory_kib

START_SECONDS = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ServedLedger:
    process: subprocess.Popen[bytes]
    base_url: str
    data_dir: Path

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30.0)

    def counters(self) -> dict[str, Any]:
        with self.client() as client:
            answer: dict[str, Any] = client.get("/bench/counters").raise_for_status().json()
            return answer

    def peak_memory_kib(self) -> int:
        return memory_kib(self.process.pid)


def served_ledger(data_dir: Path, **settings: str) -> AbstractContextManager[ServedLedger]:
    """The service on SQLite in ``data_dir`` (extra settings as environment variables)."""
    return served_command(data_dir, [sys.executable, "-m", "bench.ledger_server"], settings)


def served_campaigns(
    data_dir: Path, serve_args: list[str], **settings: str
) -> AbstractContextManager[ServedLedger]:
    """The installed ``campaigns serve`` given ``serve_args`` (exactly what ``make run``
    starts; no counters route) on SQLite in ``data_dir``."""
    command = [str(Path(sys.executable).with_name("campaigns")), "serve", *serve_args]
    return served_command(data_dir, command, settings)


@contextmanager
def served_command(
    data_dir: Path, command: list[str], settings: dict[str, str]
) -> Iterator[ServedLedger]:
    """The service ``command`` starts, on a free port, until the block ends (then SIGTERM)."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(
            ("LEDGER_", "COSMOS_", "PERSISTENCE_", "OTEL_", "APPLICATIONINSIGHTS_")
        )
    }
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        LEDGER_STORE="sqlite",
        LEDGER_DATA_DIR=str(data_dir),
        **settings,
    )
    log = (data_dir.parent / f"{data_dir.name}-server.log").open("wb")
    process = subprocess.Popen(
        command,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[1],
    )
    served = ServedLedger(process, f"http://127.0.0.1:{port}", data_dir)
    try:
        wait_until_healthy(process, served.base_url)
        yield served
    finally:
        stop(process, grace_seconds=60)
        log.close()


def stop(process: subprocess.Popen[bytes], *, grace_seconds: float) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within ``grace_seconds``."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_healthy(process: subprocess.Popen[bytes], base_url: str) -> None:
    """Until ``GET /api/health`` answers 200 (RuntimeError if the process exits first)."""
    deadline = time.monotonic() + START_SECONDS
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the service exited early ({process.returncode})")
            try:
                if client.get("/api/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError("the service did not answer /api/health in time")
