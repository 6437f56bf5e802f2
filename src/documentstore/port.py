"""The document-store port: exactly what the event store and the projections need from a
partitioned JSON document database, and nothing more.

Two adapters implement it: Azure Cosmos DB (``documentstore.cosmos``) and SQLite, the embedded
default (``documentstore.sqlite``). Both pass the same contract suite. The semantics are Cosmos
DB's, narrowed:

* Containers are named (``events``, ``views``, ``leases``); every document has a string ``id`` and
  a string partition key (stored in the field ``partitionKey``; for ``leases`` the partition key
  is the ``id`` itself). ``id`` is unique within a partition.
* Every stored document carries an opaque ``_etag`` that changes on every write, and ``_ts``
  (epoch seconds of its last write). Reads return them; writes ignore any given.
* A batch is atomic within one partition: all of its operations apply or none does. It holds at
  most ``MAX_BATCH_OPERATIONS`` operations and ``MAX_BATCH_BYTES`` of JSON; a larger one is refused
  with ``CommandTooLarge`` before anything is sent. ``execute_batches`` applies several batches
  (of any partitions) in turn, as many ``execute_batch`` calls would, and says how far it got;
  an adapter may commit them together.
* A write operation encodes its document once (``Create.stored_json``), for the size check and
  for the adapter that stores the text: its document must not change once the operation is made.
* The change feed of a container yields the latest version of each changed document, in write
  order per partition key, from a continuation token; deletes are not in the feed.

Errors are those of ``domain.errors``: an ``OperationRefused`` (``DocumentConflict``,
``EtagMismatch``, ``DocumentNotFound``) for a refused operation, with its index in the batch,
``StoreThrottled`` / ``StoreUnavailable`` once transient faults outlast the adapter's retries,
``InvalidContinuation`` for a query continuation the store did not issue.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from domain.errors import CommandTooLarge

Document = dict[str, Any]
JsonScalar = str | int | float | bool | None

EVENTS = "events"
VIEWS = "views"
LEASES = "leases"
CONTAINERS = (EVENTS, VIEWS, LEASES)

MAX_BATCH_OPERATIONS = 100
MAX_BATCH_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class StoredJson:
    """A document's JSON as the stores keep it, encoded once (``stored_json``).

    ``text`` is compact and not ASCII-escaped, without the store-maintained fields; ``strict`` is
    False when the document holds NaN or an infinity, which ``text`` then spells as Python's
    encoder does (no JSON store accepts it); ``wire_bytes`` is its length ASCII-escaped, as the
    Cosmos DB SDK sends it (what the batch limits count).
    """

    text: str
    strict: bool
    wire_bytes: int


class _Write:
    """What the three write operations share: their document's JSON, encoded at most once."""

    document: Document
    encoded: StoredJson | None

    @cached_property
    def stored_json(self) -> StoredJson:
        """``encoded`` when the caller gave it, else ``stored_json(document)`` (then kept)."""
        return self.encoded if self.encoded is not None else stored_json(self.document)


@dataclass(frozen=True)
class Create(_Write):
    """Create ``document``; ``DocumentConflict`` if its id exists in the partition.

    ``encoded`` may carry ``stored_json(document)`` when the caller has it already.
    """

    document: Document
    encoded: StoredJson | None = field(default=None, kw_only=True, compare=False, repr=False)


@dataclass(frozen=True)
class Replace(_Write):
    """Replace an existing document; with ``if_match`` only if its etag is still that."""

    document: Document
    if_match: str | None = None
    encoded: StoredJson | None = field(default=None, kw_only=True, compare=False, repr=False)


@dataclass(frozen=True)
class Upsert(_Write):
    """Create or replace; with ``if_match`` the replace is conditional (a create is not)."""

    document: Document
    if_match: str | None = None
    encoded: StoredJson | None = field(default=None, kw_only=True, compare=False, repr=False)


@dataclass(frozen=True)
class Delete:
    """Delete by id; with ``if_match`` only if its etag is still that."""

    id: str
    if_match: str | None = None


