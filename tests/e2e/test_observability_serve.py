"""``campaigns serve`` with ``LEDGER_LOG_FORMAT=json`` and ``LEDGER_METRICS_TOKEN``: every log
line it writes is one JSON object (uvicorn's own included), and Prometheus can scrape it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.conftest import brief, check, free_port
from tests.e2e.test_serve_process import wait_until_up

TOKEN = "scrape-secret"


def test_serve_logs_json_lines_and_answers_a_scrape_with_the_token(tmp_path: Path) -> None:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("LEDGER_", "COSMOS_", "OTEL_", "APPLICATIONINSIGHTS_"))
    }
    env.update(
        PORT=str(port),
        HOST="127.0.0.1",
        LEDGER_DATA_DIR=str(tmp_path / "ledger"),
        LEDGER_LOG_FORMAT="json",
        LEDGER_METRICS_TOKEN=TOKEN,
    )
    script = Path(sys.executable).with_name("campaigns")
    process = subprocess.Popen(
        [str(script), "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            wait_until_up(process, client)
            check(client.post("/api/campaigns", json={"name": "S", "brief": brief()}), 201)
            assert client.get("/metrics").status_code == 401
            scrape = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert scrape.status_code == 200
    assert 'ledger_commands_total{command="create_campaign",outcome="appended"} 1.0' in scrape.text
    lines = [line for line in stderr.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    assert any(entry["logger"].startswith("uvicorn") for entry in entries)
    assert all({"timestamp", "level", "logger", "message"} <= set(entry) for entry in entries)
