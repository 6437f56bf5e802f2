"""In-memory adapter of the document-store port: the fake for unit tests and a reference for
the port's semantics (etags, atomic batches, size limits, an ordered change feed).

Everything lives in one process's memory and is guarded by one lock, so threads (the
in-process change-feed processor beside the HTTP service) may share an instance. Documents are
copied on the way in and out: a caller never holds a reference into the store.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from documentstore.batch_rules import check_batch, check_container
from documentstore.paging import SortKeys, TokenFormat, open_page
from documentstore.port import (
    CONTAINERS,
    Create,
    Delete,
    Document,
    DocumentStore,
    FeedPage,
    JsonScalar,
    Operation,
    Page,
    Query,
    Replace,
    without_system_fields,
)
from documentstore.scanning import check_scan, matches, scan_position, scan_token
from domain.errors import (
    DocumentConflict,
    DocumentNotFound,
    EtagMismatch,
    InvalidContinuation,
)

_MISSING = object()


def _is_offset(position: Any, _: SortKeys) -> bool:
    return isinstance(position, int) and not isinstance(position, bool) and position >= 0


_TOKENS = TokenFormat("offset", _is_offset)
"""A query resumes at the offset of its next item in the ordered matches."""


@dataclass
class _Stored:
    """One stored document with the store's bookkeeping beside it."""

    body: Document
    etag: str
    timestamp: int
    sequence: int


_Partition = dict[str, _Stored]


