"""A decorator of the document-store port for tests: every call goes through one hook.

Subclasses override ``_pass`` to count calls, inject faults, and so on; everything else is
delegated to ``inner`` unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from documentstore.port import Document, DocumentStore, FeedPage, Operation, Page, Query

Result = TypeVar("Result")


class DelegatingStore(DocumentStore):
    """Passes every round trip to ``inner`` through ``_pass(name, call)``.

    ``initialise`` and ``close`` are not round trips of a command and skip the hook. Call
    names: ``read``, ``read_many``, ``query``, ``batch``, ``feed_ranges``, ``read_feed``.
    """

    def __init__(self, inner: DocumentStore) -> None:
        self.inner = inner
        self.kind = inner.kind

    def _pass(self, name: str, call: Callable[[], Result]) -> Result:
        return call()

    def initialise(self) -> None:
        self.inner.initialise()

    def read(self, container: str, partition_key: str, document_id: str) -> Document | None:
        return self._pass("read", lambda: self.inner.read(container, partition_key, document_id))

    def read_many(
        self, container: str, partition_key: str, document_ids: Sequence[str]
    ) -> list[Document]:
        return self._pass(
            "read_many", lambda: self.inner.read_many(container, partition_key, document_ids)
        )

    def query(
        self,
        container: str,
        query: Query,
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        return self._pass(
            "query",
            lambda: self.inner.query(
                container, query, page_size=page_size, continuation=continuation
            ),
        )

    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        return self._pass(
            "batch", lambda: self.inner.execute_batch(container, partition_key, operations)
        )

    def feed_ranges(self, container: str) -> list[str]:
        return self._pass("feed_ranges", lambda: self.inner.feed_ranges(container))

    def feed_range_of(self, container: str, partition_key: str) -> str:
        """Not a round trip (the adapters answer it from what they hold): not passed."""
        return self.inner.feed_range_of(container, partition_key)

    def read_feed(
        self,
        container: str,
        feed_range: str,
        continuation: str | None,
        *,
        max_items: int = 100,
    ) -> FeedPage:
        return self._pass(
            "read_feed",
            lambda: self.inner.read_feed(container, feed_range, continuation, max_items=max_items),
        )

    def close(self) -> None:
        self.inner.close()
