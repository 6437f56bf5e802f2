"""``campaigns backup DIR`` while the service takes commands: the copy opens as a data directory
of its own and holds every command acknowledged before the backup started."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from application.command_execution import CommandContext
from bootstrap.container import build_container
from bootstrap.settings import Settings
from documentstore.port import EVENTS
from documentstore.sqlite import SqliteDocumentStore
from tests.unit.application.builders import brief
from tests.unit.operations.campaigns import export_all

ROOT = Path(__file__).resolve().parents[3]
WRITERS = 3


@dataclass
class Acknowledged:
    """Commands answered so far: ``(campaign id, version, when)``, ``when`` monotonic."""

    answers: list[tuple[str, int, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, campaign_id: str, version: int) -> None:
        with self.lock:
            self.answers.append((campaign_id, version, time.monotonic()))

    def before(self, instant: float) -> dict[str, int]:
        """The highest version acknowledged per campaign before ``instant``."""
        with self.lock:
            latest: dict[str, int] = {}
            for campaign_id, version, when in self.answers:
                if when < instant:
                    latest[campaign_id] = max(version, latest.get(campaign_id, 0))
            return latest


def campaigns(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """The ``campaigns`` command in a process of its own, as an operator runs it."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("campaigns")), *args],
        cwd=ROOT,
        env={**os.environ, "LEDGER_DATA_DIR": str(data_dir), "LEDGER_STORE": "sqlite"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_backup_taken_while_commands_run_holds_every_command_acknowledged_before_it(
    tmp_path: Path,
) -> None:
    data_dir, copy_dir = tmp_path / "ledger", tmp_path / "backup"
    services = build_container(Settings(ledger_data_dir=data_dir, ledger_api_keys={}))
    services.processor.start()
    acknowledged = Acknowledged()
    stop = threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        ctx = CommandContext(tenant_id="acme", actor="writer")
        try:
            while not stop.is_set():
                created = services.commands.create_campaign(ctx, name="Spring", brief=brief())
                acknowledged.add(created.id, created.version)
                for number in range(5):
                    updated = services.commands.update_campaign(
                        ctx, created.id, name=f"Spring {number}"
                    )
                    acknowledged.add(created.id, updated.version)
        except BaseException as failure:
            failures.append(failure)

    writers = [threading.Thread(target=write) for _ in range(WRITERS)]
    for writer in writers:
        writer.start()
    try:
        time.sleep(0.5)
        started = time.monotonic()
        backed_up = campaigns("backup", str(copy_dir), data_dir=data_dir)
        time.sleep(0.2)
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=30)
        services.close()

    assert failures == []
    assert backed_up.returncode == 0, backed_up.stderr
    expected = acknowledged.before(started)
    assert len(expected) >= WRITERS
    assert len(acknowledged.answers) > sum(expected.values())  # commands went on meanwhile
    copy = SqliteDocumentStore(copy_dir / "ledger.sqlite3")
    try:
        for campaign_id, version in expected.items():
            head = copy.read(EVENTS, campaign_id, "head")
            assert head is not None
            assert head["version"] >= version
        assert export_all(copy)  # the log reads back whole
    finally:
        copy.close()

    restored = build_container(Settings(ledger_data_dir=copy_dir, ledger_api_keys={}))
    try:
        campaign_id = next(iter(expected))
        events = restored.commands.read_events("acme", campaign_id, limit=1000)
        assert [event.version for event in events] == list(range(1, len(events) + 1))
        assert restored.application.load_campaign(UUID(campaign_id)).version == len(events)
    finally:
        restored.close()
    assert campaigns("backup", str(copy_dir), data_dir=data_dir).returncode == 1
