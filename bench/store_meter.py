"""A document store that meters one command: its round trips (the tests' counting decorator of
the port), the documents it read and the write operations its batches carried.

What passed is only kept during the command; sizes and request units are worked out afterwards
(``CommandCost.of``), so the timed command pays for a list append per call and nothing more.
A ``read_many`` is one call and so one round trip, however many ids it names: it is one query
of known ids in the partition (the port's default still reads them one by one, until the
adapters answer it with one query).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tests.integration.eventstore.counting import CountingDocumentStore
from tests.integration.store_decorator import Result

from bench.request_units import read_charge, write_charge
from documentstore.port import (
    Delete,
    Document,
    DocumentStore,
    Operation,
    Page,
    Query,
    stored_json,
)


class MeteredDocumentStore(CountingDocumentStore):
    """Counts calls by name (``calls``, ``round_trips``) and, while ``recording``, times them
    by name and keeps the documents read and the operations written since the last ``reset``."""

    def __init__(self, inner: DocumentStore) -> None:
        super().__init__(inner)
        self.recording = True
        self.read_documents: list[Document] = []
        self.written: list[Operation] = []
        self.ids_asked = 0
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def reset(self) -> None:
        super().reset()
        self.read_documents.clear()
        self.written.clear()
        self.ids_asked = 0
        self.seconds.clear()

    def _pass(self, name: str, call: Callable[[], Result]) -> Result:
        if not self.recording:
            return super()._pass(name, call)
        started = time.perf_counter()
        try:
            return super()._pass(name, call)
        finally:
            self.seconds[name] += time.perf_counter() - started

    def read(self, container: str, partition_key: str, document_id: str) -> Document | None:
        found = super().read(container, partition_key, document_id)
        if self.recording:
            self.ids_asked += 1
            if found is not None:
                self.read_documents.append(found)
        return found

    def read_many(
        self, container: str, partition_key: str, document_ids: Sequence[str]
    ) -> list[Document]:
        found = super().read_many(container, partition_key, document_ids)
        if self.recording:
            self.ids_asked += len(document_ids)
            self.read_documents.extend(found)
        return found

    def query(
        self,
        container: str,
        query: Query,
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        page = super().query(container, query, page_size=page_size, continuation=continuation)
        if self.recording:
            self.read_documents.extend(page.items)
        return page

    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        if self.recording:
            self.written.extend(operations)
        return super().execute_batch(container, partition_key, operations)


@dataclass(frozen=True)
class CommandCost:
    """What one command cost the store, as the meter saw it."""

    calls: dict[str, int]
    seconds: dict[str, float]
    """Time spent in the store's calls, by call name."""
    ids_asked: int
    documents_read: int
    bytes_read: int
    documents_written: int
    bytes_written: int
    """The documents' JSON as the port sends it (``StoredJson.wire_bytes``), envelopes not
    included."""
    read_units: float
    write_units: float

    @property
    def round_trips(self) -> int:
        return sum(self.calls.values())

    @property
    def request_units(self) -> float:
        return self.read_units + self.write_units

    @classmethod
    def of(cls, meter: MeteredDocumentStore) -> CommandCost:
        """The cost of what ``meter`` recorded since its last reset."""
        read_sizes = [stored_json(document).wire_bytes for document in meter.read_documents]
        write_sizes = [
            operation.stored_json.wire_bytes
            for operation in meter.written
            if not isinstance(operation, Delete)
        ]
        return cls(
            calls=dict(meter.calls),
            seconds=dict(meter.seconds),
            ids_asked=meter.ids_asked,
            documents_read=len(read_sizes),
            bytes_read=sum(read_sizes),
            documents_written=len(write_sizes),
            bytes_written=sum(write_sizes),
            read_units=sum(read_charge(size) for size in read_sizes),
            write_units=sum(write_charge(size) for size in write_sizes),
        )
