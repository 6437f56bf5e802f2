"""What the Cosmos DB store hands the SDK and takes back: documents, batch operations, the SQL
of a port query, query continuations and feed-range names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from documentstore.batch_rules import check_field_name
from documentstore.paging import SortKeys, TokenFormat
from documentstore.port import (
    SYSTEM_FIELDS,
    Create,
    Delete,
    Document,
    Operation,
    Query,
    Replace,
    Upsert,
    without_system_fields,
)

_KEPT_SYSTEM_FIELDS = frozenset({"_etag", "_ts"})
_FEED_RANGE_PREFIX = "epk:"


def _is_sdk_token(position: Any, _: SortKeys) -> bool:
    return isinstance(position, str)


QUERY_TOKENS = TokenFormat("token", _is_sdk_token)
"""A query resumes from the SDK's own continuation token."""


def cleaned(item: Mapping[str, Any]) -> Document:
    """A document as the port returns it: the store's fields reduced to ``_etag`` and ``_ts``."""
    return {
        key: value
        for key, value in item.items()
        if key not in SYSTEM_FIELDS or key in _KEPT_SYSTEM_FIELDS
    }


def batch_operation(operation: Operation) -> tuple[Any, ...]:
    """The operation as ``execute_item_batch`` takes it (a fresh tuple on every call)."""
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


def query_sql(query: Query) -> tuple[str, list[dict[str, Any]]]:
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


def feed_range_name(feed_range: Mapping[str, Any]) -> str:
    """A stable name for an SDK feed range: its effective-partition-key bounds."""
    bounds = feed_range["Range"]
    return f"{_FEED_RANGE_PREFIX}{bounds['min']}:{bounds['max']}"


def sdk_feed_range(name: str) -> dict[str, Any]:
    """The SDK feed range a ``feed_range_name`` names; else ValueError."""
    if not name.startswith(_FEED_RANGE_PREFIX) or name.count(":") != 2:
        raise ValueError(f"not a Cosmos DB feed range name: {name!r}")
    low, high = name[len(_FEED_RANGE_PREFIX) :].split(":")
    return {"Range": {"min": low, "max": high, "isMinInclusive": True, "isMaxInclusive": False}}
