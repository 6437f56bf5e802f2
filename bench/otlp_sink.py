"""A loopback OTLP/HTTP endpoint for the telemetry benchmark: it reads each export as a
collector beside the service would, and keeps only counts (``bench.telemetry_cost``)."""

from __future__ import annotations

import builtins
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

TraceId = bytes
"""A span's trace id as OTLP carries it."""


@dataclass
class OtlpSink:
    """A loopback OTLP/HTTP endpoint that reads each export and keeps only counts: spans per
    trace of each service (``service.name``: one per variant), and which traces are
    projection batches', so that the spans a command costs can be told apart by origin."""

    url: str
    exports: int = 0
    bytes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    spans: dict[str, Counter[TraceId]] = field(default_factory=lambda: defaultdict(Counter))
    batch_traces: dict[str, set[TraceId]] = field(default_factory=lambda: defaultdict(set))

    def count(self, body: builtins.bytes) -> None:
        """Count the spans of one trace export."""
        request = ExportTraceServiceRequest.FromString(body)
        with self.lock:
            for resource_spans in request.resource_spans:
                service = next(
                    (
                        attribute.value.string_value
                        for attribute in resource_spans.resource.attributes
                        if attribute.key == "service.name"
                    ),
                    "",
                )
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans[service][span.trace_id] += 1
                        if span.name == "projection batch":
                            self.batch_traces[service].add(span.trace_id)

    def spans_of(self, service: str) -> tuple[int, int]:
        """Spans exported by ``service``: all of them, and those of projection batches."""
        with self.lock:
            counts = self.spans.get(service, Counter())
            batches = self.batch_traces.get(service, set())
            return sum(counts.values()), sum(counts[trace_id] for trace_id in batches)


@contextmanager
def otlp_sink() -> Iterator[OtlpSink]:
    sink = OtlpSink("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path.endswith("/v1/traces"):
                sink.count(body)
            with sink.lock:
                sink.exports += 1
                sink.bytes += len(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="otlp-sink", daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
