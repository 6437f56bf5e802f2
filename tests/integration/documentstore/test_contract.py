"""The document-store port's contract, run against every adapter (SQLite, Cosmos DB, memory).

Each test works in partitions of its own (fresh uuids), so the tests may share one Cosmos DB
database; change-feed tests first move to the feed's current end and look only at their own
partitions.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from documentstore.port import (
    EVENTS,
    LEASES,
    MAX_BATCH_BYTES,
    MAX_BATCH_OPERATIONS,
    VIEWS,
    Create,
    Delete,
    DocumentStore,
    Query,
    Replace,
    Upsert,
)
from domain.errors import (
    CommandTooLarge,
    DocumentConflict,
    DocumentNotFound,
    EtagMismatch,
    InvalidContinuation,
    InvalidInput,
    StoreError,
)
from tests.integration.store_decorator import DelegatingStore

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def new_partition() -> str:
    return str(uuid.uuid4())


def doc(partition: str, document_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": document_id, "partitionKey": partition, **fields}


def create_all(store: DocumentStore, partition: str, *documents: dict[str, Any]) -> None:
    store.execute_batch(EVENTS, partition, [Create(d) for d in documents])


def feed_end(store: DocumentStore, container: str) -> dict[str, str | None]:
    """The continuation at the current end of every feed range of ``container``."""
    ends: dict[str, str | None] = {}
    for feed_range in store.feed_ranges(container):
        position: str | None = None
        while True:
            page = store.read_feed(container, feed_range, position, max_items=1000)
            position = page.continuation
            if not page.items:
                break
        ends[feed_range] = position
    return ends


def changes_since(
    store: DocumentStore, container: str, ends: dict[str, str | None], partition: str
) -> list[dict[str, Any]]:
    """Every change after ``ends`` in ``partition``, page by page (two items a page)."""
    seen: list[dict[str, Any]] = []
    for feed_range, end in ends.items():
        position = end
        while True:
            page = store.read_feed(container, feed_range, position, max_items=2)
            position = page.continuation
            if not page.items:
                break
            seen.extend(d for d in page.items if d.get("partitionKey", d.get("id")) == partition)
    return seen


# --- point reads ----------------------------------------------------------------------------


def test_a_point_read_of_a_missing_document_returns_none(store: DocumentStore) -> None:
    assert store.read(EVENTS, new_partition(), "nothing-here") is None


def test_a_created_document_reads_back_with_an_etag_and_a_timestamp(
    store: DocumentStore,
) -> None:
    partition = new_partition()
    create_all(store, partition, doc(partition, "a", nested={"x": [1, 2.5, "é", None]}))

    found = store.read(EVENTS, partition, "a")

    assert found is not None
    assert {k: v for k, v in found.items() if not k.startswith("_")} == doc(
        partition, "a", nested={"x": [1, 2.5, "é", None]}
    )
    assert isinstance(found["_etag"], str)
    assert found["_etag"]
    assert isinstance(found["_ts"], int)
    assert found["_ts"] > 1_600_000_000
    assert set(found) - {"id", "partitionKey", "nested"} == {"_etag", "_ts"}


def test_the_etag_changes_on_every_write(store: DocumentStore) -> None:
    partition = new_partition()
    [created] = store.execute_batch(EVENTS, partition, [Create(doc(partition, "a", n=1))])
    assert created is not None
    [replaced] = store.execute_batch(
        EVENTS, partition, [Replace(doc(partition, "a", n=1), if_match=created["_etag"])]
    )
    assert replaced is not None

    read_back = store.read(EVENTS, partition, "a")

    assert replaced["_etag"] != created["_etag"]
    assert read_back is not None
    assert read_back["_etag"] == replaced["_etag"]


def test_system_fields_given_on_write_are_ignored(store: DocumentStore) -> None:
    partition = new_partition()
    create_all(store, partition, doc(partition, "a", _etag="forged", _ts=1, _lsn=7, _rid="x"))

    found = store.read(EVENTS, partition, "a")

    assert found is not None
    assert found["_etag"] != "forged"
    assert found["_ts"] != 1
    assert "_lsn" not in found
    assert "_rid" not in found


def test_the_same_id_in_two_partitions_is_two_documents(store: DocumentStore) -> None:
    first, second = new_partition(), new_partition()
    create_all(store, first, doc(first, "head", n=1))
    create_all(store, second, doc(second, "head", n=2))

    one, two = store.read(EVENTS, first, "head"), store.read(EVENTS, second, "head")

    assert one is not None
    assert one["n"] == 1
    assert two is not None
    assert two["n"] == 2


def test_reading_many_ids_gives_those_that_exist_in_the_partition_with_their_etags(
    store: DocumentStore,
) -> None:
    partition, other = new_partition(), new_partition()
    create_all(store, partition, doc(partition, "head", n=1), doc(partition, "state-a", n=2))
    create_all(store, other, doc(other, "state-b", n=3))

    found = store.read_many(EVENTS, partition, ["head", "state-a", "state-b", "missing", "head"])

    assert sorted((d["id"], d["n"]) for d in found) == [("head", 1), ("state-a", 2)]
    for document in found:
        assert document == store.read(EVENTS, partition, document["id"])
    assert store.read_many(EVENTS, partition, []) == []
    assert store.read_many(EVENTS, new_partition(), ["head"]) == []


def test_a_lease_is_partitioned_by_its_own_id(store: DocumentStore) -> None:
    lease_id = f"lease-{uuid.uuid4()}"
    store.execute_batch(LEASES, lease_id, [Create({"id": lease_id, "owner": "me"})])

    found = store.read(LEASES, lease_id, lease_id)

    assert found is not None
    assert found["owner"] == "me"


# --- batches -------------------------------------------------------------------------------


def test_a_batch_returns_each_resulting_document_and_none_for_a_delete(
    store: DocumentStore,
) -> None:
    partition = new_partition()
    create_all(store, partition, doc(partition, "gone"))

    results = store.execute_batch(
        EVENTS,
        partition,
        [Create(doc(partition, "a", n=1)), Upsert(doc(partition, "b", n=2)), Delete("gone")],
    )

    assert [r["id"] if r else None for r in results] == ["a", "b", None]
    assert all(r is None or r["_etag"] for r in results)
    assert store.read(EVENTS, partition, "gone") is None


def test_a_failing_operation_rolls_back_the_whole_batch(store: DocumentStore) -> None:
    partition = new_partition()
    create_all(store, partition, doc(partition, "taken", n=1))

    with pytest.raises(DocumentConflict) as refused:
        store.execute_batch(
            EVENTS,
            partition,
            [
                Create(doc(partition, "fresh")),
                Upsert(doc(partition, "taken", n=2)),
                Create(doc(partition, "taken")),
            ],
        )

    assert refused.value.operation_index == 2
    assert store.read(EVENTS, partition, "fresh") is None
    taken = store.read(EVENTS, partition, "taken")
    assert taken is not None
    assert taken["n"] == 1


def test_a_replace_with_a_stale_etag_is_an_etag_mismatch(store: DocumentStore) -> None:
    partition = new_partition()
    [first] = store.execute_batch(EVENTS, partition, [Create(doc(partition, "a", n=1))])
    assert first is not None
    store.execute_batch(EVENTS, partition, [Replace(doc(partition, "a", n=2))])

    with pytest.raises(EtagMismatch) as refused:
        store.execute_batch(
            EVENTS,
            partition,
            [
                Create(doc(partition, "b")),
                Replace(doc(partition, "a", n=3), if_match=first["_etag"]),
            ],
        )

    assert refused.value.operation_index == 1
    current = store.read(EVENTS, partition, "a")
    assert current is not None
    assert current["n"] == 2
    assert store.read(EVENTS, partition, "b") is None


def test_a_replace_or_delete_of_a_missing_document_is_not_found(store: DocumentStore) -> None:
    partition = new_partition()

    with pytest.raises(DocumentNotFound) as replace_refused:
        store.execute_batch(EVENTS, partition, [Replace(doc(partition, "nope"))])
    with pytest.raises(DocumentNotFound) as delete_refused:
        store.execute_batch(EVENTS, partition, [Create(doc(partition, "x")), Delete("nope")])

    assert replace_refused.value.operation_index == 0
    assert delete_refused.value.operation_index == 1
    assert store.read(EVENTS, partition, "x") is None


def test_a_conditional_delete_with_a_stale_etag_is_refused(store: DocumentStore) -> None:
    partition = new_partition()
    [first] = store.execute_batch(EVENTS, partition, [Create(doc(partition, "a"))])
    assert first is not None
    store.execute_batch(EVENTS, partition, [Upsert(doc(partition, "a", n=2))])

    with pytest.raises(EtagMismatch):
        store.execute_batch(EVENTS, partition, [Delete("a", if_match=first["_etag"])])

    assert store.read(EVENTS, partition, "a") is not None


def test_an_upsert_creates_then_replaces_only_while_its_etag_matches(
    store: DocumentStore,
) -> None:
    partition = new_partition()
    [created] = store.execute_batch(EVENTS, partition, [Upsert(doc(partition, "a", n=1))])
    assert created is not None
    [replaced] = store.execute_batch(
        EVENTS, partition, [Upsert(doc(partition, "a", n=2), if_match=created["_etag"])]
    )

    with pytest.raises(EtagMismatch):
        store.execute_batch(
            EVENTS, partition, [Upsert(doc(partition, "a", n=3), if_match=created["_etag"])]
        )

    current = store.read(EVENTS, partition, "a")
    assert replaced is not None
    assert current is not None
    assert current["n"] == 2
    assert current["_etag"] == replaced["_etag"]


def test_a_batch_of_more_than_100_operations_is_refused_before_anything_is_written(
    store: DocumentStore,
) -> None:
    partition = new_partition()
    operations = [Create(doc(partition, f"d{i:03}")) for i in range(MAX_BATCH_OPERATIONS + 1)]

    with pytest.raises(CommandTooLarge):
        store.execute_batch(EVENTS, partition, operations)

    assert store.read(EVENTS, partition, "d000") is None


def test_a_batch_of_exactly_100_operations_is_accepted(store: DocumentStore) -> None:
    partition = new_partition()
    operations = [Create(doc(partition, f"d{i:03}")) for i in range(MAX_BATCH_OPERATIONS)]

    results = store.execute_batch(EVENTS, partition, operations)

    assert len(results) == MAX_BATCH_OPERATIONS
    assert store.read(EVENTS, partition, "d099") is not None


def test_a_batch_over_2_mb_is_refused_before_anything_is_written(store: DocumentStore) -> None:
    partition = new_partition()
    half = "x" * (MAX_BATCH_BYTES // 2)

    with pytest.raises(CommandTooLarge):
        store.execute_batch(
            EVENTS,
            partition,
            [Create(doc(partition, "a", data=half)), Create(doc(partition, "b", data=half))],
        )

    assert store.read(EVENTS, partition, "a") is None


def test_a_document_outside_the_batch_partition_is_a_programming_error(
    store: DocumentStore,
) -> None:
    partition = new_partition()

    with pytest.raises(ValueError, match="not in partition"):
        store.execute_batch(EVENTS, partition, [Create(doc(new_partition(), "a"))])


def test_an_empty_batch_writes_nothing_and_returns_nothing(store: DocumentStore) -> None:
    assert store.execute_batch(EVENTS, new_partition(), []) == []


def test_a_batch_returns_each_document_as_a_read_gives_it(store: DocumentStore) -> None:
    partition = new_partition()
    given = doc(partition, "a", n=1, nested={"list": [1, "é", None]}, _etag="ignored")

    [written] = store.execute_batch(EVENTS, partition, [Create(given)])

    assert written == store.read(EVENTS, partition, "a")
    assert given["_etag"] == "ignored"


def test_several_batches_apply_in_turn_each_in_its_partition(store: DocumentStore) -> None:
    first, second = new_partition(), new_partition()
    create_all(store, second, doc(second, "old", n=1))
    old = store.read(EVENTS, second, "old")
    assert old is not None

    results = store.execute_batches(
        EVENTS,
        [
            (first, [Create(doc(first, "a")), Create(doc(first, "b"))]),
            (second, []),
            (second, [Replace(doc(second, "old", n=2), if_match=old["_etag"]), Delete("old")]),
        ],
    ).results()

    assert [[r["id"] if r else None for r in batch] for batch in results] == [
        ["a", "b"],
        [],
        ["old", None],
    ]
    assert store.read(EVENTS, first, "b") is not None
    assert store.read(EVENTS, second, "old") is None


def test_a_refused_batch_keeps_the_batches_before_it_and_stops_those_after_it(
    store: DocumentStore,
) -> None:
    before, refused, after = new_partition(), new_partition(), new_partition()
    create_all(store, refused, doc(refused, "taken", n=1))

    result = store.execute_batches(
        EVENTS,
        [
            (before, [Create(doc(before, "a"))]),
            (refused, [Upsert(doc(refused, "taken", n=2)), Create(doc(refused, "taken"))]),
            (after, [Create(doc(after, "c"))]),
        ],
    )

    assert isinstance(result.error, DocumentConflict)
    assert result.error.operation_index == 1
    assert [[r["id"] if r else None for r in batch] for batch in result.applied] == [["a"]]
    with pytest.raises(DocumentConflict):
        result.results()
    assert store.read(EVENTS, before, "a") is not None
    taken = store.read(EVENTS, refused, "taken")
    assert taken is not None
    assert taken["n"] == 1
    assert store.read(EVENTS, after, "c") is None


def test_a_batch_too_large_among_several_stops_there_like_the_calls_one_by_one(
    store: DocumentStore,
) -> None:
    before, large = new_partition(), new_partition()
    half = "x" * (MAX_BATCH_BYTES // 2)

    result = store.execute_batches(
        EVENTS,
        [
            (before, [Create(doc(before, "a"))]),
            (large, [Create(doc(large, "a", data=half)), Create(doc(large, "b", data=half))]),
        ],
    )

    assert isinstance(result.error, CommandTooLarge)
    assert len(result.applied) == 1
    assert store.read(EVENTS, before, "a") is not None
    assert store.read(EVENTS, large, "a") is None


def test_unread_batches_store_what_checked_batches_store_as_the_same_text(
    store: DocumentStore,
) -> None:
    checked, unread = new_partition(), new_partition()
    fields: dict[str, Any] = {"n": 1, "nested": {"list": [1, "é", None]}, "_etag": "ignored"}
    store.execute_batches(
        VIEWS, [(checked, [Create(doc(checked, "a", **fields)), Create(doc(checked, "b"))])]
    ).results()
    ends = feed_end(store, VIEWS)

    store.execute_unread_batches(
        VIEWS, [(unread, [Create(doc(unread, "a", **fields)), Create(doc(unread, "b"))])]
    ).results()

    texts = [
        [
            (i, text.replace(p, "P"))
            for i, text in store.query_texts(VIEWS, Query(partition_key=p)).items
        ]
        for p in (checked, unread)
    ]
    assert texts[0] == texts[1]
    assert [d["id"] for d in changes_since(store, VIEWS, ends, unread)] == ["a", "b"]
    written = store.read(VIEWS, unread, "a")
    assert written is not None
    assert written["_etag"] != "ignored"
    assert isinstance(written["_ts"], int)


def test_unread_batches_leave_each_document_as_its_last_operation_does(
    store: DocumentStore,
) -> None:
    partition = new_partition()
    existing = [Create(doc(partition, "kept", n=1)), Create(doc(partition, "gone"))]
    [kept_before, _] = store.execute_batches(VIEWS, [(partition, existing)]).results()[0]
    assert kept_before is not None

    store.execute_unread_batches(
        VIEWS,
        [
            (
                partition,
                [
                    Replace(doc(partition, "kept", n=2), if_match=kept_before["_etag"]),
                    Delete("gone"),
                ],
            ),
            (partition, [Create(doc(partition, "new", n=1)), Upsert(doc(partition, "new", n=3))]),
        ],
    ).results()

    kept, new = store.read(VIEWS, partition, "kept"), store.read(VIEWS, partition, "new")
    assert kept is not None
    assert kept["n"] == 2
    assert new is not None
    assert new["n"] == 3
    assert store.read(VIEWS, partition, "gone") is None


def test_every_unread_write_gets_an_etag_no_other_write_had(store: DocumentStore) -> None:
    partition = new_partition()
    [[checked]] = store.execute_batches(
        VIEWS, [(partition, [Create(doc(partition, "a"))])]
    ).results()
    assert checked is not None
    etags = {checked["_etag"]}

    for n in range(2):
        store.execute_unread_batches(
            VIEWS,
            [(partition, [Upsert(doc(partition, "a", n=n)), Upsert(doc(partition, f"b{n}"))])],
        ).results()
        for document_id in ("a", f"b{n}"):
            written = store.read(VIEWS, partition, document_id)
            assert written is not None
            etags.add(written["_etag"])

    assert len(etags) == 5


def test_an_unread_batch_too_large_is_refused_like_a_checked_one(store: DocumentStore) -> None:
    large = new_partition()
    half = "x" * (MAX_BATCH_BYTES // 2)

    result = store.execute_unread_batches(
        VIEWS,
        [(large, [Create(doc(large, "a", data=half)), Create(doc(large, "b", data=half))])],
    )

    assert isinstance(result.error, CommandTooLarge)
    assert store.read(VIEWS, large, "a") is None


# --- queries -------------------------------------------------------------------------------


def test_a_query_filters_on_equal_top_level_fields_of_the_same_json_type(
    store: DocumentStore,
) -> None:
    partition = new_partition()
    create_all(
        store,
        partition,
        doc(partition, "a", kind="event", n=1, flag=True, gone=None),
        doc(partition, "b", kind="event", n=2, flag=False),
        doc(partition, "c", kind="head", n=1, flag=1),
        doc(partition, "d", kind="event", n="1", flag=True),
    )

    def ids(**equals: Any) -> list[str]:
        page = store.query(EVENTS, Query(partition_key=partition, equals=equals))
        return [d["id"] for d in page.items]

    assert ids(kind="event") == ["a", "b", "d"]
    assert ids(kind="event", n=1) == ["a"]
    assert ids(n="1") == ["d"]
    assert ids(flag=True) == ["a", "d"]
    assert ids(gone=None) == ["a"]


def test_a_query_bounds_ids_and_stays_in_its_partition(store: DocumentStore) -> None:
    partition, neighbour = new_partition(), new_partition()
    create_all(store, partition, *(doc(partition, f"e-{i}") for i in range(1, 6)))
    create_all(store, neighbour, doc(neighbour, "e-3"))

    page = store.query(EVENTS, Query(partition_key=partition, id_gt="e-2", id_lte="e-4"))

    assert [d["id"] for d in page.items] == ["e-3", "e-4"]
    assert all(d["partitionKey"] == partition for d in page.items)


def test_a_query_orders_by_a_field_descending(store: DocumentStore) -> None:
    partition = new_partition()
    create_all(store, partition, *(doc(partition, f"x{n}", rank=n) for n in (3, 1, 2)))

    page = store.query(EVENTS, Query(partition_key=partition, order_by=[("rank", True)]))

    assert [d["rank"] for d in page.items] == [3, 2, 1]


def test_the_campaign_list_query_filters_a_range_of_ids_in_id_order(store: DocumentStore) -> None:
    """The shape of ``projections.reads.list_campaigns``: ids encode the inverted creation time,
    so ordering by ``id`` alone lists the newest first (docs/read-model.md)."""
    tenant = f"tenant:{uuid.uuid4()}"

    def entry(document_id: str, **fields: Any) -> Create:
        return Create(
            {"id": document_id, "partitionKey": tenant, "docType": "campaignIndex", **fields}
        )

    store.execute_batch(
        VIEWS,
        tenant,
        [
            entry("g1.campaign.003.c", campaignDeleted=False, status="active"),
            entry("g1.campaign.001.a", campaignDeleted=False, status="active"),
            entry("g1.campaign.002.b", campaignDeleted=False, status="draft"),
            entry("g1.campaign.002.d", campaignDeleted=True, status="active"),
            entry("g2.campaign.000.e", campaignDeleted=False, status="active"),
            Create({"id": "g1.campaign.004.f", "partitionKey": tenant, "docType": "other"}),
        ],
    )

    def listed(**equals: str | bool) -> list[str]:
        query = Query(
            partition_key=tenant,
            equals={"docType": "campaignIndex", "campaignDeleted": False, **equals},
            id_gt="g1.campaign.",
            id_lte="g1.campaign.~",
            order_by=[("id", False)],
        )
        return [d["id"] for d in store.query(VIEWS, query).items]

    assert listed() == ["g1.campaign.001.a", "g1.campaign.002.b", "g1.campaign.003.c"]
    assert listed(status="active") == ["g1.campaign.001.a", "g1.campaign.003.c"]


def test_ordering_by_two_fields_needs_a_composite_index_on_cosmos_db(
    store: DocumentStore,
) -> None:
    partition = new_partition()
    rows = [("b", "2026-01-02"), ("a", "2026-01-02"), ("c", "2026-01-03"), ("d", "2026-01-01")]
    store.execute_batch(
        VIEWS, partition, [Create(doc(partition, i, createdAt=at)) for i, at in rows]
    )
    query = Query(partition_key=partition, order_by=[("createdAt", True), ("id", False)])

    if store.kind == "cosmos":
        # No query of ours orders by two fields, so no composite index is declared
        # (docs/storage.md); Cosmos DB refuses such a query, translated like any other error.
        with pytest.raises(StoreError, match="composite index"):
            store.query(VIEWS, query)
        return
    page = store.query(VIEWS, query)

    assert [d["id"] for d in page.items] == ["c", "a", "b", "d"]


def test_paging_yields_every_item_once_in_order_and_ends_without_continuation(
    store: DocumentStore,
) -> None:
    partition = new_partition()
    create_all(store, partition, *(doc(partition, f"e-{i:02}", n=i % 3) for i in range(11)))
    query = Query(partition_key=partition, order_by=[("id", True)])

    seen: list[str] = []
    continuation: str | None = None
    pages = 0
    while True:
        page = store.query(EVENTS, query, page_size=4, continuation=continuation)
        seen.extend(d["id"] for d in page.items)
        pages += 1
        continuation = page.continuation
        if continuation is None:
            break
        assert isinstance(continuation, str)

    assert seen == [f"e-{i:02}" for i in reversed(range(11))]
    assert 3 <= pages <= 4


def test_a_limit_caps_the_total_across_pages(store: DocumentStore) -> None:
    partition = new_partition()
    create_all(store, partition, *(doc(partition, f"e-{i:02}") for i in range(10)))
    query = Query(partition_key=partition, limit=5)

    first = store.query(EVENTS, query, page_size=3)
    assert first.continuation is not None
    second = store.query(EVENTS, query, page_size=3, continuation=first.continuation)

    assert [d["id"] for d in first.items + second.items] == [f"e-{i:02}" for i in range(5)]
    assert second.continuation is None


def test_a_malformed_continuation_token_is_an_invalid_continuation(store: DocumentStore) -> None:
    with pytest.raises(InvalidContinuation) as refused:
        store.query(EVENTS, Query(partition_key=new_partition()), continuation="%%not-a-token")

    assert isinstance(refused.value, InvalidInput)
    assert refused.value.code == "invalid-continuation"


def test_a_field_name_that_is_not_an_identifier_is_refused(store: DocumentStore) -> None:
    with pytest.raises(ValueError, match="field name"):
        store.query(EVENTS, Query(partition_key=new_partition(), equals={"a']--": 1}))


# --- change feed ---------------------------------------------------------------------------


def test_the_change_feed_yields_writes_in_order_and_resumes_from_its_continuation(
    store: DocumentStore,
) -> None:
    partition = new_partition()
    ends = feed_end(store, EVENTS)
    create_all(store, partition, doc(partition, "e-1"), doc(partition, "e-2"))
    create_all(store, partition, doc(partition, "e-3"))

    first = changes_since(store, EVENTS, ends, partition)
    ends_after = feed_end(store, EVENTS)
    create_all(store, partition, doc(partition, "e-4"))
    second = changes_since(store, EVENTS, ends_after, partition)

    assert [d["id"] for d in first] == ["e-1", "e-2", "e-3"]
    assert [d["id"] for d in second] == ["e-4"]
    assert all(d["_etag"] and d["_ts"] for d in first + second)


def test_a_document_written_twice_appears_once_at_its_latest_position(
    store: DocumentStore,
) -> None:
    partition = new_partition()
    ends = feed_end(store, EVENTS)
    create_all(store, partition, doc(partition, "head", version=1), doc(partition, "e-1"))
    store.execute_batch(EVENTS, partition, [Upsert(doc(partition, "head", version=2))])
    create_all(store, partition, doc(partition, "e-2"))

    changes = changes_since(store, EVENTS, ends, partition)

    assert [(d["id"], d.get("version")) for d in changes] == [
        ("e-1", None),
        ("head", 2),
        ("e-2", None),
    ]


def test_an_exhausted_feed_keeps_its_position(store: DocumentStore) -> None:
    ends = feed_end(store, EVENTS)

    for feed_range, position in ends.items():
        page = store.read_feed(EVENTS, feed_range, position)
        assert page.items == []
        assert page.continuation == position

    partition = new_partition()
    create_all(store, partition, doc(partition, "later"))
    assert [d["id"] for d in changes_since(store, EVENTS, ends, partition)] == ["later"]


def test_a_deleted_document_leaves_the_feed(store: DocumentStore) -> None:
    partition = new_partition()
    ends = feed_end(store, EVENTS)
    create_all(store, partition, doc(partition, "kept"), doc(partition, "dropped"))
    store.execute_batch(EVENTS, partition, [Delete("dropped")])

    assert [d["id"] for d in changes_since(store, EVENTS, ends, partition)] == ["kept"]


def test_each_container_has_a_feed_of_its_own(store: DocumentStore) -> None:
    partition = new_partition()
    view_ends = feed_end(store, VIEWS)
    create_all(store, partition, doc(partition, "an-event"))

    assert changes_since(store, VIEWS, view_ends, partition) == []


def test_feed_range_names_are_stable_strings(store: DocumentStore) -> None:
    first = store.feed_ranges(EVENTS)
    second = store.feed_ranges(EVENTS)

    assert first == second
    assert first
    assert all(isinstance(name, str) and name for name in first)


def test_the_feed_range_of_a_partition_key_is_the_range_whose_feed_holds_its_documents(
    store: DocumentStore,
) -> None:
    partitions = [new_partition() for _ in range(4)]
    ends = feed_end(store, EVENTS)
    for partition in partitions:
        create_all(store, partition, doc(partition, "e-1"))

    for partition in partitions:
        named = store.feed_range_of(EVENTS, partition)
        assert named in store.feed_ranges(EVENTS)
        page = store.read_feed(EVENTS, named, ends[named], max_items=1_000)
        assert [d["id"] for d in page.items if d["partitionKey"] == partition] == ["e-1"]
        assert store.feed_range_of(EVENTS, partition) == named


def test_initialise_twice_keeps_every_document(store: DocumentStore) -> None:
    partition = new_partition()
    create_all(store, partition, doc(partition, "a"))

    store.initialise()
    store.initialise()

    assert store.read(EVENTS, partition, "a") is not None


# --- scans across partitions ----------------------------------------------------------------


def scanning(store: DocumentStore, by_feed: bool) -> DocumentStore:
    """The store itself, or a decorator of it that scans with the port's default (the feed)."""
    return DelegatingStore(store) if by_feed else store


