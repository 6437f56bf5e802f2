"""HTTP methods beyond the routes' own: ``HEAD`` and the ``Allow`` of a 405.

- ``HEAD`` of any path that serves ``GET`` answers what ``GET`` would, headers only
  (RFC 9110 section 9.3.2): ``HeadAsGet`` runs the ``GET`` and sends no body. A live stream
  ends at once (the app is stopped once the headers are out).
- A 405 lists in ``Allow`` every method the path serves, whichever route serves it (a path such
  as ``/api/campaigns/{cid}`` has three routes), plus ``HEAD`` where ``GET`` is served.

Paths are matched exactly: ``/api/campaigns/`` is not ``/api/campaigns`` (404, no redirect, so
no ``Location`` is ever built from the client's ``Host``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import anyio
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _rank(method: str) -> tuple[int, str]:
    return (_ORDER.index(method) if method in _ORDER else len(_ORDER), method)


@dataclass(frozen=True)
class MethodTable:
    """Which methods each path pattern of an app serves."""

    entries: tuple[tuple[re.Pattern[str], frozenset[str]], ...]

    @classmethod
    def of(cls, routes: Iterable[BaseRoute]) -> MethodTable:
        """The table of ``routes`` (those with a path pattern and methods)."""
        entries = []
        for route in routes:
            pattern = getattr(route, "path_regex", None)
            methods = getattr(route, "methods", None)
            if pattern is not None and methods:
                entries.append((pattern, frozenset(methods)))
        return cls(tuple(entries))

    def allowed(self, path: str) -> list[str]:
        """Every method some route serves at ``path``, in a stable order."""
        methods: set[str] = set()
        for pattern, served in self.entries:
            if pattern.match(path):
                methods.update(served)
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods, key=_rank)


def allowed_methods(request: Request) -> list[str]:
    """Every method the app serving ``request`` serves at its path."""
    table: MethodTable = request.app.state.method_table
    return table.allowed(request.url.path)


class HeadAsGet:
    """ASGI middleware: ``HEAD`` is routed as ``GET`` and answered without a body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        as_get = {**scope, "method": "GET"}
        async with anyio.create_task_group() as group:

            async def send_head(message: Message) -> None:
                if message["type"] == "http.response.start":
                    await send(message)
                elif message["type"] == "http.response.body":
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    group.cancel_scope.cancel()  # the headers are all a HEAD answers

            async def run_as_get() -> None:
                await self.app(as_get, receive, send_head)

            group.start_soon(run_as_get)
