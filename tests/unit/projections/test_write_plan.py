"""One campaign's writes: one rule orders its documents (entities, the list entry, the snapshot
last), packed into batches within the port's limits."""

from __future__ import annotations

from collections.abc import Sequence

from documentstore.batch_rules import batch_size_bytes
from documentstore.port import MAX_BATCH_OPERATIONS, Create, Operation, Replace
from projections.campaign_views import Change
from projections.generations import stored_id
from projections.projectors import ViewKey, snapshot_key
from projections.write_plan import Place, pack, place_of, plan_writes, together

CAMPAIGN = "c1"
LIST_ENTRY = ViewKey("tenant:default", "campaign.0001.c1")
CONTRIBUTION = ViewKey("tenant:default", "stats-campaign.c1")


def ids(operations: Sequence[Operation]) -> list[str]:
    return [str(op.document["id"]) for op in operations if isinstance(op, Create | Replace)]


def change(key: ViewKey, etag: str | None = None) -> Change:
    return Change(key, {"id": key.id, "partitionKey": key.partition_key}, etag)


def test_a_campaigns_documents_are_placed_entities_then_elsewhere_then_the_snapshot() -> None:
    assert place_of(ViewKey(CAMPAIGN, "versions.v1"), CAMPAIGN) is Place.ENTITY
    assert place_of(LIST_ENTRY, CAMPAIGN) is Place.ELSEWHERE
    assert place_of(CONTRIBUTION, CAMPAIGN) is Place.TALLY
    assert place_of(snapshot_key(CAMPAIGN), CAMPAIGN) is Place.SNAPSHOT
    assert Place.ENTITY < Place.ELSEWHERE < Place.TALLY < Place.SNAPSHOT


def test_the_plan_sorts_by_the_rule_and_closes_with_the_snapshot_whatever_the_order_given() -> None:
    changes = [
        change(snapshot_key(CAMPAIGN), etag="s"),
        change(LIST_ENTRY),
        change(ViewKey(CAMPAIGN, "versions.v2")),
        change(ViewKey(CAMPAIGN, "versions.v1"), etag="v"),
    ]

    planned = plan_writes(3, CAMPAIGN, changes, {}).batches()

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
    ).batches()

    assert [partition for partition, _ in planned] == [CAMPAIGN, "tenant:default", CAMPAIGN]
    first, _, last = (ids(operations) for _, operations in planned)
    assert len(first) == MAX_BATCH_OPERATIONS
    assert last[-1] == stored_id(1, "snapshot")
    assert first + last[:-1] == [stored_id(1, f"versions.v{n:03d}") for n in range(150)]


def test_the_contribution_is_left_to_the_caller_whose_batches_land_before_the_snapshot() -> None:
    plan = plan_writes(
        1,
        CAMPAIGN,
        [change(snapshot_key(CAMPAIGN)), change(CONTRIBUTION, etag="t"), change(LIST_ENTRY)],
        {},
    )
    partial: tuple[str, list[Operation]] = ("tenant:default", [create("stats-range.r")])

    assert [c.key for c in plan.tallies] == [CONTRIBUTION]
    assert [ids(ops) for _, ops in plan.batches([partial])] == [
        [stored_id(1, LIST_ENTRY.id)],
        ["stats-range.r"],
        [stored_id(1, "snapshot")],
    ]


def test_campaigns_written_together_keep_each_their_own_order() -> None:
    plans = [
        plan_writes(
            1,
            campaign,
            [
                change(snapshot_key(campaign)),
                change(ViewKey("tenant:default", f"campaign.0001.{campaign}")),
                *[change(ViewKey(campaign, f"versions.v{n:03d}")) for n in range(120)],
            ],
            {},
        )
        for campaign in ("c1", "c2")
    ]
    partial: tuple[str, list[Operation]] = ("tenant:default", [create("stats-range.r")])

    batches = together(plans, [partial])

    assert [partition for partition, _ in batches] == [
        "c1",
        "c2",
        "tenant:default",
        "tenant:default",
        "tenant:default",
        "c1",
        "c2",
    ]
    assert ids(batches[4][1]) == ["stats-range.r"]
    assert ids(batches[-1][1])[-1] == stored_id(1, "snapshot")


def create(doc_id: str) -> Operation:
    return Create({"id": doc_id, "partitionKey": "tenant:default"})


def test_pack_cuts_batches_at_the_operation_limit_and_keeps_the_last_operation_last() -> None:
    operations = [Create({"id": f"d{n}", "partitionKey": CAMPAIGN}) for n in range(250)]
    sized = [(operation, batch_size_bytes([operation])) for operation in operations]

    batches = pack(sized[:-1], last=sized[-1])

    assert [len(batch) for batch in batches] == [MAX_BATCH_OPERATIONS, MAX_BATCH_OPERATIONS, 50]
    assert batches[-1][-1] is operations[-1]
