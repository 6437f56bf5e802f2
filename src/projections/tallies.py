"""Writing campaigns' statistics contributions together with the partial they move.

A ``Tally`` is one campaign's contribution document as it was read (``before``, with its etag)
and as the events leave it (``after``; None to remove it), with the feed range of ``events``
whose partial it moves (``projections.statistics``). ``tally_batches`` reads the partial of each
(tenant, feed range) once and writes, in **one atomic batch** of the tenant's partition, every
contribution of the group (etag-checked, or created) and the partial moved by their
differences (etag-checked, or created). So a contribution and its effect on the sums land
together or not at all: a redelivered event meets the contribution's watermark and moves
nothing again, and a writer that got there first fails the batch (412/409), which the caller
answers by projecting again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from documentstore.port import VIEWS, Create, Delete, Document, DocumentStore, Operation, Replace
from projections.events import tenant_of
from projections.feed import RawEvents
from projections.generations import stored_id, to_logical, to_stored
from projections.projectors import ViewKey
from projections.projectors.documents import TENANT_PARTITION_PREFIX, DocType
from projections.statistics import Body, empty_partial, merged, moved, partial_id
from projections.write_plan import Batch

MAX_TALLIES_PER_BATCH = 64
"""Contributions written with one partial: the batch stays within the port's 100 operations
(a partial of the most buckets and 64 contributions stay far within 2 MB)."""


@dataclass(frozen=True)
class Tally:
    """One campaign's contribution change (see the module docstring)."""

    key: ViewKey
    before: Document | None
    etag: str | None
    after: Document | None
    feed_range: str

    @property
    def partial(self) -> tuple[str, str]:
        """Which partial it moves: (the tenant's partition, the feed range)."""
        return self.key.partition_key, self.feed_range


def tally_batches(store: DocumentStore, generation: int, tallies: Sequence[Tally]) -> list[Batch]:
    """One batch per partial the ``tallies`` move (at most ``MAX_TALLIES_PER_BATCH`` of them
    each): their contributions and the partial, read now."""
    groups: dict[tuple[str, str], list[Tally]] = {}
    for tally in tallies:
        groups.setdefault(tally.partial, []).append(tally)
    batches: list[Batch] = []
    for (partition_key, feed_range), group in groups.items():
        if len(group) > MAX_TALLIES_PER_BATCH:
            raise ValueError(f"{len(group)} contributions for one partial; at most 64")
        operations = [_contribution_operation(generation, tally) for tally in group]
        partial = _partial_operation(store, generation, partition_key, feed_range, group)
        if partial is not None:
            operations.append(partial)
        batches.append((partition_key, operations))
    return batches


def _contribution_operation(generation: int, tally: Tally) -> Operation:
    if tally.after is None:
        return Delete(stored_id(generation, tally.key.id), if_match=tally.etag)
    stored = to_stored(generation, tally.after)
    if tally.etag is None:
        return Create(stored)
    return Replace(stored, if_match=tally.etag)


def _partial_operation(
    store: DocumentStore,
    generation: int,
    partition_key: str,
    feed_range: str,
    group: Sequence[Tally],
) -> Operation | None:
    """The partial of ``feed_range`` moved by ``group``'s differences; None when they cancel."""
    logical_id = partial_id(feed_range)
    found = store.read(VIEWS, partition_key, stored_id(generation, logical_id))
    current = None if found is None else to_logical(found)
    body = empty_partial() if current is None else current["body"]
    start = body
    for tally in group:
        body = moved(
            body,
            None if tally.before is None else tally.before["body"],
            None if tally.after is None else tally.after["body"],
        )
    if body == start and current is not None:
        return None
    return _partial_written(found, generation, partition_key, feed_range, body)


def _partial_written(
    found: Document | None, generation: int, partition_key: str, feed_range: str, body: Body
) -> Operation:
    """The partial of ``feed_range`` holding ``body``: created when it was not ``found``,
    else replaced on the etag it was found with."""
    document: Document = {
        "id": partial_id(feed_range),
        "partitionKey": partition_key,
        "docType": DocType.STATS_PARTIAL.value,
        "tenantId": partition_key.removeprefix(TENANT_PARTITION_PREFIX),
        "feedRange": feed_range,
        "body": body,
    }
    stored = to_stored(generation, document)
    return Create(stored) if found is None else Replace(stored, if_match=found.get("_etag"))


def contribution_batches(generation: int, tallies: Sequence[Tally]) -> list[Batch]:
    """The contributions of ``tallies`` alone, their partials left to a ``PartialMoves`` (a
    rebuild's replay, whose workers would otherwise contend for the same partials)."""
    by_partition: dict[str, list[Operation]] = {}
    for tally in tallies:
        by_partition.setdefault(tally.key.partition_key, []).append(
            _contribution_operation(generation, tally)
        )
    return [
        (partition_key, operations[start : start + MAX_TALLIES_PER_BATCH])
        for partition_key, operations in by_partition.items()
        for start in range(0, len(operations), MAX_TALLIES_PER_BATCH)
    ]


PartialKey = tuple[str, str]
"""A partial: (the tenant's partition, the feed range of ``events``)."""


class PartialMoves:
    """What the contributions written without their partials (``contribution_batches``) move
    the partials by, summed per partial; ``write`` adds the sums to the stored partials of a
    generation nobody else writes yet (a rebuild's, before its switch). Sums of several
    processes are added with ``absorb``."""

    def __init__(self) -> None:
        self.moves: dict[PartialKey, Document] = {}

    def add(self, tally: Tally) -> None:
        """Count a contribution that was written."""
        body = self.moves.get(tally.partial) or empty_partial()
        self.moves[tally.partial] = moved(
            body,
            None if tally.before is None else tally.before["body"],
            None if tally.after is None else tally.after["body"],
        )

    def absorb(self, moves: dict[PartialKey, Document]) -> None:
        """Add another process's sums."""
        for key, body in moves.items():
            self.moves[key] = merged([self.moves.get(key) or empty_partial(), body])

    def write(self, store: DocumentStore, generation: int) -> int:
        """Add the sums to the partials of ``generation`` (created when missing); how many."""
        for (partition_key, feed_range), body in sorted(self.moves.items()):
            found = store.read(VIEWS, partition_key, stored_id(generation, partial_id(feed_range)))
            current = empty_partial() if found is None else to_logical(found)["body"]
            total = merged([current, body])
            store.execute_batch(
                VIEWS,
                partition_key,
                [_partial_written(found, generation, partition_key, feed_range, total)],
            )
        written = len(self.moves)
        self.moves = {}
        return written


def rounds_of(by_campaign: Mapping[str, RawEvents]) -> list[dict[str, RawEvents]]:
    """The campaigns of a call in rounds of at most ``MAX_TALLIES_PER_BATCH`` per tenant (from
    the events' metadata), so that one batch holds a partial and every contribution moving it."""
    rounds: list[dict[str, RawEvents]] = []
    taken: list[dict[str, int]] = []
    for campaign_id, raw in by_campaign.items():
        tenant = tenant_of(raw.values())
        index = next(
            (n for n, counts in enumerate(taken) if counts.get(tenant, 0) < MAX_TALLIES_PER_BATCH),
            len(rounds),
        )
        if index == len(rounds):
            rounds.append({})
            taken.append({})
        rounds[index][campaign_id] = raw
        taken[index][tenant] = taken[index].get(tenant, 0) + 1
    return rounds
