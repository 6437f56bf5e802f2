"""Reading a campaign's stored view documents of one generation, and comparing two builds.

Used where whole campaigns are handled at once: the repair of one campaign, the verification
of a rebuilt generation against the live one, and the removal of a retired generation; and by
the runner, whose loader (``campaign_loader``) reads a campaign new to a generation with one
partition query.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from documentstore.decoding import decode_text
from documentstore.port import VIEWS, DocumentStore, Query
from projections.campaign_views import Loader
from projections.generations import prefix_of, stored_id, to_logical
from projections.projectors import ViewKey, campaign_index_key, contribution_key, snapshot_key

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


def generation_id_range(generation: int) -> tuple[str, str]:
    """``(id_gt, id_lte)`` bounding the stored ids of ``generation`` (its prefix)."""
    prefix = prefix_of(generation)
    return prefix, prefix[:-1] + "/"


def generation_query(partition_key: str, generation: int) -> Query:
    """Every document of ``generation`` in one partition: a range on the id prefix."""
    id_gt, id_lte = generation_id_range(generation)
    return Query(partition_key=partition_key, id_gt=id_gt, id_lte=id_lte)


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
    """All of a campaign's documents in ``generation``, its list entry and its statistics
    contribution included."""
    views: dict[ViewKey, StoredView] = {}
    for stored in read_partition(store, campaign_id, generation):
        document = to_logical(stored)
        views[ViewKey(campaign_id, document["id"])] = StoredView(document, stored.get("_etag"))
    snapshot = views.get(snapshot_key(campaign_id))
    if snapshot is not None:
        for key in (campaign_index_key(snapshot.document), contribution_key(snapshot.document)):
            found = store.read(VIEWS, key.partition_key, stored_id(generation, key.id))
            if found is not None:
                views[key] = StoredView(to_logical(found), found.get("_etag"))
    return views


def campaign_loader(store: DocumentStore, generation: int, campaign_id: str) -> Loader:
    """Point reads of the documents an event touches, except for a campaign that is new to
    ``generation`` (no snapshot yet: a new campaign, or any campaign during a rebuild): its
    partition is then read with one query, which finds the few documents a crash may have left,
    instead of one point read per document that does not exist yet."""
    prefetched: dict[str, Document] | None = None

    def load(key: ViewKey) -> tuple[Document | None, str | None]:
        nonlocal prefetched
        if prefetched is not None and key.partition_key == campaign_id:
            stored = prefetched.get(key.id)
        else:
            stored = store.read(VIEWS, key.partition_key, stored_id(generation, key.id))
            if stored is None and key == snapshot_key(campaign_id):
                prefetched = {
                    to_logical(document)["id"]: document
                    for document in read_partition(store, campaign_id, generation)
                }
        if stored is None:
            return None, None
        return to_logical(stored), stored.get("_etag")

    return load


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


def partition_texts(store: DocumentStore, partition_key: str, generation: int) -> dict[str, str]:
    """The stored JSON of ``generation``'s documents in one partition, by stored id, as the
    store keeps it (``DocumentStore.query_texts``: not decoded)."""
    query = generation_query(partition_key, generation)
    texts: dict[str, str] = {}
    continuation: str | None = None
    while True:
        page = store.query_texts(VIEWS, query, page_size=1_000, continuation=continuation)
        texts.update(page.items)
        if page.continuation is None:
            return texts
        continuation = page.continuation


def logical_texts(store: DocumentStore, partition_key: str, generation: int) -> dict[str, str]:
    """``partition_texts`` by logical id, each text without what only the generation makes
    different (the id's prefix, the trailing ``generation`` field that ``to_stored`` adds), so
    that two builds of one document have equal texts; a text not of that form is kept whole
    (it then equals no other build's)."""
    prefix = prefix_of(generation)
    head, tail = '{"id":"' + prefix, f',"generation":{generation}}}'
    texts: dict[str, str] = {}
    for stored, text in partition_texts(store, partition_key, generation).items():
        logical = stored.removeprefix(prefix)
        fits = text.startswith(head) and text.endswith(tail)
        texts[logical] = text[len(head) : -len(tail)] if fits else f"whole:{text}"
    return texts


def texts_in_both(
    store: DocumentStore, partition_key: str, one: int, other: int
) -> dict[str, str] | None:
    """``logical_texts`` of ``one`` when a partition holds documents in both generations, each
    stored as the same text once what only the generation makes different is set aside (then
    they are equal byte for byte, and so is their watermark): the cheap first check of a
    rebuild's verify; None when it does not."""
    ones = logical_texts(store, partition_key, one)
    return ones if ones and ones == logical_texts(store, partition_key, other) else None


def logical_document(text: str) -> Document:
    """The logical document of one of ``logical_texts``'s texts (of the form they describe)."""
    document: Document = decode_text('{"id":"' + text + "}")
    return document
