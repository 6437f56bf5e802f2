"""The service as ``campaigns serve`` runs it (``create_app(build_container(settings))`` under
uvicorn, the change-feed processor in the background), plus one route for the benchmarks:
``GET /bench/counters`` answers the store calls of the read side (the read model's store is
wrapped in the port's counting decorator) and the command side's conflict counters.

Run as ``python -m bench.ledger_server`` with the usual settings in the environment (PORT,
LEDGER_DATA_DIR, ...); SIGTERM or SIGINT stops it like ``campaigns serve``: uvicorn finishes
the requests in flight, then the processor saves its checkpoints. ``BENCH_TELEMETRY=off``
builds it without telemetry (the baseline of ``bench.telemetry_cost``)."""

from __future__ import annotations

import os
from typing import Any

from tests.integration.eventstore.counting import CountingDocumentStore

from api.app import create_app
from bootstrap.container import build_container
from bootstrap.settings import Settings
from cli.connection_guard import uvicorn_config
from cli.server import EVENT_LOOP, GRACEFUL_SHUTDOWN_SECONDS, HTTP_PARSER, LedgerServer
from projections.reads import ReadModel


def main() -> None:
    settings = Settings()
    if os.environ.get("BENCH_TELEMETRY") == "off":
        services = build_container(settings, start_telemetry=None)
    else:
        services = build_container(settings)
    counting = CountingDocumentStore(services.store)
    services.reads = ReadModel(counting)
    app = create_app(services)

    @app.get("/bench/counters", include_in_schema=False)
    def counters() -> dict[str, Any]:
        conflicts = services.commands.conflicts.as_dict()
        return {"readCalls": dict(counting.calls), "conflicts": conflicts}

    try:
        services.processor.start()
        config = uvicorn_config(
            app,
            settings,
            http=HTTP_PARSER,
            loop=EVENT_LOOP,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            log_level="info",
        )
        LedgerServer(config, services).run()
    finally:
        services.close()


if __name__ == "__main__":
    main()
