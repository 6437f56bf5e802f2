"""The tracing decorator of the store port behaves as the store inside: the calls the port
lets an adapter answer its own way reach that adapter, and a call inside a recorded span is a
child span of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Tracer

from documentstore.memory import InMemoryDocumentStore
from documentstore.port import (
    EVENTS,
    VIEWS,
    BatchesResult,
    Create,
    FeedKeysPage,
    JsonScalar,
    Operation,
    Page,
    Query,
    TextPage,
    Upsert,
)
from observability.roots import UNRECORDED_TRACE
from observability.store import TracedDocumentStore, folded_reads


class AdapterWithItsOwnWays(InMemoryDocumentStore):
    """Records the optional calls an adapter may answer itself."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def feed_range_of(self, container: str, partition_key: str) -> str:
        self.calls.append("feed_range_of")
        return "range-7"

    def scan(
        self,
        container: str,
        equals: Mapping[str, JsonScalar],
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        self.calls.append("scan")
        return super().scan(container, equals, page_size=page_size, continuation=continuation)

    def reclaim_space(self) -> None:
        self.calls.append("reclaim_space")

    def query_texts(
        self, container: str, query: Query, *, page_size: int = 100, continuation: str | None = None
    ) -> TextPage:
        self.calls.append("query_texts")
        return super().query_texts(container, query, page_size=page_size, continuation=continuation)

    def delete_id_range(
        self, container: str, partition_keys: Sequence[str], id_gt: str, id_lte: str
    ) -> int:
        self.calls.append("delete_id_range")
        return super().delete_id_range(container, partition_keys, id_gt, id_lte)

    def read_feed_keys(
        self, container: str, feed_range: str, continuation: str | None, *, max_items: int = 100
    ) -> FeedKeysPage:
        self.calls.append("read_feed_keys")
        return super().read_feed_keys(container, feed_range, continuation, max_items=max_items)

    def execute_unread_batches(
        self, container: str, batches: Sequence[tuple[str, Sequence[Operation]]]
    ) -> BatchesResult:
        self.calls.append("execute_unread_batches")
        return super().execute_unread_batches(container, batches)


def traced(inner: InMemoryDocumentStore) -> tuple[TracedDocumentStore, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return TracedDocumentStore(inner, provider.get_tracer("test")), exporter


def test_the_adapters_own_answers_are_kept_behind_the_tracing_decorator() -> None:
    inner = AdapterWithItsOwnWays()
    store, _ = traced(inner)

    assert store.feed_range_of(EVENTS, "c-1") == "range-7"
    store.scan(EVENTS, {"kind": "head"})
    store.reclaim_space()
    store.execute_unread_batches(VIEWS, [("c-1", [Upsert({"id": "d-1", "partitionKey": "c-1"})])])
    store.query_texts(VIEWS, Query(partition_key="c-1"))
    store.read_feed_keys(VIEWS, store.feed_ranges(VIEWS)[0], None)
    assert store.delete_id_range(VIEWS, ["c-1"], "", "z") == 1

    # (the memory store's own range delete then reads the ids it deletes: calls after these)
    assert inner.calls[:7] == [
        "feed_range_of",
        "scan",
        "reclaim_space",
        "execute_unread_batches",
        "query_texts",
        "read_feed_keys",
        "delete_id_range",
    ]


def test_a_store_call_inside_a_recorded_span_is_its_child_and_outside_none_is_started() -> None:
    inner = AdapterWithItsOwnWays()
    store, exporter = traced(inner)
    document: dict[str, Any] = {"id": "d-1", "partitionKey": "c-1", "value": 1}

    store.execute_batch(EVENTS, "c-1", [Create(document)])
    assert exporter.get_finished_spans() == ()

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("command") as command:
        assert store.read(EVENTS, "c-1", "d-1") is not None
    [read, parent] = exporter.get_finished_spans()
    assert read.name == "store read"
    assert read.parent is not None
    assert read.parent.span_id == command.get_span_context().span_id == parent.context.span_id
    assert read.attributes is not None
    assert read.attributes["ledger.partition_key"] == "c-1"


def recording_tracer(exporter: InMemorySpanExporter) -> Tracer:
    """A tracer whose finished spans ``exporter`` keeps."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test")


def test_inside_a_trace_a_seam_dropped_a_store_call_starts_no_span() -> None:
    store, exporter = traced(AdapterWithItsOwnWays())
    document: dict[str, Any] = {"id": "d-1", "partitionKey": "c-1", "value": 1}

    token = UNRECORDED_TRACE.set("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
    try:
        with recording_tracer(exporter).start_as_current_span("outer"):
            store.execute_batch(EVENTS, "c-1", [Create(document)])
    finally:
        UNRECORDED_TRACE.reset(token)

    assert [span.name for span in exporter.get_finished_spans()] == ["outer"]


def test_within_folded_reads_point_reads_are_tallied_and_other_calls_stay_spans() -> None:
    store, exporter = traced(AdapterWithItsOwnWays())
    document: dict[str, Any] = {"id": "d-1", "partitionKey": "c-1", "value": 1}
    tracer = recording_tracer(exporter)

    with tracer.start_as_current_span("projection batch"), folded_reads() as tally:
        store.execute_batch(EVENTS, "c-1", [Create(document)])
        assert store.read(EVENTS, "c-1", "d-1") is not None
        assert store.read(EVENTS, "c-1", "d-2") is None

    assert [span.name for span in exporter.get_finished_spans()] == [
        "store batch",
        "projection batch",
    ]
    assert tally.reads == 2
    assert tally.seconds > 0
    with tracer.start_as_current_span("command"):
        store.read(EVENTS, "c-1", "d-1")
    assert exporter.get_finished_spans()[-2].name == "store read"
