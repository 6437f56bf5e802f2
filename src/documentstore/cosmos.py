"""Azure Cosmos DB adapter of the document-store port.

The composition root builds one ``CosmosClient`` per process with ``connect_cosmos`` and hands it
to ``CosmosDocumentStore``. Every foreign error (``CosmosHttpResponseError``,
``CosmosBatchOperationError``, azure-core's transport errors) is translated here, once, into
``domain.errors``.

Retries have one owner. ``connect_cosmos`` turns off the SDK's own throttling (429) and
connection retries, and ``RetryPolicy`` retries the transient faults (429 honouring its
retry-after, 408, 449, 503, connection resets and timeouts) with bounded, jittered backoff
before they surface as ``StoreThrottled`` / ``StoreUnavailable``. The SDK keeps what only it can
do: region failover, partition-split (410) and session retries.

A batch whose outcome is unknown (a timeout after it was sent) is retried too: it cannot apply
twice, because its creates meet their own documents (409) and its conditional replaces meet the
new etag (412). The caller that needs to know (the event store) recognises its own earlier
write by an id unique to that batch, which it writes into the batch's documents.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.cosmos import ContainerProxy, CosmosClient, PartitionKey
from azure.cosmos._retry_options import RetryOptions  # the SDK exports it only from here
from azure.cosmos.documents import ConnectionPolicy
from azure.cosmos.exceptions import (
    CosmosBatchOperationError,
    CosmosClientTimeoutError,
    CosmosHttpResponseError,
)

from documentstore.backoff import RetryPolicy
from documentstore.port import (
    CONTAINERS,
    EVENTS,
    LEASES,
    SYSTEM_FIELDS,
    VIEWS,
    Create,
    Delete,
    Document,
    DocumentStore,
    FeedPage,
    Operation,
    Page,
    Query,
    Replace,
    Upsert,
    check_batch,
    check_field_name,
    without_system_fields,
)
from domain.errors import (
    CommandTooLarge,
    DocumentConflict,
    DocumentNotFound,
    EtagMismatch,
    InvalidInput,
    StoreError,
    StoreThrottled,
    StoreUnavailable,
)

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

Result = TypeVar("Result")

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

_KEPT_SYSTEM_FIELDS = frozenset({"_etag", "_ts"})
_TRANSIENT_STATUSES = frozenset({408, 449, 503})
_FEED_RANGE_PREFIX = "epk:"


def connect_cosmos(
    endpoint: str,
    *,
    key: str | None = None,
    credential: TokenCredential | None = None,
    **client_options: Any,
) -> CosmosClient:
    """The process's one Cosmos DB client, by account key or by an Azure AD credential.

    Without a key and a credential it uses ``DefaultAzureCredential`` (managed identity in
    Azure, the developer's login locally). The SDK's throttling and connection retries are
    turned off: ``CosmosDocumentStore`` owns retrying (see the module docstring).
    ``client_options`` go to ``CosmosClient`` (for example ``transport`` or timeouts).
    """
    if key:
        auth: str | TokenCredential = key
    elif credential is not None:
        auth = credential
    else:
        from azure.identity import DefaultAzureCredential

        auth = DefaultAzureCredential()
    policy = ConnectionPolicy()
    policy.RetryOptions = RetryOptions(max_retry_attempt_count=0)
    return CosmosClient(
        endpoint,
        credential=auth,
        connection_policy=policy,
        retry_total=0,
        retry_connect=0,
        retry_read=0,
        retry_status=0,
        **client_options,
    )


class CosmosDocumentStore(DocumentStore):
    """The port on one Cosmos DB database (``events``, ``views``, ``leases``)."""

    kind = "cosmos"

    def __init__(
        self, client: CosmosClient, database: str, *, retry: RetryPolicy | None = None
    ) -> None:
        self._client = client
        self._database_name = database
        self._database = client.get_database_client(database)
        self._containers: dict[str, ContainerProxy] = {
            name: self._database.get_container_client(name) for name in CONTAINERS
        }
        self._retry = retry or RetryPolicy()
        self._lock = threading.Lock()
        self._initialised = False

    @property
    def database_name(self) -> str:
        return self._database_name

    # --- the port -------------------------------------------------------------------------

    def initialise(self) -> None:
        with self._lock:
            if self._initialised:
                return

            def create() -> None:
                database = self._client.create_database_if_not_exists(self._database_name)
                for name, (path, indexing) in CONTAINER_DEFINITIONS.items():
                    database.create_container_if_not_exists(
                        id=name,
                        partition_key=PartitionKey(path=path),
                        indexing_policy=indexing,
                    )

            self._run(create, what="initialise")
            self._initialised = True

    def read(self, container: str, partition_key: str, document_id: str) -> Document | None:
        proxy = self._container(container)

        def read_item() -> Document | None:
            try:
                item = proxy.read_item(item=document_id, partition_key=partition_key)
            except CosmosHttpResponseError as error:
                if error.status_code == 404 and not error.sub_status:
                    return None
                raise
            return _cleaned(item)

        return self._run(read_item, what="read")

    def query(
        self,
        container: str,
        query: Query,
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        proxy = self._container(container)
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        sql, parameters = _sql(query)
        position = _QueryPosition.parse(continuation, query.limit)
        remaining = position.remaining
        if remaining is not None and remaining <= 0:
            return Page(items=[], continuation=None)
        wanted = page_size if remaining is None else min(page_size, remaining)

        def fetch_page() -> tuple[list[Document], str | None]:
            pages = proxy.query_items(
                sql,
                parameters=parameters,
                partition_key=query.partition_key,
                max_item_count=wanted,
            ).by_page(position.token)
            page = next(pages, None)
            items = [] if page is None else [_cleaned(item) for item in page]
            token: str | None = pages.continuation_token  # type: ignore[attr-defined]
            return items, token

        items, token = self._run(fetch_page, what="query")
        items = items[:wanted]
        left = None if remaining is None else remaining - len(items)
        if token is None or (left is not None and left <= 0):
            return Page(items=items, continuation=None)
        return Page(items=items, continuation=_QueryPosition(token, left).encoded())

    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        check_batch(container, partition_key, operations)
        if not operations:
            return []
        proxy = self._container(container)

        def execute() -> list[Document | None]:
            # Built afresh for every attempt: the SDK pops ``if_match_etag`` out of the
            # operations it is given, so a reused list would retry without its conditions.
            batch = [_batch_operation(operation) for operation in operations]
            responses = proxy.execute_item_batch(batch, partition_key=partition_key)
            return [
                None
                if isinstance(operation, Delete) or not response.get("resourceBody")
                else _cleaned(response["resourceBody"])
                for operation, response in zip(operations, responses, strict=True)
            ]

        return self._run(execute, what="batch")

    def feed_ranges(self, container: str) -> list[str]:
        proxy = self._container(container)

        def read_ranges() -> list[str]:
            return sorted(_feed_range_name(item) for item in proxy.read_feed_ranges())

        return self._run(read_ranges, what="feed ranges")

    def read_feed(
        self,
        container: str,
        feed_range: str,
        continuation: str | None,
        *,
        max_items: int = 100,
    ) -> FeedPage:
        proxy = self._container(container)
        scope = _feed_range(feed_range)

        def read_changes() -> FeedPage:
            # The SDK writes the resumable position into the page's response headers after
            # our hook saw them; keeping the reference (not a copy) is thread-safe, unlike
            # client_connection.last_response_headers, which every request overwrites.
            seen: dict[str, Mapping[str, Any]] = {}

            def keep_headers(headers: Mapping[str, Any], _: Any) -> None:
                seen["headers"] = headers

            options: dict[str, Any] = {"max_item_count": max_items, "response_hook": keep_headers}
            if continuation is None:
                options.update(feed_range=scope, start_time="Beginning")
            else:
                options["continuation"] = continuation
            pages = proxy.query_items_change_feed(**options).by_page()
            page = next(pages, None)
            items = [] if page is None else [_cleaned(item) for item in page]
            token = seen.get("headers", {}).get("etag")
            if not isinstance(token, str):
                raise StoreError("Cosmos DB change feed answered without a continuation")
            return FeedPage(items=items, continuation=token)

        return self._run(read_changes, what="read feed")

    def close(self) -> None:
        self._client.close()

    # --- helpers --------------------------------------------------------------------------

    def _container(self, name: str) -> ContainerProxy:
        try:
            return self._containers[name]
        except KeyError:
            raise ValueError(f"unknown container {name!r}") from None

    def _run(self, action: Callable[[], Result], *, what: str) -> Result:
        def translated() -> Result:
            try:
                return action()
            except AzureError as error:
                raise translate_error(error, what) from error

        return self._retry.run(translated, what=what)


# --- errors ------------------------------------------------------------------------------


def translate_error(error: AzureError, what: str) -> StoreError:
    """The domain error for a foreign Cosmos DB or azure-core error."""
    if isinstance(error, CosmosBatchOperationError):
        index = error.error_index
        responses = error.operation_responses or []
        status = int(error.status_code or 0)
        if index is not None and index < len(responses):
            status = int(responses[index].get("statusCode", status))
        return _for_status(status, error.headers or {}, str(error.message), what, index)
    if isinstance(error, CosmosHttpResponseError):
        status = int(error.status_code or 0)
        return _for_status(status, error.headers or {}, str(error.message), what, None)
    if isinstance(error, CosmosClientTimeoutError | ServiceRequestError | ServiceResponseError):
        return StoreUnavailable(f"Cosmos DB {what}: {error}", retry_after=1.0)
    if isinstance(error, HttpResponseError):
        status = int(error.status_code or 0)
        headers: Mapping[str, Any] = getattr(error.response, "headers", None) or {}
        return _for_status(status, headers, str(error.message), what, None)
    return StoreError(f"Cosmos DB {what} failed: {error}")


def _for_status(
    status: int,
    headers: Mapping[str, Any],
    message: str,
    what: str,
    operation_index: int | None,
) -> StoreError:
    detail = f"Cosmos DB {what} answered {status}: {message.splitlines()[0] if message else ''}"
    if status == 429:
        return StoreThrottled(detail, retry_after=_retry_after(headers))
    if status in _TRANSIENT_STATUSES:
        return StoreUnavailable(detail, retry_after=_retry_after(headers))
    if status == 409:
        return DocumentConflict(detail, operation_index=operation_index)
    if status == 412:
        return EtagMismatch(detail, operation_index=operation_index)
    if status == 404:
        return DocumentNotFound(detail, operation_index=operation_index)
    if status == 413 or (status == 400 and "too large" in message.lower()):
        return CommandTooLarge(detail)
    return StoreError(detail)


def _retry_after(headers: Mapping[str, Any]) -> float:
    """Seconds the server asks us to wait: ``x-ms-retry-after-ms``, else ``Retry-After``."""
    lowered = {str(key).lower(): value for key, value in headers.items()}
    for name, scale in (("x-ms-retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return max(float(lowered[name]) * scale, 0.0)
        except (KeyError, TypeError, ValueError):
            continue
    return 1.0


# --- documents, queries and feed ranges ----------------------------------------------------


def _cleaned(item: Mapping[str, Any]) -> Document:
    """A document as the port returns it: the store's fields reduced to ``_etag`` and ``_ts``."""
    return {
        key: value
        for key, value in item.items()
        if key not in SYSTEM_FIELDS or key in _KEPT_SYSTEM_FIELDS
    }


def _batch_operation(operation: Operation) -> tuple[Any, ...]:
    if isinstance(operation, Delete):
        return _with_etag(("delete", (operation.id,)), operation.if_match)
    document = without_system_fields(operation.document)
    if isinstance(operation, Create):
        return ("create", (document,))
    if isinstance(operation, Replace):
        return _with_etag(("replace", (document["id"], document)), operation.if_match)
    assert isinstance(operation, Upsert)
    return _with_etag(("upsert", (document,)), operation.if_match)


def _with_etag(operation: tuple[Any, ...], if_match: str | None) -> tuple[Any, ...]:
    return operation if if_match is None else (*operation, {"if_match_etag": if_match})


def _field(name: str) -> str:
    return f'c["{check_field_name(name)}"]'


def _sql(query: Query) -> tuple[str, list[dict[str, Any]]]:
    """Parameterised Cosmos SQL for a port query (values never enter the text)."""
    clauses: list[str] = []
    parameters: list[dict[str, Any]] = []
    for number, (name, value) in enumerate(query.equals.items()):
        clauses.append(f"{_field(name)} = @equals{number}")
        parameters.append({"name": f"@equals{number}", "value": value})
    if query.id_gt is not None:
        clauses.append("c.id > @idGt")
        parameters.append({"name": "@idGt", "value": query.id_gt})
    if query.id_lte is not None:
        clauses.append("c.id <= @idLte")
        parameters.append({"name": "@idLte", "value": query.id_lte})
    sql = "SELECT * FROM c"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    if query.order_by:
        sql += " ORDER BY " + ", ".join(
            f"{_field(name)} {'DESC' if descending else 'ASC'}"
            for name, descending in query.order_by
        )
    return sql, parameters


class _QueryPosition:
    """Our continuation: Cosmos DB's own token plus how many items the limit still allows."""

    def __init__(self, token: str | None, remaining: int | None) -> None:
        self.token = token
        self.remaining = remaining

    def encoded(self) -> str:
        raw = json.dumps({"token": self.token, "remaining": self.remaining}).encode()
        return base64.urlsafe_b64encode(raw).decode()

    @classmethod
    def parse(cls, continuation: str | None, limit: int | None) -> _QueryPosition:
        if continuation is None:
            return cls(None, limit)
        try:
            state = json.loads(base64.urlsafe_b64decode(continuation.encode()))
            token, remaining = state["token"], state["remaining"]
            valid = isinstance(token, str) and (remaining is None or isinstance(remaining, int))
        except (binascii.Error, ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            raise InvalidInput("the continuation token is not valid", code="invalid-continuation")
        return cls(token, remaining)


def _feed_range_name(feed_range: Mapping[str, Any]) -> str:
    """A stable name for an SDK feed range: its effective-partition-key bounds."""
    bounds = feed_range["Range"]
    return f"{_FEED_RANGE_PREFIX}{bounds['min']}:{bounds['max']}"


def _feed_range(name: str) -> dict[str, Any]:
    if not name.startswith(_FEED_RANGE_PREFIX) or name.count(":") != 2:
        raise ValueError(f"not a Cosmos DB feed range name: {name!r}")
    low, high = name[len(_FEED_RANGE_PREFIX) :].split(":")
    return {"Range": {"min": low, "max": high, "isMinInclusive": True, "isMaxInclusive": False}}