Operation = Create | Replace | Upsert | Delete


@dataclass(frozen=True)
class Query:
    """A query inside one partition.

    ``equals`` filters on top-level fields (all must match); ``id_gt`` / ``id_lte`` bound ``id``
    as a string; ``order_by`` lists ``(field, descending)`` pairs of top-level fields, applied in
    order; ``limit`` caps the total number of items across pages.

    Field names must be plain identifiers (``check_field_name``; anything else is a
    ValueError). A continuation the store did not issue raises ``InvalidContinuation``
    (clients pass these tokens through the HTTP API). Every adapter pages a query the same
    way (``documentstore.paging``).
    """

    partition_key: str
    equals: Mapping[str, JsonScalar] = field(default_factory=dict)
    id_gt: str | None = None
    id_lte: str | None = None
    order_by: Sequence[tuple[str, bool]] = (("id", False),)
    limit: int | None = None


@dataclass(frozen=True)
class BatchesResult:
    """What ``execute_batches`` did: the results of the batches applied, in order (those given
    up to, not including, the one that failed), and the error that stopped it, if any."""

    applied: list[list[Document | None]]
    error: Exception | None = None

    def results(self) -> list[list[Document | None]]:
        """Every batch's results, or the error that stopped them raised."""
        if self.error is not None:
            raise self.error
        return self.applied


BatchQueued = Callable[[list[Document | None]], None]
"""Told, in the writer's thread, what a batch will answer (documents with their new ``_etag``
and ``_ts``) once it is queued for a commit after every batch queued before it."""

batch_queued: ContextVar[BatchQueued | None] = ContextVar("batch_queued", default=None)
"""Set by a writer around ``execute_batch`` to learn what its batch will write before the
commit: a store that commits in groups (SQLite) tells it, others never. Not durable, nor seen
by readers, until the call returns."""


@dataclass(frozen=True)
class Page:
    """One page of results; ``continuation`` is None on the last page."""

    items: list[Document]
    continuation: str | None


@dataclass(frozen=True)
class TextPage:
    """One page of a query as ``(id, stored JSON)`` pairs; ``continuation`` as in ``Page``."""

    items: list[tuple[str, str]]
    continuation: str | None


@dataclass(frozen=True)
class FeedPage:
    """Documents changed since a position, and the token that resumes after them.

    ``continuation`` is never None: with no new items it is the same position again.
    """

    items: list[Document]
    continuation: str


