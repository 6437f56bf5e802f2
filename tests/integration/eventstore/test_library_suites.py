"""The eventsourcing library's own recorder and factory suites, on SQLite and on Cosmos DB.

The factory suite constructs the factory from the environment alone
(``PERSISTENCE_MODULE=eventstore.factory``), so its fixtures name the store to open with
``LEDGER_DOCUMENT_STORE_TOPIC``; the composition root gives the factory its store instead.

Which library suites do not apply, and why, is in docs/storage.md ("eventsourcing library
suites"): the application, tracking and process recorder suites need a global notification
sequence, which this event log deliberately does not have.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    NotSupportedError,
    ProcessRecorder,
    TrackingRecorder,
)
from eventsourcing.tests.persistence import (
    AggregateRecorderTestCase,
    InfrastructureFactoryTestCase,
)
from eventsourcing.utils import Environment

from documentstore.port import DocumentStore
from eventstore.factory import DOCUMENT_STORE_TOPIC, EventStoreFactory
from eventstore.recorders import EventLogRecorder
from eventstore.snapshot_recorder import SnapshotRecorder
from tests.conftest import CosmosEndpoint
from tests.integration.documentstore.stores import (
    FAST_RETRIES,
    drop_database,
    open_sqlite,
    quiet_test_server_warnings,
)

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

SQLITE_PATH = "SUITE_SQLITE_PATH"
COSMOS_URL = "SUITE_COSMOS_ENDPOINT"
COSMOS_KEY = "SUITE_COSMOS_KEY"
COSMOS_DATABASE = "SUITE_COSMOS_DATABASE"


class OnSqlite:
    store: DocumentStore

    @pytest.fixture(autouse=True)
    def _sqlite_store(self, tmp_path: Path) -> Iterator[None]:
        self.store = open_sqlite(tmp_path)
        yield
        self.store.close()


class OnCosmos:
    store: DocumentStore

    @pytest.fixture(autouse=True)
    def _cosmos_store(self, cosmos_store: DocumentStore) -> None:
        self.store = cosmos_store


# --- AggregateRecorderTestCase: the events recorder and the snapshots recorder ---------------


class TestEventLogRecorderOnSqlite(OnSqlite, AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return EventLogRecorder(self.store)


class TestSnapshotRecorderOnSqlite(OnSqlite, AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return SnapshotRecorder(self.store)


class TestEventLogRecorderOnCosmos(OnCosmos, AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return EventLogRecorder(self.store)


class TestSnapshotRecorderOnCosmos(OnCosmos, AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return SnapshotRecorder(self.store)


# --- InfrastructureFactoryTestCase: the persistence module ----------------------------------


class FactoryExpectations(InfrastructureFactoryTestCase[EventStoreFactory]):
    """What ``PERSISTENCE_MODULE=eventstore.factory`` builds (run by the subclasses below)."""

    __test__ = False
    env: Environment

    def expected_factory_class(self) -> type[EventStoreFactory]:
        return EventStoreFactory

    def expected_aggregate_recorder_class(self) -> type[AggregateRecorder]:
        return EventLogRecorder

    def expected_application_recorder_class(self) -> type[ApplicationRecorder]:
        return EventLogRecorder

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        return TrackingRecorder

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        return TrackingRecorder

    def expected_process_recorder_class(self) -> type[ProcessRecorder]:
        return ProcessRecorder

    # Tracking and process recorders record positions in the application's global
    # notification sequence; this event log has none (one sequence per campaign partition),
    # so the factory refuses them. The tests below check the refusal instead.
    test_create_tracking_recorder = None  # type: ignore[assignment]
    test_create_process_recorder = None  # type: ignore[assignment]

    def test_asking_for_a_tracking_or_process_recorder_is_not_supported(self) -> None:
        with pytest.raises(NotSupportedError, match="global notification sequence"):
            self.factory.tracking_recorder()
        with pytest.raises(NotSupportedError, match="global notification sequence"):
            self.factory.process_recorder()

    def test_the_snapshots_purpose_gets_the_snapshot_recorder(self) -> None:
        assert type(self.factory.aggregate_recorder("snapshots")) is SnapshotRecorder

    def test_recorders_of_one_factory_share_one_document_store(self) -> None:
        first = self.factory.aggregate_recorder()
        second = self.factory.application_recorder()
        assert isinstance(first, EventLogRecorder)
        assert isinstance(second, EventLogRecorder)
        assert first.store is second.store is self.factory.document_store()


def sqlite_store_of(env: Mapping[str, str]) -> DocumentStore:
    """``LEDGER_DOCUMENT_STORE_TOPIC`` of the SQLite suite: a store on the file the fixture
    chose (initialised by the factory, closed by it)."""
    from documentstore.sqlite import SqliteDocumentStore

    return SqliteDocumentStore(Path(env[SQLITE_PATH]), retry=FAST_RETRIES)


def cosmos_store_of(env: Mapping[str, str]) -> DocumentStore:
    """``LEDGER_DOCUMENT_STORE_TOPIC`` of the Cosmos DB suite: a store on the database the
    fixture chose (created by the factory, its client closed by it)."""
    from documentstore.cosmos import CosmosDocumentStore, connect_cosmos

    client = connect_cosmos(env[COSMOS_URL], key=env[COSMOS_KEY])
    return CosmosDocumentStore(client, env[COSMOS_DATABASE], retry=FAST_RETRIES)


class TestFactoryOnSqlite(FactoryExpectations):
    __test__ = True

    @pytest.fixture(autouse=True)
    def _environment(self, tmp_path: Path) -> None:
        self.env = Environment(
            env={
                InfrastructureFactory.PERSISTENCE_MODULE: "eventstore.factory",
                DOCUMENT_STORE_TOPIC: f"{__name__}:sqlite_store_of",
                SQLITE_PATH: str(tmp_path / "ledger.sqlite3"),
            }
        )

    def test_the_store_is_the_one_the_environment_names(self) -> None:
        store: Any = self.factory.document_store()
        assert store.kind == "sqlite"
        assert store.path == Path(self.env[SQLITE_PATH])


class TestFactoryOnCosmos(FactoryExpectations):
    __test__ = True

    @pytest.fixture(autouse=True)
    def _environment(self, cosmos_endpoint: CosmosEndpoint) -> Iterator[None]:
        quiet_test_server_warnings()
        database = f"test-factory-{uuid.uuid4().hex[:8]}"
        self.env = Environment(
            env={
                InfrastructureFactory.PERSISTENCE_MODULE: "eventstore.factory",
                DOCUMENT_STORE_TOPIC: f"{__name__}:cosmos_store_of",
                COSMOS_URL: cosmos_endpoint.url,
                COSMOS_KEY: cosmos_endpoint.key,
                COSMOS_DATABASE: database,
            }
        )
        yield
        # The factory closed its store (and client) in tearDown; drop the database with a new one.
        from documentstore.cosmos import connect_cosmos

        drop_database(connect_cosmos(cosmos_endpoint.url, key=cosmos_endpoint.key), database)

    def test_the_store_is_the_one_the_environment_names(self) -> None:
        store: Any = self.factory.document_store()
        assert store.kind == "cosmos"
        assert store.database_name == self.env[COSMOS_DATABASE]
