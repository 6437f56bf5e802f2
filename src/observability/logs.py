"""``LEDGER_LOG_FORMAT=json``: one JSON object per log line, with the trace and span ids of the
span current when the record was logged, so that logs and traces can be joined.

``install_log_format`` puts one handler of ours on the root logger (replacing the one it put
there before); ``text`` leaves logging as Python and uvicorn set it up.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

from opentelemetry import trace

LogFormat = Literal["text", "json"]


class JsonLogFormatter(logging.Formatter):
    """A record as ``{"timestamp", "level", "logger", "message", "trace_id", "span_id", ...}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry["trace_id"] = f"{context.trace_id:032x}"
            entry["span_id"] = f"{context.span_id:016x}"
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _JsonHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``install_log_format`` owns (so that it can find and replace it)."""


def install_log_format(log_format: LogFormat, *, level: int = logging.INFO) -> None:
    """Make the root logger write JSON lines to stderr (``json``), or leave it (``text``)."""
    if log_format != "json":
        return
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _JsonHandler)]:
        root.removeHandler(handler)
    handler = _JsonHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root.addHandler(handler)
    root.setLevel(level)
