"""The events recorder on every document store: layout, heads, conflicts, limits, round trips."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, NotSupportedError, StoredEvent

from documentstore.port import EVENTS, Document, DocumentStore, Operation, Query
from domain.errors import CommandTooLarge
from eventstore.recorders import EventLogRecorder
from eventstore.snapshot_recorder import SnapshotRecorder
from tests.integration.eventstore.counting import CountingDocumentStore
from tests.integration.eventstore.samples import MAPPER, events, snapshot

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def test_an_append_writes_one_document_per_event_and_a_head(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    recorder = EventLogRecorder(store)

    recorder.insert_events(
        events(stream, 1, 2, command_id="cmd-a", content="é ✓"),
        head_snapshot=snapshot(stream, 2, name="Spring"),
    )

    first = store.read(EVENTS, str(stream), "e-0000000001")
    head = store.read(EVENTS, str(stream), "head")
    assert first is not None
    assert head is not None
    assert first["docType"] == "event"
    assert first["streamId"] == str(stream)
    assert first["version"] == 1
    assert first["type"] == "VersionCreated"
    assert first["topic"].endswith(":VersionCreated")
    assert first["classVersion"] == 1
    assert first["data"]["content"] == "é ✓"
    assert "versionId" in first["data"]
    assert first["metadata"] == {"commandId": "cmd-a", "tenantId": "default"}
    assert first["timestamp"].endswith("+00:00")
    assert "stateBase64" not in first
    assert head["docType"] == "head"
    assert head["version"] == 2
    assert head["lastCommandId"] == "cmd-a"
    assert isinstance(head["lastAppendId"], str)
    assert first["appendId"] == head["lastAppendId"]
    assert head["snapshot"]["version"] == 2
    assert head["snapshot"]["state"]["state"] == {"name": "Spring"}


def test_library_events_read_back_exactly_as_they_were_written(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    recorder = EventLogRecorder(store)
    written = events(stream, 1, 3)

    recorder.insert_events(written)
    read = recorder.select_events(stream)

    assert [MAPPER.to_domain_event(e) for e in read] == [MAPPER.to_domain_event(e) for e in written]
    assert [e.originator_id for e in read] == [stream] * 3


def test_state_that_is_not_a_json_object_is_kept_as_base64(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    recorder = EventLogRecorder(store)
    opaque = StoredEvent(stream, 1, "some.module:Encrypted", b"\x00\xffciphertext")

    recorder.insert_events([opaque])

    document = store.read(EVENTS, str(stream), "e-0000000001")
    assert document is not None
    assert "stateBase64" in document
    assert "data" not in document
    assert recorder.select_events(stream) == [opaque]


def test_read_head_gives_the_version_and_the_latest_snapshot(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    recorder = EventLogRecorder(store)
    latest = snapshot(stream, 3, name="After three")
    recorder.insert_events(events(stream, 1, 2), head_snapshot=snapshot(stream, 2, name="Two"))
    recorder.insert_events(events(stream, 3, 1, command_id="cmd-3"), head_snapshot=latest)

    head = EventLogRecorder(store).read_head(stream)

    assert head is not None
    assert head.version == 3
    assert head.last_command_id == "cmd-3"
    assert head.snapshot == latest


def test_read_head_of_an_unknown_stream_is_none(store: DocumentStore) -> None:
    assert EventLogRecorder(store).read_head(uuid.uuid4()) is None


def test_an_append_without_a_snapshot_keeps_the_heads_previous_one(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    recorder = EventLogRecorder(store)
    first = snapshot(stream, 1, name="One")
    recorder.insert_events(events(stream, 1, 1), head_snapshot=first)
    recorder.insert_events(events(stream, 2, 1))

    head = recorder.read_head(stream)

    assert head is not None
    assert head.version == 2
    assert head.snapshot == first


def test_a_stale_writer_gets_an_integrity_error_and_writes_nothing(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    winner, loser = EventLogRecorder(store), EventLogRecorder(store)
    winner.insert_events(events(stream, 1, 1))
    assert loser.read_head(stream) is not None
    winner.insert_events(events(stream, 2, 1, command_id="cmd-winner"))

    with pytest.raises(IntegrityError):
        loser.insert_events(events(stream, 2, 2, command_id="cmd-loser"))

    assert [e.originator_version for e in winner.select_events(stream)] == [1, 2]
    assert store.read(EVENTS, str(stream), "e-0000000003") is None


def test_a_stale_cached_head_is_caught_by_its_etag(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    loser = EventLogRecorder(store)
    loser.insert_events(events(stream, 1, 1))
    other = EventLogRecorder(store)
    assert other.read_head(stream) is not None
    other.insert_events(events(stream, 2, 1, command_id="cmd-other"))

    with pytest.raises(IntegrityError):
        loser.insert_events(events(stream, 2, 1, command_id="cmd-late"))

    event_two = store.read(EVENTS, str(stream), "e-0000000002")
    assert event_two is not None
    assert event_two["metadata"]["commandId"] == "cmd-other"


def test_an_append_must_continue_the_stream_without_a_gap(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    recorder = EventLogRecorder(store)
    recorder.insert_events(events(stream, 1, 1))

    with pytest.raises(IntegrityError, match="must start at 2"):
        recorder.insert_events(events(stream, 3, 1))
    with pytest.raises(IntegrityError, match="contiguous"):
        recorder.insert_events([*events(stream, 2, 1), *events(stream, 4, 1)])

    assert len(recorder.select_events(stream)) == 1


def test_a_command_of_more_than_99_events_is_refused_before_anything_is_sent(
    store: DocumentStore,
) -> None:
    counting = CountingDocumentStore(store)
    stream = uuid.uuid4()

    with pytest.raises(CommandTooLarge):
        EventLogRecorder(counting).insert_events(events(stream, 1, 100))

    assert counting.round_trips == 0


def test_a_command_of_99_events_fits_one_batch(store: DocumentStore) -> None:
    counting = CountingDocumentStore(store)
    stream = uuid.uuid4()

    EventLogRecorder(counting).insert_events(events(stream, 1, 99))

    assert counting.calls["batch"] == 1
    assert len(EventLogRecorder(store).select_events(stream)) == 99


def test_a_command_over_2_mb_is_refused_before_anything_is_written(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    recorder = EventLogRecorder(store)
    recorder.insert_events(events(stream, 1, 1))

    with pytest.raises(CommandTooLarge):
        recorder.insert_events(events(stream, 2, 3, content="x" * 800_000))

    assert [e.originator_version for e in recorder.select_events(stream)] == [1]


def test_events_of_two_streams_in_one_append_are_refused(store: DocumentStore) -> None:
    with pytest.raises(NotSupportedError, match="one partition"):
        EventLogRecorder(store).insert_events(
            [*events(uuid.uuid4(), 1, 1), *events(uuid.uuid4(), 1, 1)]
        )


def test_select_events_honours_gt_lte_desc_and_limit(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    recorder = EventLogRecorder(store)
    for first in (1, 51, 101):
        recorder.insert_events(events(stream, first, 50, command_id=f"cmd-{first}"))

    def versions(**options: Any) -> list[int]:
        return [e.originator_version for e in recorder.select_events(stream, **options)]

    assert versions() == list(range(1, 151))
    assert versions(gt=140) == list(range(141, 151))
    assert versions(gt=10, lte=13) == [11, 12, 13]
    assert versions(desc=True, limit=3) == [150, 149, 148]
    assert versions(lte=100, desc=True, limit=2) == [100, 99]
    assert versions(gt=150) == []
    assert versions(lte=0) == []


def test_load_and_append_cost_two_round_trips(store: DocumentStore) -> None:
    counting = CountingDocumentStore(store)
    stream = uuid.uuid4()
    EventLogRecorder(store).insert_events(events(stream, 1, 20))
    recorder = EventLogRecorder(counting)

    head = recorder.read_head(stream)
    assert head is not None
    recorder.insert_events(
        events(stream, head.version + 1, 2), head_snapshot=snapshot(stream, head.version + 2)
    )

    assert dict(counting.calls) == {"read": 1, "batch": 1}


def test_an_append_without_a_cached_head_reads_the_head_first(store: DocumentStore) -> None:
    counting = CountingDocumentStore(store)
    stream = uuid.uuid4()
    EventLogRecorder(store).insert_events(events(stream, 1, 1))

    EventLogRecorder(counting).insert_events(events(stream, 2, 1))

    assert dict(counting.calls) == {"read": 1, "batch": 1}


class LostAnswerStore(CountingDocumentStore):
    """Applies the next batch, loses its answer and retries it, as the Cosmos adapter does
    after a timeout that came after the batch reached the server. ``between_attempts`` runs
    after the lost attempt, before the retry (another writer, say)."""

    lose_next_answer = True

    def __init__(
        self, inner: DocumentStore, between_attempts: Callable[[], object] | None = None
    ) -> None:
        super().__init__(inner)
        self.between_attempts = between_attempts

    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        if self.lose_next_answer:
            self.lose_next_answer = False
            super().execute_batch(container, partition_key, operations)
            if self.between_attempts is not None:
                self.between_attempts()
        return super().execute_batch(container, partition_key, operations)


def append_ids(store: DocumentStore, stream: uuid.UUID) -> dict[int, str]:
    """The append id of each event document of the stream, by version."""
    documents = store.query(EVENTS, Query(partition_key=str(stream), equals={"docType": "event"}))
    return {int(d["version"]): str(d["appendId"]) for d in documents.items}


def test_an_append_whose_answer_was_lost_is_recognised_as_our_own(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    flaky = LostAnswerStore(store)
    recorder = EventLogRecorder(flaky)
    recorder.insert_events(events(stream, 1, 1, command_id="cmd-1"))

    flaky.lose_next_answer = True
    recorder.insert_events(events(stream, 2, 2, command_id="cmd-2"))

    assert [e.originator_version for e in recorder.select_events(stream)] == [1, 2, 3]
    head = recorder.read_head(stream)
    assert head is not None
    assert head.version == 3
    assert head.last_command_id == "cmd-2"


def test_a_first_append_whose_answer_was_lost_is_recognised_too(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    recorder = EventLogRecorder(LostAnswerStore(store))

    recorder.insert_events(events(stream, 1, 3, command_id="cmd-new"))

    assert [e.originator_version for e in recorder.select_events(stream)] == [1, 2, 3]


def test_a_lost_answer_is_recognised_after_another_writer_appended_behind_it(
    store: DocumentStore,
) -> None:
    stream = uuid.uuid4()
    EventLogRecorder(store).insert_events(events(stream, 1, 1, command_id="cmd-1"))

    def another_writer_appends() -> None:
        EventLogRecorder(store).insert_events(events(stream, 4, 1, command_id="cmd-later"))

    recorder = EventLogRecorder(LostAnswerStore(store, between_attempts=another_writer_appends))
    recorder.insert_events(events(stream, 2, 2, command_id="cmd-2"))

    assert [e.originator_version for e in recorder.select_events(stream)] == [1, 2, 3, 4]
    ids = append_ids(store, stream)
    assert ids[2] == ids[3]
    assert len({ids[1], ids[2], ids[4]}) == 3


def test_a_lost_answer_is_recognised_without_a_command_id(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    opaque = StoredEvent(stream, 1, "some.module:Encrypted", b"\x00\xffciphertext")

    EventLogRecorder(LostAnswerStore(store)).insert_events([opaque])

    assert EventLogRecorder(store).select_events(stream) == [opaque]


def test_every_append_has_an_id_of_its_own(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    recorder = EventLogRecorder(store)
    recorder.insert_events(events(stream, 1, 2, command_id="cmd-same"))
    recorder.insert_events(events(stream, 3, 2, command_id="cmd-same"))

    ids = append_ids(store, stream)
    head = store.read(EVENTS, str(stream), "head")

    assert ids[1] == ids[2] != ids[3] == ids[4]
    assert head is not None
    assert head["lastAppendId"] == ids[4]


def test_another_commands_conflicting_write_is_not_mistaken_for_our_own(
    store: DocumentStore,
) -> None:
    stream = uuid.uuid4()
    ours, theirs = EventLogRecorder(store), EventLogRecorder(store)
    ours.insert_events(events(stream, 1, 1))
    theirs.read_head(stream)
    theirs.insert_events(events(stream, 2, 1, command_id="cmd-theirs"))

    with pytest.raises(IntegrityError):
        ours.insert_events(events(stream, 2, 1, command_id="cmd-ours"))


def test_a_rivals_write_with_the_same_command_id_is_not_mistaken_for_our_own(
    store: DocumentStore,
) -> None:
    stream = uuid.uuid4()
    ours, rival = EventLogRecorder(store), EventLogRecorder(store)
    ours.insert_events(events(stream, 1, 1, command_id="cmd-create"))
    rival.read_head(stream)
    rival.insert_events(events(stream, 2, 1, command_id="cmd-retried", content="rival's"))

    with pytest.raises(IntegrityError):
        ours.insert_events(events(stream, 2, 1, command_id="cmd-retried", content="ours"))

    rival.insert_events(events(stream, 3, 1, command_id="cmd-next"))
    with pytest.raises(IntegrityError):
        EventLogRecorder(store).insert_events(
            events(stream, 2, 1, command_id="cmd-retried", content="ours")
        )

    stored = [MAPPER.to_domain_event(e) for e in ours.select_events(stream)]
    assert [getattr(e, "content", None) for e in stored] == ["text", "rival's", "text"]


def test_racing_appends_with_the_same_command_id_one_lands_the_others_must_reload(
    store: DocumentStore,
) -> None:
    """Two service instances running one client retry (same X-Command-Id) at once: exactly one
    append lands; every other gets ``IntegrityError`` (the application reloads and re-applies),
    never a success for events that were not written."""
    stream = uuid.uuid4()
    EventLogRecorder(store).insert_events(events(stream, 1, 1, command_id="cmd-create"))
    writers = 4
    ready = threading.Barrier(writers)
    landed: list[int] = []
    refused: list[int] = []
    failures: list[BaseException] = []

    def append(writer: int) -> None:
        recorder = EventLogRecorder(store)
        try:
            assert recorder.read_head(stream) is not None
            ready.wait(timeout=30)
            recorder.insert_events(
                events(stream, 2, 2, command_id="cmd-retried", content=f"writer {writer}")
            )
            landed.append(writer)
        except IntegrityError:
            refused.append(writer)
        except BaseException as error:  # surfaced to the test thread below
            failures.append(error)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(landed) == 1
    assert sorted(landed + refused) == list(range(writers))
    stored = [MAPPER.to_domain_event(e) for e in EventLogRecorder(store).select_events(stream)]
    assert [getattr(e, "content", None) for e in stored[1:]] == [f"writer {landed[0]}"] * 2


def test_the_global_notification_log_is_not_supported_and_says_why(store: DocumentStore) -> None:
    recorder = EventLogRecorder(store)

    for call in (
        lambda: recorder.select_notifications(start=None, limit=10),
        recorder.max_notification_id,
        recorder.subscribe,
    ):
        with pytest.raises(NotSupportedError, match="change feed"):
            call()


def test_library_snapshots_live_in_the_streams_partition(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    recorder = SnapshotRecorder(store)
    taken = [snapshot(stream, 5, n=5), snapshot(stream, 9, n=9)]
    recorder.insert_events(taken[:1])
    recorder.insert_events(taken[1:])

    document = store.read(EVENTS, str(stream), "s-0000000009")

    assert document is not None
    assert document["docType"] == "snapshot"
    assert recorder.select_events(stream, desc=True, limit=1) == [taken[1]]
    assert recorder.select_events(stream, lte=8, desc=True, limit=1) == [taken[0]]
    assert EventLogRecorder(store).select_events(stream) == []


def test_racing_writers_each_land_every_command_once_in_one_gapless_stream(
    store: DocumentStore,
) -> None:
    stream = uuid.uuid4()
    EventLogRecorder(store).insert_events(events(stream, 1, 1, command_id="cmd-create"))
    writers, commands_each = 4, 6
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        recorder = EventLogRecorder(store)
        try:
            for number in range(commands_each):
                command = f"cmd-{writer}-{number}"
                while True:
                    head = recorder.read_head(stream)
                    assert head is not None
                    try:
                        recorder.insert_events(
                            events(stream, head.version + 1, 2, command_id=command)
                        )
                        break
                    except IntegrityError:
                        continue
        except BaseException as error:  # surfaced to the test thread below
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stored = EventLogRecorder(store).select_events(stream)
    assert failures == []
    assert [e.originator_version for e in stored] == list(range(1, 2 + 2 * writers * commands_each))
    documents = store.query(EVENTS, Query(partition_key=str(stream), equals={"docType": "event"}))
    per_command = Counter(d["metadata"]["commandId"] for d in documents.items)
    assert per_command == Counter(
        {"cmd-create": 1}
        | {f"cmd-{w}-{n}": 2 for w in range(writers) for n in range(commands_each)}
    )


def test_a_head_this_recorder_wrote_loads_its_snapshot_without_encoding_it_again(
    store: DocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = uuid.uuid4()
    recorder = EventLogRecorder(store)
    written = snapshot(stream, 2, name="Warm", content="é ✓")
    recorder.insert_events(events(stream, 1, 2), head_snapshot=written)
    cold = EventLogRecorder(store).read_head(stream)

    def encode_again(*args: object) -> StoredEvent:
        raise AssertionError("the cached snapshot of this very head was not used")

    monkeypatch.setattr("eventstore.recorders.stored_snapshot_from", encode_again)
    warm = recorder.read_head(stream)
    again = recorder.read_head(stream)

    assert cold is not None
    assert warm is not None
    assert again is not None
    assert cold.snapshot is not None
    assert warm.snapshot == cold.snapshot
    assert again.snapshot == cold.snapshot
    assert warm.snapshot.state == written.state
    assert warm.snapshot.originator_id == stream


def test_a_head_another_writer_replaced_is_read_from_its_document(store: DocumentStore) -> None:
    stream = uuid.uuid4()
    mine, theirs = EventLogRecorder(store), EventLogRecorder(store)
    mine.insert_events(events(stream, 1, 1), head_snapshot=snapshot(stream, 1, name="Mine"))
    assert theirs.read_head(stream) is not None
    latest = snapshot(stream, 2, name="Theirs")
    theirs.insert_events(events(stream, 2, 1), head_snapshot=latest)

    head = mine.read_head(stream)

    assert head is not None
    assert head.snapshot is not None
    assert head.snapshot.state == latest.state


def test_an_append_without_a_snapshot_keeps_the_cached_one_for_its_new_head(
    store: DocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = uuid.uuid4()
    recorder = EventLogRecorder(store)
    first = snapshot(stream, 1, name="Kept")
    recorder.insert_events(events(stream, 1, 1), head_snapshot=first)
    recorder.insert_events(events(stream, 2, 1))

    def encode_again(*args: object) -> StoredEvent:
        raise AssertionError("the cached snapshot was not carried to the new head")

    monkeypatch.setattr("eventstore.recorders.stored_snapshot_from", encode_again)
    head = recorder.read_head(stream)

    assert head is not None
    assert head.version == 2
    assert head.snapshot is not None
    assert head.snapshot.state == first.state
