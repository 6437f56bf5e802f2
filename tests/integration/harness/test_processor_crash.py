"""The change-feed processor is a real process killed with SIGKILL in the middle of a batch
(some of a page's view documents written, the page's checkpoint not), again and again at
different points, and restarted each time: once it has caught up, the live views equal a clean
rebuild of the log, byte for byte."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from documentstore.port import DocumentStore
from projections.rebuild import rebuild_views
from tests.integration.harness.ledgers import ledger_on
from tests.integration.harness.orchestrator import ScriptedOrchestrator, run_campaign_script
from tests.unit.projections.views_dump import dump_views

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[3]
CAMPAIGNS = 10
KILL_POINTS = (1, 2, 3, 1, 4, 2, 5, 1, 3)
"""After how many view batches each run is killed, in turn; it restarts from its checkpoint."""
MAX_RUNS = 60


def follow(path: Path, pause_after: int | None) -> str:
    """Run the processor process; kill it when it pauses. Returns what it last printed."""
    command = [sys.executable, "-m", "tests.integration.harness.feed_follower", str(path)]
    if pause_after is not None:
        command += ["--pause-after", str(pause_after)]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if line == "PAUSED":
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        if line != "PAUSED":
            assert process.returncode == 0, process.stderr.read() if process.stderr else ""
        return line
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_processor_killed_in_the_middle_of_batches_and_restarted_equals_a_clean_rebuild(
    sqlite_store: DocumentStore, tmp_path: Path
) -> None:
    client = ScriptedOrchestrator(ledger_on(sqlite_store))
    for _ in range(CAMPAIGNS):
        run_campaign_script(client, drafts=10)
    path = tmp_path / "ledger.sqlite3"

    kills = 0
    while kills < MAX_RUNS:
        if follow(path, KILL_POINTS[kills % len(KILL_POINTS)]) == "CAUGHT UP":
            break
        kills += 1
    assert follow(path, None) == "CAUGHT UP"

    assert kills >= 10, "the processor should have been killed mid-batch many times"
    live = dump_views(sqlite_store, generation=1)
    report = rebuild_views(sqlite_store)
    assert (report.differences, report.written_meanwhile, report.dead_letters) == ([], [], 0)
    assert report.verified == CAMPAIGNS
    assert dump_views(sqlite_store, generation=2) == live
