"""The rules every adapter applies before it sends anything: which container and partition a
document belongs to, which field names a query may use, and what a batch may hold (the port's
limits, counted as the Cosmos DB SDK sends it)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from documentstore.port import (
    CONTAINERS,
    LEASES,
    MAX_BATCH_BYTES,
    MAX_BATCH_OPERATIONS,
    Delete,
    Operation,
)
from domain.errors import CommandTooLarge

_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPERATION_ENVELOPE_BYTES = 160
"""A generous allowance per operation for the batch request's envelope (type, id, if-match)."""


def partition_key_of(container: str, document: Mapping[str, Any]) -> Any:
    """The partition key value a document carries in ``container`` (``id`` for ``leases``)."""
    return document.get("id") if container == LEASES else document.get("partitionKey")


def check_container(container: str) -> None:
    """Refuse a container the port does not have (a programming error: ValueError)."""
    if container not in CONTAINERS:
        raise ValueError(f"unknown container {container!r}")


def check_field_name(name: str) -> str:
    """A top-level field name fit for a query (letters, digits, underscore); else ValueError."""
    if not _FIELD_NAME.fullmatch(name):
        raise ValueError(f"not a queryable top-level field name: {name!r}")
    return name


def batch_size_bytes(operations: Sequence[Operation]) -> int:
    """The batch's size as the wire will carry it: ASCII-escaped compact JSON plus envelopes."""
    total = 0
    for operation in operations:
        total += _OPERATION_ENVELOPE_BYTES
        if not isinstance(operation, Delete):
            total += operation.stored_json.wire_bytes
    return total


def check_batch(container: str, partition_key: str, operations: Sequence[Operation]) -> None:
    """Refuse, before anything is sent, a batch the port does not allow.

    Too many operations or too many bytes raise ``CommandTooLarge``; a document without a
    string id or outside ``partition_key``, or an unknown container, is a programming error
    (ValueError).
    """
    check_container(container)
    if len(operations) > MAX_BATCH_OPERATIONS:
        raise CommandTooLarge(
            f"a batch holds at most {MAX_BATCH_OPERATIONS} operations, this one {len(operations)}"
        )
    for index, operation in enumerate(operations):
        if isinstance(operation, Delete):
            if container == LEASES and operation.id != partition_key:
                raise ValueError(f"operation {index}: lease id must equal its partition key")
            continue
        document = operation.document
        if not isinstance(document.get("id"), str) or not document["id"]:
            raise ValueError(f"operation {index}: a document needs a non-empty string id")
        if partition_key_of(container, document) != partition_key:
            raise ValueError(
                f"operation {index}: document {document['id']!r} is not in partition "
                f"{partition_key!r}"
            )
    size = batch_size_bytes(operations)
    if size > MAX_BATCH_BYTES:
        raise CommandTooLarge(
            f"a batch holds at most {MAX_BATCH_BYTES} bytes of JSON, this one about {size}"
        )
