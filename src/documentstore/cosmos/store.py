"""The Cosmos DB store: the port's methods on one database, every foreign error translated once
(``_run``) and transient faults retried by the store's ``RetryPolicy``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from azure.core.exceptions import AzureError
from azure.cosmos import ContainerProxy, CosmosClient, PartitionKey
from azure.cosmos.exceptions import CosmosHttpResponseError

from documentstore.backoff import RetryPolicy
from documentstore.batch_rules import check_batch, check_container
from documentstore.cosmos.containers import CONTAINER_DEFINITIONS
from documentstore.cosmos.faults import translate_error
from documentstore.cosmos.wire import (
    QUERY_TOKENS,
    batch_operation,
    cleaned,
    feed_range_name,
    query_sql,
    sdk_feed_range,
)
from documentstore.paging import open_page
from documentstore.port import (
    CONTAINERS,
    Delete,
    Document,
    DocumentStore,
    FeedPage,
    JsonScalar,
    Operation,
    Page,
    Query,
)
from documentstore.scanning import check_scan
from domain.errors import StoreError

Result = TypeVar("Result")

READ_MANY_CONCURRENCY = 8
"""Point reads of one ``read_many`` in flight at once (a command names a handful of ids)."""


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
        self._reader_pool: ThreadPoolExecutor | None = None

    @property
    def database_name(self) -> str:
        return self._database_name

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
            return cleaned(item)

        return self._run(read_item, what="read")

    def read_many(
        self, container: str, partition_key: str, document_ids: Sequence[str]
    ) -> list[Document]:
        """Point reads of every id, all in flight together: one round trip of latency, and
        what Cosmos DB charges least for (1 RU per document up to 1 KB, where a query costs
        its own minimum and, on the test server, a scan of the whole container)."""
        wanted = list(dict.fromkeys(document_ids))
        if len(wanted) <= 1:
            found = [self.read(container, partition_key, document_id) for document_id in wanted]
        else:
            found = list(
                self._readers().map(
                    lambda document_id: self.read(container, partition_key, document_id), wanted
                )
            )
        return [document for document in found if document is not None]

    def _readers(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._reader_pool is None:
                self._reader_pool = ThreadPoolExecutor(
                    max_workers=READ_MANY_CONCURRENCY, thread_name_prefix="cosmos-read-many"
                )
            return self._reader_pool

    def query(
        self,
        container: str,
        query: Query,
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        request = open_page(
            container, query, page_size=page_size, continuation=continuation, tokens=QUERY_TOKENS
        )
        proxy = self._container(container)
        sql, parameters = query_sql(query)

        def fetch_page() -> tuple[list[Document], str | None]:
            pages = proxy.query_items(
                sql,
                parameters=parameters,
                partition_key=query.partition_key,
                max_item_count=request.size,
            ).by_page(request.after)
            page = next(pages, None)
            items = [] if page is None else [cleaned(item) for item in page]
            token: str | None = pages.continuation_token  # type: ignore[attr-defined]
            return items, token

        return request.answer(lambda: self._run(fetch_page, what="query"))

    def scan(
        self,
        container: str,
        equals: Mapping[str, JsonScalar],
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        """A cross-partition query (the SDK fans it out over the physical partitions)."""
        check_scan(container, equals, page_size)
        after = None if continuation is None else QUERY_TOKENS.decode(continuation, ())[0]
        proxy = self._container(container)
        sql, parameters = query_sql(Query(partition_key="", equals=equals, order_by=()))

        def fetch_page() -> Page:
            pages = proxy.query_items(
                sql,
                parameters=parameters,
                enable_cross_partition_query=True,
                max_item_count=page_size,
            ).by_page(after)
            page = next(pages, None)
            items = [] if page is None else [cleaned(item) for item in page]
            token: str | None = pages.continuation_token  # type: ignore[attr-defined]
            return Page(items, None if token is None else QUERY_TOKENS.encode(token, None))

        return self._run(fetch_page, what="scan")

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
            batch = [batch_operation(operation) for operation in operations]
            responses = proxy.execute_item_batch(batch, partition_key=partition_key)
            return [
                None
                if isinstance(operation, Delete) or not response.get("resourceBody")
                else cleaned(response["resourceBody"])
                for operation, response in zip(operations, responses, strict=True)
            ]

        return self._run(execute, what="batch")

    def feed_ranges(self, container: str) -> list[str]:
        proxy = self._container(container)

        def read_ranges() -> list[str]:
            return sorted(feed_range_name(item) for item in proxy.read_feed_ranges())

        return self._run(read_ranges, what="feed ranges")

    def feed_range_of(self, container: str, partition_key: str) -> str:
        """The physical range whose bounds hold the partition key's effective hash (the SDK
        computes the hash locally and caches the container's ranges)."""
        proxy = self._container(container)

        def find_range() -> str:
            point = proxy.feed_range_from_partition_key(partition_key)
            for item in proxy.read_feed_ranges():
                if proxy.is_feed_range_subset(item, point):
                    return feed_range_name(item)
            raise StoreError(f"no feed range of {container} holds partition key {partition_key}")

        return self._run(find_range, what="feed range of a partition key")

    def read_feed(
        self,
        container: str,
        feed_range: str,
        continuation: str | None,
        *,
        max_items: int = 100,
    ) -> FeedPage:
        proxy = self._container(container)
        scope = sdk_feed_range(feed_range)

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
            items = [] if page is None else [cleaned(item) for item in page]
            token = seen.get("headers", {}).get("etag")
            if not isinstance(token, str):
                raise StoreError("Cosmos DB change feed answered without a continuation")
            return FeedPage(items=items, continuation=token)

        return self._run(read_changes, what="read feed")

    def transient_retries(self) -> dict[str, int]:
        return self._retry.tally.as_dict()

    def close(self) -> None:
        with self._lock:
            pool, self._reader_pool = self._reader_pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        self._client.close()

    def _container(self, name: str) -> ContainerProxy:
        check_container(name)
        return self._containers[name]

    def _run(self, action: Callable[[], Result], *, what: str) -> Result:
        """``action`` with its azure errors translated, transient ones retried."""

        def translated() -> Result:
            try:
                return action()
            except AzureError as error:
                raise translate_error(error, what) from error

        return self._retry.run(translated, what=what)
