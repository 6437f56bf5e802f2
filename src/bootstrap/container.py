"""The composition root: the one place that chooses concrete adapters and wires the service.

``build_container`` builds what a local process serves (``campaigns serve``, the CLI commands):
a ``ServiceContainer`` holding the store it opened, the command side, the read side, the
change-feed processor and (with live updates on) the notification hub that the processor
publishes to and the SSE route reads. The Azure Functions process has its own root,
``bootstrap.functions_host``. Nothing here runs at import time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from eventsourcing.utils import Environment

from application import CampaignApplication, CampaignService, load_artifact_types
from application.campaign_locks import CampaignLocks
from bootstrap.process_locks import FileStripeLocks
from bootstrap.settings import Settings
from bootstrap.stores import open_document_store
from documentstore.port import DocumentStore
from eventstore.factory import EventStoreFactory
from projections.notification_hub import NotificationHub
from projections.processor import ChangeFeedProcessor
from projections.reads import ReadModel

APPLICATION_ENV = {"CREATE_TABLE": "n"}
"""The eventsourcing environment of the application: the store is prepared by whoever opened it
(the embedded one by ``build_container``, a Cosmos DB account once by ``campaigns init``)."""


@dataclass
class ServiceContainer:
    """Everything a local host needs; it owns what ``build_container`` opened for it."""

    settings: Settings
    commands: CampaignService
    reads: ReadModel
    store: DocumentStore
    processor: ChangeFeedProcessor
    notification_hub: NotificationHub | None = None
    """The in-process live-update hub; None when ``ledger_live_updates`` is off."""
    store_opener: Callable[[], DocumentStore] | None = None
    """Opens the same store again, in another process (a rebuild's replay workers); None
    when the store cannot be reopened (one given by a test)."""
    _closed: bool = field(default=False, repr=False)
    _on_close: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def on_close(self, callback: Callable[[], None]) -> None:
        """Have ``close`` call ``callback`` first (what a host started on these services)."""
        self._on_close.append(callback)

    def close(self) -> None:
        """End the live streams, stop the processor (saving checkpoints), then close the store
        this container opened."""
        if self._closed:
            return
        self._closed = True
        for callback in reversed(self._on_close):
            callback()
        if self.notification_hub is not None:
            self.notification_hub.close()  # end the live streams first: they hold connections
        self.processor.stop()
        self.store.close()


def build_container(
    settings: Settings | None = None,
    *,
    open_store: Callable[[Settings], DocumentStore] = open_document_store,
) -> ServiceContainer:
    """Build the service for ``settings`` (default: from the environment) on a store of its own,
    opened by ``open_store`` (tests give an in-memory one).

    A bad artifact-types file raises ``ConfigurationError`` here, so start-up stops with its
    message. The embedded store creates its file and tables on the way; a Cosmos DB account is
    prepared once by ``campaigns init`` (in Azure the app's identity may only have data access).
    """
    settings = settings or Settings()
    artifact_types = load_artifact_types(settings.ledger_artifact_types_file)
    store = open_store(settings)
    try:
        if settings.ledger_store == "sqlite":
            store.initialise()
        hub = live_update_hub(settings)
        processor = ChangeFeedProcessor(
            store,
            poll_interval=settings.ledger_poll_interval,
            publisher=hub,
            pace=settings.ledger_projection_pace_seconds,
            max_items=settings.ledger_projection_page_items,
        )
        commands = CampaignService(
            campaign_application(store),
            artifact_types=artifact_types,
            restore_window=timedelta(days=settings.ledger_restore_window_days),
            on_appended=_waking(processor),
            locks=campaign_locks(settings),
        )
    except BaseException:
        store.close()
        raise
    return ServiceContainer(
        settings=settings,
        commands=commands,
        reads=ReadModel(store),
        store=store,
        processor=processor,
        notification_hub=hub,
        store_opener=(
            functools.partial(open_document_store, settings)
            if open_store is open_document_store
            else None
        ),
    )


def campaign_locks(settings: Settings) -> CampaignLocks:
    """The command side's campaign locks: on the embedded store, shared with every process
    serving the same file (the workers of ``campaigns serve --workers N``), so that they take
    turns on a campaign instead of colliding."""
    if settings.ledger_store != "sqlite":
        return CampaignLocks()
    shared = FileStripeLocks(settings.sqlite_path.with_name("ledger.sqlite3-campaigns"))
    return CampaignLocks(shared=shared)


def live_update_hub(settings: Settings) -> NotificationHub | None:
    """The in-process hub of the SSE route, or None with ``LEDGER_LIVE_UPDATES`` off."""
    if not settings.ledger_live_updates:
        return None
    return NotificationHub(
        max_subscribers=settings.ledger_stream_max_subscribers,
        queue_size=settings.ledger_stream_queue_size,
    )


def _waking(processor: ChangeFeedProcessor) -> Callable[[str, int], None]:
    """An ``on_appended`` listener that makes the processor poll at once, so that reads with
    ``minVersion`` and the projection lag do not wait for the poll interval."""

    def wake(_campaign_id: str, _version: int) -> None:
        processor.wake()

    return wake


def campaign_application(store: DocumentStore) -> CampaignApplication:
    """The eventsourcing application on ``store``, through our persistence module: the factory
    is given the store directly (nothing goes through the environment)."""

    def event_store(env: Environment) -> EventStoreFactory:
        return EventStoreFactory(env, store=store)

    return CampaignApplication(env=APPLICATION_ENV, factory=event_store)
