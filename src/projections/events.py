"""Event documents of the ``events`` container (docs/storage.md) as projectors read them.

The change feed of ``events`` also carries each campaign's head document (and any other
document type the store may add later): only documents with ``docType == "event"`` are events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from documentstore.port import EVENTS, DocumentStore, Query
from domain.errors import LedgerError
from domain.recorded import RecordedEvent

EVENT_DOC_TYPE = "event"

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
UPCASTERS: Mapping[tuple[str, int], Upcaster] = {}
"""``(event type, stored classVersion) -> data in the next classVersion``. None exist yet: the
catalog has only version 1. An event of an older form is brought forward step by step, the
same way the aggregate's ``upcast_vX_vY`` methods do."""


def event_document_id(version: int) -> str:
    """``e-0000000007``: ids sort in stream order (docs/storage.md)."""
    return f"e-{version:010d}"


def is_event_document(document: Mapping[str, Any]) -> bool:
    return document.get("docType") == EVENT_DOC_TYPE


def parse_event_document(document: Mapping[str, Any]) -> RecordedEvent:
    """The ``RecordedEvent`` an event document holds.

    An event stored as library bytes (``stateBase64``: a cipher or compressor was in use) or
    otherwise malformed cannot be projected: ``LedgerError`` with code ``unprojectable-event``.
    """
    try:
        data = document["data"]
        if not isinstance(data, dict):
            raise TypeError("data is not a JSON object")
        event_type = str(document["type"])
        class_version = int(document.get("classVersion", 1))
        while (event_type, class_version) in UPCASTERS:
            data = UPCASTERS[event_type, class_version](dict(data))
            class_version += 1
        metadata = document.get("metadata") or {}
        return RecordedEvent(
            campaign_id=str(document.get("streamId") or document["partitionKey"]),
            version=int(document["version"]),
            type=event_type,
            data=dict(data),
            metadata=dict(metadata),
            timestamp=str(document["timestamp"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        reason = (
            "it is stored as library bytes (stateBase64)"
            if "stateBase64" in document
            else f"it is malformed ({type(error).__name__}: {error})"
        )
        raise LedgerError(
            f"event document {document.get('id')!r} of {document.get('partitionKey')!r} "
            f"cannot be projected: {reason}",
            code="unprojectable-event",
        ) from error


def read_campaign_events(
    store: DocumentStore,
    campaign_id: str,
    *,
    after: int = 0,
    up_to: int | None = None,
) -> Iterable[Mapping[str, Any]]:
    """The campaign's event documents with ``after < version <= up_to``, in stream order (one
    partition query, paged)."""
    query = Query(
        partition_key=campaign_id,
        equals={"docType": EVENT_DOC_TYPE},
        id_gt=event_document_id(after),
        id_lte=None if up_to is None else event_document_id(up_to),
    )
    continuation: str | None = None
    while True:
        page = store.query(EVENTS, query, continuation=continuation)
        yield from page.items
        if page.continuation is None:
            return
        continuation = page.continuation
