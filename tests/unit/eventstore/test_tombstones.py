"""A purged stream's tombstone in its head's place: read as a purged head, never appended to."""

from __future__ import annotations

import uuid

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from documentstore.memory import InMemoryDocumentStore
from documentstore.port import EVENTS, Replace
from eventstore.documents import is_tombstone, tombstone_document
from eventstore.recorders import EventLogRecorder


def event(stream: uuid.UUID, version: int) -> StoredEvent:
    state = b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00+00:00"}}'
    return StoredEvent(originator_id=stream, originator_version=version, topic="t:E", state=state)


def purged_stream() -> tuple[InMemoryDocumentStore, uuid.UUID]:
    store = InMemoryDocumentStore()
    stream = uuid.uuid4()
    EventLogRecorder(store).insert_events([event(stream, 1), event(stream, 2)])
    head = store.read(EVENTS, str(stream), "head")
    assert head is not None
    stone = tombstone_document(
        str(stream), version=2, purged_at="2026-02-01T00:00:00+00:00", cleared=True
    )
    store.execute_batch(EVENTS, str(stream), [Replace(stone, if_match=head["_etag"])])
    return store, stream


def test_a_tombstone_reads_as_the_head_of_a_purged_stream() -> None:
    store, stream = purged_stream()
    recorder = EventLogRecorder(store)

    head, states = recorder.read_stream(stream, ["an-entity"])

    assert head is not None
    assert (head.purged, head.version, head.snapshot) == (True, 2, None)
    assert states == {}
    assert is_tombstone(store.read(EVENTS, str(stream), "head"))


def test_nothing_is_ever_appended_to_a_purged_stream() -> None:
    store, stream = purged_stream()

    with pytest.raises(IntegrityError, match="purged"):
        EventLogRecorder(store).insert_events([event(stream, 3)])

    assert store.read(EVENTS, str(stream), "e-0000000003") is None


def test_a_live_head_is_not_purged() -> None:
    store = InMemoryDocumentStore()
    stream = uuid.uuid4()
    EventLogRecorder(store).insert_events([event(stream, 1)])

    head = EventLogRecorder(store).read_head(stream)

    assert head is not None
    assert head.purged is False
