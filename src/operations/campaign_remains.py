"""Deleting what a campaign left in a store: its documents in ``events`` (all but the head or
tombstone, which the caller decides about), its views in every generation (its partition of
``views``, its entries in its tenant's campaign list and its statistics contributions) and its
dead letters.

Used by the purge, after the tombstone is in place, and by an import that gives up a campaign
it had started to write. Deletions go page by page in batches, so memory stays bounded whatever
the campaign's size, and running it again after a crash deletes what is left.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from documentstore.port import (
    EVENTS,
    MAX_BATCH_OPERATIONS,
    VIEWS,
    Delete,
    DocumentStore,
    Operation,
    Query,
)
from domain.errors import DocumentNotFound
from eventstore.documents import HEAD_ID
from projections.dead_letters import DeadLetterBox
from projections.projectors.documents import DocType, tenant_partition

_PAGE = 1000


@dataclass
class RemovedDocuments:
    """How many documents of each kind a clean-up deleted."""

    events: int = 0
    views: int = 0
    dead_letters: int = 0

    @property
    def total(self) -> int:
        return self.events + self.views + self.dead_letters


def remove_campaign_remains(
    store: DocumentStore, campaign_id: str, *, tenant_ids: Iterable[str] = ()
) -> RemovedDocuments:
    """Delete every document of the campaign but its head (or tombstone): events, entity
    states and library snapshots, views of every generation, list entries (looked for in the
    partitions of ``tenant_ids`` and of the tenants its views name), dead letters."""
    removed = RemovedDocuments()
    removed.events = _delete_partition(store, EVENTS, campaign_id, keep=HEAD_ID)
    tenants = set(tenant_ids)
    removed.views = _delete_partition(store, VIEWS, campaign_id, tenants_seen=tenants)
    for tenant in sorted(tenants):
        removed.views += _delete_list_entries(store, tenant, campaign_id)
    box = DeadLetterBox(store)
    letters = [letter.id for letter in box.list() if letter.campaign_id == campaign_id]
    box.remove(letters)
    removed.dead_letters = len(letters)
    return removed


def _delete_partition(
    store: DocumentStore,
    container: str,
    partition_key: str,
    *,
    keep: str | None = None,
    tenants_seen: set[str] | None = None,
) -> int:
    """Delete every document of one partition but ``keep``, a page at a time (each page read
    afresh after the one before is deleted); returns how many."""
    deleted = 0
    after: str | None = None
    while True:
        page = store.query(
            container, Query(partition_key=partition_key, id_gt=after), page_size=_PAGE
        )
        if not page.items:
            return deleted
        after = str(page.items[-1]["id"])
        doomed = [str(document["id"]) for document in page.items if document["id"] != keep]
        if tenants_seen is not None:
            tenants_seen.update(
                str(document["tenantId"])
                for document in page.items
                if isinstance(document.get("tenantId"), str)
            )
        deleted += _delete(store, container, partition_key, doomed)


def _delete_list_entries(store: DocumentStore, tenant_id: str, campaign_id: str) -> int:
    """The campaign's documents in its tenant's partition, in every generation: its entries in
    the campaign list and its statistics contributions (a soft-deleted campaign's contribution
    counts nothing in its partial, so the partial needs no change)."""
    partition = tenant_partition(tenant_id)
    ids: list[str] = []
    for doc_type in (DocType.CAMPAIGN_INDEX, DocType.STATS_CONTRIBUTION):
        query = Query(
            partition_key=partition,
            equals={"docType": doc_type.value, "campaignId": campaign_id},
        )
        continuation: str | None = None
        while True:
            page = store.query(VIEWS, query, page_size=_PAGE, continuation=continuation)
            ids.extend(str(document["id"]) for document in page.items)
            continuation = page.continuation
            if continuation is None:
                break
    return _delete(store, VIEWS, partition, ids)


def _delete(store: DocumentStore, container: str, partition_key: str, ids: list[str]) -> int:
    batches: list[tuple[str, list[Operation]]] = [
        (partition_key, [Delete(doc_id) for doc_id in ids[start : start + MAX_BATCH_OPERATIONS]])
        for start in range(0, len(ids), MAX_BATCH_OPERATIONS)
    ]
    if not batches:
        return 0
    try:
        store.execute_batches(container, batches).results()
    except DocumentNotFound:  # deleted meanwhile by someone else: delete the rest one by one
        for doc_id in ids:
            with contextlib.suppress(DocumentNotFound):
                store.execute_batch(container, partition_key, [Delete(doc_id)])
    return len(ids)
