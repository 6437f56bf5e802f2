"""The Cosmos DB containers: their partition keys and indexing policies."""

from __future__ import annotations

from typing import Any

from documentstore.port import EVENTS, LEASES, VIEWS

_SYSTEM_PATH = {"path": '/"_etag"/?'}

EVENTS_INDEXING: dict[str, Any] = {
    "indexingMode": "consistent",
    "automatic": True,
    "includedPaths": [{"path": "/*"}],
    "excludedPaths": [
        {"path": "/data/*"},
        {"path": "/snapshot/*"},
        {"path": "/stateBase64/?"},
        _SYSTEM_PATH,
    ],
}
"""Event payloads and snapshots are read, never queried: they stay out of the index. The one
query (a stream's events or snapshots: ``docType`` equality, an ``id`` range, ``ORDER BY id``)
needs only single-field range indexes, which ``/*`` keeps."""

VIEWS_INDEXING: dict[str, Any] = {
    "indexingMode": "consistent",
    "automatic": True,
    "includedPaths": [{"path": "/*"}],
    "excludedPaths": [{"path": "/body/*"}, {"path": "/state/*"}, _SYSTEM_PATH],
}
"""View bodies and projector state stay out of the index. The queries (a generation's
documents: an ``id`` range; the tenant campaign list: an ``id`` range with equality on
``docType``, ``campaignDeleted`` and ``status``, ``ORDER BY id``, whose ids encode the inverted
``createdAt``) need single-field indexes only, so there is no composite index."""

CONTAINER_DEFINITIONS: dict[str, tuple[str, dict[str, Any] | None]] = {
    EVENTS: ("/partitionKey", EVENTS_INDEXING),
    VIEWS: ("/partitionKey", VIEWS_INDEXING),
    LEASES: ("/id", None),
}
"""Each container's partition key path and indexing policy (None: the default)."""