def scan_all(
    store: DocumentStore, container: str, equals: dict[str, Any], page_size: int
) -> tuple[list[dict[str, Any]], int]:
    """Every document a scan yields, page by page, and how many pages it took."""
    found: list[dict[str, Any]] = []
    continuation: str | None = None
    pages = 0
    while True:
        page = store.scan(container, equals, page_size=page_size, continuation=continuation)
        found.extend(page.items)
        pages += 1
        continuation = page.continuation
        if continuation is None:
            return found, pages


@pytest.mark.parametrize("by_feed", [False, True], ids=["adapter", "default-by-feed"])
def test_a_scan_finds_the_matching_documents_of_every_partition_once(
    store: DocumentStore, by_feed: bool
) -> None:
    mark = new_partition()
    partitions = [new_partition() for _ in range(5)]
    for partition in partitions:
        create_all(
            store,
            partition,
            doc(partition, "head", docType="head", mark=mark),
            doc(partition, "e-1", docType="event", mark=mark),
            doc(partition, "e-2", docType="event", mark=mark),
        )

    heads, pages = scan_all(scanning(store, by_feed), EVENTS, {"mark": mark, "id": "head"}, 2)
    events, _ = scan_all(scanning(store, by_feed), EVENTS, {"mark": mark, "docType": "event"}, 3)

    assert sorted(d["partitionKey"] for d in heads) == sorted(partitions)
    assert all(d["_etag"] and d["docType"] == "head" for d in heads)
    assert pages >= 3
    assert sorted((d["partitionKey"], d["id"]) for d in events) == sorted(
        (partition, event) for partition in partitions for event in ("e-1", "e-2")
    )


