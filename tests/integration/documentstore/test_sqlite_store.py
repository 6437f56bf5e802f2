"""What the embedded SQLite store adds to the port's contract: one WAL-mode file, shared safely
by many threads, durable across reopening."""

from __future__ import annotations

import math
import sqlite3
import threading
from pathlib import Path

import pytest

from documentstore.backoff import RetryPolicy
from documentstore.port import EVENTS, Create, Replace, Upsert
from documentstore.sqlite import FEED_RANGE, SqliteDocumentStore, bulk
from documentstore.sqlite.connections import PAGE_SIZE, create_schema
from domain.errors import EtagMismatch, StoreError, StoreUnavailable


def test_the_database_file_runs_in_wal_mode(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "nested" / "ledger.sqlite3")
    store.initialise()
    store.execute_batch(EVENTS, "p", [Create({"id": "a", "partitionKey": "p"})])

    with sqlite3.connect(tmp_path / "nested" / "ledger.sqlite3") as raw:
        (mode,) = raw.execute("PRAGMA journal_mode").fetchone()

    assert mode == "wal"
    store.close()


def test_a_new_database_file_has_pages_that_hold_a_document_of_a_few_kb(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "ledger.sqlite3")
    store.initialise()
    store.execute_batch(EVENTS, "p", [Create({"id": "a", "partitionKey": "p"})])

    with sqlite3.connect(tmp_path / "ledger.sqlite3") as raw:
        (page_size,) = raw.execute("PRAGMA page_size").fetchone()

    assert page_size == PAGE_SIZE == 16_384
    store.close()


def test_a_file_made_with_smaller_pages_keeps_them_and_its_documents(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as earlier:  # a store file from before: SQLite's default pages
        earlier.execute("PRAGMA journal_mode = WAL")
        create_schema(earlier)
    earlier.close()
    first = SqliteDocumentStore(path)
    first.initialise()
    first.execute_batch(EVENTS, "p", [Create({"id": "a", "partitionKey": "p", "text": "x" * 3000})])
    first.close()

    second = SqliteDocumentStore(path)
    second.initialise()
    found = second.read(EVENTS, "p", "a")
    with sqlite3.connect(path) as raw:
        (page_size,) = raw.execute("PRAGMA page_size").fetchone()

    assert page_size == 4_096
    assert found is not None
    assert found["text"] == "x" * 3000
    second.close()


def test_documents_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    first = SqliteDocumentStore(tmp_path / "ledger.sqlite3")
    first.initialise()
    first.execute_batch(EVENTS, "p", [Create({"id": "a", "partitionKey": "p", "n": 1})])
    first.close()

    second = SqliteDocumentStore(tmp_path / "ledger.sqlite3")
    second.initialise()
    found = second.read(EVENTS, "p", "a")

    assert found is not None
    assert found["n"] == 1
    assert [d["id"] for d in second.read_feed(EVENTS, FEED_RANGE, None).items] == ["a"]
    second.close()


def test_a_store_used_before_initialise_says_what_is_missing(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "fresh.sqlite3")

    with pytest.raises(StoreError, match="not initialised"):
        store.read(EVENTS, "p", "a")


def test_concurrent_conditional_writers_never_lose_an_update(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "ledger.sqlite3")
    store.initialise()
    store.execute_batch(EVENTS, "p", [Create({"id": "counter", "partitionKey": "p", "n": 0})])
    threads, increments = 8, 25
    failures: list[BaseException] = []

    def increment_many() -> None:
        try:
            for _ in range(increments):
                while True:
                    current = store.read(EVENTS, "p", "counter")
                    assert current is not None
                    updated = {"id": "counter", "partitionKey": "p", "n": current["n"] + 1}
                    try:
                        store.execute_batch(
                            EVENTS, "p", [Replace(updated, if_match=current["_etag"])]
                        )
                        break
                    except EtagMismatch:
                        continue
        except BaseException as error:  # surfaced to the test thread below
            failures.append(error)

    workers = [threading.Thread(target=increment_many) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    final = store.read(EVENTS, "p", "counter")
    assert failures == []
    assert final is not None
    assert final["n"] == threads * increments
    feed = store.read_feed(EVENTS, FEED_RANGE, None).items
    assert [d["n"] for d in feed] == [threads * increments]
    store.close()


def test_a_database_locked_by_another_writer_surfaces_as_store_unavailable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite3"
    store = SqliteDocumentStore(
        path,
        busy_timeout=0.05,
        retry=RetryPolicy(attempts=2, initial_delay=0.001, max_delay=0.01),
    )
    store.initialise()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailable):
            store.execute_batch(EVENTS, "p", [Create({"id": "a", "partitionKey": "p"})])
    finally:
        other.execute("ROLLBACK")
        other.close()

    store.execute_batch(EVENTS, "p", [Create({"id": "a", "partitionKey": "p"})])
    assert store.read(EVENTS, "p", "a") is not None
    store.close()


def test_a_number_json_cannot_hold_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "ledger.sqlite3")
    store.initialise()

    with pytest.raises(ValueError, match="not JSON compliant"):
        store.execute_batch(
            EVENTS,
            "p",
            [
                Create({"id": "a", "partitionKey": "p"}),
                Create({"id": "b", "partitionKey": "p", "x": math.nan}),
            ],
        )

    assert store.read(EVENTS, "p", "a") is None
    store.close()


def test_batches_of_one_call_move_the_feed_in_operation_order(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "ledger.sqlite3")
    store.initialise()
    store.execute_batches(
        EVENTS,
        [
            (
                "p",
                [
                    Create({"id": "a", "partitionKey": "p"}),
                    Create({"id": "b", "partitionKey": "p"}),
                ],
            ),
            ("q", [Create({"id": "c", "partitionKey": "q"})]),
            ("p", [Upsert({"id": "a", "partitionKey": "p", "n": 2})]),
        ],
    ).results()

    feed = store.read_feed(EVENTS, FEED_RANGE, None).items

    assert [(d["partitionKey"], d["id"]) for d in feed] == [("p", "b"), ("q", "c"), ("p", "a")]
    store.close()


def test_many_threads_writing_at_once_each_get_their_turn(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "ledger.sqlite3", busy_timeout=30.0)
    store.initialise()
    failures: list[BaseException] = []

    def write_many(thread: int) -> None:
        try:
            for n in range(20):
                store.execute_batch(
                    EVENTS, f"p{thread}", [Create({"id": f"d{n}", "partitionKey": f"p{thread}"})]
                )
        except BaseException as error:  # surfaced to the test thread below
            failures.append(error)

    workers = [threading.Thread(target=write_many, args=(number,)) for number in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    assert len(store.read_feed(EVENTS, FEED_RANGE, None, max_items=1000).items) == 160
    store.close()


@pytest.mark.parametrize("setting", [0, 1])
def test_a_range_delete_leaves_the_connections_secure_delete_as_it_found_it(
    tmp_path: Path, setting: int
) -> None:
    connection = sqlite3.connect(tmp_path / "ledger.sqlite3", isolation_level=None)
    create_schema(connection)
    connection.execute(f"PRAGMA secure_delete = {setting}")

    bulk.delete_id_range(connection, EVENTS, ["p"], "a", "z")

    assert connection.execute("PRAGMA secure_delete").fetchone() == (setting,)
    connection.close()
