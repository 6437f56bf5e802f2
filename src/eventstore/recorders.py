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

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    IntegrityError,
    Notification,
    NotSupportedError,
    ProgrammingError,
    StoredEvent,
    Subscription,
)

from documentstore.port import (
    EVENTS,
    MAX_BATCH_OPERATIONS,
    Create,
    Document,
    DocumentStore,
    Operation,
    Query,
    Replace,
    batch_queued,
)
from domain.errors import CommandTooLarge, DocumentConflict, DocumentNotFound, EtagMismatch
from eventstore.documents import (
    EVENT_DOC,
    HEAD_ID,
    MAX_VERSION,
    SNAPSHOT_DOC,
    SPLIT_LAYOUT,
    command_id_of,
    event_document,
    event_id,
    head_document,
    head_with_snapshot,
    new_append_id,
    partition_of,
    snapshot_document,
    snapshot_id,
    state_document,
    state_id,
    stored_event_from,
    stored_snapshot_from,
)
from eventstore.head_cache import HeadCache
from eventstore.pending_writes import PendingWrites, overlaid

NO_GLOBAL_SEQUENCE = (
    "the event log has no global notification sequence: Cosmos DB orders events only within "
    "a partition (one campaign), and a counter document shared by every append would be a hot "
    "spot. Projections follow the change feed instead (see docs/storage.md)."
)

_PAGE_SIZE = 1000


@dataclass(frozen=True)
class StreamHead:
    """What one point read tells about a stream: its version and latest aggregate snapshot."""

    version: int
    snapshot: StoredEvent | None
    last_command_id: str | None = None
    layout: int = SPLIT_LAYOUT
    """``SPLIT_LAYOUT`` when entity states are kept beside the head; 1 for a head whose
    snapshot held the whole aggregate (written before the split, see ``migrate_stream``)."""


EntityStates = Mapping[str, tuple[Mapping[str, Any], str | None]]
"""Entity states by entity id, each with the etag of its document (None: no document yet)."""


class _StreamDocuments:
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


def _one_stream(stored_events: Sequence[StoredEvent]) -> str:
    partitions = {partition_of(event.originator_id) for event in stored_events}
    if len(partitions) > 1:
        raise NotSupportedError(
            "events of several streams cannot be appended atomically: a transactional batch "
            "covers one partition (one campaign); save one aggregate per call"
        )
    return partitions.pop()


def _check_fits_one_batch(operation_count: int) -> None:
    if operation_count > MAX_BATCH_OPERATIONS:
        raise CommandTooLarge(
            f"the command would write {operation_count} documents; one transactional batch "
            f"holds at most {MAX_BATCH_OPERATIONS} (so at most {MAX_BATCH_OPERATIONS - 1} "
            "events per command)"
        )


class EventLogRecorder(_StreamDocuments, ApplicationRecorder):
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
        attempt whose answer was lost (recognised by the call's append id). ``on_queued``
        (optional) is called once a store that commits in groups has queued the batch, before
        its commit: from then on the stream's next load sees what it will write
        (``eventstore.pending_writes``). Returns None: there is no notification id.
        """
        if not stored_events:
            return None
        partition = _one_stream(stored_events)
        versions = [event.originator_version for event in stored_events]
        if any(later != earlier + 1 for earlier, later in pairwise(versions)):
            raise IntegrityError(f"versions of one append must be contiguous: {versions}")
        states = entity_states or {}
        _check_fits_one_batch(len(stored_events) + 1 + len(states))
        if head_snapshot is not None and partition_of(head_snapshot.originator_id) != partition:
            raise ProgrammingError("head_snapshot belongs to another stream")

        append_id = new_append_id()
        documents = [event_document(event, append_id=append_id) for event in stored_events]
        command = command_id or command_id_of(documents[0])
        head = self._head_before(partition, versions[0])
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
        batch = object()
        on_queued: Callable[[], None] | None = kwargs.get("on_queued")

        def queued(written: list[Document | None]) -> None:
            self._pending.hold(partition, batch, written)
            self._heads.remember(partition, written[len(documents)], snapshot=kept)
            if on_queued is not None:
                on_queued()

        telling = batch_queued.set(queued if on_queued is not None else None)
        try:
            results = self.store.execute_batch(EVENTS, partition, operations)
        except (DocumentConflict, EtagMismatch, DocumentNotFound) as conflict:
            self._pending.release(partition, batch)
            self._heads.forget(partition)
            if self._landed_earlier(partition, documents[-1]):
                return None
            raise IntegrityError(
                f"append to stream {partition} at version {versions[0]} lost a race: "
                f"{conflict.detail}"
            ) from conflict
        except BaseException:
            self._pending.release(partition, batch)
            self._heads.forget(partition)
            raise
        finally:
            batch_queued.reset(telling)
        if not self._pending.release(partition, batch):  # else a later head is the one to keep
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
        partition = partition_of(originator_id)
        wanted = {state_id(entity_id): entity_id for entity_id in entity_ids}
        ids = [HEAD_ID, *wanted]
        held = self._pending.held(partition)
        found = overlaid(self.store.read_many(EVENTS, partition, ids), held, ids)
        head: Document | None = None
        states: dict[str, tuple[Mapping[str, Any], str | None]] = {}
        for document in found:
            if document["id"] == HEAD_ID:
                head = document
            elif document["id"] in wanted:
                states[wanted[document["id"]]] = (document["state"], document["_etag"])
        return self._stream_head(originator_id, head), states

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
        if head is None or int(head["version"]) != version or head.get("layout") is not None:
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

    def _stream_head(
        self, originator_id: UUID | str, head: Document | None
    ) -> StreamHead | None:
        partition = partition_of(originator_id)
        if head is None:
            self._heads.remember(partition, None)
            return None
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
        """The head this append follows: cached when it fits, else read (one round trip)."""
        seen, cached = self._heads.known(partition)
        if seen and (cached is None or int(cached["version"]) == first_version - 1):
            return cached
        held = self._pending.held(partition)
        stored = self.store.read(EVENTS, partition, HEAD_ID)
        found = overlaid([] if stored is None else [stored], held, [HEAD_ID])
        head = found[0] if found else None
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

    # --- the global sequence this log does not have ------------------------------------------

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        raise NotSupportedError(NO_GLOBAL_SEQUENCE)

    def max_notification_id(self) -> int | None:
        raise NotSupportedError(NO_GLOBAL_SEQUENCE)

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        raise NotSupportedError(NO_GLOBAL_SEQUENCE)


class SnapshotRecorder(_StreamDocuments, AggregateRecorder):
    """The library's snapshots, one document each, in the stream's partition of ``events``."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return None
        partition = _one_stream(stored_events)
        versions = [event.originator_version for event in stored_events]
        if len(set(versions)) != len(versions):
            raise IntegrityError(f"snapshot versions repeat within one call: {versions}")
        _check_fits_one_batch(len(stored_events))
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
