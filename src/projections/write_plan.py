"""The writes of one campaign's changed view documents, in the order they must land.

One rule orders a campaign's documents (``place_of``, ``write_order``): its entity documents
first, then the documents it keeps in other partitions (the tenant's list entry), then its
statistics contribution (written with its feed range's partial, ``projections.tallies``), the
snapshot last. The snapshot carries the campaign's watermark (``appliedVersion``), so it lands
only once everything it vouches for has; a crash before it leaves the watermark behind and the
retry applies the events again.

``plan_writes`` turns the changes into operations (``Create`` for a new document, ``Replace``
with ``if_match`` for a known one) packed into atomic batches within the port's limits
(``pack``): the entity batches but the last, then the list entry (a batch of its own partition),
then the final batch, which closes with the snapshot. The contribution is left to the caller
(``WritePlan.tallies``), whose batch with the partial goes between (``WritePlan.batches``).
Several campaigns sharing a partial are written as one (``together``). The runner and the
whole-campaign repair both write through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

from documentstore.batch_rules import batch_size_bytes
from documentstore.port import MAX_BATCH_BYTES, MAX_BATCH_OPERATIONS, Create, Operation, Replace
from projections.campaign_views import Change
from projections.generations import to_stored
from projections.projectors import ViewKey, snapshot_key
from projections.projectors.contributions import CONTRIBUTION_PREFIX
from projections.view_size import Measured

Batch = tuple[str, Sequence[Operation]]
"""``(partition key, operations)``: one atomic batch, as ``execute_batches`` takes it."""


class Place(IntEnum):
    """Where a document comes in a campaign's write order."""

    ENTITY = 0
    """In the campaign's own partition, not the snapshot."""
    ELSEWHERE = 1
    """In another partition: the tenant's list entry."""
    TALLY = 2
    """The campaign's statistics contribution, in its tenant's partition."""
    SNAPSHOT = 3
    """The campaign's snapshot, which holds its watermark."""


def place_of(key: ViewKey, campaign_id: str) -> Place:
    """The write-order rule of a campaign's view documents."""
    if key == snapshot_key(campaign_id):
        return Place.SNAPSHOT
    if key.id.startswith(CONTRIBUTION_PREFIX):
        return Place.TALLY
    if key.partition_key != campaign_id:
        return Place.ELSEWHERE
    return Place.ENTITY


def write_order(key: ViewKey, campaign_id: str) -> tuple[Place, str]:
    """Sort key of a campaign's documents: by ``place_of``, then by id."""
    return (place_of(key, campaign_id), key.id)


@dataclass(frozen=True)
class WritePlan:
    """One campaign's writes in their places: ``leading`` (entity batches but the last),
    ``elsewhere`` (the list entry), ``tallies`` (the contribution, for the caller to write
    with its partial) and ``closing`` (the final batch, with the snapshot last)."""

    leading: list[Batch]
    elsewhere: list[Batch]
    tallies: list[Change]
    closing: list[Batch]

    def batches(self, tally_batches: Sequence[Batch] = ()) -> list[Batch]:
        """Every batch in the order they must land, ``tally_batches`` in the tallies' place."""
        return [*self.leading, *self.elsewhere, *tally_batches, *self.closing]


def together(plans: Sequence[WritePlan], tally_batches: Sequence[Batch]) -> list[Batch]:
    """Several campaigns written as one (they share the partial of ``tally_batches``): every
    leading batch, every list entry, the tally batches, every closing batch, so that each
    campaign's own order holds."""
    return [
        *(batch for plan in plans for batch in plan.leading),
        *(batch for plan in plans for batch in plan.elsewhere),
        *tally_batches,
        *(batch for plan in plans for batch in plan.closing),
    ]


def plan_writes(
    generation: int,
    campaign_id: str,
    changes: Sequence[Change],
    measured: Mapping[ViewKey, Measured],
) -> WritePlan:
    """The batches that write ``changes`` into ``generation``, in the order they must land
    (``measured``: documents already encoded, reused for a change of the very same document);
    the contribution is left in ``tallies``."""
    entity_operations: list[tuple[Operation, int]] = []
    snapshot_operation: tuple[Operation, int] | None = None
    elsewhere: list[Batch] = []
    tallies: list[Change] = []
    for change in sorted(changes, key=lambda change: write_order(change.key, campaign_id)):
        place = place_of(change.key, campaign_id)
        if place is Place.TALLY:
            tallies.append(change)
            continue
        operation, size = _operation(generation, change, measured.get(change.key))
        if place is Place.SNAPSHOT:
            snapshot_operation = (operation, size)
        elif place is Place.ELSEWHERE:
            elsewhere.append((change.key.partition_key, [operation]))
        else:
            entity_operations.append((operation, size))
    batches = pack(entity_operations, last=snapshot_operation)
    return WritePlan(
        leading=[(campaign_id, batch) for batch in batches[:-1]],
        elsewhere=elsewhere,
        tallies=tallies,
        closing=[(campaign_id, batches[-1])] if batches else [],
    )


def pack(
    operations: Sequence[tuple[Operation, int]], *, last: tuple[Operation, int] | None = None
) -> list[list[Operation]]:
    """Operations, each with its size (``batch_size_bytes`` of it alone), cut into batches
    within the port's limits, ``last`` in the final batch."""
    batches: list[list[Operation]] = []
    current: list[Operation] = []
    size = 0
    for operation, operation_size in [*operations, *([last] if last is not None else [])]:
        if current and (
            len(current) + 1 > MAX_BATCH_OPERATIONS or size + operation_size > MAX_BATCH_BYTES
        ):
            batches.append(current)
            current, size = [], 0
        current.append(operation)
        size += operation_size
    if current:
        batches.append(current)
    return batches


def _operation(generation: int, change: Change, known: Measured | None) -> tuple[Operation, int]:
    """``Create`` of a new document, ``Replace`` with ``if_match`` of a known one, with its
    size alone (``batch_size_bytes``); the encoding and size ``known`` made when it is of this
    very document."""
    if known is not None and known.source is change.document:
        if change.etag is None:  # the measure's very operation
            return known.operation, known.size
        stored, encoded = known.operation.document, known.operation.stored_json
    else:
        stored, encoded = to_stored(generation, change.document), None
    operation: Operation = (
        Create(stored, encoded=encoded)
        if change.etag is None
        else Replace(stored, if_match=change.etag, encoded=encoded)
    )
    if known is not None and encoded is not None:
        return operation, known.size
    return operation, batch_size_bytes([operation])
