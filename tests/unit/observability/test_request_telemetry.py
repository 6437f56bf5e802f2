"""Each request through the request middleware: a server span named by its route template
that continues the caller's ``traceparent`` (only when the sampler keeps it), and the HTTP
request metrics, with the route of a ``HEAD`` routed as ``GET`` and an unhandled error counted
as the 500 it is answered with."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace import SpanKind, StatusCode

from api.methods import HeadAsGet
from observability.histograms import DirectHistograms
from observability.http import RequestMetrics, RequestTelemetry, RouteWatch
from observability.sampling import policy_of

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


@dataclass
class Served:
    client: TestClient
    spans: InMemorySpanExporter
    reader: InMemoryMetricReader

    def durations(self) -> list[dict[str, Any]]:
        """The attributes and count of each ``http.server.request.duration`` point."""
        data = self.reader.get_metrics_data()
        if data is None:  # nothing recorded yet
            return []
        return [
            {**dict(point.attributes or {}), "count": point.count}
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == "http.server.request.duration"
            for point in metric.data.data_points
        ]


@pytest.fixture(params=["sdk record", "direct"])
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider(sampler=ALWAYS_ON)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    direct = DirectHistograms() if request.param == "direct" else None
    views = () if direct is None else direct.views()
    meter = MeterProvider(metric_readers=[reader], views=views).get_meter("test")
    metrics = RequestMetrics(meter, direct)
    app = FastAPI()

    @app.get("/things/{tid}")
    def read_thing(tid: str) -> dict[str, str]:
        return {"id": tid}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("bug")

    app.add_middleware(RouteWatch)
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        RequestTelemetry,
        metrics=metrics,
        tracer=tracer_provider.get_tracer("test"),
        untraced=frozenset({"/health"}),
        policy=policy_of(None, "0"),
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Served(client, spans, reader)


def test_a_sampled_callers_request_is_a_server_span_named_by_its_route(served: Served) -> None:
    traceparent = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"
    answer = served.client.get("/things/t-1?sig=secret", headers={"traceparent": traceparent})
    assert answer.status_code == 200

    [span] = served.spans.get_finished_spans()
    assert span.name == "GET /things/{tid}"
    assert span.kind is SpanKind.SERVER
    assert span.parent is not None
    assert (f"{span.context.trace_id:032x}", f"{span.parent.span_id:016x}") == (
        CALLER_TRACE,
        CALLER_SPAN,
    )
    attributes = dict(span.attributes or {})
    assert attributes["http.route"] == "/things/{tid}"
    assert attributes["http.response.status_code"] == 200
    assert attributes["url.path"] == "/things/t-1"
    assert attributes["url.query"] == "sig=REDACTED"
    assert attributes["server.address"] == "testserver"


def test_an_unsampled_request_records_no_span_but_is_measured(served: Served) -> None:
    assert served.client.get("/things/t-1").status_code == 200
    unsampled = {"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-00"}
    assert served.client.get("/things/t-2", headers=unsampled).status_code == 200

    assert served.spans.get_finished_spans() == ()
    [point] = served.durations()
    assert point == {
        "url.scheme": "http",
        "http.request.method": "GET",
        "network.protocol.version": "1.1",
        "http.route": "/things/{tid}",
        "http.response.status_code": 200,
        "count": 2,
    }


def test_a_head_request_is_measured_as_head_under_its_route(served: Served) -> None:
    assert served.client.head("/things/t-1").status_code == 200

    [point] = served.durations()
    assert (point["http.request.method"], point["http.route"]) == ("HEAD", "/things/{tid}")


def test_an_unhandled_error_is_measured_as_the_500_it_is_answered_with(served: Served) -> None:
    sampled = {"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"}
    assert served.client.get("/boom", headers=sampled).status_code == 500

    [point] = served.durations()
    assert (point["http.response.status_code"], point["error.type"]) == (500, "RuntimeError")
    [span] = served.spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR


def test_an_untraced_path_is_neither_traced_nor_measured(served: Served) -> None:
    sampled = {"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"}
    assert served.client.get("/health", headers=sampled).status_code == 404

    assert served.spans.get_finished_spans() == ()
    assert served.durations() == []
