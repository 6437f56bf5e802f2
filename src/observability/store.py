"""A decorator of the document-store port that makes each store call a span.

Only calls made inside a recorded span (a request, a command, a projection batch) become
spans, as children of it: the change-feed processor's idle polls would otherwise start a new
trace every few milliseconds, and in a trace the sampler dropped a child would be dropped too.
The campaign is the partition key of ``events`` and ``views``, so it is a span attribute
(never a metric label). Everything else (``feed_range_of``, ``transient_retries``,
``reclaim_space``) passes straight to the store it wraps, and every call an adapter may
answer its own way (``scan``, ``query_texts``, ``delete_id_range``, ``read_feed_keys``,
``execute_unread_batches``) reaches it, so that a traced store behaves exactly as the one
inside (an operator's ``scan`` keeps the adapter's one query; a rebuild keeps its one-statement
delete and unchecked writes).

Within a recorded projection batch (``folded_reads``), point reads are counted and timed on
the batch's span instead of a span each: the projection reads every view document an event
touches one by one, so a batch of a few events would otherwise be dozens of spans (five in
every nine a traced command cost), each recorded and exported at tens of microseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from opentelemetry import context, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from documentstore.port import (
    BatchesResult,
    Document,
    DocumentStore,
    FeedKeysPage,
    FeedPage,
    JsonScalar,
    Operation,
    Page,
    Query,
    TextPage,
)
from observability.roots import UNRECORDED_TRACE

Result = TypeVar("Result")

DB_SYSTEMS = {"cosmos": "azure.cosmosdb", "sqlite": "sqlite"}


class ReadTally:
    """The point reads made within a recorded projection batch: how many, and their time."""

    __slots__ = ("reads", "seconds")

    def __init__(self) -> None:
        self.reads = 0
        self.seconds = 0.0


_FOLDED_READS: ContextVar[ReadTally | None] = ContextVar("ledger_folded_reads", default=None)


@contextmanager
def folded_reads() -> Iterator[ReadTally]:
    """Within this block, a traced store's point reads are tallied instead of spanned."""
    tally = ReadTally()
    token = _FOLDED_READS.set(tally)
    try:
        yield tally
    finally:
        _FOLDED_READS.reset(token)


