"""One campaign's writes: one rule orders its documents (entities, the list entry, the snapshot
last), packed into batches within the port's limits."""

from __future__ import annotations

from collections.abc import Sequence

from documentstore.port import MAX_BATCH_OPERATIONS, Create, Operation, Replace, batch_size_bytes
from projections.campaign_views import Change
from projections.generations import stored_id
from projections.projectors import ViewKey, snapshot_key
from projections.write_plan import Place, pack, place_of, plan_writes

CAMPAIGN = "c1"
LIST_ENTRY = ViewKey("tenant:default", "campaign.0001.c1")


def ids(operations: Sequence[Operation]) -> list[str]:
    return [str(op.document["id"]) for op in operations if isinstance(op, Create | Replace)]


def change(key: ViewKey, etag: str | None = None) -> Change:
    return Change(key, {"id": key.id, "partitionKey": key.partition_key}, etag)


def test_a_campaigns_documents_are_placed_entities_then_elsewhere_then_the_snapshot() -> None:
    assert place_of(ViewKey(CAMPAIGN, "versions.v1"), CAMPAIGN) is Place.ENTITY
    assert place_of(LIST_ENTRY, CAMPAIGN) is Place.ELSEWHERE
    assert place_of(snapshot_key(CAMPAIGN), CAMPAIGN) is Place.SNAPSHOT
    assert Place.ENTITY < Place.ELSEWHERE < Place.SNAPSHOT


def test_the_plan_sorts_by_the_rule_and_closes_with_the_snapshot_whatever_the_order_given() -> None:
    changes = [
        change(snapshot_key(CAMPAIGN), etag="s"),
        change(LIST_ENTRY),
        change(ViewKey(CAMPAIGN, "versions.v2")),
        change(ViewKey(CAMPAIGN, "versions.v1"), etag="v"),
    ]

    planned = plan_writes(3, CAMPAIGN, changes, {})

    assert [(partition, ids(operations)) for partition, operations in planned] == [
        ("tenant:default", [stored_id(3, LIST_ENTRY.id)]),
        (
            CAMPAIGN,
            [stored_id(3, "versions.v1"), stored_id(3, "versions.v2"), stored_id(3, "snapshot")],
        ),
    ]
    [_, (_, operations)] = planned
    assert [type(operation) for operation in operations] == [Replace, Create, Replace]


def test_entity_batches_land_before_the_list_entry_and_the_final_batch_holds_the_snapshot() -> None:
    entities = [change(ViewKey(CAMPAIGN, f"versions.v{n:03d}")) for n in range(150)]

    planned = plan_writes(
        1, CAMPAIGN, [change(snapshot_key(CAMPAIGN)), change(LIST_ENTRY), *entities], {}
    )

    assert [partition for partition, _ in planned] == [CAMPAIGN, "tenant:default", CAMPAIGN]
    first, _, last = (ids(operations) for _, operations in planned)
    assert len(first) == MAX_BATCH_OPERATIONS
    assert last[-1] == stored_id(1, "snapshot")
    assert first + last[:-1] == [stored_id(1, f"versions.v{n:03d}") for n in range(150)]


def test_pack_cuts_batches_at_the_operation_limit_and_keeps_the_last_operation_last() -> None:
    operations = [Create({"id": f"d{n}", "partitionKey": CAMPAIGN}) for n in range(250)]
    sized = [(operation, batch_size_bytes([operation])) for operation in operations]

    batches = pack(sized[:-1], last=sized[-1])

    assert [len(batch) for batch in batches] == [MAX_BATCH_OPERATIONS, MAX_BATCH_OPERATIONS, 50]
    assert batches[-1][-1] is operations[-1]
