"""``campaigns serve`` as an operator runs it: a subprocess on a free port with its own
LEDGER_DATA_DIR, stopped by a signal after finishing the request in flight."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import brief, check, free_port
from tests.integration.documentstore.damage import DAMAGES

START_SECONDS = 30


def start_serve(data_dir: Path, port: int, **settings: str) -> subprocess.Popen[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("LEDGER_", "COSMOS_"))
    }
    env.update(
        PORT=str(port),
        HOST="127.0.0.1",
        LEDGER_DATA_DIR=str(data_dir),
        LEDGER_READ_WAIT_SECONDS="1.5",
        **settings,
    )
    env.update(settings)
    script = Path(sys.executable).with_name("campaigns")
    return subprocess.Popen(
        [str(script), "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_up(process: subprocess.Popen[Any], client: httpx.Client) -> None:
    """Until ``GET /api/health`` answers 200 (AssertionError if serve exits first)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early: {process.communicate()}")
        try:
            if client.get("/api/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("serve did not answer in time")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_then_finishes_the_request_in_flight_and_exits_cleanly_on_a_signal(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    port = free_port()
    process = start_serve(tmp_path / "ledger", port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            wait_until_up(process, client)
            created = check(
                client.post("/api/campaigns", json={"name": "S", "brief": brief()}), 201
            )
            path = f"/api/campaigns/{created['id']}"
            fresh = client.get(f"{path}?minVersion=1")
            assert fresh.status_code == 200
            assert "X-Projection-Stale" not in fresh.headers

            with ThreadPoolExecutor(1) as pool:
                in_flight = pool.submit(client.get, f"{path}?minVersion=50")
                time.sleep(0.5)
                process.send_signal(stop_signal)
                answered = in_flight.result(timeout=30)
            assert answered.status_code == 200
            assert answered.headers["X-Projection-Stale"] == "true"
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert f"http://127.0.0.1:{port}/api" in out
    assert "checkpoints saved" in out
    assert "Traceback" not in err
    assert (tmp_path / "ledger" / "ledger.sqlite3").exists()


def test_serve_starts_with_the_data_models_example_artifact_types_file(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "artifact-types.json"
    port = free_port()
    process = start_serve(tmp_path / "ledger", port, LEDGER_ARTIFACT_TYPES_FILE=str(example))
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            wait_until_up(process, client)
            registry = check(client.get("/api/artifact-types"), 200)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert registry["items"][-1]["name"] == "custom_asset"
    assert process.returncode == 0, err


def refusal_to_start(process: subprocess.Popen[str]) -> tuple[int, list[str]]:
    """The exit status and the non-empty lines of stderr of a ``serve`` that must not start."""
    try:
        _, err = process.communicate(timeout=START_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, [line for line in err.splitlines() if line.strip()]


@pytest.mark.parametrize("damage", list(DAMAGES), ids=list(DAMAGES))
def test_serve_refuses_a_damaged_store_with_one_clear_line(tmp_path: Path, damage: str) -> None:
    make, says = DAMAGES[damage]
    make(tmp_path / "ledger")
    status, lines = refusal_to_start(start_serve(tmp_path / "ledger", free_port()))
    assert status == 1
    assert len(lines) == 1, lines
    assert lines[0].startswith("Campaign Ledger did not start: store-damaged:")
    assert says in lines[0]


def test_serve_refuses_an_api_key_for_an_invalid_tenant_with_one_clear_line(
    tmp_path: Path,
) -> None:
    keys = '{"a-good-key": "acme corp"}'
    status, lines = refusal_to_start(
        start_serve(tmp_path / "ledger", free_port(), LEDGER_API_KEYS=keys)
    )
    assert status == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith("Invalid settings: LEDGER_API_KEYS:")
    assert "acme corp" in lines[0]
