"""Everything in ``views`` as comparable bytes, for "identical to one clean pass" assertions.

Read through the change feed from the beginning, so it works on every adapter of the port."""

from __future__ import annotations

from documentstore.port import VIEWS, DocumentStore
from projections.generations import to_logical
from projections.stored_views import canonical_bytes


def dump_views(
    store: DocumentStore, *, generation: int | None = None
) -> dict[tuple[str, str], bytes]:
    """``(partition, logical id) -> canonical bytes`` of the documents of ``generation`` (default:
    all generations, keyed with the stored id instead)."""
    dumped: dict[tuple[str, str], bytes] = {}
    for feed_range in store.feed_ranges(VIEWS):
        continuation: str | None = None
        while True:
            page = store.read_feed(VIEWS, feed_range, continuation, max_items=100)
            for document in page.items:
                if generation is not None and document.get("generation") != generation:
                    continue
                logical = to_logical(document)
                key_id = logical["id"] if generation is not None else document["id"]
                dumped[(document["partitionKey"], key_id)] = canonical_bytes(logical)
            if not page.items:
                break
            continuation = page.continuation
    return dumped
