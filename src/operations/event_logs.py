"""The event logs of a store as an operator sweeps them: the heads of every campaign (one
scan across partitions, ``DocumentStore.scan``) and each campaign's event documents page by
page, so that memory holds one page whatever the store's size."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from documentstore.port import EVENTS, Document, DocumentStore, Query
from eventstore.documents import EVENT_DOC, HEAD_DOC, HEAD_ID, event_id

PAGE_SIZE = 1000
"""Event documents per page: large pages, few round trips, memory bounded by one."""
HEADS_PAGE_SIZE = 100
"""Heads per page of a sweep: a head carries its campaign's core snapshot (kilobytes), so
fewer of them per page keep memory small."""


@dataclass(frozen=True)
class StoredCampaign:
    """A campaign as its head document shows it: its id and its stream version."""

    campaign_id: str
    version: int


def campaign_heads(store: DocumentStore) -> Iterator[StoredCampaign]:
    """Every campaign of the store (the head of each stream; tombstones left out)."""
    continuation: str | None = None
    while True:
        page = store.scan(
            EVENTS, {"id": HEAD_ID}, page_size=HEADS_PAGE_SIZE, continuation=continuation
        )
        for head in page.items:
            if head.get("docType") == HEAD_DOC:
                yield StoredCampaign(str(head["partitionKey"]), int(head["version"]))
        continuation = page.continuation
        if continuation is None:
            return


def head_of(store: DocumentStore, campaign_id: str) -> Document | None:
    """The document at a campaign's head id: its head, its tombstone, or None."""
    return store.read(EVENTS, campaign_id, HEAD_ID)


def event_documents(
    store: DocumentStore, campaign_id: str, *, after: int = 0, up_to: int | None = None
) -> Iterator[Document]:
    """The campaign's event documents with ``after < version <= up_to`` in stream order."""
    query = Query(
        partition_key=campaign_id,
        equals={"docType": EVENT_DOC},
        id_gt=event_id(after),
        id_lte=None if up_to is None else event_id(up_to),
    )
    continuation: str | None = None
    while True:
        page = store.query(EVENTS, query, page_size=PAGE_SIZE, continuation=continuation)
        yield from page.items
        continuation = page.continuation
        if continuation is None:
            return
