"""Each HTTP request as a server span and in the request metrics, by a lean ASGI middleware.

It records what FastAPI's own telemetry recorded (the same span name, kind and attributes, the
same ``http.server.request.duration`` histogram and ``http.server.active_requests`` counter,
with the same attributes), for a fraction of its cost: FastAPI's generic telemetry spent about
45 µs a request on metrics alone and as much again on an unsampled span (header objects, a
propagator, per-request attribute dictionaries, a context per request, wrapped receive). Here:

- the caller's ``traceparent`` (and ``tracestate``) is read from the raw headers;
- the span is started bare, and only a span the sampler kept is given its attributes, once,
  when the response is complete;
- the histogram's series are made once per (method, route, status) and reused
  (``observability.histograms``);
- the active requests are a plain tally observed when the metrics are collected.

A request whose path is in ``untraced`` (scrapes, liveness probes) is neither traced nor
measured. The route template is read from the scope the router filled: a middleware may pass
a copy down (``HEAD`` is routed as ``GET`` on a copy), so ``RouteWatch``, the innermost
middleware, hands that scope to the request in flight. An exception that leaves the app is
answered 500 by Starlette's outermost middleware, so it is recorded as a 500 with its type as
``error.type``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.metrics import CallbackOptions, Histogram, Meter, Observation
from opentelemetry.trace import NonRecordingSpan, Span, SpanKind, StatusCode, Tracer
from opentelemetry.trace.span import TraceState
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from observability.histograms import DirectHistograms, HistogramSeries
from observability.roots import UNRECORDED_TRACE, RootSpans
from observability.sampling import TracePolicy
from observability.trace_context import span_context_of, traceparent_of

KNOWN_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}
)
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
DEFAULT_PORTS = {"http": 80, "https": 443}
SENSITIVE_QUERY_PARAMETERS = frozenset(
    {"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "sig", "X-Goog-Signature"}
)
"""Query parameters whose values a span never carries (the HTTP semantic conventions' list)."""

SCOPE_KEY = "ledger.request_telemetry"
"""Where the request in flight sits in the ASGI scope (and in any copy of it)."""

AttributeKey = tuple[str, str, str, str | None, int | None, str | None]
"""(scheme, method, protocol version, route, status, error type)."""


class RequestMetrics:
    """The two HTTP server instruments; the duration's series (attribute sets) made once each
    (``observability.histograms``, direct with ``direct``)."""

    def __init__(self, meter: Meter, direct: DirectHistograms | None = None) -> None:
        self.duration: Histogram = meter.create_histogram(
            "http.server.request.duration",
            unit="s",
            description="Duration of HTTP server requests.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self._active: dict[tuple[str, str], int] = {}
        meter.create_observable_up_down_counter(
            "http.server.active_requests",
            callbacks=[self._observe_active],
            unit="{request}",
            description="Number of active HTTP server requests.",
        )
        self._direct = direct
        self._series: dict[AttributeKey, HistogramSeries] = {}

    def started(self, scheme: str, method: str) -> None:
        key = (scheme, method)
        self._active[key] = self._active.get(key, 0) + 1

    def ended(self, scheme: str, method: str) -> None:
        key = (scheme, method)
        self._active[key] -= 1

    def series(self, key: AttributeKey) -> HistogramSeries:
        """The duration's series of ``key``, the same object every time (its attribute set
        never mutated)."""
        found = self._series.get(key)
        if found is None:
            found = HistogramSeries(self.duration, _attributes_of(key), self._direct)
            self._series[key] = found
        return found

    def _observe_active(self, _: CallbackOptions) -> Iterable[Observation]:
        return [
            Observation(count, {"url.scheme": scheme, "http.request.method": method})
            for (scheme, method), count in dict(self._active).items()
        ]


def _attributes_of(key: AttributeKey) -> dict[str, Any]:
    scheme, method, version, route, status, error_type = key
    attributes: dict[str, Any] = {"url.scheme": scheme, "http.request.method": method}
    if version:
        attributes["network.protocol.version"] = version
    if route is not None:
        attributes["http.route"] = route
    if status is not None:
        attributes["http.response.status_code"] = status
    if error_type is not None:
        attributes["error.type"] = error_type
    return attributes


class RequestTelemetry:
    """The ASGI middleware: a server span per request (when ``tracer``), its metrics always."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: RequestMetrics,
        tracer: Tracer | None,
        untraced: frozenset[str],
        policy: TracePolicy | None = None,
    ) -> None:
        self.app = app
        self._metrics = metrics
        self._roots = None if tracer is None else RootSpans(tracer, policy)
        self._untraced = untraced

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self._untraced:
            await self.app(scope, receive, send)
            return
        request = _Request(scope, self._metrics)
        scope[SCOPE_KEY] = request
        token = unrecorded = None
        if self._roots is not None:
            caller = _caller_of(scope["headers"])
            parent = None if caller is None else trace.set_span_in_context(NonRecordingSpan(caller))
            span = self._roots.start(request.span_method, caller, parent, kind=SpanKind.SERVER)
            request.span = span
            token = otel_context.attach(trace.set_span_in_context(span, parent))
            if not span.is_recording():
                unrecorded = UNRECORDED_TRACE.set(traceparent_of(span.get_span_context()))

        async def receive_and_watch() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect":
                request.disconnected = True
            return message

        async def send_and_watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                request.status = message["status"]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                request.finish()

        try:
            await self.app(scope, receive_and_watch, send_and_watch)
        except BaseException as error:
            if request.status is None:
                request.status = 500  # what Starlette's ServerErrorMiddleware answers
            request.finish(error)
            raise
        finally:
            request.finish(
                ConnectionError("Client disconnected")
                if request.disconnected
                else RuntimeError("Incomplete ASGI response")
            )
            if unrecorded is not None:
                UNRECORDED_TRACE.reset(unrecorded)
            if token is not None:
                otel_context.detach(token)


class RouteWatch:
    """The innermost middleware: tells the request in flight which scope the router fills."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = scope.get(SCOPE_KEY)
        if isinstance(request, _Request):
            request.routed = scope
        await self.app(scope, receive, send)


class _Request:
    """One request in flight: what its span and its measurement need."""

    __slots__ = (
        "disconnected",
        "done",
        "method",
        "metrics",
        "routed",
        "scope",
        "span",
        "span_method",
        "started",
        "status",
    )

    def __init__(self, scope: Scope, metrics: RequestMetrics) -> None:
        self.scope = scope
        self.routed = scope
        self.metrics = metrics
        method = scope["method"]
        self.method = method if method in KNOWN_METHODS else "_OTHER"
        self.span_method = "HTTP" if self.method == "_OTHER" else self.method
        self.status: int | None = None
        self.span: Span | None = None
        self.done = False
        self.disconnected = False
        metrics.started(scope.get("scheme", "http"), self.method)
        self.started = time.perf_counter()

    def finish(self, error: BaseException | None = None) -> None:
        """Record the request once: at its last body message, or when the app stopped."""
        if self.done:
            return
        self.done = True
        elapsed = time.perf_counter() - self.started
        scope = self.scope
        scheme = scope.get("scheme", "http")
        status = self.status
        failed = error is not None or status is None or status >= 500
        error_type = None
        if failed:
            error_type = _exception_type(error) if error is not None else str(status)
        route = getattr(self.routed.get("route"), "path_format", None)
        if not isinstance(route, str):
            route = None
        key = (scheme, self.method, scope.get("http_version", ""), route, status, error_type)
        series = self.metrics.series(key)
        span = self.span
        if span is not None and span.is_recording():
            _describe(
                span,
                scope,
                span_method=self.span_method,
                route=route,
                attributes=series.attributes or {},
                failed=failed,
            )
        series.record(elapsed)
        self.metrics.ended(scheme, self.method)
        if span is not None:
            span.end()


def _describe(
    span: Span,
    scope: Scope,
    *,
    span_method: str,
    route: str | None,
    attributes: Mapping[str, Any],
    failed: bool,
) -> None:
    """A recorded span's name and attributes, set once at its end."""
    described = {**attributes, **_server_attributes(scope), "url.path": scope["path"]}
    if scope.get("query_string"):
        described["url.query"] = _redacted(scope["query_string"].decode("latin-1"))
    if span_method != scope["method"] and span_method == "HTTP":
        described["http.request.method_original"] = scope["method"]
    span.set_attributes(described)
    if route is not None:
        span.update_name(f"{span_method} {route}")
    if failed:
        span.set_status(StatusCode.ERROR)


def _caller_of(headers: Iterable[tuple[bytes, bytes]]) -> trace.SpanContext | None:
    """The caller's span context (W3C ``traceparent``, with its ``tracestate``), or None."""
    traceparent = tracestate = None
    for name, value in headers:
        if name == b"traceparent":
            traceparent = value
        elif name == b"tracestate":
            tracestate = value
    if traceparent is None:
        return None
    context = span_context_of(traceparent.decode("latin-1"))
    if context is None:
        return None
    if tracestate is not None:
        state = TraceState.from_header([tracestate.decode("latin-1")])
        context = trace.SpanContext(
            context.trace_id, context.span_id, True, context.trace_flags, state
        )
    return context


def _server_attributes(scope: Scope) -> dict[str, Any]:
    """``server.address`` and ``server.port`` from the ``Host`` header (or the socket)."""
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    if host is None:
        address, port = scope.get("server") or (None, None)
    else:
        try:
            url = urlsplit("//" + host.decode("latin-1"))
            address, port = url.hostname, url.port
        except ValueError:
            return {}
        if url.username is not None or url.path or url.query or url.fragment:
            return {}
        if port is None:
            port = DEFAULT_PORTS.get(scope.get("scheme", "http"))
    if address is None:
        return {}
    attributes: dict[str, Any] = {"server.address": address}
    if port is not None:
        attributes["server.port"] = port
    return attributes


def _redacted(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(key, "REDACTED" if key in SENSITIVE_QUERY_PARAMETERS else value) for key, value in pairs]
    )


def _exception_type(error: BaseException) -> str:
    kind = type(error)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"
