"""``campaigns serve``: the HTTP API under uvicorn plus the in-process change-feed processor.

Shutdown order on SIGINT or SIGTERM: uvicorn stops accepting connections and finishes the requests
in flight (its graceful shutdown, bounded by ``GRACEFUL_SHUTDOWN_SECONDS``); then
``services.close()`` stops the processor (saving its feed checkpoints) and closes the store; then
the process exits 0.

Uvicorn re-raises a signal it handled once it has shut down, so that the previous handler runs.
The previous handler installed here turns that signal into ``ShutdownRequested``, which ends
``serve`` normally instead of letting SIGTERM's default action kill the process before the
services are closed.
"""

from __future__ import annotations

import gc
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import uvicorn
from rich.console import Console

from api.app import create_app
from bootstrap.settings import Settings
from cli.access_log import AccessLog
from cli.connection_guard import allow_open_files, uvicorn_config
from cli.ports import OperatorServices, ServicesBuilder

GRACEFUL_SHUTDOWN_SECONDS = 30
HTTP_PARSER = "httptools"
EVENT_LOOP = "uvloop"
"""uvicorn's C HTTP parser and event loop: less CPU per request than h11 and asyncio's loop
(docs/performance.md, "Throughput, round 2"); the connection guard works on either parser."""
_SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ShutdownRequested(Exception):
    """SIGINT or SIGTERM arrived outside uvicorn's own handling."""


GC_THRESHOLDS = (20_000, 20, 20)
"""The collector's thresholds in a serving process (Python's are 700, 10, 10): a command makes
and frees thousands of container objects, nearly all freed by their reference counts, yet at
700 a young collection ran several times per command; fewer, larger passes cost about 2 % less
CPU per HTTP command (docs/performance.md, "Fourth session: CPU per HTTP command")."""


def settle_heap() -> None:
    """Collect once, then exempt what start-up built from later collections (``gc.freeze``),
    and collect less often (``GC_THRESHOLDS``).

    The app, its routes and models and the imported modules are about 100,000 objects that
    live as long as the process; every full collection walked them all, a pause of 40-50 ms
    during which a busy campaign's turn stood still in this process (docs/performance.md,
    "One campaign, last pass"). Objects made later are collected as before."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _request_shutdown(signum: int, _: FrameType | None) -> None:
    raise ShutdownRequested(signal.Signals(signum).name)


@contextmanager
def shutdown_signals() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM raise ``ShutdownRequested``."""
    previous = {sig: signal.signal(sig, _request_shutdown) for sig in _SHUTDOWN_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def describe_store(settings: Settings) -> str:
    if settings.ledger_store == "sqlite":
        return f"sqlite at {settings.sqlite_path}"
    return f"cosmos {settings.cosmos_endpoint} / {settings.cosmos_database}"


def uvicorn_logging(settings: Settings) -> dict[str, Any]:
    """With ``LEDGER_LOG_FORMAT=json`` uvicorn installs no handlers of its own, so that its
    records reach the root logger's JSON handler; otherwise its default configuration."""
    return {"log_config": None} if settings.ledger_log_format == "json" else {}


def access_log_of(settings: Settings) -> AccessLog | None:
    """The server's own access log with text logs (``cli.access_log``); None with JSON logs,
    whose access records uvicorn sends through ``logging``."""
    return None if settings.ledger_log_format == "json" else AccessLog()


def guarded_config(services: OperatorServices, settings: Settings) -> uvicorn.Config:
    """The app of ``services`` under the connection guard, the C parser and loop, and the
    graceful drain: what a single server and each worker process serve. Raises the open-files
    limit to the connection cap first."""
    allow_open_files(settings.ledger_max_connections)
    return uvicorn_config(
        create_app(services),
        settings,
        http=HTTP_PARSER,
        loop=EVENT_LOOP,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        answers_log=access_log_of(settings),
        log_level="info",
        **uvicorn_logging(settings),
    )


class LedgerServer(uvicorn.Server):
    """Uvicorn that also ends the live-update streams when asked to stop: an open stream would
    otherwise hold the graceful shutdown for its whole timeout."""

    def __init__(self, config: uvicorn.Config, services: OperatorServices) -> None:
        super().__init__(config)
        self._services = services

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        hub = self._services.notification_hub
        if hub is not None:
            # Not in the signal handler itself, which may have interrupted a holder of the
            # hub's lock.
            threading.Thread(target=hub.close, name="close-streams", daemon=True).start()
        super().handle_exit(sig, frame)


def serve(settings: Settings, console: Console, build_services: ServicesBuilder) -> None:
    """Serve the services ``build_services`` builds until SIGINT or SIGTERM, then shut down in
    order (see the module docstring)."""
    with shutdown_signals():
        try:
            services = build_services(settings)
        except ShutdownRequested:
            return
        try:
            services.processor.start()
            config = guarded_config(services, settings)
            console.print(
                f"Campaign Ledger on [bold]http://{settings.host}:{settings.port}/api[/bold] "
                f"(docs: /api/docs; store: {describe_store(settings)})"
            )
            settle_heap()
            LedgerServer(config, services).run()
        except ShutdownRequested:
            pass
        finally:
            services.close()
            console.print("Campaign Ledger stopped; feed checkpoints saved.")