class DocumentStore(ABC):
    """A partitioned JSON document store (see the module docstring for the semantics)."""

    kind: str = "abstract"

    @abstractmethod
    def initialise(self) -> None:
        """Create the database and the containers if missing; running it again changes nothing."""

    @abstractmethod
    def read(self, container: str, partition_key: str, document_id: str) -> Document | None:
        """Point read: the document, or None when it does not exist."""

    def read_many(
        self, container: str, partition_key: str, document_ids: Sequence[str]
    ) -> list[Document]:
        """The documents of one partition with these ids (those that exist, in no set order),
        in one round trip: what a command loads (a stream's head and the entity states it
        names). This default reads them one by one; adapters answer with one query."""
        found = (self.read(container, partition_key, document_id) for document_id in document_ids)
        return [document for document in found if document is not None]

    @abstractmethod
    def query(
        self,
        container: str,
        query: Query,
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        """One page of a query within one partition."""

    def query_texts(
        self,
        container: str,
        query: Query,
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> TextPage:
        """One page of ``query`` as ids and stored JSON (``stored_json(document).text``), for
        callers that compare or list documents without decoding them. This default encodes what
        ``query`` answers; an adapter that keeps the text answers it as stored."""
        page = self.query(container, query, page_size=page_size, continuation=continuation)
        return TextPage(
            [(str(document["id"]), stored_json(document).text) for document in page.items],
            page.continuation,
        )

    @abstractmethod
    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        """Apply all operations atomically; return each resulting document (None for deletes).

        Raises the port's errors with ``operation_index`` set to the failing operation. A
        returned document may share nested values with the document its operation gave (the
        SQLite store answers what it wrote without decoding it again): neither is to be changed.
        """

    def execute_batches(
        self, container: str, batches: Sequence[tuple[str, Sequence[Operation]]]
    ) -> BatchesResult:
        """``execute_batch`` of each ``(partition_key, operations)`` in turn, until one fails.

        Each batch is atomic. The error of a failing batch (what ``execute_batch`` would raise)
        is returned, not raised (``BatchesResult.results()`` raises it), beside the results of
        the batches before it, which are applied; none after it is. An adapter may commit the
        batches together (SQLite: one transaction, a savepoint each), saving commits: a refused
        batch (conflict, etag, not found, too large) still leaves those before it applied, and a
        fault may leave none applied (``applied`` then says so).
        """
        applied: list[list[Document | None]] = []
        for partition_key, operations in batches:
            try:
                applied.append(self.execute_batch(container, partition_key, operations))
            except Exception as error:  # returned with how far the batches got
                return BatchesResult(applied, error)
        return BatchesResult(applied)

    @abstractmethod
    def feed_ranges(self, container: str) -> list[str]:
        """Opaque, stable names of the container's change-feed ranges."""

    @abstractmethod
    def read_feed(
        self,
        container: str,
        feed_range: str,
        continuation: str | None,
        *,
        max_items: int = 100,
    ) -> FeedPage:
        """Documents changed after ``continuation`` (None = from the beginning), oldest first."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the default has none."""


# --- Shared rules every adapter applies before it sends anything ------------------------------

SYSTEM_FIELDS = frozenset({"_etag", "_ts", "_rid", "_self", "_attachments", "_lsn"})
"""Fields the store maintains; writes drop any given, reads return only ``_etag`` and ``_ts``."""

_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPERATION_ENVELOPE_BYTES = 160
"""A generous allowance per operation for the batch request's envelope (type, id, if-match)."""


def without_system_fields(document: Mapping[str, Any]) -> Document:
    """The document as the caller owns it: every store-maintained field removed."""
    return {key: value for key, value in document.items() if key not in SYSTEM_FIELDS}


def stored_json(document: Mapping[str, Any]) -> StoredJson:
    """The document's JSON as a store keeps it (no store-maintained fields), encoded once.

    Raises what ``json.dumps`` raises for a document that is not JSON (TypeError, ValueError).
    """
    fields = (
        document
        if isinstance(document, dict) and SYSTEM_FIELDS.isdisjoint(document)
        else without_system_fields(document)
    )
    try:
        text, strict = _STRICT.encode(fields), True
    except ValueError:  # NaN or an infinity; anything else raises again
        text, strict = _LENIENT.encode(fields), False
    return StoredJson(text=text, strict=strict, wire_bytes=ascii_escaped_length(text))


_STRICT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_LENIENT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def ascii_escaped_length(text: str) -> int:
    """The length of ``text`` (JSON, not ASCII-escaped) once ASCII-escaped, as the Cosmos DB
    SDK sends it: every character from U+007F up becomes ``\\uXXXX`` (6 characters), one
    beyond U+FFFF a surrogate pair (12). Other escapes are the same either way."""
    if text.isascii():
        return len(text) + 5 * text.count("\x7f")
    beyond_ascii = len(text) - len(text.encode("ascii", "ignore")) + text.count("\x7f")
    astral = len(text.encode("utf-16-le", "surrogatepass")) // 2 - len(text)
    return len(text) + 5 * beyond_ascii + 6 * astral


def partition_key_of(container: str, document: Mapping[str, Any]) -> Any:
    """The partition key value a document carries in ``container`` (``id`` for ``leases``)."""
    return document.get("id") if container == LEASES else document.get("partitionKey")


def check_container(container: str) -> None:
    """Refuse a container the port does not have (a programming error: ValueError)."""
    if container not in CONTAINERS:
        raise ValueError(f"unknown container {container!r}")


def check_field_name(name: str) -> str:
    """A top-level field name fit for a query (letters, digits, underscore); else ValueError."""
    if not _FIELD_NAME.match(name):
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
