"""Choosing and opening the document store: SQLite (the embedded default) or Cosmos DB.

One store per configuration per process: the HTTP service, the change-feed processor and the
eventsourcing recorders of one process share it (and so share one Cosmos DB client, as the SDK
recommends, or one SQLite connection pool). ``document_store_from_env`` is the default of the
persistence module's ``LEDGER_DOCUMENT_STORE_TOPIC``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bootstrap.settings import Settings
from documentstore.port import DocumentStore
from domain.errors import ConfigurationError

_STORE_SETTINGS = (
    "ledger_store",
    "ledger_data_dir",
    "cosmos_endpoint",
    "cosmos_key",
    "cosmos_database",
)

_open_stores: dict[tuple[str, ...], DocumentStore] = {}
_open_stores_lock = threading.Lock()


class _SettingsFromMapping(Settings):
    """``Settings`` read from the given values only, never from ``os.environ`` or files."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def settings_from(env: Mapping[str, str]) -> Settings:
    """The store settings found in ``env`` (upper-case names, as in the environment)."""
    values: dict[str, Any] = {}
    for name in _STORE_SETTINGS:
        value = env.get(name.upper())
        if value:
            values[name] = value
    return _SettingsFromMapping(**values)


def document_store_from_env(env: Mapping[str, str]) -> DocumentStore:
    """The process's document store for the settings in ``env`` (the eventsourcing env)."""
    return document_store(settings_from(env))


def document_store(settings: Settings) -> DocumentStore:
    """The process's document store for ``settings``: opened on first use, then shared."""
    key = _configuration_of(settings)
    with _open_stores_lock:
        store = _open_stores.get(key)
        if store is None:
            store = _open(settings)
            _open_stores[key] = store
        return store


def close_document_store(settings: Settings) -> None:
    """Close the store opened for ``settings`` and forget it, so a later ledger opens afresh."""
    with _open_stores_lock:
        store = _open_stores.pop(_configuration_of(settings), None)
    if store is not None:
        store.close()


def close_document_stores() -> None:
    """Close every store this process opened (at shutdown, and between tests)."""
    with _open_stores_lock:
        stores = list(_open_stores.values())
        _open_stores.clear()
    for store in stores:
        store.close()


def _open(settings: Settings) -> DocumentStore:
    if settings.ledger_store == "sqlite":
        from documentstore.sqlite import SqliteDocumentStore

        return SqliteDocumentStore(settings.sqlite_path)
    if not settings.cosmos_endpoint:
        raise ConfigurationError("LEDGER_STORE=cosmos needs COSMOS_ENDPOINT")
    from documentstore.cosmos import CosmosDocumentStore, connect_cosmos

    client = connect_cosmos(settings.cosmos_endpoint, key=settings.cosmos_key)
    return CosmosDocumentStore(client, settings.cosmos_database)


def _configuration_of(settings: Settings) -> tuple[str, ...]:
    """What makes two stores the same: the file, or the account, database and credential."""
    if settings.ledger_store == "sqlite":
        return ("sqlite", str(settings.sqlite_path.resolve()))
    key = settings.cosmos_key or ""
    credential = hashlib.sha256(key.encode()).hexdigest() if key else "azure-identity"
    return (
        "cosmos",
        settings.cosmos_endpoint or "",
        settings.cosmos_database,
        credential,
    )
