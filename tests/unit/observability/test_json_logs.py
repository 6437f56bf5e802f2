"""``LEDGER_LOG_FORMAT=json``: one JSON object per record, with the current trace and span."""

from __future__ import annotations

import json
import logging
import sys

from opentelemetry.sdk.trace import TracerProvider

from observability.logs import JsonLogFormatter


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("ledger.test", logging.WARNING, __file__, 1, message, args, None)


def test_a_record_logged_in_a_span_carries_its_trace_and_span_ids() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("command") as span:
        line = JsonLogFormatter().format(record("store %s: retrying", "batch"))
    entry = json.loads(line)
    context = span.get_span_context()
    assert entry["message"] == "store batch: retrying"
    assert (entry["level"], entry["logger"]) == ("WARNING", "ledger.test")
    assert entry["trace_id"] == f"{context.trace_id:032x}"
    assert entry["span_id"] == f"{context.span_id:016x}"
    assert entry["timestamp"].endswith("+00:00")


def test_a_record_outside_any_span_has_no_trace_ids_and_keeps_its_exception() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logged = record("failed")
        logged.exc_info = sys.exc_info()
    entry = json.loads(JsonLogFormatter().format(logged))
    assert "trace_id" not in entry
    assert "ValueError: boom" in entry["exception"]
