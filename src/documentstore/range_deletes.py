"""Deleting a range of ids in many partitions with the port's batches: the default of
``DocumentStore.delete_id_range`` (a rebuild's removal of a retired generation), for stores
without a statement that deletes a range at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from documentstore.port import MAX_BATCH_OPERATIONS, Delete, Operation, Query

if TYPE_CHECKING:
    from documentstore.port import DocumentStore

DELETES_PER_CALL = 1_000
"""Deletes handed to one ``execute_batches`` call (a store that commits a call's batches
together commits once per that many, not once per partition)."""


def delete_id_range_by_batches(
    store: DocumentStore,
    container: str,
    partition_keys: Sequence[str],
    id_gt: str,
    id_lte: str,
) -> int:
    """Query each partition's ids in the range, delete them in batches; returns how many."""
    removed = 0
    pending: list[tuple[str, Sequence[Operation]]] = []
    for partition_key in partition_keys:
        ids = _ids_in_range(store, container, partition_key, id_gt, id_lte)
        pending += [
            (
                partition_key,
                [Delete(doc_id) for doc_id in ids[start : start + MAX_BATCH_OPERATIONS]],
            )
            for start in range(0, len(ids), MAX_BATCH_OPERATIONS)
        ]
        if sum(len(operations) for _, operations in pending) >= DELETES_PER_CALL:
            removed += _delete(store, container, pending)
            pending = []
    return removed + _delete(store, container, pending)


def _ids_in_range(
    store: DocumentStore, container: str, partition_key: str, id_gt: str, id_lte: str
) -> list[str]:
    query = Query(partition_key=partition_key, id_gt=id_gt, id_lte=id_lte)
    ids: list[str] = []
    continuation: str | None = None
    while True:
        page = store.query_texts(container, query, continuation=continuation)
        ids += [doc_id for doc_id, _ in page.items]
        if page.continuation is None:
            return ids
        continuation = page.continuation


def _delete(
    store: DocumentStore, container: str, batches: list[tuple[str, Sequence[Operation]]]
) -> int:
    if not batches:
        return 0
    store.execute_batches(container, batches).results()
    return sum(len(operations) for _, operations in batches)
