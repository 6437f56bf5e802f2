"""``kill -9`` during an import into the embedded store, then the same import again: the second
run completes the store, nothing doubled, the result identical to an import never
interrupted; while the first run lies dead, a half-written campaign does not exist."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from documentstore.memory import InMemoryDocumentStore
from documentstore.sqlite import SqliteDocumentStore
from projections.processor import ChangeFeedProcessor
from tests.unit.operations.campaigns import Campaigns, dump_events, export_all, import_into
from tests.unit.projections.views_dump import dump_views

ROOT = Path(__file__).resolve().parents[3]
CAMPAIGNS = 30
SQLITE_CAMPAIGN_TRANSACTION = 300_000
"""Bytes of writes per transaction: more than a campaign of the export, less than three."""


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export of ``CAMPAIGNS`` campaigns of about 90 events each."""
    store = InMemoryDocumentStore()
    writer = Campaigns(store)
    for _ in range(CAMPAIGNS):
        writer.fill(writer.create(), versions=25)
    path = tmp_path_factory.mktemp("export") / "export.jsonl"
    path.write_text("\n".join(export_all(store)) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def clean(export: Path, tmp_path_factory: pytest.TempPathFactory) -> SqliteDocumentStore:
    """The store an uninterrupted import makes, views projected."""
    store = SqliteDocumentStore(tmp_path_factory.mktemp("clean") / "ledger.sqlite3")
    store.initialise()
    import_into(store, export.read_text(encoding="utf-8").splitlines())
    ChangeFeedProcessor(store).run_until_caught_up()
    return store


def event_documents(database: Path) -> int:
    if not database.exists():
        return 0
    with sqlite3.connect(database, timeout=5) as connection:
        try:
            row = connection.execute(
                "SELECT count(*) FROM documents WHERE container = 'events'"
            ).fetchone()
        except sqlite3.OperationalError:  # the schema is not there yet
            return 0
    return int(row[0])


def kill_midway(command: list[str], database: Path, at_documents: int) -> None:
    """Start ``command`` and SIGKILL it once ``database`` holds ``at_documents`` events
    documents; fails if it finished first."""
    worker = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 120
        while event_documents(database) < at_documents:
            assert worker.poll() is None, "the import finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.002)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.wait(timeout=30)


@pytest.mark.parametrize(
    ("flush_bytes", "fraction"),
    [(SQLITE_CAMPAIGN_TRANSACTION, 0.3), (20_000, 0.2), (20_000, 0.6)],
    ids=["campaign-transactions", "within-a-campaign-early", "within-a-campaign-late"],
)
def test_an_import_killed_midway_then_run_again_completes_with_nothing_doubled(
    export: Path, clean: SqliteDocumentStore, tmp_path: Path, flush_bytes: int, fraction: float
) -> None:
    data_dir = tmp_path / "ledger"
    database = data_dir / "ledger.sqlite3"
    total = event_documents(clean.path)
    worker = [sys.executable, "-m", "tests.integration.operations.import_worker"]

    kill_midway(
        [*worker, str(data_dir), str(export), str(flush_bytes)], database, int(total * fraction)
    )

    assert 0 < event_documents(database) < total
    partial = SqliteDocumentStore(database)
    exported = {json.loads(line)["campaignId"] for line in export_all(partial)}
    written = {campaign_id for campaign_id, _ in dump_events(partial)}
    assert len(exported) < CAMPAIGNS  # only whole campaigns exist, with their heads
    for campaign_id in exported:
        assert [k for k in dump_events(partial) if k[0] == campaign_id] == [
            k for k in dump_events(clean) if k[0] == campaign_id
        ]
    if flush_bytes >= SQLITE_CAMPAIGN_TRANSACTION:
        assert written == exported  # whole campaigns per transaction: nothing half written
    partial.close()

    again = CliRunner().invoke(
        app, ["import", str(export)], env={"LEDGER_DATA_DIR": str(data_dir), "LEDGER_STORE": ""}
    )

    assert again.exit_code == 0, again.output
    resumed = SqliteDocumentStore(database)
    try:
        assert event_documents(database) == total
        assert dump_events(resumed) == dump_events(clean)
        ChangeFeedProcessor(resumed).run_until_caught_up()
        assert dump_views(resumed) == dump_views(clean)
    finally:
        resumed.close()
