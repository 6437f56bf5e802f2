"""Azure Cosmos DB adapter of the document-store port.

The composition root builds one ``CosmosClient`` per process with ``connect_cosmos`` and hands it
to ``CosmosDocumentStore``. Every foreign error (``CosmosHttpResponseError``,
``CosmosBatchOperationError``, azure-core's transport errors) is translated once, by the store,
into ``domain.errors`` (``translate_error``).

Retries have one owner. ``connect_cosmos`` turns off the SDK's own throttling (429) and
connection retries, and ``RetryPolicy`` retries the transient faults (429 honouring its
retry-after, 408, 449, 503, connection resets and timeouts) with bounded, jittered backoff
before they surface as ``StoreThrottled`` / ``StoreUnavailable``. The SDK keeps what only it can
do: region failover, partition-split (410) and session retries.

A batch whose outcome is unknown (a timeout after it was sent) is retried too: it cannot apply
twice, because its creates meet their own documents (409) and its conditional replaces meet the
new etag (412). The caller that needs to know (the event store) recognises its own earlier
write by an id unique to that batch, which it writes into the batch's documents.

Modules: ``store`` (the port), ``client`` (``connect_cosmos``), ``containers`` (partition keys
and indexing), ``wire`` (documents, batch operations, SQL and feed ranges as the SDK takes
them) and ``faults`` (the SDK's errors translated).
"""

from documentstore.cosmos.client import connect_cosmos
from documentstore.cosmos.containers import CONTAINER_DEFINITIONS, EVENTS_INDEXING, VIEWS_INDEXING
from documentstore.cosmos.faults import translate_error
from documentstore.cosmos.store import CosmosDocumentStore

__all__ = [
    "CONTAINER_DEFINITIONS",
    "EVENTS_INDEXING",
    "VIEWS_INDEXING",
    "CosmosDocumentStore",
    "connect_cosmos",
    "translate_error",
]
