"""Reading a campaign's stored view documents of one generation, and comparing two builds.

Used where whole campaigns are handled at once: the repair of one campaign, the verification
of a rebuilt generation against the live one, and the removal of a retired generation; and by
the runner, whose loader (``campaign_loader``) reads a campaign new to a generation with one
partition query.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from documentstore.port import (
    MAX_BATCH_OPERATIONS,
    VIEWS,
    Delete,
    DocumentStore,
    Operation,
    Query,
)
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
    return _CANONICAL.encode(document).encode()


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""``json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``,
without building an encoder per call."""


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
    views: dict[ViewKey, StoredView] = {}
    for stored in read_partition(store, campaign_id, generation):
        document = to_logical(stored)
        views[ViewKey(campaign_id, document["id"])] = StoredView(document, stored.get("_etag"))
    snapshot = views.get(snapshot_key(campaign_id))
    if snapshot is not None:
        key = campaign_index_key(snapshot.document)
        entry = store.read(VIEWS, key.partition_key, stored_id(generation, key.id))
        if entry is not None:
            views[key] = StoredView(to_logical(entry), entry.get("_etag"))
    return views


def campaign_loader(store: DocumentStore, generation: int, campaign_id: str) -> CampaignLoader:
    """The loader of one campaign's documents in ``generation`` (``CampaignLoader``)."""
    return CampaignLoader(store, generation, campaign_id)


class CampaignLoader:
    """Point reads of the documents an event touches, except for a campaign that is new to
    ``generation`` (no snapshot yet: a new campaign, or any campaign during a rebuild): its
    partition is then read with one query, which finds the few documents a crash may have left,
    instead of one point read per document that does not exist yet. ``prefetch`` reads the
    documents a batch of events will likely touch in the campaign's partition with one query
    of known ids, so that they cost no point read each."""

    def __init__(self, store: DocumentStore, generation: int, campaign_id: str) -> None:
        self._store = store
        self._generation = generation
        self._campaign_id = campaign_id
        self._known: dict[str, Document | None] | None = None
        """Stored documents of the campaign's partition by logical id (None: absent), once a
        query has read them; ids it did not ask for are read one by one."""
        self._whole_partition = False

    def __call__(self, key: ViewKey) -> tuple[Document | None, str | None]:
        stored: Document | None
        if (
            self._known is not None
            and key.partition_key == self._campaign_id
            and (self._whole_partition or key.id in self._known)
        ):
            stored = self._known.get(key.id)
        else:
            stored = self._store.read(VIEWS, key.partition_key, stored_id(self._generation, key.id))
            if stored is None and key == snapshot_key(self._campaign_id):
                self._known = {
                    to_logical(document)["id"]: document
                    for document in read_partition(self._store, self._campaign_id, self._generation)
                }
                self._whole_partition = True
        if stored is None:
            return None, None
        return to_logical(stored), stored.get("_etag")

    def prefetch(self, keys: Iterable[ViewKey]) -> None:
        """Read, with one query, those of ``keys`` in the campaign's partition not read yet."""
        if self._whole_partition:
            return
        known = self._known if self._known is not None else {}
        wanted = sorted(
            {key.id for key in keys if key.partition_key == self._campaign_id} - known.keys()
        )
        if not wanted:
            return
        found = self._store.read_many(
            VIEWS,
            self._campaign_id,
            [stored_id(self._generation, wanted_id) for wanted_id in wanted],
        )
        known.update(dict.fromkeys(wanted))
        for document in found:
            known[to_logical(document)["id"]] = document
        self._known = known


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


def generation_ids(store: DocumentStore, partition_key: str, generation: int) -> list[str]:
    """The stored ids of ``generation``'s documents in one partition (read as text)."""
    return list(partition_texts(store, partition_key, generation))


def partition_texts(store: DocumentStore, partition_key: str, generation: int) -> dict[str, str]:
    """The stored JSON of ``generation``'s documents in one partition, by stored id, as the
    store keeps it (``DocumentStore.query_texts``)."""
    query = generation_query(partition_key, generation)
    texts: dict[str, str] = {}
    continuation: str | None = None
    while True:
        page = store.query_texts(VIEWS, query, continuation=continuation)
        texts.update(page.items)
        if page.continuation is None:
            return texts
        continuation = page.continuation


def logical_texts(
    store: DocumentStore, partition_key: str, generation: int
) -> dict[str, str | None]:
    """``partition_texts`` by logical id, each text without what only the generation makes
    different (the id's prefix, the trailing ``generation`` field that ``to_stored`` adds), so
    that two builds of one document have equal texts; None for a text not of that form."""
    prefix = prefix_of(generation)
    head, tail = '{"id":"' + prefix, f',"generation":{generation}}}'
    texts: dict[str, str | None] = {}
    for stored, text in partition_texts(store, partition_key, generation).items():
        logical = stored[len(prefix) :] if stored.startswith(prefix) else stored
        fits = text.startswith(head) and text.endswith(tail)
        texts[logical] = '{"id":"' + text[len(head) : -len(tail)] if fits else None
    return texts


def delete_documents(store: DocumentStore, deletions: Sequence[tuple[str, Sequence[str]]]) -> int:
    """Delete the ids of each ``(partition key, ids)``, in batches of at most
    ``MAX_BATCH_OPERATIONS``, with one ``execute_batches`` call; returns how many."""
    batches: list[tuple[str, Sequence[Operation]]] = [
        (partition_key, [Delete(doc_id) for doc_id in ids[start : start + MAX_BATCH_OPERATIONS]])
        for partition_key, ids in deletions
        for start in range(0, len(ids), MAX_BATCH_OPERATIONS)
    ]
    if batches:
        store.execute_batches(VIEWS, batches).results()
    return sum(len(operations) for _, operations in batches)
