"""What the event-log and snapshot recorders share: selecting one kind of document of a stream
in version order, and the checks that one append covers one stream and fits one batch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from eventsourcing.persistence import NotSupportedError, StoredEvent

from documentstore.port import EVENTS, MAX_BATCH_OPERATIONS, Document, DocumentStore, Query
from domain.errors import CommandTooLarge
from eventstore.documents import MAX_VERSION, partition_of

_PAGE_SIZE = 1000


class StreamDocuments:
    """Selecting one kind of document of one stream in id (= version) order."""

    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    def _select(
        self,
        originator_id: UUID | str,
        *,
        doc_type: str,
        document_id: Callable[[int], str],
        convert: Callable[[Document, UUID | str], StoredEvent],
        gt: int | None,
        lte: int | None,
        desc: bool,
        limit: int | None,
    ) -> list[StoredEvent]:
        if (lte is not None and lte < 0) or (gt is not None and gt >= MAX_VERSION):
            return []
        if limit is not None and limit <= 0:
            return []
        query = Query(
            partition_key=partition_of(originator_id),
            equals={"docType": doc_type},
            id_gt=document_id(gt) if gt is not None and gt >= 0 else None,
            id_lte=document_id(min(lte, MAX_VERSION)) if lte is not None else None,
            order_by=(("id", desc),),
            limit=limit,
        )
        found: list[StoredEvent] = []
        continuation: str | None = None
        page_size = min(limit, _PAGE_SIZE) if limit is not None else _PAGE_SIZE
        while True:
            page = self.store.query(EVENTS, query, page_size=page_size, continuation=continuation)
            found.extend(convert(document, originator_id) for document in page.items)
            continuation = page.continuation
            if continuation is None:
                return found


def one_stream(stored_events: Sequence[StoredEvent]) -> str:
    partitions = {partition_of(event.originator_id) for event in stored_events}
    if len(partitions) > 1:
        raise NotSupportedError(
            "events of several streams cannot be appended atomically: a transactional batch "
            "covers one partition (one campaign); save one aggregate per call"
        )
    return partitions.pop()


def check_fits_one_batch(operation_count: int) -> None:
    if operation_count > MAX_BATCH_OPERATIONS:
        raise CommandTooLarge(
            f"the command would write {operation_count} documents; one transactional batch "
            f"holds at most {MAX_BATCH_OPERATIONS} (so at most {MAX_BATCH_OPERATIONS - 1} "
            "events per command)"
        )
