"""The eventsourcing library's persistence module for Campaign Ledger.

Select it with ``PERSISTENCE_MODULE=eventstore.factory``. The module holds exactly one
``InfrastructureFactory`` subclass, as the library requires.

Only the composition root chooses a concrete document store, so the factory never opens one by
itself. It gets its store in one of two ways:

* given: ``EventStoreFactory(env, store=...)``, as the composition root builds it (through
  ``CampaignApplication``'s factory hook). The store stays the root's: the factory does not close
  it.
* named by the environment, for code that constructs the factory from the environment alone
  (the library's own test suites): ``LEDGER_DOCUMENT_STORE_TOPIC`` names a callable
  ``(env) -> DocumentStore``, in the library's own idiom (like ``TRANSCODER_TOPIC``). There is
  no default. A store opened this way is the factory's, closed by ``close``.

With ``CREATE_TABLE`` true (the default) a recorder's store is initialised (containers created)
before first use.

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
from eventstore.no_global_sequence import NO_GLOBAL_SEQUENCE
from eventstore.recorders import EventLogRecorder
from eventstore.snapshot_recorder import SnapshotRecorder

DOCUMENT_STORE_TOPIC = "LEDGER_DOCUMENT_STORE_TOPIC"


class EventStoreFactory(InfrastructureFactory[TrackingRecorder]):
    """Builds the event-log and snapshot recorders on one document store."""

    CREATE_TABLE = "CREATE_TABLE"

    def __init__(
        self, env: Environment | EnvType | None, *, store: DocumentStore | None = None
    ) -> None:
        super().__init__(env)
        self._store = store
        self._owns_store = False

    def document_store(self) -> DocumentStore:
        """The store given, else the one ``LEDGER_DOCUMENT_STORE_TOPIC`` opens (once)."""
        if self._store is None:
            self._store = self._open_named_store()
            self._owns_store = True
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
        """Close the store if this factory opened it; a given store is its giver's to close."""
        if self._owns_store and self._store is not None:
            self._owns_store = False
            self._store.close()

    def _open_named_store(self) -> DocumentStore:
        topic = self.env.get(DOCUMENT_STORE_TOPIC)
        if not topic:
            raise InfrastructureFactoryError(
                f"no document store: the composition root gives one, or {DOCUMENT_STORE_TOPIC} "
                "names a callable (env) -> DocumentStore"
            )
        opener: Callable[[Any], object] = resolve_topic(topic)
        store = opener(self.env)
        if not isinstance(store, DocumentStore):
            raise InfrastructureFactoryError(
                f"{DOCUMENT_STORE_TOPIC}={topic!r} returned {type(store).__name__}, "
                "not a DocumentStore"
            )
        return store

    def _ready_store(self) -> DocumentStore:
        store = self.document_store()
        if strtobool(self.env.get(self.CREATE_TABLE) or "yes"):
            store.initialise()
        return store
