"""The persistence module's factory: a store given by the composition root, or one named by the
environment (``LEDGER_DOCUMENT_STORE_TOPIC``), and who closes which."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from eventsourcing.persistence import InfrastructureFactory, InfrastructureFactoryError

from documentstore.memory import InMemoryDocumentStore
from documentstore.port import DocumentStore
from eventstore.factory import DOCUMENT_STORE_TOPIC, EventStoreFactory
from eventstore.recorders import EventLogRecorder


class ClosingCountStore(InMemoryDocumentStore):
    """The in-memory store, counting how often it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1
        super().close()


opened: list[ClosingCountStore] = []


def open_store(env: Mapping[str, str]) -> DocumentStore:
    """A ``LEDGER_DOCUMENT_STORE_TOPIC`` for these tests."""
    opened.append(ClosingCountStore())
    return opened[-1]


def not_a_store(env: Mapping[str, str]) -> object:
    return "a string"


def test_a_given_store_is_used_and_left_open_for_its_giver() -> None:
    store = ClosingCountStore()
    factory = EventStoreFactory({"CREATE_TABLE": "n"}, store=store)

    recorder = factory.application_recorder()
    factory.close()

    assert isinstance(recorder, EventLogRecorder)
    assert recorder.store is store
    assert store.closed == 0


def test_constructed_from_the_environment_the_factory_opens_the_named_store_and_closes_it() -> None:
    opened.clear()
    factory = InfrastructureFactory.construct(
        {
            "PERSISTENCE_MODULE": "eventstore.factory",
            DOCUMENT_STORE_TOPIC: f"{__name__}:open_store",
        }
    )

    first = factory.aggregate_recorder()
    second = factory.aggregate_recorder("snapshots")
    factory.close()
    factory.close()

    assert isinstance(factory, EventStoreFactory)
    assert [store.closed for store in opened] == [1]
    assert factory.document_store() is opened[0]
    assert getattr(first, "store", None) is getattr(second, "store", None) is opened[0]


def test_without_a_store_given_or_named_the_factory_says_where_one_comes_from() -> None:
    factory = EventStoreFactory({"PERSISTENCE_MODULE": "eventstore.factory"})
    with pytest.raises(InfrastructureFactoryError, match=DOCUMENT_STORE_TOPIC):
        factory.application_recorder()


def test_a_topic_that_opens_something_else_than_a_store_is_refused() -> None:
    factory = EventStoreFactory({DOCUMENT_STORE_TOPIC: f"{__name__}:not_a_store"})
    with pytest.raises(InfrastructureFactoryError, match="not a DocumentStore"):
        factory.document_store()
