"""Recorders of the eventsourcing library on the document-store port.

``EventLogRecorder`` keeps each stream (a campaign) in its own partition of ``events``: one
document per event and one head document holding the stream's version, its latest aggregate
snapshot and the last append's ids. An append is one transactional batch (create every new
event, create or ``if_match``-replace the head), so a stale writer fails as a whole with the
library's ``IntegrityError``. ``read_head`` loads a stream with one point read; the head's etag
it saw is cached, so load + append costs exactly two store round trips. The stored snapshot a
head holds is cached by the head's etag too, so loading a head this process wrote or read
before does not encode its snapshot again.

The store may retry a batch whose answer was lost, and that retry then conflicts with its own
earlier write. Each append therefore writes a fresh append id (``eventstore.documents``) into
its event documents and the head; on a conflict the recorder looks for that id, never for the
client's command id, which a concurrent or different append may carry too.

``SnapshotRecorder`` stores the library's own snapshots in the stream's partition.

Neither offers a global notification sequence: none exists across Cosmos DB partitions and
none is faked with a hot counter document. Projections follow the change feed instead.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    ProgrammingError,
    StoredEvent,
)

from documentstore.port import (
    EVENTS,
    MAX_BATCH_OPERATIONS,
    Create,
    Document,
    DocumentStore,
    Operation,
    Replace,
)
from domain.errors import DocumentConflict, DocumentNotFound, EtagMismatch
from eventstore.documents import (
    EVENT_DOC,
    HEAD_ID,
    SPLIT_LAYOUT,
    command_id_of,
    event_document,
    event_id,
    head_document,
    head_with_snapshot,
    is_tombstone,
    new_append_id,
    partition_of,
    state_document,
    state_id,
    stored_event_from,
    stored_snapshot_from,
)
from eventstore.head_cache import HeadCache
from eventstore.no_global_sequence import NoGlobalSequence
from eventstore.pending_writes import PendingReads, PendingWrites, overlaid
from eventstore.stream_documents import StreamDocuments, check_fits_one_batch, one_stream


@dataclass(frozen=True)
class StreamHead:
    """What one point read tells about a stream: its version and latest aggregate snapshot."""

    version: int
    snapshot: StoredEvent | None
    last_command_id: str | None = None
    layout: int = SPLIT_LAYOUT
    """``SPLIT_LAYOUT`` when entity states are kept beside the head; 1 for a head whose
    snapshot held the whole aggregate (written before the split, see ``migrate_stream``)."""
    purged: bool = False
    """The stream was purged: its head is a tombstone (``tombstone_document``), nothing else
    of it is left, and nothing may be appended to it ever again."""


EntityStates = Mapping[str, tuple[Mapping[str, Any], str | None]]
"""Entity states by entity id, each with the etag of its document (None: no document yet)."""


class EventLogRecorder(StreamDocuments, NoGlobalSequence, ApplicationRecorder):
    """The events recorder: event documents plus a head document per stream."""

    def __init__(self, store: DocumentStore, *, head_cache: HeadCache | None = None) -> None:
        super().__init__(store)
        self._heads = head_cache or HeadCache()
        self._pending = PendingWrites()

    def insert_events(
        self,
        stored_events: Sequence[StoredEvent],
        *,
        head_snapshot: StoredEvent | None = None,
        command_id: str | None = None,
        entity_states: EntityStates | None = None,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        """Append one command's events to their stream in one transactional batch.

        ``head_snapshot`` (the aggregate's core after the last event) replaces the head's
        snapshot; without it the head keeps the one it had. ``entity_states`` are the states
        of the entities the command changed, each written in the same batch (created, or
        replaced if its document still has the etag given). ``command_id`` (default: the
        first event's ``metadata.commandId``) is recorded in the head for information only. A
        conflict raises ``IntegrityError`` unless it is this call's own batch, applied by an
        attempt whose answer was lost (recognised by the call's append id). Returns None:
        there is no notification id.
        """
        if not stored_events:
            return None
        partition = one_stream(stored_events)
        versions = [event.originator_version for event in stored_events]
        if any(later != earlier + 1 for earlier, later in pairwise(versions)):
            raise IntegrityError(f"versions of one append must be contiguous: {versions}")
        states = entity_states or {}
        check_fits_one_batch(len(stored_events) + 1 + len(states))
        if head_snapshot is not None and partition_of(head_snapshot.originator_id) != partition:
            raise ProgrammingError("head_snapshot belongs to another stream")

        append_id = new_append_id()
        documents = [event_document(event, append_id=append_id) for event in stored_events]
        command = command_id or command_id_of(documents[0])
        head = self._head_before(partition, versions[0])
        if is_tombstone(head):
            raise IntegrityError(f"stream {partition} was purged; nothing may be appended to it")
        if head is not None and int(head["version"]) != versions[0] - 1:
            raise IntegrityError(
                f"stream {partition} is at version {head['version']}; an append must start "
                f"at {int(head['version']) + 1}, not {versions[0]}"
            )
        if head_snapshot is not None:
            new_head, encoded = head_with_snapshot(
                partition,
                version=versions[-1],
                snapshot=head_snapshot,
                last_command_id=command,
                last_append_id=append_id,
            )
        else:
            new_head = head_document(
                partition,
                version=versions[-1],
                snapshot=(head or {}).get("snapshot"),
                last_command_id=command,
                last_append_id=append_id,
            )
            encoded = None
        kept = head_snapshot
        if kept is None and head is not None:
            kept = self._heads.snapshot(partition, head.get("_etag"))
        operations: list[Operation] = [Create(document) for document in documents]
        operations.append(
            Create(new_head, encoded=encoded)
            if head is None
            else Replace(new_head, if_match=head["_etag"], encoded=encoded)
        )
        for entity_id, (state, etag) in states.items():
            document = state_document(partition, entity_id, state, version=versions[-1])
            operations.append(
                Create(document) if etag is None else Replace(document, if_match=etag)
            )
        with self._pending.appending(partition, kwargs.get("on_queued")) as appending:
            try:
                results = self.store.execute_batch(EVENTS, partition, operations)
            except (DocumentConflict, EtagMismatch, DocumentNotFound) as conflict:
                self._heads.forget(partition)
                appending.committed = self._landed_earlier(partition, documents[-1])
                if appending.committed:
                    return None
                raise IntegrityError(
                    f"append to stream {partition} at version {versions[0]} lost a race: "
                    f"{conflict.detail}"
                ) from conflict
            appending.committed = True
            self._heads.remember(partition, results[len(documents)], snapshot=kept)
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
            doc_type=EVENT_DOC,
            document_id=event_id,
            convert=stored_event_from,
            gt=gt,
            lte=lte,
            desc=desc,
            limit=limit,
        )

    def read_head(self, originator_id: UUID | str) -> StreamHead | None:
        """The stream's head (version and latest snapshot) in one point read, or None."""
        partition = partition_of(originator_id)
        return self._stream_head(originator_id, self.store.read(EVENTS, partition, HEAD_ID))

    def read_stream(
        self, originator_id: UUID | str, entity_ids: Collection[str]
    ) -> tuple[StreamHead | None, EntityStates]:
        """The stream's head and the states of these entities (those that have one), in one
        round trip: what a command needs to decide."""
        head, states, _ = self.read_stream_pending(originator_id, entity_ids, pending=False)
        return head, states

    def read_stream_pending(
        self, originator_id: UUID | str, entity_ids: Collection[str], *, pending: bool = True
    ) -> tuple[StreamHead | None, EntityStates, PendingReads]:
        """``read_stream`` through the documents that appends of this process have queued for
        the stream and not yet settled (``eventstore.pending_writes``): what a command decides
        on when it may go before its predecessor's commit; with the batches it read from."""
        partition = partition_of(originator_id)
        wanted = {state_id(entity_id): entity_id for entity_id in entity_ids}
        held = self._pending.held(partition) if pending else []
        found = self.store.read_many(EVENTS, partition, [HEAD_ID, *wanted])
        found, reads = overlaid(found, held, [HEAD_ID, *wanted])
        head: Document | None = None
        states: dict[str, tuple[Mapping[str, Any], str | None]] = {}
        for document in found:
            if document["id"] == HEAD_ID:
                head = document
            elif document["id"] in wanted:
                states[wanted[document["id"]]] = (document["state"], document["_etag"])
        return self._stream_head(originator_id, head), states, reads

    def migrate_stream(
        self,
        originator_id: UUID | str,
        *,
        version: int,
        core_snapshot: StoredEvent,
        entity_states: Mapping[str, Mapping[str, Any]],
    ) -> None:
        """Move a stream written before the split (a head of layout 1, whose snapshot held
        the whole aggregate at ``version``) to ``SPLIT_LAYOUT``: every entity's state into a
        document of its own, then the head with the core snapshot.

        Resumable and idempotent: a state document that exists already is left as it is (a
        crashed earlier run wrote the very same, or a command has changed it since the head
        moved), and the head is replaced only if it is still the layout-1 head at ``version``;
        if it is not, ``IntegrityError`` (the caller loads again).
        """
        partition = partition_of(originator_id)
        ids = list(entity_states)
        chunk = MAX_BATCH_OPERATIONS
        for start in range(0, len(ids), chunk):
            self._create_missing_states(
                partition, ids[start : start + chunk], entity_states, version=version
            )
        head = self.store.read(EVENTS, partition, HEAD_ID)
        if (
            head is None
            or is_tombstone(head)
            or int(head["version"]) != version
            or head.get("layout") is not None
        ):
            self._heads.forget(partition)
            raise IntegrityError(f"stream {partition} moved on while it was being migrated")
        new_head, encoded = head_with_snapshot(
            partition,
            version=version,
            snapshot=core_snapshot,
            last_command_id=head.get("lastCommandId"),
            last_append_id=str(head.get("lastAppendId") or new_append_id()),
        )
        try:
            self.store.execute_batch(
                EVENTS, partition, [Replace(new_head, if_match=head["_etag"], encoded=encoded)]
            )
        except (EtagMismatch, DocumentNotFound) as conflict:
            raise IntegrityError(
                f"stream {partition} moved on while it was being migrated: {conflict.detail}"
            ) from conflict
        finally:
            self._heads.forget(partition)

    def _create_missing_states(
        self,
        partition: str,
        entity_ids: Sequence[str],
        entity_states: Mapping[str, Mapping[str, Any]],
        *,
        version: int,
    ) -> None:
        existing = {
            document["id"]
            for document in self.store.read_many(
                EVENTS, partition, [state_id(entity_id) for entity_id in entity_ids]
            )
        }
        operations: list[Operation] = [
            Create(state_document(partition, entity_id, entity_states[entity_id], version=version))
            for entity_id in entity_ids
            if state_id(entity_id) not in existing
        ]
        if not operations:
            return
        try:
            self.store.execute_batch(EVENTS, partition, operations)
        except DocumentConflict as conflict:
            raise IntegrityError(
                f"stream {partition} was being migrated by another writer: {conflict.detail}"
            ) from conflict

    def _stream_head(self, originator_id: UUID | str, head: Document | None) -> StreamHead | None:
        partition = partition_of(originator_id)
        if head is None:
            self._heads.remember(partition, None)
            return None
        if is_tombstone(head):
            self._heads.forget(partition)
            return StreamHead(version=int(head["version"]), snapshot=None, purged=True)
        body = head.get("snapshot")
        snapshot = None
        if body:
            cached = self._heads.snapshot(partition, head.get("_etag"))
            snapshot = (
                stored_snapshot_from(body, originator_id)
                if cached is None
                else StoredEvent(
                    originator_id=originator_id,
                    originator_version=cached.originator_version,
                    topic=cached.topic,
                    state=cached.state,
                )
            )
        self._heads.remember(partition, head, snapshot=snapshot)
        return StreamHead(
            version=int(head["version"]),
            snapshot=snapshot,
            last_command_id=head.get("lastCommandId"),
            layout=int(head.get("layout") or 1),
        )

    def _head_before(self, partition: str, first_version: int) -> Document | None:
        """The head this append follows: queued by this process's previous append, or cached
        when it fits, else read (one round trip)."""
        pending = self._pending.head_at(partition, HEAD_ID, first_version - 1)
        if pending is not None:
            return pending
        seen, cached = self._heads.known(partition)
        if seen and (cached is None or int(cached["version"]) == first_version - 1):
            return cached
        head = self.store.read(EVENTS, partition, HEAD_ID)
        self._heads.remember(partition, head)
        return head

    def _landed_earlier(self, partition: str, last_event: Document) -> bool:
        """Whether this very batch is already in the stream (an earlier attempt was applied
        but its answer was lost): the head, or the event document at our last version if
        others appended since, carries our append id. The batch is atomic, so that one
        document stands for all of it.
        """
        append_id = last_event["appendId"]
        version = int(last_event["version"])
        head = self.store.read(EVENTS, partition, HEAD_ID)
        if head is None or int(head["version"]) < version:
            return False
        if int(head["version"]) == version:
            if head.get("lastAppendId") != append_id:
                return False
            self._heads.remember(partition, head)
            return True
        stored = self.store.read(EVENTS, partition, str(last_event["id"]))
        return stored is not None and stored.get("appendId") == append_id
