"""Command sides for the benchmarks: ``CampaignService`` on a given document store (our
persistence module, as the composition root wires it) or on the eventsourcing library's stock
SQLite module (the comparison)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from application import CampaignApplication, CampaignService
from documentstore.port import DocumentStore
from domain.artifact_types import ArtifactTypeRegistry

_stores: dict[str, DocumentStore] = {}
_names = itertools.count(1)


def registered_store(env: Mapping[str, str]) -> DocumentStore:
    """``LEDGER_DOCUMENT_STORE_TOPIC`` of the benchmark ledgers: the store they were given."""
    return _stores[env["BENCH_STORE_NAME"]]


def ledger_on(store: DocumentStore) -> CampaignService:
    """A new ledger (as in a freshly started process) on ``store``, through our persistence
    module (``eventstore.factory``)."""
    name = f"store-{next(_names)}"
    _stores[name] = store
    return _ledger(
        {
            "PERSISTENCE_MODULE": "eventstore.factory",
            "LEDGER_DOCUMENT_STORE_TOPIC": f"{__name__}:registered_store",
            "BENCH_STORE_NAME": name,
            "CREATE_TABLE": "n",
        }
    )


def stock_sqlite_ledger(path: Path) -> CampaignService:
    """A ledger on the eventsourcing library's own SQLite module, default settings."""
    return _ledger({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)})


def _ledger(env: dict[str, str]) -> CampaignService:
    return CampaignService(
        CampaignApplication(env=env),
        artifact_types=ArtifactTypeRegistry.standard(),
        restore_window=timedelta(days=30),
    )
