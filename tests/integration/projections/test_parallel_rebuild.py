"""A rebuild whose replay projects campaigns side by side in worker processes builds exactly
what a rebuild in one process builds, and its text verification finds what the document by
document comparison finds."""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

from application import CampaignService
from bootstrap.container import campaign_application
from documentstore.sqlite import SqliteDocumentStore
from domain.artifact_types import ArtifactTypeRegistry
from projections.processor import ChangeFeedProcessor
from projections.rebuild import rebuild_views
from tests.integration.projections.views_on_a_store import drive_scenario
from tests.unit.projections.views_dump import dump_views


def _scenario_store(path: Path) -> SqliteDocumentStore:
    store = SqliteDocumentStore(path)
    store.initialise()
    follow = ChangeFeedProcessor(store, max_items=7)
    service = CampaignService(
        campaign_application(store), artifact_types=ArtifactTypeRegistry.standard()
    )
    for _ in range(3):
        drive_scenario(service, follow)
    follow.run_until_caught_up()
    return store


def test_a_replay_in_worker_processes_builds_what_one_process_builds(tmp_path: Path) -> None:
    store = _scenario_store(tmp_path / "ledger.sqlite3")
    live = dump_views(store, generation=1)

    report = rebuild_views(
        store,
        grace_seconds=0,
        workers=2,
        open_store=functools.partial(SqliteDocumentStore, tmp_path / "ledger.sqlite3"),
    )

    assert report.switched
    assert report.differences == []
    assert report.verified == report.campaigns == 9
    assert dump_views(store, generation=2) == live
    assert dump_views(store, generation=1) == {}
    store.close()


def test_a_document_changed_behind_the_projection_is_a_difference_again(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    store = _scenario_store(path)
    with sqlite3.connect(path) as raw:
        raw.execute(
            "UPDATE documents SET body = json_set(body, '$.body.name', 'Tampered') "
            "WHERE container = 'views' AND id = 'g1.snapshot' AND partition_key = "
            "(SELECT min(partition_key) FROM documents WHERE id = 'g1.snapshot')"
        )

    report = rebuild_views(store, grace_seconds=0)

    assert not report.switched
    assert [(d.document_id, d.kind) for d in report.differences] == [("snapshot", "different")]
    store.close()
