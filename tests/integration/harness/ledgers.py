"""The command side on a given document store, as the composition root wires it (our persistence
module, ``eventstore.factory``), one ``CampaignService`` per simulated process."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import timedelta

from application import CampaignApplication, CampaignService
from documentstore.port import DocumentStore
from domain.artifact_types import ArtifactTypeRegistry

_stores: dict[str, DocumentStore] = {}
_names = itertools.count(1)


def registered_store(env: Mapping[str, str]) -> DocumentStore:
    """``LEDGER_DOCUMENT_STORE_TOPIC`` of these ledgers: the store each was given."""
    return _stores[env["HARNESS_STORE_NAME"]]


def ledger_on(store: DocumentStore, *, max_attempts: int = 8) -> CampaignService:
    """A new ledger on ``store``: its own application, recorder and head cache, as a freshly
    started process would have."""
    name = f"store-{next(_names)}"
    _stores[name] = store
    application = CampaignApplication(
        env={
            "PERSISTENCE_MODULE": "eventstore.factory",
            "LEDGER_DOCUMENT_STORE_TOPIC": f"{__name__}:registered_store",
            "HARNESS_STORE_NAME": name,
            "CREATE_TABLE": "n",
        }
    )
    return CampaignService(
        application,
        artifact_types=ArtifactTypeRegistry.standard(),
        restore_window=timedelta(days=30),
        max_attempts=max_attempts,
    )
