"""The composition root: the one place that chooses concrete adapters and wires the service.

``build_container`` builds what a local process serves (``campaigns serve``, the CLI commands):
a ``ServiceContainer`` holding the store it opened, the command side, the read side, the
change-feed processor and (with live updates on) the notification hub that the processor
publishes to and the SSE route reads, and the telemetry (``bootstrap.telemetry``) that
observes the commands, the projection batches, the snapshot reads and (when tracing) the store
calls. The Azure Functions process has its own root, ``bootstrap.functions_host``. Nothing here
runs at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from eventsourcing.utils import Environment

from application import CampaignApplication, CampaignService, load_artifact_types
from application.campaign_locks import CampaignLocks
from bootstrap.process_locks import FileStripeLocks
from bootstrap.settings import Settings
from bootstrap.stores import open_document_store
from bootstrap.telemetry import TelemetryStarter, observers_of, service_telemetry
from documentstore.port import DocumentStore
from eventstore.factory import EventStoreFactory
from observability import Telemetry
from projections.notification_hub import NotificationHub
from projections.processor import ChangeFeedProcessor
from projections.reads import ReadModel
from projections.runner import ProjectionRunner

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
    telemetry: Telemetry | None = None
    """Metrics (``GET /metrics``) and, when configured, traces; None only when not started."""
    _closed: bool = field(default=False, repr=False)
    _on_close: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def on_close(self, callback: Callable[[], None]) -> None:
        """Have ``close`` call ``callback`` first (what a host started on these services)."""
        self._on_close.append(callback)

    @property
    def application(self) -> CampaignApplication:
        """The command side's campaign application (the operator's import and purge use it)."""
        return self.commands.application

    def close(self) -> None:
        """End the live streams, stop the processor (saving checkpoints), flush and stop the
        telemetry, then close the store this container opened."""
        if self._closed:
            return
        self._closed = True
        for callback in reversed(self._on_close):
            callback()
        if self.notification_hub is not None:
            self.notification_hub.close()  # end the live streams first: they hold connections
        self.processor.stop()
        if self.telemetry is not None:
            self.telemetry.shutdown()  # its last export still reads the status from the store
        self.store.close()


def build_container(
    settings: Settings | None = None,
    *,
    open_store: Callable[[Settings], DocumentStore] = open_document_store,
    start_telemetry: TelemetryStarter | None = service_telemetry,
) -> ServiceContainer:
    """Build the service for ``settings`` (default: from the environment) on a store of its own,
    opened by ``open_store`` (tests give an in-memory one), observed by the telemetry
    ``start_telemetry`` starts (None: none at all, the benchmarks' baseline).

    A bad artifact-types file raises ``ConfigurationError`` here, so start-up stops with its
    message. The embedded store creates its file and tables on the way; a Cosmos DB account is
    prepared once by ``campaigns init`` (in Azure the app's identity may only have data access).
    """
    settings = settings or Settings()
    artifact_types = load_artifact_types(settings.ledger_artifact_types_file)
    opened = open_store(settings)
    telemetry = None
    try:
        telemetry = None if start_telemetry is None else start_telemetry(settings)
        store = opened if telemetry is None else telemetry.traced_store(opened)
        observers = observers_of(telemetry)
        if settings.ledger_store == "sqlite":
            store.initialise()
        hub = live_update_hub(settings)
        runner = ProjectionRunner(store, publisher=hub, observer=observers.batches)
        processor = ChangeFeedProcessor(
            store,
            runner,
            poll_interval=settings.ledger_poll_interval,
            pace=settings.ledger_projection_pace_seconds,
            max_items=settings.ledger_projection_page_items,
        )
        commands = CampaignService(
            campaign_application(store),
            artifact_types=artifact_types,
            restore_window=timedelta(days=settings.ledger_restore_window_days),
            max_audit_retries=settings.ledger_max_audit_retries,
            on_appended=_waking(processor),
            command_observer=observers.commands,
            locks=campaign_locks(settings),
        )
        reads = ReadModel(store, on_snapshot_read=observers.snapshot_reads)
        if telemetry is not None:
            telemetry.watch(
                conflicts=commands.conflicts,
                store=store,
                status=reads.projection_status,
                hub=hub,
            )
    except BaseException:
        opened.close()
        if telemetry is not None:
            telemetry.shutdown()
        raise
    return ServiceContainer(
        settings=settings,
        commands=commands,
        reads=reads,
        store=store,
        processor=processor,
        notification_hub=hub,
        telemetry=telemetry,
    )


def campaign_locks(settings: Settings) -> CampaignLocks:
    """The command side's campaign locks: on the embedded store, shared with every process
    serving the same file (the workers of ``campaigns serve --workers N``), so that they take
    turns on a campaign instead of colliding."""
    if settings.ledger_store != "sqlite":
        return CampaignLocks()
    path = settings.sqlite_path
    return CampaignLocks(shared=FileStripeLocks(path.with_name(f"{path.name}-campaigns")))


def live_update_hub(settings: Settings) -> NotificationHub | None:
    """The in-process hub of the SSE route, or None with ``LEDGER_LIVE_UPDATES`` off."""
    if not settings.ledger_live_updates:
        return None
    return NotificationHub(
        max_subscribers=settings.ledger_stream_max_subscribers,
        max_per_tenant=settings.ledger_stream_max_subscribers_per_tenant,
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
