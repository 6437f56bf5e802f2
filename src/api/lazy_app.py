"""The HTTP app for Azure Functions (``func.AsgiFunctionApp``), built on the first request.

``function_app.py`` is imported when the Functions host indexes the app; building the Cosmos DB
client then would slow every cold start and fail indexing when the store is unreachable. So the
app handed to ``AsgiFunctionApp`` is a thin ASGI wrapper that builds the services (in a worker
thread, once) when the first HTTP request arrives, and closes them on lifespan shutdown.
In Azure the projections run in the change-feed trigger, so no processor is built here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import anyio.to_thread
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from api.app import create_app
from api.ports import ClosableApiServices


class LazyApiApp:
    """An ASGI app that builds the services and the real app on its first HTTP request."""

    def __init__(self, build_services: Callable[[], ClosableApiServices]) -> None:
        self._build_services = build_services
        self._lock = threading.Lock()
        self._services: ClosableApiServices | None = None
        self._app: FastAPI | None = None

    @property
    def is_built(self) -> bool:
        return self._app is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._run_lifespan(receive, send)
            return
        app = self._app
        if app is None:
            app = await anyio.to_thread.run_sync(self._build_once)
        await app(scope, receive, send)

    def _build_once(self) -> FastAPI:
        with self._lock:
            if self._app is None:
                services = self._build_services()
                self._app = create_app(services)
                self._services = services
            return self._app

    def _close(self) -> None:
        with self._lock:
            if self._services is not None:
                self._services.close()
                self._services = None
                self._app = None

    async def _run_lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await anyio.to_thread.run_sync(self._close)
                await send({"type": "lifespan.shutdown.complete"})
                return
