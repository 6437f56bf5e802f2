"""Choosing and opening the document store: SQLite (the embedded default) or Cosmos DB.

Each call opens a store of its own, and whoever opened it closes it. Within one container the
HTTP service, the change-feed processor and the eventsourcing recorders share the one store it
opened (and so one Cosmos DB client, as the SDK recommends, or one SQLite connection pool).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from bootstrap.settings import Settings
from documentstore.port import DocumentStore
from domain.errors import ConfigurationError


def open_document_store(settings: Settings) -> DocumentStore:
    """A new store of the kind ``settings`` choose; the caller closes it. An embedded file that
    lost or corrupted data raises ``StoreDamaged`` (``documentstore.sqlite.integrity``)."""
    if settings.ledger_store == "sqlite":
        from documentstore.sqlite import SqliteDocumentStore, check_store_file

        check_store_file(settings.sqlite_path, settings.ledger_integrity_check)
        return SqliteDocumentStore(settings.sqlite_path)
    if not settings.cosmos_endpoint:
        raise ConfigurationError("LEDGER_STORE=cosmos needs COSMOS_ENDPOINT")
    from documentstore.cosmos import CosmosDocumentStore, connect_cosmos

    client = connect_cosmos(settings.cosmos_endpoint, key=settings.cosmos_key)
    return CosmosDocumentStore(client, settings.cosmos_database)


def replay_store_opener(settings: Settings) -> Callable[[], DocumentStore]:
    """How a rebuild's replay worker process opens the store again (picklable): the store
    ``settings`` choose, initialised, without the file check the rebuild's own opening made."""
    return partial(_open_for_replay, settings)


def _open_for_replay(settings: Settings) -> DocumentStore:
    if settings.ledger_store == "sqlite":
        from documentstore.sqlite import SqliteDocumentStore

        store: DocumentStore = SqliteDocumentStore(settings.sqlite_path)
    else:
        store = open_document_store(settings)
    store.initialise()
    return store
