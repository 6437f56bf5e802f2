"""The event log's documents (docs/storage.md): how a library ``StoredEvent`` becomes an event,
snapshot or head document in a stream's partition of ``events``, and back.

An event's payload is stored as a native JSON object (``data``, ``metadata``, ``timestamp``)
when ``domain.recorded.split_state`` says the split is exactly reversible; otherwise (state that
is not a JSON object, a cipher or compressor in use) the library's bytes are kept as
``stateBase64``, so nothing is ever lost. Snapshots keep their decoded JSON ``state`` when it
re-encodes to the very same bytes, else ``stateBase64`` too. A head's snapshot is checked on the
head's own stored JSON (``head_with_snapshot``), which the store needs anyway, rather than on a
second encoding of the state.

Every append has an append id, new for each call of the recorder: each event document it writes
carries it as ``appendId`` and the head as ``lastAppendId``, so that an append retried after a
lost answer recognises its own write (and nobody else's).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent

from documentstore.port import Document, StoredJson, stored_json
from domain.recorded import StoredParts, event_type_of, join_state, split_state

HEAD_ID = "head"
EVENT_DOC = "event"
SNAPSHOT_DOC = "snapshot"
HEAD_DOC = "head"
STATE_DOC = "state"
TOMBSTONE_DOC = "tombstone"
EVENT_PREFIX = "e-"
SNAPSHOT_PREFIX = "s-"
STATE_PREFIX = "state-"
SPLIT_LAYOUT = 2
"""The head's ``layout`` since the aggregate's state is split: the head holds the core snapshot
and each entity's state is a document of its own (``state_document``). A head without
``layout`` is of layout 1: its snapshot held the whole aggregate."""
_VERSION_DIGITS = 10
MAX_VERSION = 10**_VERSION_DIGITS - 1


def partition_of(originator_id: UUID | str) -> str:
    """The partition key of a stream: its originator id as a string."""
    return str(originator_id)


def event_id(version: int) -> str:
    """``e-0000000007``: zero-padded so that ids sort in stream order."""
    return f"{EVENT_PREFIX}{_padded(version)}"


def snapshot_id(version: int) -> str:
    return f"{SNAPSHOT_PREFIX}{_padded(version)}"


def _padded(version: int) -> str:
    if not 0 <= version <= MAX_VERSION:
        raise ValueError(f"stream version {version} is outside 0..{MAX_VERSION}")
    return f"{version:0{_VERSION_DIGITS}d}"


def state_id(entity_id: str) -> str:
    """``state-<entity id>``: the document holding one entity's part of the aggregate."""
    return f"{STATE_PREFIX}{entity_id}"


def state_document(
    partition: str, entity_id: str, state: Mapping[str, Any], *, version: int
) -> Document:
    """One entity's state beside the head, as written by the append at ``version``."""
    return {
        "id": state_id(entity_id),
        "partitionKey": partition,
        "docType": STATE_DOC,
        "streamId": partition,
        "entityId": entity_id,
        "version": version,
        "state": dict(state),
    }


def new_append_id() -> str:
    """A fresh id for one append: random, so no other append (nor any client) can reuse it."""
    return uuid4().hex


def event_document(stored: StoredEvent, *, append_id: str) -> Document:
    """The event document of one library event (no system fields), written by ``append_id``."""
    partition = partition_of(stored.originator_id)
    decoded = _exact_json(stored.state)
    parts = split_state(decoded) if isinstance(decoded, dict) else None
    if parts is None:
        document = _event_envelope(
            partition, stored.originator_version, stored.topic, 1, append_id=append_id
        )
        document["stateBase64"] = base64.b64encode(stored.state).decode("ascii")
        return document
    return event_document_of(
        partition,
        version=stored.originator_version,
        topic=stored.topic,
        parts=parts,
        with_metadata=isinstance(decoded, dict) and "metadata" in decoded,
        append_id=append_id,
    )


def event_document_of(
    partition: str,
    *,
    version: int,
    topic: str,
    parts: StoredParts,
    append_id: str,
    with_metadata: bool = True,
) -> Document:
    """The event document of an event given by its parts (payload, metadata, timestamp and
    class version), as ``event_document`` lays out a library event: what an import writes."""
    document = _event_envelope(partition, version, topic, parts.class_version, append_id=append_id)
    document["data"] = parts.data
    if with_metadata:
        document["metadata"] = parts.metadata
    document["timestamp"] = parts.timestamp
    return document


