"""Command sides for the benchmarks: ``CampaignService`` on a given document store (our
persistence module, as the composition root wires it) or on the eventsourcing library's stock
SQLite module (the comparison)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from application import CampaignApplication, CampaignService
from bootstrap.container import campaign_application
from documentstore.port import DocumentStore
from domain.artifact_types import ArtifactTypeRegistry


def ledger_on(store: DocumentStore) -> CampaignService:
    """A new service (as in a freshly started process) on ``store``, through our persistence
    module (``eventstore.factory``)."""
    return _service(campaign_application(store))


def stock_sqlite_ledger(path: Path) -> CampaignService:
    """A service on the eventsourcing library's own SQLite module, default settings."""
    return _service(
        CampaignApplication(
            env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
        )
    )


def _service(application: CampaignApplication) -> CampaignService:
    return CampaignService(
        application,
        artifact_types=ArtifactTypeRegistry.standard(),
        restore_window=timedelta(days=30),
    )
