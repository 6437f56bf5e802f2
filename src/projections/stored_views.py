"""Reading a campaign's stored view documents of one generation, and comparing two builds.

Used where whole campaigns are handled at once: the repair of one campaign, the verification
of a rebuilt generation against the live one, and the removal of a retired generation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from documentstore.port import VIEWS, Delete, DocumentStore, Query
from projections.generations import prefix_of, stored_id, to_logical
from projections.projectors import ViewKey, campaign_index_key, snapshot_key

Document = dict[str, Any]


@dataclass(frozen=True)
class StoredView:
    """A view document in logical form with the etag of its stored copy."""

    document: Document
    etag: str | None


@dataclass(frozen=True)
class Difference:
    """How one document of a campaign differs between two builds."""

    campaign_id: str
    document_id: str
    kind: str  # "missing", "unexpected" or "different"

    def to_json(self) -> dict[str, str]:
        return {"campaignId": self.campaign_id, "documentId": self.document_id, "kind": self.kind}


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    """One byte string per document content: what "byte for byte equal" compares."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def generation_query(partition_key: str, generation: int) -> Query:
    """Every document of ``generation`` in one partition: a range on the id prefix."""
    prefix = prefix_of(generation)
    return Query(partition_key=partition_key, id_gt=prefix, id_lte=prefix[:-1] + "/")


def read_partition(store: DocumentStore, partition_key: str, generation: int) -> list[Document]:
    """The stored documents (with store fields) of ``generation`` in one partition."""
    query = generation_query(partition_key, generation)
    documents: list[Document] = []
    continuation: str | None = None
    while True:
        page = store.query(VIEWS, query, continuation=continuation)
        documents.extend(page.items)
        if page.continuation is None:
            return documents
        continuation = page.continuation


def read_campaign_views(
    store: DocumentStore, generation: int, campaign_id: str
) -> dict[ViewKey, StoredView]:
    """All of a campaign's documents in ``generation``, its list entry included."""
    views = {
        ViewKey(campaign_id, to_logical(stored)["id"]): StoredView(
            to_logical(stored), stored.get("_etag")
        )
        for stored in read_partition(store, campaign_id, generation)
    }
    snapshot = views.get(snapshot_key(campaign_id))
    if snapshot is not None:
        key = campaign_index_key(snapshot.document)
        entry = store.read(VIEWS, key.partition_key, stored_id(generation, key.id))
        if entry is not None:
            views[key] = StoredView(to_logical(entry), entry.get("_etag"))
    return views


def compare(
    campaign_id: str, expected: Mapping[ViewKey, Document], actual: Mapping[ViewKey, Document]
) -> list[Difference]:
    """Documents of ``expected`` missing from, or different in, ``actual``, and extra ones."""
    differences = [
        Difference(campaign_id, key.id, "missing") for key in sorted(expected) if key not in actual
    ]
    differences += [
        Difference(campaign_id, key.id, "different")
        for key in sorted(expected)
        if key in actual and canonical_bytes(expected[key]) != canonical_bytes(actual[key])
    ]
    differences += [
        Difference(campaign_id, key.id, "unexpected")
        for key in sorted(actual)
        if key not in expected
    ]
    return differences


def delete_generation(store: DocumentStore, partition_key: str, generation: int) -> int:
    """Remove every document of ``generation`` from one partition; returns how many."""
    ids = [document["id"] for document in read_partition(store, partition_key, generation)]
    for start in range(0, len(ids), 100):
        store.execute_batch(
            VIEWS, partition_key, [Delete(doc_id) for doc_id in ids[start : start + 100]]
        )
    return len(ids)
