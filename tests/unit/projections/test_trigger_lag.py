"""The Functions trigger's lag, measured from the ``_ts`` of the documents of a batch, kept in
``leases`` and shown by the projection status (``projections.trigger_lag``)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from documentstore.memory import InMemoryDocumentStore
from documentstore.port import Document, Operation
from domain.errors import StoreUnavailable
from projections.reads import ReadModel
from projections.status import FUNCTIONS_TRIGGER
from projections.trigger_lag import (
    TriggerLag,
    TriggerLagRecorder,
    measure_lag,
    read_trigger_lag,
)
from tests.unit.projections.campaign_events import CampaignStream, head_document

NOW = 1_780_000_000.0


def stamped(documents: Sequence[Document], *ages: float) -> list[Document]:
    """The documents as the change feed hands them over, written ``ages`` seconds ago."""
    return [
        {**document, "_ts": int(NOW - age)} for document, age in zip(documents, ages, strict=True)
    ]


def batch_of_three_events_and_a_head() -> list[Document]:
    stream = CampaignStream()
    stream.status("Generating")
    stream.status("Generated")
    head = head_document(stream.campaign_id, 3)
    return stamped([*stream.documents(), head], 42, 30, 12, 12)


def test_a_batch_is_as_far_behind_as_its_oldest_document_and_counts_its_events() -> None:
    reading = measure_lag(batch_of_three_events_and_a_head(), NOW)

    assert reading == TriggerLag(
        events_behind=3, seconds_behind=42.0, measured_at="2026-05-28T20:26:40+00:00"
    )


def test_a_batch_without_timestamps_is_not_a_reading() -> None:
    assert measure_lag(CampaignStream().documents(), NOW) is None
    assert measure_lag([], NOW) is None


def test_the_recorder_keeps_its_reading_where_every_process_reads_it() -> None:
    store = InMemoryDocumentStore()
    recorder = TriggerLagRecorder(store, "views-g1-", clock=lambda: NOW)

    reading = recorder.record(batch_of_three_events_and_a_head())

    assert reading is not None
    assert recorder.latest == reading
    assert read_trigger_lag(store, "views-g1-") == reading
    assert read_trigger_lag(store, "views-g2-") is None


def test_the_status_under_the_trigger_shows_its_latest_reading_as_one_range() -> None:
    store = InMemoryDocumentStore()
    TriggerLagRecorder(store, "views-g1-", clock=lambda: NOW).record(
        batch_of_three_events_and_a_head()
    )

    [projection] = ReadModel(store, lag_source=FUNCTIONS_TRIGGER).projection_status()["projections"]

    assert projection["eventsBehind"] == 3
    assert projection["feedRanges"] == [
        {
            "feedRange": "all",
            "source": "functions-trigger",
            "checkpoint": None,
            "checkpointUpdatedAt": None,
            "measuredAt": "2026-05-28T20:26:40+00:00",
            "eventsBehind": 3,
            "eventsBehindIsLowerBound": True,
            "secondsBehind": 42.0,
        }
    ]


class UnwritableLeases(InMemoryDocumentStore):
    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        raise StoreUnavailable("leases unavailable", retry_after=1.0)


def test_a_reading_that_cannot_be_stored_is_logged_and_never_fails_the_batch(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = TriggerLagRecorder(UnwritableLeases(), "views-g1-", clock=lambda: NOW)

    reading = recorder.record(batch_of_three_events_and_a_head())

    assert reading is not None
    assert reading.seconds_behind == 42.0
    assert "could not store the trigger's lag reading" in caplog.text