def _event_envelope(
    partition: str, version: int, topic: str, class_version: int, *, append_id: str
) -> Document:
    return {
        "id": event_id(version),
        "partitionKey": partition,
        "docType": EVENT_DOC,
        "streamId": partition,
        "version": version,
        "type": event_type_of(topic),
        "topic": topic,
        "appendId": append_id,
        "classVersion": class_version,
    }


def stored_event_from(document: Document, originator_id: UUID | str) -> StoredEvent:
    """The library event an event document holds, for the id type the caller asked with."""
    return StoredEvent(
        originator_id=originator_id,
        originator_version=int(document["version"]),
        topic=str(document["topic"]),
        state=_event_state(document),
    )


def _event_state(document: Document) -> bytes:
    if "stateBase64" in document:
        return base64.b64decode(document["stateBase64"])
    parts = StoredParts(
        data=dict(document.get("data") or {}),
        metadata=dict(document.get("metadata") or {}),
        timestamp=str(document["timestamp"]),
        class_version=int(document.get("classVersion", 1)),
    )
    state = join_state(parts, had_metadata="metadata" in document)
    return _encoded_json(state)


def snapshot_body(stored: StoredEvent) -> Document:
    """A snapshot as a head or snapshot document holds it: topic, version and state."""
    decoded = _exact_json(stored.state)
    if decoded is not _NOT_JSON and _encoded_json(decoded) == stored.state:
        return _readable_snapshot(stored, decoded)
    return _opaque_snapshot(stored)


def _readable_snapshot(stored: StoredEvent, state: Any) -> Document:
    return {"topic": stored.topic, "version": stored.originator_version, "state": state}


def _opaque_snapshot(stored: StoredEvent) -> Document:
    return {
        "topic": stored.topic,
        "version": stored.originator_version,
        "stateBase64": base64.b64encode(stored.state).decode("ascii"),
    }


def stored_snapshot_from(body: Document, originator_id: UUID | str) -> StoredEvent:
    state = (
        base64.b64decode(body["stateBase64"])
        if "stateBase64" in body
        else _encoded_json(body["state"])
    )
    return StoredEvent(
        originator_id=originator_id,
        originator_version=int(body["version"]),
        topic=str(body["topic"]),
        state=state,
    )


def snapshot_document(stored: StoredEvent) -> Document:
    """A snapshot document of the library's snapshotting (``aggregate_recorder("snapshots")``)."""
    partition = partition_of(stored.originator_id)
    return {
        "id": snapshot_id(stored.originator_version),
        "partitionKey": partition,
        "docType": SNAPSHOT_DOC,
        "streamId": partition,
        "version": stored.originator_version,
        "snapshot": snapshot_body(stored),
    }


def head_document(
    partition: str,
    *,
    version: int,
    snapshot: Document | None,
    last_command_id: str | None,
    last_append_id: str,
) -> Document:
    """The head after an append: the stream's version, its snapshot, and who wrote it last.

    ``lastCommandId`` is the client's command id, for information only; ``lastAppendId`` is
    the append's own id, the one an append retried after a lost answer compares. Every head
    this code writes is of ``SPLIT_LAYOUT``.
    """
    return {
        "id": HEAD_ID,
        "partitionKey": partition,
        "docType": HEAD_DOC,
        "streamId": partition,
        "version": version,
        "layout": SPLIT_LAYOUT,
        "snapshot": snapshot,
        "lastCommandId": last_command_id,
        "lastAppendId": last_append_id,
    }


def tombstone_document(
    partition: str,
    *,
    version: int,
    purged_at: str,
    cleared: bool,
    about: Mapping[str, Any] | None = None,
) -> Document:
    """What stays of a purged stream, in its head's place (id ``head``): the stream is gone for
    good, and its id can never start a stream again. ``version`` is the version it had;
    ``cleared`` says whether its other documents are all deleted yet; ``about`` carries what
    the purge wants to remember (the campaign's tenant, when it could be restored until)."""
    return {
        "id": HEAD_ID,
        "partitionKey": partition,
        "docType": TOMBSTONE_DOC,
        "streamId": partition,
        "version": version,
        "purgedAt": purged_at,
        "cleared": cleared,
        **dict(about or {}),
    }