@pytest.mark.parametrize("by_feed", [False, True], ids=["adapter", "default-by-feed"])
def test_a_scan_of_nothing_answers_an_empty_last_page(store: DocumentStore, by_feed: bool) -> None:
    page = scanning(store, by_feed).scan(VIEWS, {"mark": new_partition()})

    assert page.items == []
    assert page.continuation is None


def test_a_scan_matches_json_types_like_a_query(store: DocumentStore) -> None:
    mark, partition = new_partition(), new_partition()
    create_all(
        store,
        partition,
        doc(partition, "yes", mark=mark, flag=True),
        doc(partition, "one", mark=mark, flag=1),
        doc(partition, "none", mark=mark),
    )

    found, _ = scan_all(store, EVENTS, {"mark": mark, "flag": True}, 10)

    assert [d["id"] for d in found] == ["yes"]


def test_a_scan_keeps_going_while_documents_are_deleted_behind_it(store: DocumentStore) -> None:
    mark = new_partition()
    partitions = sorted(new_partition() for _ in range(6))
    for partition in partitions:
        create_all(store, partition, doc(partition, "head", mark=mark))

    seen: list[str] = []
    continuation: str | None = None
    while True:
        page = store.scan(EVENTS, {"mark": mark}, page_size=2, continuation=continuation)
        for found in page.items:
            seen.append(found["partitionKey"])
            store.execute_batch(EVENTS, found["partitionKey"], [Delete("head")])
        continuation = page.continuation
        if continuation is None:
            break

    assert sorted(seen) == partitions


