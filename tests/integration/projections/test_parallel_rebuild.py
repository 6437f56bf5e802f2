"""A rebuild whose replay projects campaigns side by side in worker processes (the embedded
store) builds exactly what the live processor built, byte for byte; its text verification finds
what the document by document comparison finds; and a rebuild killed in the middle of its
replay leaves the live generation serving and runs again to the end."""

from __future__ import annotations

import functools
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from application import CampaignService
from bootstrap.container import campaign_application
from documentstore.sqlite import SqliteDocumentStore
from domain.artifact_types import ArtifactTypeRegistry
from projections.generations import ProjectionStateStore
from projections.processor import ChangeFeedProcessor
from projections.rebuild import rebuild_views
from projections.retirement import remove_retired
from tests.integration.projections.views_on_a_store import drive_scenario
from tests.unit.projections.views_dump import dump_views

ROOT = Path(__file__).resolve().parents[3]


def _opened(path: Path) -> SqliteDocumentStore:
    store = SqliteDocumentStore(path)
    store.initialise()
    return store


def _scenario_store(path: Path) -> SqliteDocumentStore:
    store = _opened(path)
    follow = ChangeFeedProcessor(store, max_items=7)
    service = CampaignService(
        campaign_application(store), artifact_types=ArtifactTypeRegistry.standard()
    )
    for _ in range(3):
        drive_scenario(service, follow)
    follow.run_until_caught_up()
    return store


class _CountingCheckpoints(SqliteDocumentStore):
    """The rebuild's own store, counting the checkpoints it is asked for."""

    checkpoints = 0

    def checkpoint(self) -> None:
        self.checkpoints += 1
        super().checkpoint()


def test_the_coordinator_checkpoints_the_log_while_its_workers_write(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    _scenario_store(path).close()
    store = _CountingCheckpoints(path)
    store.initialise()

    report = rebuild_views(store, workers=2, open_store=functools.partial(_opened, path))

    assert report.switched
    assert store.checkpoints >= 1, "once per page of keys handed out"
    store.close()


def test_a_replay_in_worker_processes_builds_what_the_live_processor_built(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite3"
    store = _scenario_store(path)
    live = dump_views(store, generation=1)

    report = rebuild_views(store, workers=2, open_store=functools.partial(_opened, path))

    assert report.switched
    assert report.differences == []
    assert report.verified == report.campaigns == 9
    assert report.workers_cpu_seconds > 0
    assert report.workers_peak_kib > 0
    assert dump_views(store, generation=2) == live
    remove_retired(store, grace_seconds=0)
    assert dump_views(store, generation=1) == {}
    store.close()


def test_a_document_changed_behind_the_projection_is_a_difference_again(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    store = _scenario_store(path)
    _tamper_with_a_snapshot(path)

    report = rebuild_views(store)

    assert not report.switched
    assert [(d.document_id, d.kind) for d in report.differences] == [("snapshot", "different")]
    store.close()


def test_replay_workers_checking_their_own_campaigns_find_a_changed_document_too(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite3"
    store = _scenario_store(path)
    _tamper_with_a_snapshot(path)
    live = dump_views(store, generation=1)

    report = rebuild_views(store, workers=2, open_store=functools.partial(_opened, path))

    assert not report.switched
    assert [(d.document_id, d.kind) for d in report.differences] == [("snapshot", "different")]
    assert report.verified == report.campaigns == 9
    assert dump_views(store, generation=1) == live
    assert dump_views(store, generation=2) == {}
    store.close()


_KILLED_MIDWAY = textwrap.dedent(
    """
    import functools, os, signal, sys
    from documentstore.sqlite import SqliteDocumentStore
    from projections.rebuild import rebuild_views
    from tests.integration.projections.test_parallel_rebuild import _opened

    path = sys.argv[1]

    def killed(step):
        if step.phase == "replay":
            os.kill(os.getpid(), signal.SIGKILL)

    rebuild_views(
        _opened(path), progress=killed, workers=2,
        open_store=functools.partial(_opened, path),
    )
    """
)


def test_a_rebuild_killed_during_its_replay_leaves_the_live_views_and_runs_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite3"
    store = _scenario_store(path)
    live = dump_views(store, generation=1)

    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_MIDWAY, str(path)],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )

    assert killed.returncode == -signal.SIGKILL
    state = ProjectionStateStore(store).read()
    assert (state.live, state.building) == (1, 2)
    assert dump_views(store, generation=1) == live
    report = rebuild_views(store, workers=2, open_store=functools.partial(_opened, path))
    assert report.switched
    assert report.differences == []
    assert dump_views(store, generation=3) == live
    remove_retired(store, grace_seconds=0)
    assert dump_views(store, generation=2) == {}
    assert dump_views(store, generation=1) == {}
    store.close()


def _tamper_with_a_snapshot(path: Path) -> None:
    """Change one campaign's live snapshot behind the projection's back."""
    with sqlite3.connect(path) as raw:
        raw.execute(
            "UPDATE documents SET body = json_set(body, '$.name', 'Tampered') "
            "WHERE container = 'views' AND id = 'g1.snapshot' AND partition_key = "
            "(SELECT min(partition_key) FROM documents WHERE id = 'g1.snapshot')"
        )
