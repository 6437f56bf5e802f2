"""The composition root of an Azure Functions process: one ``FunctionsHost`` builds what the
functions need on first use and shares it for the life of the process.

It reads the settings once and opens one document store, shared by the change-feed trigger's
runner, the read model (the SignalR functions' visibility check and the HTTP API's reads) and the
command side of the HTTP API. No change-feed processor is built: the trigger projects, so the
read model reports lag as the trigger's (``functions-trigger``), which the trigger measures and
stores (``trigger_lag``). The process's telemetry (``bootstrap.telemetry``) is started with the
store and observes the runner, the commands, the snapshot reads and the store. Nothing is built
at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from application import CampaignService, load_artifact_types
from bootstrap.container import campaign_application, live_update_hub
from bootstrap.settings import Settings
from bootstrap.stores import open_document_store
from bootstrap.telemetry import TelemetryStarter, observers_of, service_telemetry
from documentstore.port import DocumentStore
from domain.errors import ConfigurationError
from observability import Telemetry
from operations.purge import CampaignPurge
from projections.notification_hub import NotificationHub
from projections.reads import ReadModel
from projections.runner import ProjectionRunner
from projections.status import FUNCTIONS_TRIGGER
from projections.trigger_lag import TriggerLagRecorder


@dataclass
class FunctionsApiServices:
    """What the HTTP API serves under Functions: the host's store and read model, its own
    command side. It closes only what it opened (the hub, when live updates are on)."""

    settings: Settings
    commands: CampaignService
    reads: ReadModel
    notification_hub: NotificationHub | None = None
    telemetry: Telemetry | None = None
    """The host's telemetry (its ``GET /metrics``); the host, not these services, stops it."""
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.notification_hub is not None:
            self.notification_hub.close()


class FunctionsHost:
    """What the functions of one Functions process share, each part built on first use."""

    def __init__(
        self,
        read_settings: Callable[[], Settings] = Settings,
        open_store: Callable[[Settings], DocumentStore] = open_document_store,
        start_telemetry: TelemetryStarter | None = service_telemetry,
    ) -> None:
        self._read_settings = read_settings
        self._open_store = open_store
        self._start_telemetry = start_telemetry
        self._lock = threading.RLock()
        self._settings: Settings | None = None
        self._store: DocumentStore | None = None
        self._telemetry: Telemetry | None = None
        self._runner: ProjectionRunner | None = None
        self._reads: ReadModel | None = None
        self._trigger_lag: TriggerLagRecorder | None = None

    @property
    def settings(self) -> Settings:
        """The app settings, read once."""
        with self._lock:
            if self._settings is None:
                self._settings = self._read_settings()
            return self._settings

    def store(self) -> DocumentStore:
        """The process's document store, opened once (the embedded one initialised too), with
        the process's telemetry started beside it (tracing its calls when configured)."""
        with self._lock:
            if self._store is None:
                opened = self._open_store(self.settings)
                telemetry = None
                try:
                    if self._start_telemetry is not None:
                        telemetry = self._start_telemetry(self.settings)
                    store = opened if telemetry is None else telemetry.traced_store(opened)
                    if self.settings.ledger_store == "sqlite":
                        store.initialise()
                except BaseException:
                    opened.close()
                    if telemetry is not None:
                        telemetry.shutdown()
                    raise
                self._store, self._telemetry = store, telemetry
                if telemetry is not None:
                    telemetry.watch(store=store, status=self._projection_status)
            return self._store

    def _projection_status(self) -> dict[str, Any]:
        return self.reads().projection_status()

    def _lease_prefix(self) -> str:
        prefix = self.settings.ledger_lease_prefix
        if not prefix:
            raise ConfigurationError(
                "LEDGER_LEASE_PREFIX is not set: the change-feed trigger needs the lease "
                "prefix of the live projection generation (views-g<N>-, see "
                "docs/projections.md)"
            )
        return prefix

    def runner(self) -> ProjectionRunner:
        """The change-feed trigger's runner; it refuses to project while its lease prefix is
        not the live generation's. ``ConfigurationError`` when ``LEDGER_LEASE_PREFIX`` is not
        set."""
        with self._lock:
            if self._runner is None:
                prefix = self._lease_prefix()
                store = self.store()
                self._runner = ProjectionRunner(
                    store, lease_prefix=prefix, observer=observers_of(self._telemetry).batches
                )
            return self._runner

    def trigger_lag(self) -> TriggerLagRecorder:
        """Where the change-feed trigger keeps the lag it measures (``projections.trigger_lag``);
        ``ConfigurationError`` when ``LEDGER_LEASE_PREFIX`` is not set."""
        with self._lock:
            if self._trigger_lag is None:
                prefix = self._lease_prefix()
                self._trigger_lag = TriggerLagRecorder(self.store(), prefix)
            return self._trigger_lag

    def reads(self) -> ReadModel:
        """The read model; the trigger projects, so lag is the one the trigger measured."""
        with self._lock:
            if self._reads is None:
                store = self.store()
                self._reads = ReadModel(
                    store,
                    lag_source=FUNCTIONS_TRIGGER,
                    on_snapshot_read=observers_of(self._telemetry).snapshot_reads,
                )
            return self._reads

    def purge(self) -> CampaignPurge:
        """The daily purge's, on the host's store (a new one each run: it holds nothing)."""
        store = self.store()
        return CampaignPurge(store, campaign_application(store))

    def api_keys(self) -> Mapping[str, str]:
        """The API keys (``LEDGER_API_KEYS``) that ``negotiate`` checks."""
        return dict(self.settings.ledger_api_keys)

    def api_services(self) -> FunctionsApiServices:
        """New services for the HTTP API (its app builds them on the first request and closes
        them on shutdown), on the host's store and read model.

        A bad artifact-types file raises ``ConfigurationError`` here."""
        settings = self.settings
        artifact_types = load_artifact_types(settings.ledger_artifact_types_file)
        store = self.store()
        telemetry = self._telemetry
        commands = CampaignService(
            campaign_application(store),
            artifact_types=artifact_types,
            restore_window=timedelta(days=settings.ledger_restore_window_days),
            command_observer=observers_of(telemetry).commands,
            max_audit_retries=settings.ledger_max_audit_retries,
        )
        hub = live_update_hub(settings)
        if telemetry is not None:
            telemetry.watch(conflicts=commands.conflicts, hub=hub)
        return FunctionsApiServices(
            settings=settings,
            commands=commands,
            reads=self.reads(),
            notification_hub=hub,
            telemetry=telemetry,
        )

    def close(self) -> None:
        """Close the store, if one was opened, and stop the telemetry (at the end of the
        process, and in tests)."""
        with self._lock:
            store, self._store = self._store, None
            telemetry, self._telemetry = self._telemetry, None
            self._runner = None
            self._reads = None
            self._trigger_lag = None
        if telemetry is not None:
            telemetry.shutdown()  # its last export still reads the status from the store
        if store is not None:
            store.close()
