"""The event log's documents: native JSON payloads when reversible, the library's bytes else."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import given
from hypothesis import strategies as st

from documentstore.port import StoredJson, stored_json
from eventstore.documents import (
    _NOT_JSON,
    _exact_json,
    event_document,
    event_id,
    head_document,
    head_with_snapshot,
    new_append_id,
    snapshot_body,
    stored_event_from,
    stored_snapshot_from,
)
from eventstore.recorders import HeadCache

STREAM = uuid.UUID("6f1c1d3e-1b9a-4c55-9d6f-3a7e5f0a2b10")
TIMESTAMP = {"_type_": "datetime_iso", "_data_": "2026-11-21T19:30:00.123456+00:00"}
APPEND_ID = "a7c0ffee00000000000000000000000a"


def library_bytes(state: Mapping[str, Any]) -> bytes:
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()


def stored(state: bytes, version: int = 7) -> StoredEvent:
    return StoredEvent(STREAM, version, "domain.campaign:Campaign.VersionCreated", state)


def test_an_event_payload_is_stored_as_camel_case_json_beside_its_metadata() -> None:
    state = {
        "timestamp": TIMESTAMP,
        "metadata": {"commandId": "c-1"},
        "version_id": "v-1",
        "content": "é",
        "class_version": 2,
    }

    document = event_document(stored(library_bytes(state)), append_id=APPEND_ID)

    assert document["id"] == "e-0000000007"
    assert document["type"] == "VersionCreated"
    assert document["data"] == {"versionId": "v-1", "content": "é"}
    assert document["metadata"] == {"commandId": "c-1"}
    assert document["timestamp"] == TIMESTAMP["_data_"]
    assert document["classVersion"] == 2
    assert document["appendId"] == APPEND_ID


def test_an_event_document_gives_back_the_state_the_library_wrote() -> None:
    state = {"timestamp": TIMESTAMP, "metadata": {"commandId": "c-1"}, "version_id": "v-1"}
    original = stored(library_bytes(state))

    restored = stored_event_from(event_document(original, append_id=APPEND_ID), STREAM)

    assert json.loads(restored.state) == state
    assert (restored.originator_id, restored.originator_version) == (STREAM, 7)
    assert restored.topic == original.topic


def test_a_state_without_metadata_comes_back_without_metadata() -> None:
    state = {"timestamp": TIMESTAMP, "name": "x"}

    document = event_document(stored(library_bytes(state)), append_id=APPEND_ID)

    assert "metadata" not in document
    assert json.loads(stored_event_from(document, STREAM).state) == state


@pytest.mark.parametrize(
    "state",
    [
        b"state1",
        b"\x00\xff encrypted",
        b'["a list"]',
        b'{"no_timestamp": 1}',
        b'{"timestamp":{"_type_":"datetime_iso","_data_":"t"},"big":9007199254740993}',
        b'{"timestamp":{"_type_":"datetime_iso","_data_":"t"},"x":NaN}',
    ],
)
def test_a_state_that_cannot_be_split_exactly_is_kept_byte_for_byte(state: bytes) -> None:
    document = event_document(stored(state), append_id=APPEND_ID)

    assert "data" not in document
    assert "stateBase64" in document
    assert stored_event_from(document, STREAM).state == state


def test_a_snapshot_keeps_readable_json_only_when_it_re_encodes_to_the_same_bytes() -> None:
    compact = library_bytes({"topic": "domain.campaign:Campaign", "state": {"n": 1}})
    spaced = b'{"topic": "domain.campaign:Campaign"}'

    readable, opaque = snapshot_body(stored(compact)), snapshot_body(stored(spaced))

    assert readable["state"] == {"topic": "domain.campaign:Campaign", "state": {"n": 1}}
    assert "stateBase64" in opaque
    assert stored_snapshot_from(readable, STREAM).state == compact
    assert stored_snapshot_from(opaque, STREAM).state == spaced


def test_the_head_names_the_last_append_and_its_command() -> None:
    head = head_document(
        str(STREAM), version=7, snapshot=None, last_command_id="c-1", last_append_id=APPEND_ID
    )

    assert head["id"] == "head"
    assert head["version"] == 7
    assert head["lastCommandId"] == "c-1"
    assert head["lastAppendId"] == APPEND_ID


def test_append_ids_are_new_every_time() -> None:
    ids = {new_append_id() for _ in range(1000)}

    assert len(ids) == 1000


def test_event_ids_sort_in_stream_order() -> None:
    ids = [event_id(version) for version in (1, 2, 10, 100, 9_999_999_999)]

    assert ids == sorted(ids)
    with pytest.raises(ValueError, match="outside"):
        event_id(10**10)


def test_the_head_cache_forgets_the_least_recently_seen_stream_beyond_its_capacity() -> None:
    cache = HeadCache(capacity=2)
    cache.remember("a", {"version": 1})
    cache.remember("b", None)
    cache.remember("a", {"version": 2})
    cache.remember("c", {"version": 3})

    assert cache.known("a") == (True, {"version": 2})
    assert cache.known("b") == (False, None)
    assert cache.known("c") == (True, {"version": 3})


def test_the_head_cache_tells_a_stream_without_head_from_an_unknown_one() -> None:
    cache = HeadCache()
    cache.remember("empty", None)

    assert cache.known("empty") == (True, None)
    assert cache.known("unknown") == (False, None)


# --- a head's snapshot, checked on the head's own encoding ------------------------------------

json_states = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)


def head_of(state: bytes, command_id: str | None = "c-1") -> tuple[dict[str, Any], StoredJson]:
    return head_with_snapshot(
        str(STREAM),
        version=7,
        snapshot=stored(state),
        last_command_id=command_id,
        last_append_id=APPEND_ID,
    )


def reference_head(state: bytes, command_id: str | None = "c-1") -> dict[str, Any]:
    return head_document(
        str(STREAM),
        version=7,
        snapshot=snapshot_body(stored(state)),
        last_command_id=command_id,
        last_append_id=APPEND_ID,
    )


@pytest.mark.parametrize(
    "state",
    [
        library_bytes({"topic": "domain.campaign:Campaign", "state": {"n": 1, "é": "😀\x7f"}}),
        library_bytes({"state": {"state": '"state":null}}'}, "snapshot": None}),
        b'{"topic": "spaced"}',
        b'{"a":1,"a":2}',
        b'{"escaped":"\\u00e9"}',
        b'{"x":1.50}',
        b'{"x":-0}',
        b'{"big":9007199254740993}',
        b'{"x":NaN}',
        b'{"x":1e400}',
        b"\x00\xff encrypted",
        b"[1, 2]",
        b"[1,2]",
        b'"text"',
        b"3",
    ],
)
def test_a_head_holds_its_snapshot_as_snapshot_body_would(state: bytes) -> None:
    head, encoded = head_of(state)

    assert head == reference_head(state)
    assert encoded == stored_json(head)
    assert stored_snapshot_from(head["snapshot"], STREAM).state == state


@given(json_states, st.one_of(st.none(), st.text()))
def test_any_library_state_is_held_exactly_and_readably(state: Any, command_id: str | None) -> None:
    state_bytes = json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()

    head, encoded = head_of(state_bytes, command_id)

    assert head == reference_head(state_bytes, command_id)
    assert encoded.text == stored_json(head).text
    assert stored_snapshot_from(head["snapshot"], STREAM).state == state_bytes


@given(json_states)
def test_exactness_is_decided_while_decoding_as_the_walk_decided_it(state: Any) -> None:
    encoded = json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()

    decoded = _exact_json(encoded)

    if exact_in(state):
        assert decoded == state
    else:
        assert decoded is _NOT_JSON


def exact_in(value: Any) -> bool:
    """The walk ``snapshot_body`` used to make over every decoded state."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int):
        return abs(value) <= 2**53
    if isinstance(value, list):
        return all(exact_in(item) for item in value)
    if isinstance(value, dict):
        return all(exact_in(item) for item in value.values())
    return False


