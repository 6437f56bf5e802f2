"""Large event logs, fast: one campaign is written through the real command side, then its
event documents (and head) are copied under new campaign ids, batch by batch, into the store
to benchmark. Projections read only the log, so a copied campaign projects like the original."""

from __future__ import annotations

import uuid
from typing import Any

from bench.ledgers import ledger_on
from bench.workload import build_reviewed_campaign
from documentstore.memory import InMemoryDocumentStore
from documentstore.port import EVENTS, MAX_BATCH_OPERATIONS, Create, DocumentStore, Query

Document = dict[str, Any]


def template_campaign(versions: int = 31) -> list[Document]:
    """The event documents and the head of one reviewed campaign (about 100 events for 31
    versions), as our persistence module stores them."""
    store = InMemoryDocumentStore()
    store.initialise()
    campaign = build_reviewed_campaign(ledger_on(store), versions=versions)
    documents: list[Document] = []
    continuation: str | None = None
    while True:
        page = store.query(
            EVENTS, Query(partition_key=campaign.campaign_id), continuation=continuation
        )
        documents.extend(page.items)
        continuation = page.continuation
        if continuation is None:
            break
    events = sorted((d for d in documents if d["docType"] == "event"), key=lambda d: d["version"])
    heads = [d for d in documents if d["docType"] == "head"]
    return events + heads


def copy_campaigns(store: DocumentStore, template: list[Document], events: int) -> int:
    """Append copies of ``template`` under new campaign ids until the log holds at least
    ``events`` events; returns how many event documents were written."""
    per_campaign = sum(1 for d in template if d["docType"] == "event")
    written = 0
    while written < events:
        campaign_id = str(uuid.uuid4())
        documents = [_renamed(document, campaign_id) for document in template]
        for start in range(0, len(documents), MAX_BATCH_OPERATIONS):
            chunk = documents[start : start + MAX_BATCH_OPERATIONS]
            store.execute_batch(EVENTS, campaign_id, [Create(document) for document in chunk])
        written += per_campaign
    return written


def _renamed(document: Document, campaign_id: str) -> Document:
    copied = {key: value for key, value in document.items() if not key.startswith("_")}
    copied["partitionKey"] = campaign_id
    copied["streamId"] = campaign_id
    return copied
