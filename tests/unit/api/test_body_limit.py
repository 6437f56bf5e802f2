"""Bodies over ``Settings.ledger_max_body_bytes`` are refused with 413 before anything parses
them, whether the size is declared (Content-Length) or streamed (chunked)."""

from __future__ import annotations

import json
from typing import Any

import anyio
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from api.app import create_app
from api.limits import BodySizeLimit
from tests.unit.api.conftest import hermetic_settings
from tests.unit.api.fakes import FakeServices
from tests.unit.api.samples import CID

LIMIT = 1024


def small_limit_client(services: FakeServices) -> TestClient:
    services.settings = hermetic_settings(ledger_max_body_bytes=LIMIT)
    return TestClient(create_app(services), raise_server_exceptions=False)


def test_a_declared_length_over_the_limit_is_413_and_reaches_no_service() -> None:
    services = FakeServices()
    with small_limit_client(services) as client:
        body = {"content": "x" * (LIMIT + 1)}
        response = client.post(f"/api/campaigns/{CID}/artifacts/{CID}/versions", json=body)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "body-too-large"
    assert services.commands.calls == []


def test_a_body_at_the_limit_is_accepted() -> None:
    services = FakeServices()
    with small_limit_client(services) as client:
        padding = LIMIT - len(json.dumps({"type": "Copy", "p": ""}))
        raw = json.dumps({"type": "Copy", "p": "x" * padding}).encode()
        assert len(raw) == LIMIT
        response = client.post(f"/api/campaigns/{CID}/artifacts", content=raw)
    assert response.status_code == 201


async def _run_chunked(app: Any, chunks: list[bytes]) -> list[Message]:
    """Drive ``app`` with a body streamed in ``chunks`` and no Content-Length."""
    sent: list[Message] = []
    pending = list(chunks)

    async def receive() -> Message:
        if pending:
            chunk = pending.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/api/campaigns/{CID}/artifacts/{CID}/versions",
        "raw_path": b"",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    await app(scope, receive, send)
    return sent


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit() -> None:
    services = FakeServices(settings=hermetic_settings(ledger_max_body_bytes=LIMIT))
    app = create_app(services)
    chunks = [b'{"content": "', b"x" * 600, b"x" * 600, b'"}']
    sent = anyio.run(_run_chunked, app, chunks)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 413
    assert json.loads(body)["code"] == "body-too-large"
    assert services.commands.calls == []


def test_the_limit_middleware_counts_without_touching_smaller_bodies() -> None:
    seen: list[bytes] = []

    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            seen.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent = anyio.run(_run_chunked, BodySizeLimit(echo, max_bytes=LIMIT), [b"ab", b"cd"])
    assert b"".join(seen) == b"abcd"
    assert sent[0]["status"] == 204
