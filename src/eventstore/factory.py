"""The eventsourcing library's persistence module for Campaign Ledger.

Select it with ``PERSISTENCE_MODULE=eventstore.factory``. The module holds exactly one
``InfrastructureFactory`` subclass, as the library requires.

Only the composition root chooses a concrete document store, so the factory obtains its store
through a topic, in the library's own idiom (like ``TRANSCODER_TOPIC``):
``LEDGER_DOCUMENT_STORE_TOPIC`` names a callable ``(env) -> DocumentStore``, by default
``bootstrap.stores:document_store_from_env``. With ``CREATE_TABLE`` true (the default) a
recorder's store is initialised (containers created) before first use.

Tracking and process recorders need a global notification sequence, which this event log does
not have (see ``eventstore.recorders``): asking for one raises ``NotSupportedError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    InfrastructureFactoryError,
    NotSupportedError,
    ProcessRecorder,
    TrackingRecorder,
)
from eventsourcing.utils import Environment, EnvType, resolve_topic, strtobool

from documentstore.port import DocumentStore
from eventstore.recorders import NO_GLOBAL_SEQUENCE, EventLogRecorder, SnapshotRecorder

DOCUMENT_STORE_TOPIC = "LEDGER_DOCUMENT_STORE_TOPIC"
DEFAULT_DOCUMENT_STORE_TOPIC = "bootstrap.stores:document_store_from_env"


class EventStoreFactory(InfrastructureFactory[TrackingRecorder]):
    """Builds the event-log and snapshot recorders on the configured document store."""

    CREATE_TABLE = "CREATE_TABLE"

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        self._store: DocumentStore | None = None

    def document_store(self) -> DocumentStore:
        """The store named by ``LEDGER_DOCUMENT_STORE_TOPIC``, opened once per factory."""
        if self._store is None:
            topic = self.env.get(DOCUMENT_STORE_TOPIC) or DEFAULT_DOCUMENT_STORE_TOPIC
            opener: Callable[[Any], object] = resolve_topic(topic)
            store = opener(self.env)
            if not isinstance(store, DocumentStore):
                raise InfrastructureFactoryError(
                    f"{DOCUMENT_STORE_TOPIC}={topic!r} returned {type(store).__name__}, "
                    "not a DocumentStore"
                )
            self._store = store
        return self._store

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        if purpose == "events":
            return EventLogRecorder(self._ready_store())
        if purpose == "snapshots":
            return SnapshotRecorder(self._ready_store())
        raise InfrastructureFactoryError(f"no aggregate recorder for purpose {purpose!r}")

    def application_recorder(self) -> ApplicationRecorder:
        return EventLogRecorder(self._ready_store())

    def tracking_recorder(
        self, tracking_recorder_class: type[TrackingRecorder] | None = None
    ) -> TrackingRecorder:
        raise NotSupportedError(f"no tracking recorder: {NO_GLOBAL_SEQUENCE}")

    def process_recorder(self) -> ProcessRecorder:
        raise NotSupportedError(f"no process recorder: {NO_GLOBAL_SEQUENCE}")

    def close(self) -> None:
        """Nothing to close: the store belongs to the process (the composition root)."""

    def _ready_store(self) -> DocumentStore:
        store = self.document_store()
        if strtobool(self.env.get(self.CREATE_TABLE) or "yes"):
            store.initialise()
        return store
