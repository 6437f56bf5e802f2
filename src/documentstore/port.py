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
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from documentstore.encoding import compact_text
from documentstore.results import (  # re-exported: part of the port's contract
    BatchesResult,
    FeedKeysPage,
    FeedPage,
    Page,
    TextPage,
)

__all__ = [
    "BatchesResult",
    "FeedKeysPage",
    "FeedPage",
    "Page",
    "TextPage",
]  # re-exported from documentstore.results

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
    Cosmos DB SDK sends it (what the batch limits count)."""

    text: str
    strict: bool
    wire_bytes: int


class _Write:
    """What the three write operations share: their document's JSON, encoded at most once."""

    document: Document
    encoded: StoredJson | None

    @property
    def stored_json(self) -> StoredJson:
        """``encoded`` when the caller gave it, else ``stored_json(document)``, then kept in
        the instance's ``__dict__`` (past the frozen ``__setattr__``). Not ``cached_property``,
        whose first look-up takes a lock in Python 3.11: a rebuild makes 124,000 operations."""
        if self.encoded is not None:
            return self.encoded
        known: StoredJson | None = self.__dict__.get("_stored_json")
        if known is None:
            known = self.__dict__["_stored_json"] = stored_json(self.document)
        return known


@dataclass(frozen=True)
class Create(_Write):
    """Create ``document``; ``DocumentConflict`` if its id exists (``encoded``: its JSON)."""

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

    Field names must be plain identifiers (``batch_rules.check_field_name``; anything else is a
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


BatchQueued = Callable[[list[Document | None]], None]
"""Told, in the writer's thread, what a batch will answer (its documents with the ``_etag``
they will have) once it has its place in a commit queue, after every batch queued before it."""

batch_queued: ContextVar[BatchQueued | None] = ContextVar("batch_queued", default=None)
"""Set by a writer around ``execute_batch`` to learn what its batch will write before the
commit: a store that commits batches in groups (SQLite) tells it, the others never. What it is
told is neither durable nor shown to any reader until the call returns."""


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
        callers that compare documents without decoding them (a rebuild's verify). This default
        encodes what ``query`` answers; an adapter that keeps the text answers it as stored."""
        page = self.query(container, query, page_size=page_size, continuation=continuation)
        return TextPage(
            [(str(document["id"]), stored_json(document).text) for document in page.items],
            page.continuation,
        )

    def delete_id_range(
        self, container: str, partition_keys: Sequence[str], id_gt: str, id_lte: str
    ) -> int:
        """Delete, in each of ``partition_keys``, every document whose id sorts after ``id_gt``
        and up to ``id_lte`` (a retired projection generation's documents), unconditionally;
        returns how many. Not atomic: an interrupted call leaves some deleted. This default
        queries each partition's ids and deletes them in batches; the SQLite store deletes
        them with one statement per partition."""
        from documentstore.range_deletes import delete_id_range_by_batches

        return delete_id_range_by_batches(self, container, partition_keys, id_gt, id_lte)

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

    def execute_unread_batches(
        self, container: str, batches: Sequence[tuple[str, Sequence[Operation]]]
    ) -> BatchesResult:
        """``execute_batches`` into documents nobody else reads or writes yet (a rebuild's new
        generation): an adapter may skip etag checks and answer no documents (empty lists), and
        may answer before the writes are on disk as long as a crash cannot corrupt what is
        there: they become durable with the next write it answers as durable (the rebuild's
        partial sums and switch), and a rebuild cut short before that starts over."""
        return self.execute_batches(container, batches)

    @abstractmethod
    def feed_ranges(self, container: str) -> list[str]:
        """Opaque, stable names of the container's change-feed ranges."""

    def feed_range_of(self, container: str, partition_key: str) -> str:
        """The change-feed range (one of ``feed_ranges``) whose feed holds the documents of
        ``partition_key``. This default serves a store with one range; an adapter with several
        answers from its own partitioning."""
        ranges = self.feed_ranges(container)
        if len(ranges) != 1:
            raise NotImplementedError(
                f"{type(self).__name__} has {len(ranges)} feed ranges and does not say which "
                "holds a partition key"
            )
        return ranges[0]

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

    def read_feed_keys(
        self,
        container: str,
        feed_range: str,
        continuation: str | None,
        *,
        max_items: int = 100,
    ) -> FeedKeysPage:
        """``read_feed`` as its documents' keys, for a reader that hands them out to others who
        read them (a rebuild's replay workers). This default reads the documents."""
        page = self.read_feed(container, feed_range, continuation, max_items=max_items)
        field = "id" if container == LEASES else "partitionKey"
        keys = [(str(document[field]), str(document["id"])) for document in page.items]
        return FeedKeysPage(keys, page.continuation)

    def scan(
        self,
        container: str,
        equals: Mapping[str, JsonScalar],
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        """One page of the documents of *every* partition whose top-level fields equal
        ``equals``, in no set order: an operator's sweep (export, compare, purge), never the
        path of a command or a read. Adapters answer with one query (Cosmos DB: a
        cross-partition query) and yield each document that exists throughout exactly once;
        this default walks the change feed (``documentstore.scanning``), where a document
        rewritten during the scan may come twice."""
        from documentstore.scanning import scan_by_feed

        return scan_by_feed(self, container, equals, page_size=page_size, continuation=continuation)

    def transient_retries(self) -> dict[str, int]:
        """How many transient faults this store retried since it was opened, by reason
        (``throttled``, ``unavailable``; ``documentstore.backoff``). The default retries
        nothing."""
        return {}

    def reclaim_space(self) -> None:  # noqa: B027 - optional hook
        """Give the room of deleted documents back (after a projection generation is deleted):
        an embedded file shrinks; the default, for stores that manage their own room, does
        nothing."""

    def checkpoint(self) -> None:  # noqa: B027 - optional hook
        """Carry what was committed into the store's main file without holding up any writer,
        and keep its write-ahead log short (a rebuild's coordinator asks it while its replay
        workers write: ``projections.replay``); the default, for stores without such a log,
        does nothing."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the default has none."""


# --- Shared rules every adapter applies before it sends anything ------------------------------

SYSTEM_FIELDS = frozenset({"_etag", "_ts", "_rid", "_self", "_attachments", "_lsn"})
"""Fields the store maintains; writes drop any given, reads return only ``_etag`` and ``_ts``."""


def without_system_fields(document: Mapping[str, Any]) -> Document:
    """The document as the caller owns it: every store-maintained field removed."""
    return {key: value for key, value in document.items() if key not in SYSTEM_FIELDS}


def stored_json(document: Mapping[str, Any]) -> StoredJson:
    """The document's JSON as a store keeps it (no store-maintained fields), encoded once.

    Raises what ``json.dumps`` raises for a document that is not JSON (TypeError, ValueError);
    the text is ``documentstore.encoding.compact_text``'s."""
    fields = (
        document
        if isinstance(document, dict) and SYSTEM_FIELDS.isdisjoint(document)
        else without_system_fields(document)
    )
    try:
        text, strict = compact_text(fields), True
    except ValueError:  # NaN or an infinity; anything else raises again
        text, strict = _LENIENT.encode(fields), False
    return StoredJson(text=text, strict=strict, wire_bytes=ascii_escaped_length(text))


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
