"""The in-memory document store keeps the port's promises (the projections' unit tests rely on
it behaving like Cosmos DB and SQLite)."""

from __future__ import annotations

import pytest

from documentstore.memory import InMemoryDocumentStore
from documentstore.port import (
    EVENTS,
    LEASES,
    VIEWS,
    Create,
    Delete,
    Query,
    Replace,
    Upsert,
)
from domain.errors import CommandTooLarge, DocumentConflict, DocumentNotFound, EtagMismatch


def doc(doc_id: str, partition: str = "p", **fields: object) -> dict[str, object]:
    return {"id": doc_id, "partitionKey": partition, **fields}


def test_a_write_returns_a_new_etag_and_reads_return_it(store: InMemoryDocumentStore) -> None:
    [created] = store.execute_batch(VIEWS, "p", [Create(doc("a", n=1))])
    [replaced] = store.execute_batch(VIEWS, "p", [Replace(doc("a", n=2))])
    assert created is not None
    assert replaced is not None
    assert created["_etag"] != replaced["_etag"]
    read = store.read(VIEWS, "p", "a")
    assert read is not None
    assert read["_etag"] == replaced["_etag"]
    assert read["n"] == 2


def test_given_system_fields_are_ignored_on_write(store: InMemoryDocumentStore) -> None:
    store.execute_batch(VIEWS, "p", [Create(doc("a", _etag="forged", _ts=1))])
    read = store.read(VIEWS, "p", "a")
    assert read is not None
    assert read["_etag"] != "forged"
    assert read["_ts"] != 1


def test_a_stale_etag_fails_the_whole_batch_and_changes_nothing(
    store: InMemoryDocumentStore,
) -> None:
    [first] = store.execute_batch(VIEWS, "p", [Create(doc("a", n=1))])
    assert first is not None
    store.execute_batch(VIEWS, "p", [Replace(doc("a", n=2))])
    with pytest.raises(EtagMismatch) as refused:
        store.execute_batch(
            VIEWS, "p", [Create(doc("b")), Replace(doc("a", n=3), if_match=first["_etag"])]
        )
    assert refused.value.operation_index == 1
    assert store.read(VIEWS, "p", "b") is None
    read = store.read(VIEWS, "p", "a")
    assert read is not None
    assert read["n"] == 2


def test_create_of_an_existing_id_conflicts_and_replace_of_a_missing_one_is_not_found(
    store: InMemoryDocumentStore,
) -> None:
    store.execute_batch(VIEWS, "p", [Create(doc("a"))])
    with pytest.raises(DocumentConflict):
        store.execute_batch(VIEWS, "p", [Create(doc("a"))])
    with pytest.raises(DocumentNotFound):
        store.execute_batch(VIEWS, "p", [Replace(doc("missing"))])
    with pytest.raises(DocumentNotFound):
        store.execute_batch(VIEWS, "p", [Delete("missing")])


def test_a_conditional_upsert_creates_freely_but_replaces_only_a_matching_etag(
    store: InMemoryDocumentStore,
) -> None:
    store.execute_batch(VIEWS, "p", [Upsert(doc("a"), if_match='"stale"')])
    with pytest.raises(EtagMismatch):
        store.execute_batch(VIEWS, "p", [Upsert(doc("a"), if_match='"stale"')])


def test_a_batch_over_the_operation_or_byte_limit_is_refused_before_anything_is_written(
    store: InMemoryDocumentStore,
) -> None:
    with pytest.raises(CommandTooLarge):
        store.execute_batch(VIEWS, "p", [Create(doc(f"d{i}")) for i in range(101)])
    with pytest.raises(CommandTooLarge):
        store.execute_batch(
            VIEWS,
            "p",
            [Create(doc("a", text="x" * 1_100_000)), Create(doc("b", text="y" * 1_100_000))],
        )
    assert store.read(VIEWS, "p", "d0") is None
    assert store.read(VIEWS, "p", "a") is None


def test_a_lease_document_is_its_own_partition(store: InMemoryDocumentStore) -> None:
    store.execute_batch(LEASES, "lease-1", [Upsert({"id": "lease-1", "owner": "me"})])
    read = store.read(LEASES, "lease-1", "lease-1")
    assert read is not None
    assert read["owner"] == "me"


