"""The access log of the local server: one line per answer, as uvicorn writes it, for less CPU.

Uvicorn's own access log sends every request through ``logging`` (a record, the caller's frame
looked up, a formatter copying the record, a write and a flush): about a tenth of an HTTP
worker's CPU per command under load (docs/performance.md, "Fourth session: CPU per HTTP
command"). With the default text logs the server turns it off and writes this one instead: the
same line (``INFO:     127.0.0.1:50420 - "POST /api/campaigns HTTP/1.1" 201 Created``, in
colour when standard output is a terminal, as uvicorn's) to the same stream, standard output,
each event-loop turn's lines in one write. With ``LEDGER_LOG_FORMAT=json`` uvicorn's access
records still go through ``logging`` to the JSON handler, as before.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from typing import Any, TextIO

from uvicorn.logging import AccessFormatter
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

_QUOTED = re.compile(r"[^A-Za-z0-9_.~/-]")
"""A character of a path that uvicorn's line shows quoted (``urllib.parse.quote``)."""


class AccessLog:
    """Writes uvicorn's access line for each answer to ``stream`` (standard output)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._formatter = AccessFormatter(use_colors=None)
        self._colours = self._formatter.use_colors
        self._prefix = self._level_prefix()
        self._statuses: dict[int, str] = {}
        self._pending: list[str] = []

    def _level_prefix(self) -> str:
        name = logging.getLevelName(logging.INFO)
        shown = self._formatter.color_level_name(name, logging.INFO) if self._colours else name
        return shown + ":" + " " * (8 - len(name))

    def _status(self, status: int) -> str:
        shown = self._statuses.get(status)
        if shown is None:
            shown = self._statuses[status] = self._formatter.get_status_code(status)
        return shown

    def answered(self, scope: Any, status: int) -> None:
        """Note the answer ``status`` to the request of ``scope``; written before the event
        loop's next turn (at once when no loop runs)."""
        path = scope["path"]
        if scope["query_string"] or _QUOTED.search(path):
            path = get_path_with_query_string(scope)
        request_line = f"{scope['method']} {path} HTTP/{scope['http_version']}"
        if self._colours:
            request_line = f"\x1b[1m{request_line}\x1b[0m"
        line = (
            f'{self._prefix} {get_client_addr(scope)} - "{request_line}" {self._status(status)}\n'
        )
        pending = self._pending
        pending.append(line)
        if len(pending) == 1:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:
                self.flush()

    def flush(self) -> None:
        """Write the lines noted so far, in one write."""
        lines, self._pending = self._pending, []
        if lines:
            stream = self._stream or sys.stdout
            stream.write("".join(lines))
            stream.flush()