class TracedDocumentStore(DocumentStore):
    """``inner``, with a ``store <operation>`` span around each call made within a trace."""

    def __init__(self, inner: DocumentStore, tracer: Tracer) -> None:
        self.inner = inner
        self.kind = inner.kind
        self._tracer = tracer
        self._system = DB_SYSTEMS.get(inner.kind, inner.kind)

    def _traced(
        self,
        operation: str,
        container: str,
        call: Callable[[], Result],
        partition_key: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Result:
        if not trace.get_current_span().is_recording():
            return call()
        attributes: dict[str, Any] = {
            "db.system.name": self._system,
            "db.operation.name": operation,
            "db.collection.name": container,
            **(extra or {}),
        }
        if partition_key is not None:
            attributes["ledger.partition_key"] = partition_key
        span = self._tracer.start_span(
            f"store {operation}", kind=SpanKind.CLIENT, attributes=attributes
        )
        token = context.attach(trace.set_span_in_context(span))
        try:
            result = call()
            if isinstance(result, BatchesResult) and result.error is not None:
                _failed(span, result.error)
            return result
        except Exception as error:
            _failed(span, error)
            raise
        finally:
            context.detach(token)
            span.end()

    def initialise(self) -> None:
        self.inner.initialise()

    def read(self, container: str, partition_key: str, document_id: str) -> Document | None:
        if not _recording():
            return self.inner.read(container, partition_key, document_id)
        tally = _FOLDED_READS.get()
        if tally is not None:
            started = time.perf_counter()
            try:
                return self.inner.read(container, partition_key, document_id)
            finally:
                tally.reads += 1
                tally.seconds += time.perf_counter() - started
        return self._traced(
            "read",
            container,
            lambda: self.inner.read(container, partition_key, document_id),
            partition_key,
        )

    def read_many(
        self, container: str, partition_key: str, document_ids: Sequence[str]
    ) -> list[Document]:
        if not _recording():
            return self.inner.read_many(container, partition_key, document_ids)
        return self._traced(
            "read_many",
            container,
            lambda: self.inner.read_many(container, partition_key, document_ids),
            partition_key,
            {"ledger.documents": len(document_ids)},
        )

    def query(
        self,
        container: str,
        query: Query,
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        if not _recording():
            return self.inner.query(
                container, query, page_size=page_size, continuation=continuation
            )
        return self._traced(
            "query",
            container,
            lambda: self.inner.query(
                container, query, page_size=page_size, continuation=continuation
            ),
            query.partition_key,
        )

    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        if not _recording():
            return self.inner.execute_batch(container, partition_key, operations)
        return self._traced(
            "batch",
            container,
            lambda: self.inner.execute_batch(container, partition_key, operations),
            partition_key,
            {"db.operation.batch.size": len(operations)},
        )

    def execute_batches(
        self, container: str, batches: Sequence[tuple[str, Sequence[Operation]]]
    ) -> BatchesResult:
        if not _recording():
            return self.inner.execute_batches(container, batches)
        return self._traced(
            "batches",
            container,
            lambda: self.inner.execute_batches(container, batches),
            extra={"ledger.batches": len(batches)},
        )

    def execute_unread_batches(
        self, container: str, batches: Sequence[tuple[str, Sequence[Operation]]]
    ) -> BatchesResult:
        return self._traced(
            "unread_batches",
            container,
            lambda: self.inner.execute_unread_batches(container, batches),
            extra={"ledger.batches": len(batches)},
        )

    def query_texts(
        self,
        container: str,
        query: Query,
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> TextPage:
        return self._traced(
            "query_texts",
            container,
            lambda: self.inner.query_texts(
                container, query, page_size=page_size, continuation=continuation
            ),
            query.partition_key,
        )

    def delete_id_range(
        self, container: str, partition_keys: Sequence[str], id_gt: str, id_lte: str
    ) -> int:
        return self._traced(
            "delete_id_range",
            container,
            lambda: self.inner.delete_id_range(container, partition_keys, id_gt, id_lte),
            extra={"ledger.partitions": len(partition_keys)},
        )

    def read_feed_keys(
        self,
        container: str,
        feed_range: str,
        continuation: str | None,
        *,
        max_items: int = 100,
    ) -> FeedKeysPage:
        return self._traced(
            "read_feed_keys",
            container,
            lambda: self.inner.read_feed_keys(
                container, feed_range, continuation, max_items=max_items
            ),
        )

    def feed_ranges(self, container: str) -> list[str]:
        return self._traced("feed_ranges", container, lambda: self.inner.feed_ranges(container))

    def read_feed(
        self,
        container: str,
        feed_range: str,
        continuation: str | None,
        *,
        max_items: int = 100,
    ) -> FeedPage:
        if not _recording():
            return self.inner.read_feed(container, feed_range, continuation, max_items=max_items)
        return self._traced(
            "read_feed",
            container,
            lambda: self.inner.read_feed(container, feed_range, continuation, max_items=max_items),
        )

    def feed_range_of(self, container: str, partition_key: str) -> str:
        return self.inner.feed_range_of(container, partition_key)

    def scan(
        self,
        container: str,
        equals: Mapping[str, JsonScalar],
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        return self._traced(
            "scan",
            container,
            lambda: self.inner.scan(
                container, equals, page_size=page_size, continuation=continuation
            ),
        )

    def transient_retries(self) -> dict[str, int]:
        return self.inner.transient_retries()

    def reclaim_space(self) -> None:
        self.inner.reclaim_space()

    def close(self) -> None:
        self.inner.close()


def _recording() -> bool:
    """Whether a recorded span is current (the only case a store call becomes a span); not
    asked of OpenTelemetry inside a trace a seam of ours knows is not recorded."""
    return UNRECORDED_TRACE.get() is None and trace.get_current_span().is_recording()


def _failed(span: Span, error: BaseException) -> None:
    span.set_attribute("error.type", type(error).__name__)
    span.set_status(Status(StatusCode.ERROR, str(error)[:200]))