def test_a_malformed_scan_token_is_an_invalid_continuation(store: DocumentStore) -> None:
    with pytest.raises(InvalidContinuation):
        store.scan(EVENTS, {"mark": "x"}, continuation="%%not-a-token")


# --- what a rebuild reads and deletes in bulk ---------------------------------------------------


def test_a_query_as_texts_answers_each_document_as_its_stored_json(store: DocumentStore) -> None:
    partition = new_partition()
    create_all(store, partition, doc(partition, "a-1", name="Été", n=1), doc(partition, "a-2", n=2))

    page = store.query_texts(EVENTS, Query(partition_key=partition), page_size=1)
    rest = store.query_texts(EVENTS, Query(partition_key=partition), continuation=page.continuation)

    assert page.items == [
        ("a-1", f'{{"id":"a-1","partitionKey":"{partition}","name":"Été","n":1}}')
    ]
    assert rest.items == [("a-2", f'{{"id":"a-2","partitionKey":"{partition}","n":2}}')]
    assert rest.continuation is None


def test_the_change_feed_as_keys_lists_what_the_feed_lists(store: DocumentStore) -> None:
    partition = new_partition()
    ends = feed_end(store, EVENTS)
    create_all(store, partition, doc(partition, "e-1"), doc(partition, "e-2"))
    create_all(store, partition, doc(partition, "e-3"))

    keys: list[tuple[str, str]] = []
    for feed_range, end in ends.items():
        position = end
        while True:
            page = store.read_feed_keys(EVENTS, feed_range, position, max_items=2)
            position = page.continuation
            if not page.items:
                break
            keys += [key for key in page.items if key[0] == partition]

    assert keys == [(partition, "e-1"), (partition, "e-2"), (partition, "e-3")]


def test_deleting_an_id_range_removes_it_in_the_partitions_named_only(
    store: DocumentStore,
) -> None:
    first, second, untouched = new_partition(), new_partition(), new_partition()
    for partition in (first, second, untouched):
        store.execute_batch(
            VIEWS,
            partition,
            [Create(doc(partition, name)) for name in ("g1.a", "g1.b", "g2.a", "g10.a")],
        )

    removed = store.delete_id_range(VIEWS, [first, second], "g1.", "g1/")

    assert removed == 4
    for partition in (first, second):
        left = store.query(VIEWS, Query(partition_key=partition)).items
        assert sorted(d["id"] for d in left) == ["g10.a", "g2.a"]
    assert len(store.query(VIEWS, Query(partition_key=untouched)).items) == 4