def is_tombstone(document: Mapping[str, Any] | None) -> bool:
    """Whether a document read at a stream's head id is the tombstone of a purged stream."""
    return document is not None and document.get("docType") == TOMBSTONE_DOC


def head_with_snapshot(
    partition: str,
    *,
    version: int,
    snapshot: StoredEvent,
    last_command_id: str | None,
    last_append_id: str,
) -> tuple[Document, StoredJson]:
    """The head holding ``snapshot`` (as ``snapshot_body`` would put it) and the head's stored
    JSON, encoded once.

    The state is kept as JSON when the head's JSON holds it as the library's very bytes, which
    is checked on that one encoding (the store writes it; the port measures it), not on a
    second encoding of the state: the same proof of an exact round trip as ``snapshot_body``'s,
    for one encoding less.
    """
    decoded = _exact_json(snapshot.state)
    if decoded is not _NOT_JSON:
        head = head_document(
            partition,
            version=version,
            snapshot=_readable_snapshot(snapshot, decoded),
            last_command_id=last_command_id,
            last_append_id=last_append_id,
        )
        encoded = stored_json(head)
        if _holds_exactly(head, encoded.text, snapshot.state):
            return head, encoded
    head = head_document(
        partition,
        version=version,
        snapshot=_opaque_snapshot(snapshot),
        last_command_id=last_command_id,
        last_append_id=last_append_id,
    )
    return head, stored_json(head)


def _holds_exactly(head: Document, text: str, state: bytes) -> bool:
    """Whether ``text`` (the head's stored JSON) spells ``head["snapshot"]["state"]`` as the
    very bytes ``state``.

    JSON encodes an object member by member, so ``text`` is P + C + S: P the members before
    the state (``"state"`` is the snapshot's last member), C the state, S what follows. Two
    small encodings of the head with a null state give P's length (the head cut after the
    snapshot: P + ``null}}``) and S's (P + ``null`` + S); C is then known exactly.
    """
    try:
        wanted = state.decode("utf-8")
    except UnicodeDecodeError:
        return False
    snapshot = {**head["snapshot"], "state": None}
    names = list(head)
    before = {name: head[name] for name in names[: names.index("snapshot")]}
    start = len(stored_json({**before, "snapshot": snapshot}).text) - len("null}}")
    whole = len(stored_json({**head, "snapshot": snapshot}).text)
    return len(text) - whole + len("null") == len(wanted) and text.startswith(wanted, start)


def command_id_of(document: Document) -> str | None:
    """The command that appended an event document, when its metadata names one."""
    metadata = document.get("metadata")
    command_id = metadata.get("commandId") if isinstance(metadata, dict) else None
    return command_id if isinstance(command_id, str) else None


_LARGEST_EXACT_INTEGER = 2**53
_NOT_JSON: Any = object()
"""What ``_exact_json`` answers for bytes that are not JSON, or not exactly storable JSON."""


class _Inexact(Exception):
    """A number a JSON document store would not keep exactly."""


def _exact_int(text: str) -> int:
    value = int(text)
    if abs(value) > _LARGEST_EXACT_INTEGER:
        raise _Inexact(text)
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Inexact(text)
    return value


def _no_constant(text: str) -> Any:
    raise _Inexact(text)  # NaN, Infinity, -Infinity


_EXACT_DECODER = json.JSONDecoder(
    parse_int=_exact_int, parse_float=_finite_float, parse_constant=_no_constant
)
"""Decodes JSON refusing, as it reads them, the numbers a JSON document store would not keep
exactly, so that the decoded value need not be walked again: integers beyond ±2^53, and
anything not a finite double."""


def _exact_json(state: bytes) -> Any:
    """The JSON ``state`` holds when every number in it survives a JSON document store
    unchanged (integers within ±2^53, finite doubles), else ``_NOT_JSON``."""
    try:
        return _EXACT_DECODER.decode(state.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, _Inexact):
        return _NOT_JSON


def _encoded_json(value: Any) -> bytes:
    """JSON as the library's JSONTranscoder writes it: compact, UTF-8, not ASCII-escaped."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
