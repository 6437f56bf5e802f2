"""Several campaigns' writes in one call: what became of each campaign's batches is said
campaign by campaign, not left to index arithmetic."""

from __future__ import annotations

from collections.abc import Sequence

from documentstore.memory import InMemoryDocumentStore
from documentstore.port import VIEWS, BatchesResult, Create, Operation, Replace
from domain.errors import DocumentNotFound, StoreUnavailable
from projections.write_plan import Batch
from projections.writer import WriteStatus, write_together


def create(partition: str, doc_id: str) -> Batch:
    return (partition, [Create({"id": doc_id, "partitionKey": partition})])


def replace_missing(partition: str, doc_id: str) -> Batch:
    return (partition, [Replace({"id": doc_id, "partitionKey": partition}, if_match="gone")])


def test_every_campaign_is_written_when_every_batch_lands(store: InMemoryDocumentStore) -> None:
    writes = write_together(store, [[create("a", "1")], [], [create("c", "1"), create("c", "2")]])

    assert [write.status for write in writes] == [WriteStatus.WRITTEN] * 3
    assert store.read(VIEWS, "c", "2") is not None


def test_the_campaign_whose_batch_failed_is_stopped_and_those_after_it_are_not_tried(
    store: InMemoryDocumentStore,
) -> None:
    writes = write_together(
        store,
        [
            [create("a", "1")],
            [],
            [create("b", "1"), replace_missing("b", "2")],
            [],
            [create("c", "1")],
        ],
    )

    assert [write.status for write in writes] == [
        WriteStatus.WRITTEN,
        WriteStatus.WRITTEN,
        WriteStatus.STOPPED,
        WriteStatus.NOT_TRIED,
        WriteStatus.NOT_TRIED,
    ]
    assert isinstance(writes[2].error, DocumentNotFound)
    assert store.read(VIEWS, "a", "1") is not None
    assert store.read(VIEWS, "b", "1") is not None  # the batch before the failing one landed
    assert store.read(VIEWS, "c", "1") is None


def test_a_fault_that_left_nothing_applied_stops_the_first_campaign_with_writes() -> None:
    class RolledBack(InMemoryDocumentStore):
        def execute_batches(
            self, container: str, batches: Sequence[tuple[str, Sequence[Operation]]]
        ) -> BatchesResult:
            return BatchesResult([], StoreUnavailable("the transaction was rolled back"))

    writes = write_together(RolledBack(), [[], [create("a", "1")], [create("b", "1")]])

    assert [write.status for write in writes] == [
        WriteStatus.WRITTEN,
        WriteStatus.STOPPED,
        WriteStatus.NOT_TRIED,
    ]
    assert isinstance(writes[1].error, StoreUnavailable)


def test_nothing_to_write_asks_nothing_of_the_store() -> None:
    class Untouchable(InMemoryDocumentStore):
        def execute_batches(
            self, container: str, batches: Sequence[tuple[str, Sequence[Operation]]]
        ) -> BatchesResult:
            raise AssertionError("no write expected")

    writes = write_together(Untouchable(), [[], []])

    assert [write.status for write in writes] == [WriteStatus.WRITTEN] * 2
