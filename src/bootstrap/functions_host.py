"""The composition root of an Azure Functions process: one ``FunctionsHost`` builds what the
functions need on first use and shares it for the life of the process.

It reads the settings once and opens one document store, shared by the change-feed trigger's
runner, the read model (the SignalR functions' visibility check and the HTTP API's reads) and the
command side of the HTTP API. No change-feed processor is built: the trigger projects, so the
read model reports lag as the trigger's (``functions-trigger``). Nothing is built at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from application import CampaignService, load_artifact_types
from bootstrap.container import campaign_application, live_update_hub
from bootstrap.settings import Settings
from bootstrap.stores import open_document_store
from documentstore.port import DocumentStore
from domain.errors import ConfigurationError
from projections.notification_hub import NotificationHub
from projections.reads import ReadModel
from projections.runner import ProjectionRunner
from projections.status import FUNCTIONS_TRIGGER


@dataclass
class FunctionsApiServices:
    """What the HTTP API serves under Functions: the host's store and read model, its own
    command side. It closes only what it opened (the hub, when live updates are on)."""

    settings: Settings
    commands: CampaignService
    reads: ReadModel
    notification_hub: NotificationHub | None = None
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
    ) -> None:
        self._read_settings = read_settings
        self._open_store = open_store
        self._lock = threading.RLock()
        self._settings: Settings | None = None
        self._store: DocumentStore | None = None
        self._runner: ProjectionRunner | None = None
        self._reads: ReadModel | None = None

    @property
    def settings(self) -> Settings:
        """The app settings, read once."""
        with self._lock:
            if self._settings is None:
                self._settings = self._read_settings()
            return self._settings

    def store(self) -> DocumentStore:
        """The process's document store, opened once (the embedded one initialised too)."""
        with self._lock:
            if self._store is None:
                store = self._open_store(self.settings)
                if self.settings.ledger_store == "sqlite":
                    store.initialise()
                self._store = store
            return self._store

    def runner(self) -> ProjectionRunner:
        """The change-feed trigger's runner; it refuses to project while its lease prefix is
        not the live generation's. ``ConfigurationError`` when ``LEDGER_LEASE_PREFIX`` is not
        set."""
        with self._lock:
            if self._runner is None:
                prefix = self.settings.ledger_lease_prefix
                if not prefix:
                    raise ConfigurationError(
                        "LEDGER_LEASE_PREFIX is not set: the change-feed trigger needs the lease "
                        "prefix of the live projection generation (views-g<N>-, see "
                        "docs/projections.md)"
                    )
                self._runner = ProjectionRunner(self.store(), lease_prefix=prefix)
            return self._runner

    def reads(self) -> ReadModel:
        """The read model; the trigger projects, so lag is not measured here."""
        with self._lock:
            if self._reads is None:
                self._reads = ReadModel(self.store(), lag_source=FUNCTIONS_TRIGGER)
            return self._reads

    def api_keys(self) -> Mapping[str, str]:
        """The API keys (``LEDGER_API_KEYS``) that ``negotiate`` checks."""
        return dict(self.settings.ledger_api_keys)

    def api_services(self) -> FunctionsApiServices:
        """New services for the HTTP API (its app builds them on the first request and closes
        them on shutdown), on the host's store and read model.

        A bad artifact-types file raises ``ConfigurationError`` here."""
        settings = self.settings
        artifact_types = load_artifact_types(settings.ledger_artifact_types_file)
        commands = CampaignService(
            campaign_application(self.store()),
            artifact_types=artifact_types,
            restore_window=timedelta(days=settings.ledger_restore_window_days),
            max_audit_retries=settings.ledger_max_audit_retries,
        )
        return FunctionsApiServices(
            settings=settings,
            commands=commands,
            reads=self.reads(),
            notification_hub=live_update_hub(settings),
        )

    def close(self) -> None:
        """Close the store, if one was opened (at the end of the process, and in tests)."""
        with self._lock:
            store, self._store = self._store, None
            self._runner = None
            self._reads = None
        if store is not None:
            store.close()