# --- the head cache's snapshots ----------------------------------------------------------------


def test_the_head_cache_gives_a_snapshot_only_for_the_head_it_came_with() -> None:
    cache = HeadCache()
    snapshot = stored(b'{"n":1}')
    cache.remember("a", {"version": 7, "_etag": "e1"}, snapshot=snapshot)

    assert cache.snapshot("a", "e1") is snapshot
    assert cache.snapshot("a", "e2") is None

    cache.remember("a", {"version": 7, "_etag": "e1"})
    assert cache.snapshot("a", "e1") is snapshot

    cache.remember("a", {"version": 8, "_etag": "e2"})
    assert cache.snapshot("a", "e1") is None


def test_the_head_cache_keeps_snapshots_within_its_byte_budget() -> None:
    cache = HeadCache(snapshot_bytes=10)
    cache.remember("a", {"_etag": "ea"}, snapshot=stored(b"123456"))
    cache.remember("b", {"_etag": "eb"}, snapshot=stored(b"123456"))
    cache.remember("c", {"_etag": "ec"}, snapshot=stored(b"12345678901"))

    assert cache.snapshot("a", "ea") is None
    assert cache.snapshot("b", "eb") is not None
    assert cache.snapshot("c", "ec") is None
    assert cache.known("c") == (True, {"_etag": "ec"})


def test_the_head_cache_forgets_a_stream_with_its_snapshot() -> None:
    cache = HeadCache(capacity=1)
    cache.remember("a", {"_etag": "ea"}, snapshot=stored(b"1"))
    cache.remember("b", {"_etag": "eb"}, snapshot=stored(b"2"))
    cache.forget("b")

    assert cache.snapshot("a", "ea") is None
    assert cache.snapshot("b", "eb") is None
