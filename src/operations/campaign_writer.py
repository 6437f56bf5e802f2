"""Writing one imported campaign into ``events``: its event documents, then its entity states,
then its head, packed into transactional batches (at most 100 operations and 2 MB each) that
the import's ``ImportBuffer`` sends.

On SQLite the buffer's sends are transactions: a campaign whose documents fit ``flush_bytes``
appears whole or not at all, to readers and to the change feed alike. On Cosmos DB (and for
larger campaigns) the batches go one after the other, the head in the last one: a campaign
without a head does not exist, and a crash leaves documents that a new run completes.

A campaign whose partition already holds documents (what an interrupted import left: it has no
head, or the importer would not write it) is *resumed*: each event document is compared with the
stored one of the same id, kept when equal, replaced when not; stored events beyond the file's
last version and entity states the file's log does not make are deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from eventsourcing.persistence import StoredEvent

from documentstore.batch_rules import batch_size_bytes
from documentstore.port import (
    EVENTS,
    MAX_BATCH_BYTES,
    MAX_BATCH_OPERATIONS,
    Create,
    Delete,
    Document,
    DocumentStore,
    Operation,
    Query,
    Replace,
    Upsert,
    stored_json,
    without_system_fields,
)
from eventstore.documents import (
    EVENT_DOC,
    HEAD_ID,
    STATE_DOC,
    command_id_of,
    event_id,
    head_with_snapshot,
    state_document,
    state_id,
)
from operations.campaign_remains import remove_campaign_remains
from operations.import_buffer import CampaignWrite, ImportBuffer

_RESUME_CHUNK = MAX_BATCH_OPERATIONS
_PAGE = 1000


class CampaignWriter:
    """Writes one campaign the store has no head for (see the module docstring)."""

    def __init__(self, store: DocumentStore, buffer: ImportBuffer, campaign_id: str) -> None:
        self._store = store
        self._buffer = buffer
        self._partition = campaign_id
        anything = store.query(EVENTS, Query(partition_key=campaign_id), page_size=1)
        self.resumed = bool(anything.items)
        """Whether the partition held documents already (an interrupted import's)."""
        self.write = CampaignWrite(campaign_id)
        self._current: list[Operation] = []
        self._current_bytes = 0
        self._unresolved: list[Document] = []
        self._last_event: Document | None = None

    def add_event(self, document: Document) -> None:
        """One more event document, in stream order."""
        self._last_event = document
        if not self.resumed:
            self._add(Create(document, encoded=stored_json(document)))
            return
        self._unresolved.append(document)
        if len(self._unresolved) >= _RESUME_CHUNK:
            self._resolve()

    def finish(
        self,
        entity_states: Mapping[str, Mapping[str, Any]],
        core_snapshot: StoredEvent,
        *,
        append_id: str,
        on_settled: Callable[[CampaignWrite], None],
    ) -> None:
        """The entity states and the head after the last event; ``on_settled`` is told when
        the buffer has written all of it, or the store refused a batch of it (another writer
        created the campaign meanwhile)."""
        last = self._last_event
        if last is None:
            raise ValueError("a campaign needs at least one event")
        version = int(last["version"])
        self._resolve()
        if self.resumed:
            self._delete_leftovers(version, set(entity_states))
        for entity_id, state in entity_states.items():
            document = state_document(self._partition, entity_id, state, version=version)
            self._add(Upsert(document) if self.resumed else Create(document))
        head, encoded = head_with_snapshot(
            self._partition,
            version=version,
            snapshot=core_snapshot,
            last_command_id=command_id_of(last),
            last_append_id=append_id,
        )
        self._add(Create(head, encoded=encoded))
        self._close_batch()
        self._buffer.complete(self.write, on_settled)

    def abandon(self) -> None:
        """Give the campaign up: nothing more is written, and what this or an earlier run
        wrote of it is deleted (while it still has no head)."""
        self._current, self._unresolved = [], []
        self._buffer.drop(self.write)
        written = self.write.written or self.resumed
        if written and self._store.read(EVENTS, self._partition, HEAD_ID) is None:
            remove_campaign_remains(self._store, self._partition)

    def _resolve(self) -> None:
        """Resuming: the waiting event documents against those stored with the same ids."""
        if not self._unresolved:
            return
        ids = [str(document["id"]) for document in self._unresolved]
        stored = {
            document["id"]: document
            for document in self._store.read_many(EVENTS, self._partition, ids)
        }
        for document in self._unresolved:
            existing = stored.get(document["id"])
            if existing is None:
                self._add(Create(document, encoded=stored_json(document)))
            elif not _same_event(existing, document):
                self._add(Replace(document, if_match=existing["_etag"]))
        self._unresolved = []

    def _delete_leftovers(self, last_version: int, entity_ids: set[str]) -> None:
        """Resuming: events beyond ``last_version`` and states of other entities, deleted."""
        beyond = Query(
            partition_key=self._partition,
            equals={"docType": EVENT_DOC},
            id_gt=event_id(last_version),
        )
        states = Query(partition_key=self._partition, equals={"docType": STATE_DOC})
        wanted = {state_id(entity_id) for entity_id in entity_ids}
        for query in (beyond, states):
            continuation: str | None = None
            while True:
                page = self._store.query(EVENTS, query, page_size=_PAGE, continuation=continuation)
                for document in page.items:
                    if document["id"] not in wanted:
                        self._add(Delete(str(document["id"])))
                continuation = page.continuation
                if continuation is None:
                    break

    def _add(self, operation: Operation) -> None:
        size = batch_size_bytes([operation])
        if self._current and (
            len(self._current) >= MAX_BATCH_OPERATIONS
            or self._current_bytes + size > MAX_BATCH_BYTES
        ):
            self._close_batch()
        self._current.append(operation)
        self._current_bytes += size

    def _close_batch(self) -> None:
        if self._current:
            self._buffer.add(self.write, self._current, self._current_bytes)
            self._current, self._current_bytes = [], 0


def _same_event(stored: Document, ours: Document) -> bool:
    """The same event document but for the append that wrote it."""
    left = without_system_fields(stored)
    left.pop("appendId", None)
    right = dict(ours)
    right.pop("appendId", None)
    return left == right
