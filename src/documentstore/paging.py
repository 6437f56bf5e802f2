"""Paging a port query, the same way in every adapter: the checks made before anything is read,
the continuation tokens handed out, and the arithmetic of ``Query.limit`` across pages.

Each adapter resumes a query from a position of its own (SQLite: the sort keys of the last item;
Cosmos DB: the SDK's continuation; memory: an offset). The token it issues wraps that position
with how many items the limit still allows, as base64url JSON ``{key: position, "remaining": n}``;
a token it did not issue raises ``InvalidContinuation``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from documentstore.batch_rules import check_container, check_field_name
from documentstore.port import Document, Page, Query
from domain.errors import InvalidContinuation

SortKeys = tuple[tuple[str, bool], ...]
"""``(field, descending)`` pairs, applied in order."""


@dataclass(frozen=True)
class TokenFormat:
    """How an adapter keeps its resume position in the tokens it issues: under ``key``, and
    ``accepts(position, sort_keys)`` says whether a decoded position can be one of its own."""

    key: str
    accepts: Callable[[Any, SortKeys], bool]

    def encode(self, position: Any, remaining: int | None) -> str:
        """The opaque token of ``position`` with ``remaining`` items left (None: no limit)."""
        raw = json.dumps({self.key: position, "remaining": remaining}).encode()
        return base64.urlsafe_b64encode(raw).decode()

    def decode(self, token: str, sort_keys: SortKeys) -> tuple[Any, int | None]:
        """The position and remaining count ``token`` holds; ``InvalidContinuation`` when it is
        not a token of this format."""
        try:
            state = json.loads(base64.urlsafe_b64decode(token.encode()))
            position, remaining = state[self.key], state["remaining"]
            valid = self.accepts(position, sort_keys) and (
                remaining is None or isinstance(remaining, int)
            )
        except (binascii.Error, ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            raise InvalidContinuation("the continuation token is not valid")
        return position, remaining


@dataclass(frozen=True)
class PageRequest:
    """One page of a query, checked and resumed (``open_page``).

    ``sort_keys`` is the query's order made total by ``id`` (unique within a partition);
    ``after`` is the adapter's position to resume after (None on the first page);
    ``remaining`` how many items the limit still allows (None: no limit); ``size`` how many
    items this page may hold.
    """

    query: Query
    sort_keys: SortKeys
    after: Any
    remaining: int | None
    size: int
    tokens: TokenFormat

    def answer(self, fetch: Callable[[], tuple[list[Document], Any]]) -> Page:
        """The page: empty when the limit is spent, else what ``fetch`` reads (the page's items,
        up to ``size``, and the position after them, None when nothing follows), with the token
        of the next page unless this one is the last."""
        if self.remaining is not None and self.remaining <= 0:
            return Page(items=[], continuation=None)
        items, resume_after = fetch()
        items = items[: self.size]
        left = None if self.remaining is None else self.remaining - len(items)
        if resume_after is None or (left is not None and left <= 0):
            return Page(items=items, continuation=None)
        return Page(items=items, continuation=self.tokens.encode(resume_after, left))


def open_page(
    container: str,
    query: Query,
    *,
    page_size: int,
    continuation: str | None,
    tokens: TokenFormat,
) -> PageRequest:
    """Check a query call as every adapter does before it reads, and resume it.

    An unknown container, a ``page_size`` under 1 and a field name that is not a plain
    identifier are programming errors (ValueError); a continuation not of ``tokens`` raises
    ``InvalidContinuation``.
    """
    check_container(container)
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    for name in query.equals:
        check_field_name(name)
    sort_keys = total_order(query.order_by)
    if continuation is None:
        after, remaining = None, query.limit
    else:
        after, remaining = tokens.decode(continuation, sort_keys)
    size = page_size if remaining is None else min(page_size, remaining)
    return PageRequest(query, sort_keys, after, remaining, size, tokens)


def total_order(order_by: Sequence[tuple[str, bool]]) -> SortKeys:
    """``order_by`` with its field names checked, ended by ``id`` ascending when it lacks it."""
    keys = [(check_field_name(name), descending) for name, descending in order_by]
    if all(name != "id" for name, _ in keys):
        keys.append(("id", False))
    return tuple(keys)