class InMemoryDocumentStore(DocumentStore):
    """The port over plain dictionaries.

    ``feed_range_count`` splits each container's change feed into that many ranges by a stable
    hash of the partition key, so processors that follow several ranges can be tested.
    ``clock`` gives ``_ts`` (epoch seconds); it never influences ordering.
    """

    kind = "memory"

    def __init__(
        self, *, feed_range_count: int = 1, clock: Callable[[], float] = time.time
    ) -> None:
        if feed_range_count < 1:
            raise ValueError("feed_range_count must be at least 1")
        self._feed_range_count = feed_range_count
        self._clock = clock
        self._lock = threading.RLock()
        self._containers: dict[str, dict[str, _Partition]] = {name: {} for name in CONTAINERS}
        self._sequence = itertools.count(1)

    def initialise(self) -> None:
        """Nothing to create: the three containers exist from the start."""

    # --- reads ---------------------------------------------------------------------------

    def read(self, container: str, partition_key: str, document_id: str) -> Document | None:
        with self._lock:
            stored = self._partition(container, partition_key).get(document_id)
            return None if stored is None else _visible(stored)

    def read_many(
        self, container: str, partition_key: str, document_ids: Sequence[str]
    ) -> list[Document]:
        with self._lock:
            partition = self._partition(container, partition_key)
            found = (partition.get(document_id) for document_id in dict.fromkeys(document_ids))
            return [_visible(stored) for stored in found if stored is not None]

    def query(
        self,
        container: str,
        query: Query,
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        request = open_page(
            container, query, page_size=page_size, continuation=continuation, tokens=_TOKENS
        )

        def slice_page() -> tuple[list[Document], int | None]:
            with self._lock:
                matches = [
                    stored
                    for stored in self._partition(container, query.partition_key).values()
                    if _matches(stored.body, query)
                ]
                ordered = _ordered(matches, request.sort_keys)
            offset: int = request.after or 0
            page = ordered[offset : offset + request.size]
            end = offset + len(page)
            return [_visible(stored) for stored in page], end if end < len(ordered) else None

        return request.answer(slice_page)

    def scan(
        self,
        container: str,
        equals: Mapping[str, JsonScalar],
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        check_scan(container, equals, page_size)
        after = scan_position(continuation)
        with self._lock:
            found = sorted(
                (partition_key, document_id, stored)
                for partition_key, partition in self._containers[container].items()
                for document_id, stored in partition.items()
                if (after is None or (partition_key, document_id) > after)
                and matches(stored.body, equals)
            )
        page = found[:page_size]
        token = scan_token(page[-1][0], page[-1][1]) if len(found) > page_size else None
        return Page(items=[_visible(stored) for _, _, stored in page], continuation=token)

    # --- writes --------------------------------------------------------------------------

    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        check_batch(container, partition_key, operations)
        with self._lock:
            partition = self._partition(container, partition_key)
            working: dict[str, _Stored | None] = {}
            results: list[_Stored | None] = []
            for index, operation in enumerate(operations):
                results.append(self._apply(partition, working, operation, index))
            committed = self._containers[container].setdefault(partition_key, {})
            for document_id, stored in working.items():
                if stored is None:
                    committed.pop(document_id, None)
                else:
                    committed[document_id] = stored
            if not committed:
                del self._containers[container][partition_key]
            return [None if stored is None else _visible(stored) for stored in results]

    def _apply(
        self,
        partition: _Partition,
        working: dict[str, _Stored | None],
        operation: Operation,
        index: int,
    ) -> _Stored | None:
        document_id = operation.id if isinstance(operation, Delete) else operation.document["id"]
        current = working.get(document_id, partition.get(document_id, None))
        if isinstance(operation, Create):
            if current is not None:
                raise DocumentConflict(
                    f"document {document_id!r} already exists", operation_index=index
                )
        elif isinstance(operation, Replace | Delete):
            if current is None:
                raise DocumentNotFound(
                    f"document {document_id!r} does not exist", operation_index=index
                )
            _check_etag(current, operation.if_match, index)
        elif current is not None:
            _check_etag(current, operation.if_match, index)
        if isinstance(operation, Delete):
            working[document_id] = None
            return None
        sequence = next(self._sequence)
        stored = _Stored(
            body=copy.deepcopy(without_system_fields(operation.document)),
            etag=f'"{sequence:012x}"',
            timestamp=int(self._clock()),
            sequence=sequence,
        )
        working[document_id] = stored
        return stored

    # --- change feed ---------------------------------------------------------------------

    def feed_ranges(self, container: str) -> list[str]:
        self._known(container)
        return [f"range-{index}" for index in range(self._feed_range_count)]

    def feed_range_of(self, container: str, partition_key: str) -> str:
        self._known(container)
        return self._range_of(partition_key)

    def read_feed(
        self,
        container: str,
        feed_range: str,
        continuation: str | None,
        *,
        max_items: int = 100,
    ) -> FeedPage:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        if feed_range not in self.feed_ranges(container):
            raise ValueError(f"unknown feed range {feed_range!r} of {container!r}")
        after = _feed_position(continuation)
        with self._lock:
            changed = [
                stored
                for partition_key, partition in self._containers[container].items()
                if self._range_of(partition_key) == feed_range
                for stored in partition.values()
                if stored.sequence > after
            ]
        changed.sort(key=lambda stored: stored.sequence)
        page = changed[:max_items]
        position = page[-1].sequence if page else after
        return FeedPage(items=[_visible(stored) for stored in page], continuation=str(position))

    # --- helpers -------------------------------------------------------------------------

    def _known(self, container: str) -> dict[str, _Partition]:
        check_container(container)
        return self._containers[container]

    def _partition(self, container: str, partition_key: str) -> _Partition:
        """The partition's documents (read only: writes go through ``execute_batch``)."""
        return self._known(container).get(partition_key, {})

    def _range_of(self, partition_key: str) -> str:
        bucket = zlib.crc32(partition_key.encode("utf-8")) % self._feed_range_count
        return f"range-{bucket}"


def _visible(stored: _Stored) -> Document:
    """The document as reads return it: the caller's fields plus ``_etag`` and ``_ts``."""
    document = copy.deepcopy(stored.body)
    document["_etag"] = stored.etag
    document["_ts"] = stored.timestamp
    return document


def _check_etag(current: _Stored, if_match: str | None, index: int) -> None:
    if if_match is not None and if_match != current.etag:
        raise EtagMismatch(
            f"document {current.body['id']!r} changed since etag {if_match}",
            operation_index=index,
        )


def _feed_position(continuation: str | None) -> int:
    """The change-feed sequence number a continuation names (0: the beginning)."""
    if continuation is None:
        return 0
    if not continuation.isdigit():
        raise InvalidContinuation("the continuation token is not valid")
    return int(continuation)


def _same_json_value(left: Any, right: Any) -> bool:
    """JSON equality: booleans are not numbers, and a missing field equals nothing."""
    if left is _MISSING:
        return False
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    return bool(left == right)


def _matches(document: Document, query: Query) -> bool:
    for name, value in query.equals.items():
        if not _same_json_value(document.get(name, _MISSING), value):
            return False
    document_id = document["id"]
    if query.id_gt is not None and not document_id > query.id_gt:
        return False
    return query.id_lte is None or document_id <= query.id_lte


def _sort_key(value: Any) -> tuple[int, Any]:
    """Cosmos DB's order across types: undefined < null < booleans < numbers < strings."""
    if value is _MISSING:
        return (0, 0)
    if value is None:
        return (1, 0)
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, int | float):
        return (3, value)
    if isinstance(value, str):
        return (4, value)
    return (5, repr(value))


def _ordered(matches: list[_Stored], sort_keys: SortKeys) -> list[_Stored]:
    """Sorted by each ``(field, descending)`` in turn (stable sorts, last key first)."""
    ordered = list(matches)
    for name, descending in reversed(sort_keys):
        ordered.sort(key=_field_sort_key(name), reverse=descending)
    return ordered


def _field_sort_key(name: str) -> Callable[[_Stored], tuple[int, Any]]:
    def key(stored: _Stored) -> tuple[int, Any]:
        return _sort_key(stored.body.get(name, _MISSING))

    return key
