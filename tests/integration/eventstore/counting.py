"""A document store that counts its round trips: the port, decorated."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from documentstore.port import Document, DocumentStore, FeedPage, Operation, Page, Query


class CountingDocumentStore(DocumentStore):
    """Passes every call to ``inner`` and counts it by method name (one call = one round trip).

    ``initialise`` and ``close`` are not round trips of a command and are not counted.
    """

    def __init__(self, inner: DocumentStore) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.calls: Counter[str] = Counter()

    @property
    def round_trips(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()

    def initialise(self) -> None:
        self.inner.initialise()

    def read(self, container: str, partition_key: str, document_id: str) -> Document | None:
        self.calls["read"] += 1
        return self.inner.read(container, partition_key, document_id)

    def query(
        self,
        container: str,
        query: Query,
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        self.calls["query"] += 1
        return self.inner.query(container, query, page_size=page_size, continuation=continuation)

    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        self.calls["batch"] += 1
        return self.inner.execute_batch(container, partition_key, operations)

    def feed_ranges(self, container: str) -> list[str]:
        self.calls["feed_ranges"] += 1
        return self.inner.feed_ranges(container)

    def read_feed(
        self,
        container: str,
        feed_range: str,
        continuation: str | None,
        *,
        max_items: int = 100,
    ) -> FeedPage:
        self.calls["read_feed"] += 1
        return self.inner.read_feed(container, feed_range, continuation, max_items=max_items)

    def close(self) -> None:
        self.inner.close()
