"""The writes of one campaign's changed view documents, in the order they must land.

One rule orders a campaign's documents (``place_of``, ``write_order``): its entity documents
first, then the documents it keeps in other partitions (the tenant's list entry), the snapshot
last. The snapshot carries the campaign's watermark (``appliedVersion``), so it lands only once
everything it vouches for has; a crash before it leaves the watermark behind and the retry
applies the events again.

``plan_writes`` turns the changes into operations (``Create`` for a new document, ``Replace``
with ``if_match`` for a known one) packed into atomic batches within the port's limits
(``pack``): the entity batches but the last, then the list entry (a batch of its own partition),
then the final batch, which closes with the snapshot. The runner and the whole-campaign repair
both write through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum

from documentstore.port import (
    MAX_BATCH_BYTES,
    MAX_BATCH_OPERATIONS,
    Create,
    Operation,
    Replace,
    batch_size_bytes,
)
from projections.campaign_views import Change
from projections.generations import to_stored
from projections.projectors import ViewKey, snapshot_key
from projections.view_size import Measured

Batch = tuple[str, Sequence[Operation]]
"""``(partition key, operations)``: one atomic batch, as ``execute_batches`` takes it."""


class Place(IntEnum):
    """Where a document comes in a campaign's write order."""

    ENTITY = 0
    """In the campaign's own partition, not the snapshot."""
    ELSEWHERE = 1
    """In another partition: the tenant's list entry."""
    SNAPSHOT = 2
    """The campaign's snapshot, which holds its watermark."""


def place_of(key: ViewKey, campaign_id: str) -> Place:
    """The write-order rule of a campaign's view documents."""
    if key == snapshot_key(campaign_id):
        return Place.SNAPSHOT
    if key.partition_key != campaign_id:
        return Place.ELSEWHERE
    return Place.ENTITY


def write_order(key: ViewKey, campaign_id: str) -> tuple[Place, str]:
    """Sort key of a campaign's documents: by ``place_of``, then by id."""
    return (place_of(key, campaign_id), key.id)


def plan_writes(
    generation: int,
    campaign_id: str,
    changes: Sequence[Change],
    measured: Mapping[ViewKey, Measured],
) -> list[Batch]:
    """The batches that write ``changes`` into ``generation``, in the order they must land
    (``measured``: documents already encoded, reused for a change of the very same document)."""
    entity_operations: list[tuple[Operation, int]] = []
    snapshot_operation: tuple[Operation, int] | None = None
    elsewhere: list[Batch] = []
    for change in sorted(changes, key=lambda change: write_order(change.key, campaign_id)):
        operation = _operation(generation, change, measured.get(change.key))
        place = place_of(change.key, campaign_id)
        if place is Place.SNAPSHOT:
            snapshot_operation = (operation, batch_size_bytes([operation]))
        elif place is Place.ELSEWHERE:
            elsewhere.append((change.key.partition_key, [operation]))
        else:
            entity_operations.append((operation, batch_size_bytes([operation])))
    batches = pack(entity_operations, last=snapshot_operation)
    planned: list[Batch] = [(campaign_id, batch) for batch in batches[:-1]]
    planned += elsewhere
    if batches:
        planned.append((campaign_id, batches[-1]))
    return planned


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


def _operation(generation: int, change: Change, known: Measured | None) -> Operation:
    """``Create`` of a new document, ``Replace`` with ``if_match`` of a known one; the encoding
    ``known`` made when it is of this very document."""
    if known is not None and known.source is change.document:
        stored, encoded = known.operation.document, known.operation.stored_json
    else:
        stored, encoded = to_stored(generation, change.document), None
    if change.etag is None:
        return Create(stored, encoded=encoded)
    return Replace(stored, if_match=change.etag, encoded=encoded)
