"""Settings, read from environment variables (the same names as the Functions app settings).

Only the composition root reads them; everything else receives plain values. The table in the
README lists every setting with its default.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.formats import is_tenant_name

_HEADER_TOKEN = re.compile(r"[\x21-\x7e]+")


class Settings(BaseSettings):
    """Campaign Ledger's configuration; unknown variables are ignored."""

    model_config = SettingsConfigDict(
        env_prefix="", case_sensitive=False, extra="ignore", env_ignore_empty=True
    )

    ledger_store: Literal["sqlite", "cosmos"] = "sqlite"
    ledger_data_dir: Path = Path(".ledger")
    ledger_integrity_check: Literal["quick", "full", "off"] = "quick"

    cosmos_endpoint: str | None = None
    cosmos_key: str | None = Field(default=None, repr=False)
    cosmos_database: str = "marketingagents"

    ledger_artifact_types_file: Path | None = None
    ledger_restore_window_days: int = Field(default=30, ge=0)
    # Revisions (API.md round 2): audit-failed revisions allowed in a row before 409.
    ledger_max_audit_retries: int = Field(default=5, ge=0)
    ledger_api_keys: dict[str, str] = Field(default_factory=dict, repr=False)

    host: str = "127.0.0.1"
    port: int = Field(default=7071, ge=1, le=65535)
    ledger_poll_interval: float = Field(default=0.05, gt=0)
    # The local processor's rhythm under load (docs/performance.md, "Throughput, round 2"):
    # at most one round per pace while there is work, each round a page of up to that many
    # feed documents.
    ledger_projection_pace_seconds: float = Field(default=0.05, ge=0)
    ledger_projection_page_items: int = Field(default=1000, ge=1)
    ledger_max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0)
    ledger_read_wait_seconds: float = Field(default=2.0, ge=0)
    functions_auth_level: Literal["anonymous", "function", "admin"] = "anonymous"
    # The change-feed trigger's lease prefix (its binding reads %LEDGER_LEASE_PREFIX%): the live
    # projection generation's, views-g<N>- (docs/projections.md).
    ledger_lease_prefix: str | None = None

    # Live updates (docs/notifications.md): the in-process hub behind GET .../stream.
    ledger_live_updates: bool = Field(default_factory=lambda: not under_azure_functions())
    ledger_stream_heartbeat_seconds: float = Field(default=15.0, gt=0)
    ledger_stream_max_subscribers: int = Field(default=1000, ge=1)
    ledger_stream_max_subscribers_per_tenant: int = Field(default=100, ge=1)
    ledger_stream_queue_size: int = Field(default=256, ge=1)

    # Observability (docs/observability.md): GET /metrics, OTLP/HTTP, Azure Monitor, JSON logs.
    ledger_metrics_token: str | None = Field(default=None, repr=False)
    ledger_log_format: Literal["text", "json"] = "text"
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str = "campaign-ledger"
    # Trace sampling as the OpenTelemetry SDK defines these two; unset: parent-based, new
    # traces at most LEDGER_TRACES_PER_SECOND a second (0: no limit).
    otel_traces_sampler: str | None = None
    otel_traces_sampler_arg: str | None = None
    ledger_traces_per_second: float | None = Field(default=None, ge=0)  # None: 5 (sampling)
    # "otlp": metrics over OTLP too (with the endpoint); unset: only at GET /metrics.
    otel_metrics_exporter: str | None = None
    applicationinsights_connection_string: str | None = Field(default=None, repr=False)
    # Connections of the local server (docs/http.md "Connections"; cli.connection_guard).
    ledger_header_timeout_seconds: float = Field(default=10.0, gt=0)
    ledger_body_timeout_seconds: float = Field(default=60.0, gt=0)
    ledger_keep_alive_seconds: int = Field(default=5, ge=1)
    ledger_max_connections: int = Field(default=1000, ge=1)
    ledger_max_header_bytes: int = Field(default=16 * 1024, ge=1024)

    @field_validator("ledger_api_keys", mode="before")
    @classmethod
    def _parse_api_keys(cls, value: object) -> object:
        """Accept ``{"key": "tenant"}`` as JSON text (how an app setting carries it)."""
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @field_validator("ledger_api_keys")
    @classmethod
    def _check_api_keys(cls, keys: dict[str, str]) -> dict[str, str]:
        """Every key can be sent in a header (printable ASCII, no spaces) and names a valid
        tenant: a bad one would otherwise only show as requests that can never pass."""
        for key, tenant in keys.items():
            if not _HEADER_TOKEN.fullmatch(key):
                raise ValueError("an API key must be printable ASCII without spaces")
            if not is_tenant_name(tenant):
                raise ValueError(f"tenant {tenant!r} is not 1-64 of A-Z a-z 0-9 _ -")
        return keys

    @property
    def sqlite_path(self) -> Path:
        return self.ledger_data_dir / "ledger.sqlite3"


def under_azure_functions() -> bool:
    """The Functions host sets FUNCTIONS_WORKER_RUNTIME; there the change-feed function sends
    notifications through SignalR and no in-process processor feeds a hub, so live updates
    default to off."""
    return "FUNCTIONS_WORKER_RUNTIME" in os.environ
