"""The embedded store refuses to open a file that lost or corrupted data (issue #17, item 9),
and gives the room of deleted documents back to the file system (item 15)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bootstrap.settings import Settings
from bootstrap.stores import open_document_store
from documentstore.port import EVENTS, Delete
from documentstore.sqlite import SqliteDocumentStore, check_store_file
from domain.errors import StoreDamaged
from tests.integration.documentstore.damage import (
    DAMAGES,
    PARTITIONS,
    STORE_FILE,
    crashed_store,
    healthy_store,
    write_documents,
)


@pytest.mark.parametrize("damage", list(DAMAGES), ids=list(DAMAGES))
def test_a_damaged_store_file_is_refused_with_one_clear_sentence(
    tmp_path: Path, damage: str
) -> None:
    make, says = DAMAGES[damage]
    path = make(tmp_path / "data")
    with pytest.raises(StoreDamaged, match=says) as refused:
        check_store_file(path)
    assert "\n" not in refused.value.detail
    assert str(path) in refused.value.detail


@pytest.mark.parametrize("damage", list(DAMAGES), ids=list(DAMAGES))
def test_the_composition_root_opens_no_damaged_store(tmp_path: Path, damage: str) -> None:
    make, _ = DAMAGES[damage]
    make(tmp_path / "data")
    settings = Settings.model_validate(
        {"ledger_store": "sqlite", "ledger_data_dir": tmp_path / "data"}
    )
    with pytest.raises(StoreDamaged):
        open_document_store(settings)


@pytest.mark.parametrize(
    "make", [healthy_store, crashed_store], ids=["closed cleanly", "crashed with its log"]
)
def test_a_whole_store_opens_with_its_data(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    path = make(tmp_path / "data")
    check_store_file(path, "full")
    store = SqliteDocumentStore(path)
    assert store.read(EVENTS, "p0", "d0") is not None
    store.close()


def test_a_new_store_has_no_file_yet_and_passes(tmp_path: Path) -> None:
    check_store_file(tmp_path / STORE_FILE)
    assert not (tmp_path / STORE_FILE).exists()


def test_the_check_can_be_switched_off(tmp_path: Path) -> None:
    make, _ = DAMAGES["emptied file"]
    check_store_file(make(tmp_path / "data"), "off")


def delete_documents(store: SqliteDocumentStore, count: int) -> None:
    for partition in range(PARTITIONS):
        ids = [f"d{number}" for number in range(partition, count, PARTITIONS)]
        for start in range(0, len(ids), 50):
            store.execute_batch(
                EVENTS, f"p{partition}", [Delete(doc_id) for doc_id in ids[start : start + 50]]
            )


def _file_bytes(path: Path) -> int:
    return sum(
        companion.stat().st_size
        for companion in (path, path.with_name(path.name + "-wal"))
        if companion.exists()
    )


def test_deleted_documents_give_their_room_back(tmp_path: Path) -> None:
    path = tmp_path / STORE_FILE
    store = SqliteDocumentStore(path)
    store.initialise()
    write_documents(store, 2_000)
    full = _file_bytes(path)
    delete_documents(store, 2_000)
    store.reclaim_space()
    assert _file_bytes(path) < full / 4
    store.close()


def test_a_file_made_before_reclaiming_is_converted_once(tmp_path: Path) -> None:
    path = tmp_path / STORE_FILE
    with sqlite3.connect(path) as legacy:  # a store file from before: no auto_vacuum
        legacy.execute("PRAGMA journal_mode = WAL")
    legacy.close()
    store = SqliteDocumentStore(path)
    store.initialise()
    write_documents(store, 1_000)
    delete_documents(store, 1_000)
    before = _file_bytes(path)
    store.reclaim_space()
    assert _file_bytes(path) < before / 4
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
    check.close()
    store.close()
