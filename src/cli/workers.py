"""``campaigns serve --workers N``: N HTTP worker processes on one embedded store, supervised.

This process binds the socket once, runs the change-feed processor (the one projector: several
would only undo each other's work) and supervises the workers with uvicorn's ``Multiprocess``
(a worker that dies or stops answering is replaced). Each worker builds its own services on the
same store from the environment's settings: the API, the command side and, with live updates
on, a hub fed by a ``NotificationRelay`` (the projection happens here, not in the worker).
Writers of different workers take turns on a campaign through the shared campaign locks and on
the store through its writer lock file; a writer on another machine is the conflict that the
command side retries, as ever.

On SIGINT or SIGTERM the supervisor asks every worker to stop (each ends its live streams and
drains its requests, as ``campaigns serve`` does, then closes its services), waits for them,
then stops the processor, saving its checkpoints.
"""

from __future__ import annotations

import socket
import threading

import uvicorn
from rich.console import Console
from uvicorn.supervisors import multiprocess

from bootstrap.container import ServiceContainer, build_container
from bootstrap.settings import Settings
from cli.ports import ServicesBuilder
from cli.server import (
    EVENT_LOOP,
    HTTP_PARSER,
    LedgerServer,
    ShutdownRequested,
    describe_store,
    guarded_config,
    settle_heap,
    shutdown_signals,
    uvicorn_logging,
)
from projections.notification_relay import NotificationRelay


def serve_workers(
    settings: Settings, console: Console, build_services: ServicesBuilder, workers: int
) -> None:
    """Serve until SIGINT or SIGTERM with ``workers`` worker processes (module docstring)."""
    with shutdown_signals():
        try:
            services = build_services(settings)
        except ShutdownRequested:
            return
    try:
        services.processor.start()
        # Each worker builds its own app and guarded configuration (``WorkerProcess``): the
        # supervisor's, sent to every worker, names the app only and holds nothing unpicklable.
        config = uvicorn.Config(
            "cli.workers:WorkerProcess",
            host=settings.host,
            port=settings.port,
            http=HTTP_PARSER,
            loop=EVENT_LOOP,
            workers=workers,
            **uvicorn_logging(settings),
        )
        listening = config.bind_socket()
        console.print(
            f"Campaign Ledger on [bold]http://{settings.host}:{settings.port}/api[/bold] "
            f"({workers} workers; store: {describe_store(settings)})"
        )
        standard = multiprocess.Process
        # What the supervisor starts and restarts (it names the class through its module).
        multiprocess.Process = WorkerProcess  # type: ignore[misc]
        settle_heap()  # the processor's pauses, here
        try:
            multiprocess.Multiprocess(config, sockets=[listening]).run()
        finally:
            multiprocess.Process = standard  # type: ignore[misc]
            listening.close()
    finally:
        services.close()
        console.print("Campaign Ledger stopped; feed checkpoints saved.")


class WorkerProcess(multiprocess.Process):
    """A worker as uvicorn's supervisor runs it (health checks included), serving the app of
    its own services with ``LedgerServer`` and closing them when it stops."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover
        with shutdown_signals():
            settings = Settings()
            services = worker_services(settings)
            try:
                self._server = LedgerServer(guarded_config(services, settings), services)
                settle_heap()
                threading.Thread(target=self.always_pong, daemon=True).start()
                self._server.run(sockets)
            except ShutdownRequested:
                pass
            finally:
                services.close()


def worker_services(settings: Settings) -> ServiceContainer:
    """The services of a worker: the container without a running processor, its hub (if any)
    fed by a relay that stops when they close."""
    services = build_container(settings)
    hub = services.notification_hub
    if hub is not None:
        relay = NotificationRelay(services.store, hub, poll_interval=settings.ledger_poll_interval)
        relay.start()
        services.on_close(relay.stop)
    return services
