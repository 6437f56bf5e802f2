"""The SQL of the SQLite store's reads: point reads, a page of a port query, the change feed.

A query resumes after the sort keys of the last item it answered (``QUERY_TOKENS``); the change
feed after a position, which its continuation spells in decimal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from documentstore.batch_rules import check_field_name
from documentstore.decoding import decode_text
from documentstore.paging import PageRequest, SortKeys, TokenFormat
from documentstore.port import Document, JsonScalar, Query

FEED_RANGE = "all"
"""The one feed range of every SQLite container."""

READ = "SELECT body, etag, ts FROM documents WHERE container = ? AND partition_key = ? AND id = ?"
"""A point read by ``(container, partition_key, id)``."""


def read_many_sql(count: int) -> str:
    """The documents of one partition with ``count`` given ids, in one statement."""
    marks = ", ".join("?" * count)
    return (
        "SELECT body, etag, ts FROM documents "
        f"WHERE container = ? AND partition_key = ? AND id IN ({marks})"
    )


FEED = (
    "SELECT body, etag, ts, position FROM documents "
    "WHERE container = ? AND position > ? ORDER BY position LIMIT ?"
)
"""Changes of ``container`` after a position, oldest first, at most a count of them."""

FEED_KEYS = (
    "SELECT partition_key, id, position FROM documents "
    "WHERE container = ? AND position > ? ORDER BY position LIMIT ?"
)
"""``FEED`` as the documents' keys: answered from the position index alone."""


def _is_last_sort_keys(position: Any, sort_keys: SortKeys) -> bool:
    return isinstance(position, list) and len(position) == len(sort_keys)


QUERY_TOKENS = TokenFormat("after", _is_last_sort_keys)
"""A query resumes after the sort keys of the last item answered."""


def document(body: str, etag: str, ts: int) -> Document:
    """A stored row as the port returns it: the body with ``_etag`` and ``_ts``."""
    decoded: Document = decode_text(body)
    decoded["_etag"] = etag
    decoded["_ts"] = ts
    return decoded


def page_sql(
    container: str, request: PageRequest, *, columns: str = "body, etag, ts"
) -> tuple[str, list[Any]]:
    """A page of the request: one row more than the page holds (to know whether more follow),
    each row the three ``columns`` then its sort keys."""
    keys = request.sort_keys
    where, parameters = _filters(container, request.query)
    if request.after is not None:
        clause, values = _after(keys, request.after)
        where.append(clause)
        parameters.extend(values)
    order = ", ".join(
        f"{_expression(name)} {'DESC' if descending else 'ASC'}" for name, descending in keys
    )
    selected = ", ".join(_expression(name) for name, _ in keys)
    sql = (
        f"SELECT {columns}, {selected} FROM documents WHERE {' AND '.join(where)} "
        f"ORDER BY {order} LIMIT ?"
    )
    parameters.append(request.size + 1)
    return sql, parameters


def scan_sql(
    container: str, equals: Mapping[str, JsonScalar], after: tuple[str, str] | None, size: int
) -> tuple[str, list[Any]]:
    """A page of a scan across partitions in ``(partition_key, id)`` order (keyset paging:
    each row exactly once), one row more than the page holds; each row ``body, etag, ts,
    partition_key, id``."""
    where = ["container = ?"]
    parameters: list[Any] = [container]
    for name, value in equals.items():
        clause, values = _equals(name, value)
        where.append(clause)
        parameters.extend(values)
    if after is not None:
        where.append("(partition_key, id) > (?, ?)")
        parameters.extend(after)
    sql = (
        "SELECT body, etag, ts, partition_key, id FROM documents "
        f"WHERE {' AND '.join(where)} ORDER BY partition_key, id LIMIT ?"
    )
    parameters.append(size + 1)
    return sql, parameters


def feed_position(continuation: str | None) -> int:
    """The feed position a continuation names (0: the beginning); else ValueError."""
    if continuation is None:
        return 0
    if not continuation.isdigit():
        raise ValueError(f"not a SQLite change-feed continuation: {continuation!r}")
    return int(continuation)


def _expression(name: str) -> str:
    """The SQL expression of a top-level field (``id`` is a column)."""
    if name == "id":
        return "id"
    return f"json_extract(body, '$.\"{check_field_name(name)}\"')"


def _json_type(name: str) -> str:
    return f"json_type(body, '$.\"{check_field_name(name)}\"')"


def _filters(container: str, query: Query) -> tuple[list[str], list[Any]]:
    where = ["container = ?", "partition_key = ?"]
    parameters: list[Any] = [container, query.partition_key]
    for name, value in query.equals.items():
        clause, values = _equals(name, value)
        where.append(clause)
        parameters.extend(values)
    if query.id_gt is not None:
        where.append("id > ?")
        parameters.append(query.id_gt)
    if query.id_lte is not None:
        where.append("id <= ?")
        parameters.append(query.id_lte)
    return where, parameters


def _equals(name: str, value: JsonScalar) -> tuple[str, list[Any]]:
    """Cosmos DB equality: the JSON type must match too (true is not 1, null is not absent)."""
    if name == "id":
        return "id = ?", [value]
    kind = _json_type(name)
    if value is None:
        return f"{kind} = 'null'", []
    if isinstance(value, bool):
        return f"{kind} = '{'true' if value else 'false'}'", []
    if isinstance(value, str):
        return f"({kind} = 'text' AND {_expression(name)} = ?)", [value]
    return f"({kind} IN ('integer', 'real') AND {_expression(name)} = ?)", [value]


def _after(keys: SortKeys, last: Sequence[Any]) -> tuple[str, list[Any]]:
    """Rows strictly after ``last`` in the order of ``keys`` (NULLs first ascending)."""
    alternatives: list[str] = []
    parameters: list[Any] = []
    for position, (name, descending) in enumerate(keys):
        terms: list[str] = []
        values: list[Any] = []
        for earlier_index in range(position):
            terms.append(f"{_expression(keys[earlier_index][0])} IS ?")
            values.append(last[earlier_index])
        value = last[position]
        expression = _expression(name)
        if value is None:
            terms.append("0" if descending else f"{expression} IS NOT NULL")
        elif descending:
            terms.append(f"({expression} < ? OR {expression} IS NULL)")
            values.append(value)
        else:
            terms.append(f"{expression} > ?")
            values.append(value)
        alternatives.append("(" + " AND ".join(terms) + ")")
        parameters.extend(values)
    return "(" + " OR ".join(alternatives) + ")", parameters
