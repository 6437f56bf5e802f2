"""The library's own snapshots (``aggregate_recorder("snapshots")``), one document each in the
stream's partition of ``events``. The campaign application keeps its snapshot in the head
(``eventstore.recorders``) and does not use these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, IntegrityError, StoredEvent

from documentstore.port import EVENTS, Create, Document, Operation
from domain.errors import DocumentConflict
from eventstore.documents import (
    SNAPSHOT_DOC,
    snapshot_document,
    snapshot_id,
    stored_snapshot_from,
)
from eventstore.stream_documents import StreamDocuments, check_fits_one_batch, one_stream


class SnapshotRecorder(StreamDocuments, AggregateRecorder):
    """The library's snapshots, one document each, in the stream's partition of ``events``."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return None
        partition = one_stream(stored_events)
        versions = [event.originator_version for event in stored_events]
        if len(set(versions)) != len(versions):
            raise IntegrityError(f"snapshot versions repeat within one call: {versions}")
        check_fits_one_batch(len(stored_events))
        operations: list[Operation] = [Create(snapshot_document(event)) for event in stored_events]
        try:
            self.store.execute_batch(EVENTS, partition, operations)
        except DocumentConflict as conflict:
            raise IntegrityError(
                f"a snapshot of stream {partition} at that version exists: {conflict.detail}"
            ) from conflict
        return None

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        return self._select(
            originator_id,
            doc_type=SNAPSHOT_DOC,
            document_id=snapshot_id,
            convert=_snapshot_from_document,
            gt=gt,
            lte=lte,
            desc=desc,
            limit=limit,
        )


def _snapshot_from_document(document: Document, originator_id: UUID | str) -> StoredEvent:
    return stored_snapshot_from(document["snapshot"], originator_id)
