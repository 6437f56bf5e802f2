"""The composition root: the one place that chooses concrete adapters and wires the service.

Hosts (the HTTP app, the CLI, the Functions app) call ``build_ledger`` and receive a ``Ledger``:
the command side, the read side, the store, the projection processor and (with live updates on)
the notification hub that the processor publishes to and the SSE route reads, built once per
process. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from application import CampaignApplication, CampaignLedger, load_artifact_types
from bootstrap.settings import Settings
from bootstrap.stores import close_document_store, document_store
from documentstore.port import DocumentStore
from projections.notification_hub import NotificationHub
from projections.processor import ChangeFeedProcessor
from projections.reads import ReadModel

PERSISTENCE_MODULE = "eventstore.factory"


@dataclass
class Ledger:
    """Everything a host needs, built once per process."""

    settings: Settings
    commands: CampaignLedger
    reads: ReadModel
    store: DocumentStore
    processor: ChangeFeedProcessor
    notification_hub: NotificationHub | None = None
    """The in-process live-update hub; None when ``ledger_live_updates`` is off (in Azure,
    where the change-feed function sends notifications through SignalR instead)."""
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        """Stop the processor (saving checkpoints), then close the process's store for these
        settings (the store is shared per configuration, see ``bootstrap.stores``)."""
        if self._closed:
            return
        self._closed = True
        if self.notification_hub is not None:
            self.notification_hub.close()  # end the live streams first: they hold connections
        self.processor.stop()
        close_document_store(self.settings)


def build_ledger(settings: Settings | None = None) -> Ledger:
    """Build the service for ``settings`` (default: from the environment).

    A bad artifact-types file raises ``ConfigurationError`` here, so start-up stops with its
    message. The embedded store creates its file and tables on the way; a Cosmos DB account is
    prepared once by ``campaigns init`` (in Azure the app's identity may only have data access).
    """
    settings = settings or Settings()
    artifact_types = load_artifact_types(settings.ledger_artifact_types_file)
    store = document_store(settings)
    if settings.ledger_store == "sqlite":
        store.initialise()
    application = CampaignApplication(env=persistence_env(settings))
    commands = CampaignLedger(
        application,
        artifact_types=artifact_types,
        restore_window=timedelta(days=settings.ledger_restore_window_days),
    )
    hub = (
        NotificationHub(
            max_subscribers=settings.ledger_stream_max_subscribers,
            queue_size=settings.ledger_stream_queue_size,
        )
        if settings.ledger_live_updates
        else None
    )
    processor = ChangeFeedProcessor(
        store, poll_interval=settings.ledger_poll_interval, publisher=hub
    )
    return Ledger(
        settings=settings,
        commands=commands,
        reads=ReadModel(store),
        store=store,
        processor=processor,
        notification_hub=hub,
    )


def persistence_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing environment that selects our persistence module on the same store.

    The module's default store topic (``bootstrap.stores:document_store_from_env``) reads these
    values back and returns the store this process already opened for them.
    """
    env = {
        "PERSISTENCE_MODULE": PERSISTENCE_MODULE,
        "CREATE_TABLE": "n",
        "LEDGER_STORE": settings.ledger_store,
        "LEDGER_DATA_DIR": str(settings.ledger_data_dir),
        "COSMOS_DATABASE": settings.cosmos_database,
    }
    if settings.cosmos_endpoint:
        env["COSMOS_ENDPOINT"] = settings.cosmos_endpoint
    if settings.cosmos_key:
        env["COSMOS_KEY"] = settings.cosmos_key
    return env
