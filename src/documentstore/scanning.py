"""Scanning a container across its partitions (``DocumentStore.scan``): the checks and the
continuation tokens every adapter shares, and the default scan over the change feed.

A scan is an operator's sweep: the heads of every stream for an export, the soft-deleted
campaigns for a purge. Adapters answer it with one query; the default here reads the change
feed range by range and keeps the documents that match, so any store (a decorator of another
one, say) can scan.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from documentstore.batch_rules import check_container, check_field_name
from documentstore.paging import SortKeys, TokenFormat
from documentstore.port import Document, JsonScalar, Page
from domain.errors import InvalidContinuation

if TYPE_CHECKING:
    from documentstore.port import DocumentStore

_MISSING = object()


def _is_partition_and_id(position: Any, _: SortKeys) -> bool:
    return (
        isinstance(position, list)
        and len(position) == 2
        and all(isinstance(part, str) for part in position)
    )


SCAN_TOKENS = TokenFormat("after", _is_partition_and_id)
"""A scan in ``(partition key, id)`` order resumes after the last pair it answered."""


def check_scan(container: str, equals: Mapping[str, JsonScalar], page_size: int) -> None:
    """What every adapter checks before it scans: a known container, a page of at least one
    item, plain field names (anything else is a programming error: ValueError)."""
    check_container(container)
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    for name in equals:
        check_field_name(name)


def scan_position(continuation: str | None) -> tuple[str, str] | None:
    """The ``(partition key, id)`` a scan token resumes after (None: from the start)."""
    if continuation is None:
        return None
    position, _ = SCAN_TOKENS.decode(continuation, ())
    return str(position[0]), str(position[1])


def scan_token(partition_key: str, document_id: str) -> str:
    return SCAN_TOKENS.encode([partition_key, document_id], None)


def matches(document: Mapping[str, Any], equals: Mapping[str, JsonScalar]) -> bool:
    """Cosmos DB equality on top-level fields: booleans are not numbers, missing is nothing."""
    for name, value in equals.items():
        found = document.get(name, _MISSING)
        if found is _MISSING:
            return False
        if isinstance(found, bool) or isinstance(value, bool):
            if not (isinstance(found, bool) and isinstance(value, bool) and found == value):
                return False
        elif found != value:
            return False
    return True


def scan_by_feed(
    store: DocumentStore,
    container: str,
    equals: Mapping[str, JsonScalar],
    *,
    page_size: int,
    continuation: str | None,
) -> Page:
    """A page of ``scan`` read from the change feed: feed pages are read until one holds a
    match or every range is exhausted; the token names the range and its feed position."""
    check_scan(container, equals, page_size)
    ranges = store.feed_ranges(container)
    index, position = _feed_position(continuation, len(ranges))
    while index < len(ranges):
        page = store.read_feed(container, ranges[index], position, max_items=page_size)
        if not page.items:
            index, position = index + 1, None
            continue
        position = page.continuation
        found: list[Document] = [item for item in page.items if matches(item, equals)]
        if found:
            return Page(items=found, continuation=_feed_token(index, position))
    return Page(items=[], continuation=None)


def _feed_token(index: int, position: str | None) -> str:
    raw = json.dumps({"range": index, "feed": position}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _feed_position(continuation: str | None, range_count: int) -> tuple[int, str | None]:
    if continuation is None:
        return 0, None
    try:
        state = json.loads(base64.urlsafe_b64decode(continuation.encode()))
        index, position = state["range"], state["feed"]
        valid = (
            isinstance(index, int)
            and 0 <= index <= range_count
            and (position is None or isinstance(position, str))
        )
    except (binascii.Error, ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise InvalidContinuation("the continuation token is not valid")
    return index, position
