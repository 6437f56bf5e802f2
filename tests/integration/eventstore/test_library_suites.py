"""The eventsourcing library's own recorder and factory suites, on SQLite and on Cosmos DB.

Which library suites do not apply, and why, is in docs/storage.md ("eventsourcing library
suites"): the application, tracking and process recorder suites need a global notification
sequence, which this event log deliberately does not have.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
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

from bootstrap.stores import close_document_stores
from documentstore.port import DocumentStore
from eventstore.factory import EventStoreFactory
from eventstore.recorders import EventLogRecorder, SnapshotRecorder
from tests.conftest import CosmosEndpoint
from tests.integration.documentstore.stores import (
    drop_database,
    open_sqlite,
    quiet_test_server_warnings,
)

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


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


class TestFactoryOnSqlite(FactoryExpectations):
    __test__ = True

    @pytest.fixture(autouse=True)
    def _environment(self, tmp_path: Path) -> Iterator[None]:
        self.env = Environment(
            env={
                InfrastructureFactory.PERSISTENCE_MODULE: "eventstore.factory",
                "LEDGER_STORE": "sqlite",
                "LEDGER_DATA_DIR": str(tmp_path),
            }
        )
        yield
        close_document_stores()

    def test_the_store_is_the_sqlite_file_under_the_data_directory(self) -> None:
        store: Any = self.factory.document_store()
        assert store.kind == "sqlite"
        assert store.path == Path(self.env["LEDGER_DATA_DIR"]) / "ledger.sqlite3"


class TestFactoryOnCosmos(FactoryExpectations):
    __test__ = True

    @pytest.fixture(autouse=True)
    def _environment(self, cosmos_endpoint: CosmosEndpoint) -> Iterator[None]:
        quiet_test_server_warnings()
        database = f"test-factory-{uuid.uuid4().hex[:8]}"
        self.env = Environment(
            env={
                InfrastructureFactory.PERSISTENCE_MODULE: "eventstore.factory",
                "LEDGER_STORE": "cosmos",
                "COSMOS_ENDPOINT": cosmos_endpoint.url,
                "COSMOS_KEY": cosmos_endpoint.key,
                "COSMOS_DATABASE": database,
            }
        )
        yield
        store: Any = self.factory.document_store()
        drop_database(store._client, database)  # also closes the client
        close_document_stores()

    def test_the_store_is_the_configured_cosmos_database(self) -> None:
        store: Any = self.factory.document_store()
        assert store.kind == "cosmos"
        assert store.database_name == self.env["COSMOS_DATABASE"]
