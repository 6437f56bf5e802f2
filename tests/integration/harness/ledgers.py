"""The command side on a given document store, as the composition root wires it (our persistence
module, ``eventstore.factory``, given the store), one ``CampaignService`` per simulated process."""

from __future__ import annotations

from datetime import timedelta

from application import CampaignService
from bootstrap.container import campaign_application
from documentstore.port import DocumentStore
from domain.artifact_types import ArtifactTypeRegistry


def ledger_on(store: DocumentStore, *, max_attempts: int = 8) -> CampaignService:
    """A new service on ``store``: its own application, recorder and head cache, as a freshly
    started process would have."""
    return CampaignService(
        campaign_application(store),
        artifact_types=ArtifactTypeRegistry.standard(),
        restore_window=timedelta(days=30),
        max_attempts=max_attempts,
    )
