"""Every adapter pages a query the same way: one set of checks before reading, one token format
around its own resume position, one arithmetic for a limit across pages."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from documentstore.paging import PageRequest, SortKeys, TokenFormat, open_page, total_order
from documentstore.port import EVENTS, Document, Query
from domain.errors import InvalidContinuation


def is_text(position: Any, _: SortKeys) -> bool:
    return isinstance(position, str)


TEXT = TokenFormat("after", is_text)


def opened(query: Query, *, page_size: int = 10, continuation: str | None = None) -> PageRequest:
    return open_page(EVENTS, query, page_size=page_size, continuation=continuation, tokens=TEXT)


def documents(*ids: str) -> list[Document]:
    return [{"id": document_id} for document_id in ids]


def test_a_token_gives_back_the_position_and_the_remaining_count_it_was_made_of() -> None:
    token = TEXT.encode("e-07", 3)

    assert TEXT.decode(token, ()) == ("e-07", 3)


@pytest.mark.parametrize(
    "token",
    [
        "%%not-a-token",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(json.dumps(["after", 1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"token": "x", "remaining": None}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"after": 7, "remaining": None}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"after": "x", "remaining": "2"}).encode()).decode(),
    ],
)
def test_a_token_of_another_format_is_an_invalid_continuation(token: str) -> None:
    with pytest.raises(InvalidContinuation, match="not valid") as refused:
        TEXT.decode(token, ())

    assert refused.value.code == "invalid-continuation"


def test_the_order_is_made_total_by_id_unless_it_has_it() -> None:
    assert total_order([("n", True)]) == (("n", True), ("id", False))
    assert total_order([("id", True), ("n", False)]) == (("id", True), ("n", False))


@pytest.mark.parametrize(
    ("container", "query", "page_size", "message"),
    [
        ("nowhere", Query(partition_key="p"), 10, "unknown container"),
        (EVENTS, Query(partition_key="p"), 0, "page_size"),
        (EVENTS, Query(partition_key="p", equals={"a']--": 1}), 10, "field name"),
        (EVENTS, Query(partition_key="p", order_by=[("a b", False)]), 10, "field name"),
    ],
)
def test_a_wrong_call_is_refused_before_anything_is_read(
    container: str, query: Query, page_size: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        open_page(container, query, page_size=page_size, continuation=None, tokens=TEXT)


def test_a_first_page_starts_at_the_beginning_with_the_whole_limit() -> None:
    request = opened(Query(partition_key="p", limit=4))

    assert (request.after, request.remaining, request.size) == (None, 4, 4)


def test_a_page_that_something_follows_hands_out_the_token_of_the_next() -> None:
    request = opened(Query(partition_key="p", limit=5), page_size=2)

    page = request.answer(lambda: (documents("a", "b"), "b"))

    assert [d["id"] for d in page.items] == ["a", "b"]
    assert page.continuation is not None
    assert TEXT.decode(page.continuation, ()) == ("b", 3)


def test_the_last_page_has_no_continuation() -> None:
    page = opened(Query(partition_key="p")).answer(lambda: (documents("a"), None))

    assert page.continuation is None


def test_the_page_that_spends_the_limit_is_the_last_whatever_follows() -> None:
    request = opened(Query(partition_key="p"), continuation=TEXT.encode("b", 2))

    page = request.answer(lambda: (documents("c", "d", "e"), "e"))

    assert request.size == 2
    assert [d["id"] for d in page.items] == ["c", "d"]
    assert page.continuation is None


def test_a_spent_limit_answers_an_empty_last_page_without_reading() -> None:
    def unread() -> tuple[list[Document], Any]:
        raise AssertionError("nothing is read once the limit is spent")

    page = opened(Query(partition_key="p", limit=0)).answer(unread)

    assert (page.items, page.continuation) == ([], None)