def test_queries_filter_order_page_and_cap(store: InMemoryDocumentStore) -> None:
    store.execute_batch(
        VIEWS,
        "p",
        [Create(doc(f"d{i}", rank=i % 3, flag=i % 2 == 0, count=i)) for i in range(10)],
    )
    query = Query(
        partition_key="p", equals={"flag": True}, order_by=(("rank", True), ("id", False))
    )
    first = store.query(VIEWS, query, page_size=3)
    rest = store.query(VIEWS, query, page_size=3, continuation=first.continuation)
    ids = [item["id"] for item in first.items + rest.items]
    assert ids == ["d2", "d8", "d4", "d0", "d6"]
    assert rest.continuation is None
    capped = store.query(VIEWS, Query(partition_key="p", id_gt="d3", id_lte="d7", limit=2))
    assert [item["id"] for item in capped.items] == ["d4", "d5"]
    assert capped.continuation is None


def test_an_equality_filter_does_not_mistake_numbers_for_booleans(
    store: InMemoryDocumentStore,
) -> None:
    store.execute_batch(VIEWS, "p", [Create(doc("zero", flag=0)), Create(doc("false", flag=False))])
    found = store.query(VIEWS, Query(partition_key="p", equals={"flag": False}))
    assert [item["id"] for item in found.items] == ["false"]


def test_the_change_feed_yields_the_latest_version_of_changed_documents_in_write_order(
    store: InMemoryDocumentStore,
) -> None:
    store.execute_batch(EVENTS, "c1", [Create(doc("a", "c1", n=1)), Create(doc("b", "c1"))])
    [feed_range] = store.feed_ranges(EVENTS)
    first = store.read_feed(EVENTS, feed_range, None, max_items=1)
    assert [item["id"] for item in first.items] == ["a"]
    store.execute_batch(EVENTS, "c1", [Replace(doc("a", "c1", n=2))])
    second = store.read_feed(EVENTS, feed_range, first.continuation)
    assert [(item["id"], item.get("n")) for item in second.items] == [("b", None), ("a", 2)]
    idle = store.read_feed(EVENTS, feed_range, second.continuation)
    assert idle.items == []
    assert idle.continuation == second.continuation


def test_feed_ranges_split_partitions_and_together_cover_every_document() -> None:
    store = InMemoryDocumentStore(feed_range_count=3)
    for partition in ("c1", "c2", "c3", "c4", "c5"):
        store.execute_batch(EVENTS, partition, [Create(doc("e", partition))])
    seen = [
        item["partitionKey"]
        for feed_range in store.feed_ranges(EVENTS)
        for item in store.read_feed(EVENTS, feed_range, None).items
    ]
    assert sorted(seen) == ["c1", "c2", "c3", "c4", "c5"]


def test_the_feed_range_of_a_partition_is_the_range_whose_feed_holds_it() -> None:
    store = InMemoryDocumentStore(feed_range_count=3)
    partitions = [f"c{number}" for number in range(12)]
    for partition in partitions:
        store.execute_batch(EVENTS, partition, [Create(doc("e", partition))])

    for feed_range in store.feed_ranges(EVENTS):
        held = {item["partitionKey"] for item in store.read_feed(EVENTS, feed_range, None).items}
        assert held == {p for p in partitions if store.feed_range_of(EVENTS, p) == feed_range}
    assert len({store.feed_range_of(EVENTS, p) for p in partitions}) > 1


def test_deleted_documents_leave_reads_queries_and_the_feed(store: InMemoryDocumentStore) -> None:
    store.execute_batch(VIEWS, "p", [Create(doc("a"))])
    store.execute_batch(VIEWS, "p", [Delete("a")])
    [feed_range] = store.feed_ranges(VIEWS)
    assert store.read(VIEWS, "p", "a") is None
    assert store.query(VIEWS, Query(partition_key="p")).items == []
    assert store.read_feed(VIEWS, feed_range, None).items == []


def test_returned_documents_are_copies(store: InMemoryDocumentStore) -> None:
    store.execute_batch(VIEWS, "p", [Create(doc("a", nested={"n": 1}))])
    read = store.read(VIEWS, "p", "a")
    assert read is not None
    read["nested"]["n"] = 99
    again = store.read(VIEWS, "p", "a")
    assert again is not None
    assert again["nested"]["n"] == 1
