"""Event documents of the ``events`` container (docs/storage.md) as projectors read them: the one
decoder of an event document into a ``RecordedEvent``, upcast to the current form by the domain's
one upcast table (``domain.upcasting``), and the campaign a document belongs to.

The documents and their ids are the event store's (``eventstore.documents``); this module only
reads them. The change feed of ``events`` also carries each campaign's head document (and any
other document type the store may add later): only documents with ``docType == "event"`` are
events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from documentstore.port import EVENTS, DocumentStore, Query
from domain.errors import LedgerError
from domain.recorded import RecordedEvent
from domain.upcasting import upcast_data
from eventstore.documents import EVENT_DOC, event_id


def campaign_of(document: Mapping[str, Any]) -> str:
    """The campaign an event document belongs to: its ``streamId``, else its partition key."""
    return str(document.get("streamId") or document.get("partitionKey"))


def tenant_of(documents: Iterable[Mapping[str, Any]]) -> str:
    """The tenant of one campaign's event documents, from the first that names it in its
    metadata (every command's event does); ``default`` when none does."""
    for document in documents:
        metadata = document.get("metadata")
        if isinstance(metadata, Mapping) and isinstance(metadata.get("tenantId"), str):
            return str(metadata["tenantId"])
    return "default"


def is_event_document(document: Mapping[str, Any]) -> bool:
    return document.get("docType") == EVENT_DOC


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
        data = upcast_data(event_type, int(document.get("classVersion", 1)), data)
        metadata = document.get("metadata") or {}
        return RecordedEvent(
            campaign_id=campaign_of(document),
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
    page_size: int = 100,
) -> Iterable[Mapping[str, Any]]:
    """The campaign's event documents with ``after < version <= up_to``, in stream order (one
    partition query, paged ``page_size`` documents at a time; read lazily, so a caller that
    stops early reads no further page)."""
    query = Query(
        partition_key=campaign_id,
        equals={"docType": EVENT_DOC},
        id_gt=event_id(after),
        id_lte=None if up_to is None else event_id(up_to),
    )
    continuation: str | None = None
    while True:
        page = store.query(EVENTS, query, page_size=page_size, continuation=continuation)
        yield from page.items
        if page.continuation is None:
            return
        continuation = page.continuation


def remember_tenant(campaigns: dict[str, str], document: dict[str, object]) -> None:
    """Note the campaign of an event document with its tenant (its creation's, else the one
    its events name, else ``default``)."""
    campaign = campaign_of(document)
    data = document.get("data")
    metadata = document.get("metadata")
    tenant = None
    if document.get("type") == "CampaignCreated" and isinstance(data, dict):
        tenant = data.get("tenantId")
    if tenant is None and isinstance(metadata, dict):
        tenant = metadata.get("tenantId")
    if campaign not in campaigns or document.get("type") == "CampaignCreated":
        campaigns[campaign] = str(tenant or "default")
