"""Rebuilds do not grow the embedded file without bound (issue #17, item 15): the room of each
retired generation is filled by the next rebuild's, and ``reclaim_space`` (``campaigns vacuum``)
gives it back to the file system."""

from __future__ import annotations

from pathlib import Path

from application import CommandContext
from documentstore.sqlite import SqliteDocumentStore
from projections.processor import ChangeFeedProcessor
from projections.rebuild import rebuild_views
from projections.retirement import remove_retired
from tests.integration.harness.ledgers import ledger_on
from tests.integration.harness.orchestrator import brief

VERSIONS = 300
REBUILDS = 4


def file_bytes(path: Path) -> int:
    return sum(
        part.stat().st_size for part in (path, path.with_name(path.name + "-wal")) if part.exists()
    )


def test_repeated_rebuilds_keep_the_file_at_the_size_of_one_rebuild(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    store = SqliteDocumentStore(path)
    store.initialise()
    ledger = ledger_on(store)
    ctx = CommandContext(actor="rebuilds")
    campaign = ledger.create_campaign(ctx, name="Rebuilt often", brief=brief()).id
    copy = ledger.create_artifact(ctx, campaign, artifact_type="Copy").id
    for number in range(VERSIONS):
        ledger.create_version(ctx, campaign, copy, content=f"draft {number} " + "x" * 2_000)
    ChangeFeedProcessor(store).run_until_caught_up()

    sizes = []
    for _ in range(REBUILDS):
        report = rebuild_views(store)
        assert report.switched
        remove_retired(store, grace_seconds=0)  # as the processor does when idle
        sizes.append(file_bytes(path))
    store.close()

    assert max(sizes[1:]) <= sizes[0] * 1.25, sizes


def test_reclaiming_after_a_rebuild_gives_the_retired_generations_room_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite3"
    store = SqliteDocumentStore(path)
    store.initialise()
    ledger = ledger_on(store)
    ctx = CommandContext(actor="rebuilds")
    campaign = ledger.create_campaign(ctx, name="Rebuilt once", brief=brief()).id
    copy = ledger.create_artifact(ctx, campaign, artifact_type="Copy").id
    for number in range(VERSIONS):
        ledger.create_version(ctx, campaign, copy, content=f"draft {number} " + "x" * 2_000)
    ChangeFeedProcessor(store).run_until_caught_up()
    assert rebuild_views(store).switched
    remove_retired(store, grace_seconds=0)
    rebuilt = file_bytes(path)

    store.reclaim_space()
    reclaimed = file_bytes(path)
    store.close()

    assert reclaimed < rebuilt, (reclaimed, rebuilt)
