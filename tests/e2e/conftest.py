"""End-to-end fixtures: the real service (``build_container`` on the embedded SQLite store in a
temporary LEDGER_DATA_DIR) served by uvicorn on a free loopback port, driven over real HTTP."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import BaseModel

from api.app import create_app
from bootstrap.container import ServiceContainer, build_container
from bootstrap.settings import Settings
from cli.connection_guard import uvicorn_config

HASH = "b" * 64


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class RunningService:
    base_url: str
    services: ServiceContainer
    settings: Settings

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)


def e2e_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "ledger_store": "sqlite",
        "ledger_data_dir": data_dir,
        "ledger_api_keys": {},
        "ledger_read_wait_seconds": 2.0,
        "host": "127.0.0.1",
        "port": free_port(),
    }
    values.update(overrides)
    return Settings.model_validate(values)


@contextmanager
def running_service(settings: Settings) -> Iterator[RunningService]:
    """The service of ``settings`` on uvicorn in a background thread, with its processor (and,
    with live updates on, its SSE route)."""
    services = build_container(settings)
    services.processor.start()
    config = uvicorn_config(create_app(services), settings, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield RunningService(f"http://{settings.host}:{settings.port}", services, settings)
    finally:
        if services.notification_hub is not None:
            services.notification_hub.close()  # open streams would hold uvicorn's shutdown
        server.should_exit = True
        thread.join(15)
        services.close()


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    with running_service(e2e_settings(tmp_path_factory.mktemp("ledger"))) as running:
        yield running


@pytest.fixture
def http(service: RunningService) -> Iterator[httpx.Client]:
    """A client of a tenant of its own, so tests never see each other's campaigns."""
    with service.client(**{"X-Tenant-Id": f"t{uuid.uuid4().hex[:12]}"}) as client:
        yield client


def new_id() -> str:
    return str(uuid.uuid4())


def brief(**changes: Any) -> dict[str, Any]:
    return {
        "objective": "Launch the spring range",
        "targetAudience": "Trail runners",
        "productDetails": "A light trail shoe",
        "toneGuidelines": ["warm"],
        "brandPalette": ["#112233"],
        **changes,
    }


def context_artifact(artifact_type: str = "plan", artifact_id: str | None = None) -> dict[str, Any]:
    return {
        "id": artifact_id or new_id(),
        "type": artifact_type,
        "uri": f"blob://runs/{artifact_type}.json",
        "hash": HASH.upper(),
        "metadata": {"size": 10},
    }


def passing_audit() -> dict[str, Any]:
    return {
        "overallStatus": "Pass",
        "categoryScores": {"brand": {"score": 91, "notes": "on voice"}},
        "flaggedItems": [{"category": "claims", "severity": "Low", "description": "soft"}],
        "recommendations": [{"category": "cta", "text": "stronger verb", "priority": 1}],
    }


def check(response: httpx.Response, status: int) -> dict[str, Any]:
    """The JSON body of ``response`` after checking its status."""
    assert response.status_code == status, f"{response.status_code}: {response.text[:2000]}"
    body: dict[str, Any] = response.json()
    return body


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The problem document of ``response`` after checking status, media type and code."""
    body = check(response, status)
    assert response.headers["content-type"] == "application/problem+json"
    assert body["code"] == code, body
    assert body["status"] == status
    return body


def conforms(model: type[BaseModel], response: httpx.Response) -> dict[str, Any]:
    """The body, after checking it against the documented answer schema (strictly)."""
    model.model_validate_json(response.content, strict=True)
    body: dict[str, Any] = response.json()
    return body


def create_campaign(client: httpx.Client, name: str = "Spring", **body: Any) -> dict[str, Any]:
    return check(client.post("/api/campaigns", json={"name": name, "brief": brief(), **body}), 201)


def create_artifact(client: httpx.Client, cid: str, artifact_type: str = "Copy") -> str:
    answer = check(
        client.post(f"/api/campaigns/{cid}/artifacts", json={"type": artifact_type}), 201
    )
    return str(answer["id"])


def create_version(client: httpx.Client, cid: str, aid: str, content: str = "Hi") -> dict[str, Any]:
    return check(
        client.post(f"/api/campaigns/{cid}/artifacts/{aid}/versions", json={"content": content}),
        201,
    )


def read_fresh(client: httpx.Client, path: str, version: int) -> httpx.Response:
    """A read that waits for the projection to reach ``version`` (read-your-writes)."""
    separator = "&" if "?" in path else "?"
    response = client.get(f"{path}{separator}minVersion={version}")
    assert response.headers.get("X-Projection-Stale") != "true", path
    return response
