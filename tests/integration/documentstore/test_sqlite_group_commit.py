"""Group commit in the SQLite store: batches handed in at the same time by this process's writers
share one transaction and one commit, and each keeps its own checks, its own outcome and its
own failure; nobody is answered before the commit."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from documentstore.port import EVENTS, Create, Replace
from documentstore.sqlite import SqliteDocumentStore
from documentstore.sqlite import group_commit as group_commit_module
from documentstore.sqlite.group_commit import GroupCommit
from domain.errors import DocumentConflict, EtagMismatch, StoreError


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteDocumentStore]:
    opened = SqliteDocumentStore(tmp_path / "ledger.sqlite3")
    opened.initialise()
    yield opened
    opened.close()


def _group(store: SqliteDocumentStore) -> GroupCommit:
    group: GroupCommit = store._writes
    return group


def _queued(group: GroupCommit) -> int:
    return len(group._queue)


def _while_the_turn_is_held(
    store: SqliteDocumentStore, calls: list[Callable[[], Any]]
) -> list[Any]:
    """Run ``calls`` in threads of their own while this thread holds the writers' turn, let
    them all queue, then release the turn: what each returned or raised."""
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            outcomes[index] = calls[index]()
        except Exception as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    with store._pool.writer():
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while _queued(_group(store)) < len(calls) and time.monotonic() < deadline:
            time.sleep(0.001)
        assert _queued(_group(store)) == len(calls)
    for thread in threads:
        thread.join(10)
    return outcomes


def _create(store: SqliteDocumentStore, partition: str, document_id: str) -> Callable[[], Any]:
    return lambda: store.execute_batch(
        EVENTS, partition, [Create({"id": document_id, "partitionKey": partition})]
    )


def test_concurrent_appends_of_different_campaigns_commit_in_one_transaction(
    store: SqliteDocumentStore,
) -> None:
    commits_before = _group(store).commits

    outcomes = _while_the_turn_is_held(
        store, [_create(store, f"campaign-{n}", "event-1") for n in range(8)]
    )

    assert all(isinstance(outcome, list) for outcome in outcomes)
    assert _group(store).commits - commits_before == 1
    with sqlite3.connect(store.path) as other_connection:
        (count,) = other_connection.execute("SELECT count(*) FROM documents").fetchone()
    assert count == 8


def test_each_batch_of_a_group_keeps_its_own_etag_check_and_its_own_failure(
    store: SqliteDocumentStore,
) -> None:
    store.execute_batch(EVENTS, "a", [Create({"id": "head", "partitionKey": "a", "n": 0})])
    commits_before = _group(store).commits

    stale = lambda: store.execute_batch(  # noqa: E731
        EVENTS, "a", [Replace({"id": "head", "partitionKey": "a", "n": 1}, if_match="stale")]
    )
    outcomes = _while_the_turn_is_held(
        store,
        [_create(store, "b", "one"), stale, _create(store, "c", "one"), _create(store, "b", "one")],
    )

    assert isinstance(outcomes[1], EtagMismatch)
    assert isinstance(outcomes[2], list)
    # The two creates of "b/one": whichever the group applied first is seen by the other.
    assert sorted(type(outcomes[index]).__name__ for index in (0, 3)) == [
        "DocumentConflict",
        "list",
    ]
    assert _group(store).commits - commits_before == 1
    head = store.read(EVENTS, "a", "head")
    assert head is not None
    assert head["n"] == 0
    assert store.read(EVENTS, "b", "one") is not None
    assert store.read(EVENTS, "c", "one") is not None


def test_a_fault_in_one_batch_of_a_group_fails_that_batch_only(
    store: SqliteDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_apply = group_commit_module.apply_request

    def apply_with_a_fault(connection: sqlite3.Connection, container: str, prepared: Any) -> Any:
        if prepared[0][0] == "faulty":
            raise sqlite3.DatabaseError("database disk image is malformed")
        return real_apply(connection, container, prepared)

    monkeypatch.setattr(group_commit_module, "apply_request", apply_with_a_fault)

    outcomes = _while_the_turn_is_held(
        store,
        [_create(store, "x", "one"), _create(store, "faulty", "one"), _create(store, "y", "one")],
    )

    assert isinstance(outcomes[0], list)
    assert isinstance(outcomes[1], StoreError)
    assert isinstance(outcomes[2], list)
    assert store.read(EVENTS, "x", "one") is not None
    assert store.read(EVENTS, "faulty", "one") is None
    assert store.read(EVENTS, "y", "one") is not None


def test_several_batches_of_one_call_stop_at_the_refused_one_inside_a_group(
    store: SqliteDocumentStore,
) -> None:
    store.execute_batch(EVENTS, "taken", [Create({"id": "one", "partitionKey": "taken"})])

    def several() -> Any:
        return store.execute_batches(
            EVENTS,
            [
                ("first", [Create({"id": "one", "partitionKey": "first"})]),
                ("taken", [Create({"id": "one", "partitionKey": "taken"})]),
                ("after", [Create({"id": "one", "partitionKey": "after"})]),
            ],
        )

    outcomes = _while_the_turn_is_held(store, [several, _create(store, "other", "one")])

    assert len(outcomes[0].applied) == 1
    assert isinstance(outcomes[0].error, DocumentConflict)
    assert isinstance(outcomes[1], list)
    assert store.read(EVENTS, "first", "one") is not None
    assert store.read(EVENTS, "after", "one") is None
    assert store.read(EVENTS, "other", "one") is not None


def test_writers_that_are_not_grouped_still_each_commit(store: SqliteDocumentStore) -> None:
    for number in range(3):
        store.execute_batch(EVENTS, "p", [Create({"id": f"d{number}", "partitionKey": "p"})])

    assert _group(store).requests >= 3
    assert [d["id"] for d in store.read_feed(EVENTS, "all", None).items][-3:] == [
        "d0",
        "d1",
        "d2",
    ]


def test_the_writers_connections_commit_with_synchronous_full(store: SqliteDocumentStore) -> None:
    with store._pool.writer() as connection:
        (level,) = connection.execute("PRAGMA synchronous").fetchone()

    assert level == 2  # FULL


def _command_batch(
    partition: str, version: int, head_etag: str, state_etag: str | None
) -> list[Any]:
    """A command's batch as the recorder writes it: its event, the head replaced on its etag,
    and an entity state created (no etag yet) or replaced on its etag."""
    state = {"id": "state-a", "partitionKey": partition, "v": version}
    return [
        Create({"id": f"event-{version}", "partitionKey": partition, "v": version}),
        Replace({"id": "head", "partitionKey": partition, "v": version}, if_match=head_etag),
        Create(state) if state_etag is None else Replace(state, if_match=state_etag),
    ]


def test_command_batches_with_entity_states_keep_their_etag_checks_inside_a_group(
    store: SqliteDocumentStore,
) -> None:
    heads = {}
    states = {}
    for partition in ("p", "q", "r"):
        head, _, state = store.execute_batch(
            EVENTS,
            partition,
            [
                Create({"id": "head", "partitionKey": partition, "v": 1}),
                Create({"id": "event-1", "partitionKey": partition, "v": 1}),
                Create({"id": "state-a", "partitionKey": partition, "v": 1}),
            ],
        )
        assert head is not None
        assert state is not None
        heads[partition], states[partition] = str(head["_etag"]), str(state["_etag"])
    commits_before = _group(store).commits

    def command(partition: str, state_etag: str) -> Callable[[], Any]:
        batch = _command_batch(partition, 2, heads[partition], state_etag)
        return lambda: store.execute_batch(EVENTS, partition, batch)

    outcomes = _while_the_turn_is_held(
        store, [command("p", states["p"]), command("q", "stale"), command("r", states["r"])]
    )

    assert isinstance(outcomes[0], list)
    assert isinstance(outcomes[1], EtagMismatch)
    assert isinstance(outcomes[2], list)
    assert _group(store).commits - commits_before == 1
    for partition, applied in (("p", True), ("q", False), ("r", True)):
        head, state = (
            store.read(EVENTS, partition, "head"),
            store.read(EVENTS, partition, "state-a"),
        )
        assert head is not None
        assert state is not None
        assert (head["v"], state["v"]) == ((2, 2) if applied else (1, 1))
        assert (store.read(EVENTS, partition, "event-2") is not None) is applied
