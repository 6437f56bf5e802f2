"""``campaigns serve`` killed with SIGKILL in the middle of a load of concurrent commands (group
commit at work): every command answered before the kill is in the log after it, and the store
opens and answers again. In one process, and with one and two HTTP workers beside the
projecting supervisor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from documentstore.port import EVENTS
from documentstore.sqlite import SqliteDocumentStore
from projections.events import is_event_document, read_campaign_events
from tests.e2e.conftest import brief, free_port
from tests.e2e.test_serve_process import wait_until_up

CLIENTS = 8
LOAD_SECONDS = 1.5


def _serve(data_dir: Path, port: int, workers: int | None) -> subprocess.Popen[bytes]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("LEDGER_", "COSMOS_"))
    }
    env.update(PORT=str(port), HOST="127.0.0.1", LEDGER_DATA_DIR=str(data_dir))
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("campaigns")),
            "serve",
            *([] if workers is None else ["--workers", str(workers)]),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # one SIGKILL for the supervisor and its workers
    )


@pytest.mark.parametrize("workers", [None, 1, 2], ids=["one process", "1 worker", "2 workers"])
def test_every_command_answered_before_a_kill_is_in_the_log_after_it(
    tmp_path: Path, workers: int | None
) -> None:
    port = free_port()
    process = _serve(tmp_path, port, workers)
    answered: list[tuple[str, str]] = []
    lock = threading.Lock()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            wait_until_up(process, client)
            campaigns = []
            for _ in range(CLIENTS // 2):
                cid = client.post("/api/campaigns", json={"name": "Crash", "brief": brief()})
                campaign_id = cid.json()["id"]
                artifact = client.post(
                    f"/api/campaigns/{campaign_id}/artifacts", json={"type": "Copy"}
                ).json()["id"]
                campaigns.append((campaign_id, artifact))
        stop = threading.Event()

        def send(index: int) -> None:
            campaign_id, artifact = campaigns[index % len(campaigns)]
            path = f"/api/campaigns/{campaign_id}/artifacts/{artifact}/versions"
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                while not stop.is_set():
                    version_id = str(uuid.uuid4())
                    try:
                        answer = client.post(path, json={"id": version_id, "content": "x" * 500})
                    except httpx.TransportError:
                        return
                    if answer.status_code == 201:
                        with lock:
                            answered.append((campaign_id, version_id))

        threads = [threading.Thread(target=send, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        time.sleep(LOAD_SECONDS)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        stop.set()
        for thread in threads:
            thread.join(10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    assert len(answered) > 50
    store = SqliteDocumentStore(tmp_path / "ledger.sqlite3")
    store.initialise()
    logged = {
        (campaign_id, document["data"]["versionId"])
        for campaign_id, _ in campaigns
        for document in read_campaign_events(store, campaign_id)
        if is_event_document(document) and document["type"] == "VersionCreated"
    }
    assert set(answered) <= logged
    assert store.read(EVENTS, campaigns[0][0], "head") is not None
    store.close()
