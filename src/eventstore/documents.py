"""The event log's documents (docs/storage.md): how a library ``StoredEvent`` becomes an event,
snapshot or head document in a stream's partition of ``events``, and back.

An event's payload is stored as a native JSON object (``data``, ``metadata``, ``timestamp``)
when ``domain.recorded.split_state`` says the split is exactly reversible; otherwise (state that
is not a JSON object, a cipher or compressor in use) the library's bytes are kept as
``stateBase64``, so nothing is ever lost. Snapshots keep their decoded JSON ``state`` when it
re-encodes to the very same bytes, else ``stateBase64`` too.

Every append has an append id, new for each call of the recorder: each event document it writes
carries it as ``appendId`` and the head as ``lastAppendId``, so that an append retried after a
lost answer recognises its own write (and nobody else's).
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent

from documentstore.port import Document
from domain.recorded import StoredParts, event_type_of, join_state, split_state

HEAD_ID = "head"
EVENT_DOC = "event"
SNAPSHOT_DOC = "snapshot"
HEAD_DOC = "head"
EVENT_PREFIX = "e-"
SNAPSHOT_PREFIX = "s-"
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


def new_append_id() -> str:
    """A fresh id for one append: random, so no other append (nor any client) can reuse it."""
    return uuid4().hex


def event_document(stored: StoredEvent, *, append_id: str) -> Document:
    """The event document of one library event (no system fields), written by ``append_id``."""
    partition = partition_of(stored.originator_id)
    document: Document = {
        "id": event_id(stored.originator_version),
        "partitionKey": partition,
        "docType": EVENT_DOC,
        "streamId": partition,
        "version": stored.originator_version,
        "type": event_type_of(stored.topic),
        "topic": stored.topic,
        "appendId": append_id,
    }
    decoded = _decoded_json(stored.state)
    parts = split_state(decoded) if isinstance(decoded, dict) and _exact_in(decoded) else None
    if parts is None:
        document["classVersion"] = 1
        document["stateBase64"] = base64.b64encode(stored.state).decode("ascii")
        return document
    document["classVersion"] = parts.class_version
    document["data"] = parts.data
    if isinstance(decoded, dict) and "metadata" in decoded:
        document["metadata"] = parts.metadata
    document["timestamp"] = parts.timestamp
    return document


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
    body: Document = {"topic": stored.topic, "version": stored.originator_version}
    decoded = _decoded_json(stored.state)
    if decoded is not _NOT_JSON and _exact_in(decoded) and _encoded_json(decoded) == stored.state:
        body["state"] = decoded
    else:
        body["stateBase64"] = base64.b64encode(stored.state).decode("ascii")
    return body


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
    the append's own id, the one an append retried after a lost answer compares.
    """
    return {
        "id": HEAD_ID,
        "partitionKey": partition,
        "docType": HEAD_DOC,
        "streamId": partition,
        "version": version,
        "snapshot": snapshot,
        "lastCommandId": last_command_id,
        "lastAppendId": last_append_id,
    }


def command_id_of(document: Document) -> str | None:
    """The command that appended an event document, when its metadata names one."""
    metadata = document.get("metadata")
    command_id = metadata.get("commandId") if isinstance(metadata, dict) else None
    return command_id if isinstance(command_id, str) else None


_NOT_JSON: Any = object()


def _decoded_json(state: bytes) -> Any:
    try:
        return json.loads(state.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _NOT_JSON


def _exact_in(value: Any) -> bool:
    """Whether every number survives a JSON document store unchanged (finite IEEE doubles)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int):
        return abs(value) <= _LARGEST_EXACT_INTEGER
    if isinstance(value, list):
        return all(_exact_in(item) for item in value)
    if isinstance(value, dict):
        return all(_exact_in(item) for item in value.values())
    return False


_LARGEST_EXACT_INTEGER = 2**53


def _encoded_json(value: Any) -> bytes:
    """JSON as the library's JSONTranscoder writes it: compact, UTF-8, not ASCII-escaped."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
