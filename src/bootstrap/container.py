"""The composition root: the one place that chooses concrete adapters and wires the service.

Hosts (the HTTP app, the CLI, the Functions app) call ``build_container`` and receive a
``ServiceContainer``: the command side, the read side, the store, the projection processor and
(with live updates on) the notification hub that the processor publishes to and the SSE route
reads, built once per process. The Azure Functions host gets its pieces from the
``functions_*`` factories below: one settings read, one runner, one read model per process,
built on first use. Nothing here runs at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from eventsourcing.utils import Environment

from application import CampaignApplication, CampaignService, load_artifact_types
from bootstrap.settings import Settings
from bootstrap.stores import open_document_store
from documentstore.port import DocumentStore
from domain.errors import ConfigurationError
from eventstore.factory import EventStoreFactory
from projections.notification_hub import NotificationHub
from projections.processor import ChangeFeedProcessor
from projections.reads import ReadModel
from projections.runner import ProjectionRunner
from projections.status import FUNCTIONS_TRIGGER, LOCAL_PROCESSOR, LagSource

APPLICATION_ENV = {"CREATE_TABLE": "n"}
"""The eventsourcing environment of the application: the store is prepared by whoever opened it
(the embedded one by ``build_container``, a Cosmos DB account once by ``campaigns init``)."""


@dataclass
class ServiceContainer:
    """Everything a host needs, built once per process."""

    settings: Settings
    commands: CampaignService
    reads: ReadModel
    store: DocumentStore
    processor: ChangeFeedProcessor
    notification_hub: NotificationHub | None = None
    """The in-process live-update hub; None when ``ledger_live_updates`` is off (in Azure,
    where the change-feed function sends notifications through SignalR instead)."""
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        """End the live streams, stop the processor (saving checkpoints), then close the store
        this container opened."""
        if self._closed:
            return
        self._closed = True
        if self.notification_hub is not None:
            self.notification_hub.close()  # end the live streams first: they hold connections
        self.processor.stop()
        self.store.close()


def build_container(
    settings: Settings | None = None, *, lag_source: LagSource = LOCAL_PROCESSOR
) -> ServiceContainer:
    """Build the service for ``settings`` (default: from the environment); ``lag_source``
    says who projects its store (the Functions host passes ``functions-trigger``).

    A bad artifact-types file raises ``ConfigurationError`` here, so start-up stops with its
    message. The embedded store creates its file and tables on the way; a Cosmos DB account is
    prepared once by ``campaigns init`` (in Azure the app's identity may only have data access).
    """
    settings = settings or Settings()
    artifact_types = load_artifact_types(settings.ledger_artifact_types_file)
    store = open_document_store(settings)
    try:
        if settings.ledger_store == "sqlite":
            store.initialise()
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
        commands = CampaignService(
            campaign_application(store),
            artifact_types=artifact_types,
            restore_window=timedelta(days=settings.ledger_restore_window_days),
            on_appended=_waking(processor),
        )
    except BaseException:
        store.close()
        raise
    return ServiceContainer(
        settings=settings,
        commands=commands,
        reads=ReadModel(store, lag_source=lag_source),
        store=store,
        processor=processor,
        notification_hub=hub,
    )


def _waking(processor: ChangeFeedProcessor) -> Callable[[str, int], None]:
    """An ``on_appended`` listener that makes the processor poll at once, so that reads with
    ``minVersion`` and the projection lag do not wait for the poll interval. (A processor that
    is not running, as under Functions, merely keeps the signal for its next pause.)"""

    def wake(_campaign_id: str, _version: int) -> None:
        processor.wake()

    return wake


def campaign_application(store: DocumentStore) -> CampaignApplication:
    """The eventsourcing application on ``store``, through our persistence module: the factory
    is given the store directly (nothing goes through the environment)."""

    def event_store(env: Environment) -> EventStoreFactory:
        return EventStoreFactory(env, store=store)

    return CampaignApplication(env=APPLICATION_ENV, factory=event_store)


# --- the Azure Functions host ------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionsHost:
    """What the functions of one Functions process share."""

    settings: Settings
    runner: ProjectionRunner
    """Refuses to project while its lease prefix is not the live generation's."""
    reads: ReadModel


_T = TypeVar("_T")
_functions_lock = threading.RLock()
_functions_built: dict[str, Any] = {}


def _once(name: str, build: Callable[[], _T]) -> _T:
    with _functions_lock:
        if name not in _functions_built:
            _functions_built[name] = build()
        built: _T = _functions_built[name]
        return built


def functions_settings() -> Settings:
    """The Functions process's settings, read from the app settings once."""
    return _once("settings", Settings)


def functions_host() -> FunctionsHost:
    """The runner and read model of the Functions process, built on first use, then shared.

    Raises ``ConfigurationError`` when ``LEDGER_LEASE_PREFIX`` is not set."""
    return _once("host", lambda: _build_functions_host(functions_settings()))


def functions_runner() -> ProjectionRunner:
    """The change-feed trigger's runner."""
    return functions_host().runner


def functions_read_model() -> ReadModel:
    """The read model of the SignalR functions (campaign visibility)."""
    return functions_host().reads


def functions_api_keys() -> Mapping[str, str]:
    """The API keys ``negotiate`` checks (``LEDGER_API_KEYS``)."""
    return dict(functions_settings().ledger_api_keys)


def functions_ledger() -> ServiceContainer:
    """The ledger behind the HTTP API under Functions: its projections run in the trigger, so
    its status does not measure lag from local checkpoints."""
    return build_container(functions_settings(), lag_source=FUNCTIONS_TRIGGER)


def forget_functions_host() -> None:
    """Forget what the ``functions_*`` factories built, so the next call builds afresh (tests)."""
    with _functions_lock:
        _functions_built.clear()


def _build_functions_host(settings: Settings) -> FunctionsHost:
    if not settings.ledger_lease_prefix:
        raise ConfigurationError(
            "LEDGER_LEASE_PREFIX is not set: the change-feed trigger needs the lease prefix of "
            "the live projection generation (views-g<N>-, see docs/projections.md)"
        )
    store = open_document_store(settings)
    return FunctionsHost(
        settings=settings,
        runner=ProjectionRunner(store, lease_prefix=settings.ledger_lease_prefix),
        reads=ReadModel(store, lag_source=FUNCTIONS_TRIGGER),
    )
