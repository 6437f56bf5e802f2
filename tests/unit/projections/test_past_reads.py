"""Reading the past: the snapshot and an artifact's version history at a stream version or an
instant, folded from one read of the log prefix, equal to what the live views answered then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from documentstore.memory import InMemoryDocumentStore
from domain.errors import CampaignNotFound, EntityNotFound, InvalidContinuation, VersionNotFound
from projections.reads import Moment, ReadModel
from projections.runner import ProjectionRunner
from tests.unit.projections.campaign_events import (
    CampaignStream,
    append_to_log,
    event_document,
    scripted_scenario,
)
from tests.unit.projections.test_reads import CountingStore

Answer = dict[str, Any] | str
"""A live answer as captured: the body, or the code of the refusal."""


def answered(reads: ReadModel, stream: CampaignStream, read: str, *args: Any) -> Answer:
    """The body of a read, or the code it was refused with."""
    try:
        view = getattr(reads, read)(stream.tenant_id, stream.campaign_id, *args)
    except (CampaignNotFound, EntityNotFound) as refused:
        return refused.code
    body: dict[str, Any] = view.body
    return body


def project_one_by_one(
    store: InMemoryDocumentStore, stream: CampaignStream
) -> dict[int, dict[str, Answer]]:
    """Append the stream to the log, then project it one event at a time, capturing what the
    live reads answer at each version: the snapshot and each artifact's version history."""
    append_to_log(store, stream)
    reads = ReadModel(store, generation_cache_seconds=0)
    artifacts = [e.data["artifactId"] for e in stream.events if e.type == "ArtifactCreated"]
    answers: dict[int, dict[str, Answer]] = {}
    for event in stream.events:
        ProjectionRunner(store).project([event_document(event)])
        answers[event.version] = {
            "snapshot": answered(reads, stream, "campaign"),
            **{a: answered(reads, stream, "version_history", a) for a in artifacts},
        }
    return answers


@pytest.mark.parametrize("which", [0, 1, 2])
def test_the_past_at_every_version_is_what_the_live_reads_answered_then(which: int) -> None:
    store = InMemoryDocumentStore()
    stream = scripted_scenario("acme")[which]
    live = project_one_by_one(store, stream)
    reads = ReadModel(store)
    if which == 2:  # deleted now: its past is as hidden as its present
        with pytest.raises(CampaignNotFound):
            reads.campaign_at("acme", stream.campaign_id, Moment(version=1))
        return
    for version, answers in live.items():
        moment = Moment(version=version)
        assert answered(reads, stream, "campaign_at", moment) == answers["snapshot"], version
        for artifact, history in answers.items():
            if artifact != "snapshot":
                assert answered(reads, stream, "version_history_at", artifact, moment) == history


def test_a_past_read_costs_the_snapshot_and_one_read_of_the_log_prefix() -> None:
    store = CountingStore()
    stream = scripted_scenario()[0]
    append_to_log(store, stream)
    ProjectionRunner(store).project(stream.documents())
    reads = ReadModel(store, generation_cache_seconds=60)
    artifact = stream.events[3].data["artifactId"]
    reads.campaign("default", stream.campaign_id)  # warms the generation cache
    for read in (
        lambda: reads.campaign_at("default", stream.campaign_id, Moment(version=20)),
        lambda: reads.version_history_at(
            "default", stream.campaign_id, artifact, Moment(version=len(stream.events))
        ),
        lambda: reads.campaign_at(
            "default", stream.campaign_id, Moment(instant=datetime(2027, 1, 1, tzinfo=UTC))
        ),
    ):
        before = (store.reads, store.queries)
        read()
        assert (store.reads - before[0], store.queries - before[1]) == (1, 1)


@pytest.fixture
def history() -> tuple[ReadModel, CampaignStream]:
    store = InMemoryDocumentStore()
    stream = CampaignStream()
    artifact = stream.artifact("Copy")
    for number in range(7):
        stream.version(artifact, f"draft {number}")
    append_to_log(store, stream)
    ProjectionRunner(store).project(stream.documents())
    return ReadModel(store), stream


def test_a_version_above_the_current_one_or_an_instant_before_creation_has_no_past(
    history: tuple[ReadModel, CampaignStream],
) -> None:
    reads, stream = history
    created = datetime.fromisoformat(stream.events[0].timestamp)
    with pytest.raises(VersionNotFound):
        reads.campaign_at("default", stream.campaign_id, Moment(version=len(stream.events) + 1))
    with pytest.raises(VersionNotFound):
        reads.campaign_at(
            "default", stream.campaign_id, Moment(instant=created - timedelta(microseconds=1))
        )
    with pytest.raises(VersionNotFound):
        reads.campaign_at("default", stream.campaign_id, Moment(version=2**53 - 1))
    with pytest.raises(CampaignNotFound):
        reads.campaign_at("someone-else", stream.campaign_id, Moment(version=1))


def test_an_instant_selects_the_last_event_recorded_at_or_before_it(
    history: tuple[ReadModel, CampaignStream],
) -> None:
    reads, stream = history
    third = datetime.fromisoformat(stream.events[2].timestamp)
    at_third = reads.campaign_at("default", stream.campaign_id, Moment(instant=third))
    between = reads.campaign_at(
        "default", stream.campaign_id, Moment(instant=third + timedelta(milliseconds=500))
    )
    in_paris = reads.campaign_at(
        "default", stream.campaign_id, Moment(instant=third.astimezone(timezone_of("+01:00")))
    )
    assert at_third.version == between.version == in_paris.version == 3
    assert at_third.body == between.body == in_paris.body
    assert at_third.body["version"] == 3


def timezone_of(offset: str) -> Any:
    return datetime.fromisoformat(f"2026-01-01T00:00:00{offset}").tzinfo


def test_a_version_is_closed_and_an_instant_is_closed_once_a_later_event_exists(
    history: tuple[ReadModel, CampaignStream],
) -> None:
    reads, stream = history
    last = datetime.fromisoformat(stream.events[-1].timestamp)
    at_version = reads.campaign_at(
        "default", stream.campaign_id, Moment(version=len(stream.events))
    )
    before_last = reads.campaign_at(
        "default", stream.campaign_id, Moment(instant=last - timedelta(microseconds=1))
    )
    at_last = reads.campaign_at("default", stream.campaign_id, Moment(instant=last))

    assert at_version.immutable
    assert before_last.immutable
    assert not at_last.immutable  # a command may still record an event at this instant
    assert at_last.body == at_version.body
    assert at_last.etag == at_version.etag
    assert before_last.etag != at_version.etag


def test_the_past_version_history_pages_with_tokens_of_its_own(
    history: tuple[ReadModel, CampaignStream],
) -> None:
    reads, stream = history
    artifact = stream.events[1].data["artifactId"]
    at_seven = Moment(version=7)  # five versions then
    seen: list[str] = []
    token = None
    while True:
        page = reads.version_history_at(
            "default", stream.campaign_id, artifact, at_seven, limit=2, continuation=token
        )
        assert len(page.body["versions"]) == (2 if page.body["continuation"] else 1)
        seen += [version["id"] for version in page.body["versions"]]
        token = page.body["continuation"]
        if token is None:
            break
    live_token = reads.version_history("default", stream.campaign_id, artifact, limit=2).body[
        "continuation"
    ]
    past_token = reads.version_history_at(
        "default", stream.campaign_id, artifact, at_seven, limit=2
    ).body["continuation"]

    assert seen == [e.data["versionId"] for e in stream.events if e.type == "VersionCreated"][:5]
    for refused in (
        lambda: reads.version_history_at(
            "default", stream.campaign_id, artifact, at_seven, continuation=live_token
        ),
        lambda: reads.version_history_at(
            "default", stream.campaign_id, artifact, Moment(version=8), continuation=past_token
        ),
        lambda: reads.version_history(
            "default", stream.campaign_id, artifact, continuation=past_token
        ),
    ):
        with pytest.raises(InvalidContinuation):
            refused()


def test_an_artifact_created_after_the_moment_is_entity_not_found_then(
    history: tuple[ReadModel, CampaignStream],
) -> None:
    reads, stream = history
    artifact = stream.events[1].data["artifactId"]
    with pytest.raises(EntityNotFound):
        reads.version_history_at("default", stream.campaign_id, artifact, Moment(version=1))
    empty = reads.version_history_at("default", stream.campaign_id, artifact, Moment(version=2))
    assert empty.body == {
        "artifactId": artifact,
        "type": "Copy",
        "versions": [],
        "continuation": None,
    }


def test_events_the_live_views_refused_are_refused_in_the_past_too() -> None:
    store = InMemoryDocumentStore()
    stream = CampaignStream()
    artifact = stream.artifact("Copy")
    stream.emit("ActiveVersionSet", artifactType="Copy", artifactId=artifact, versionId="nope")
    stream.version(artifact, "after the refusal")
    live = project_one_by_one(store, stream)
    reads = ReadModel(store)
    for version in (3, 4):
        at = reads.campaign_at("default", stream.campaign_id, Moment(version=version))
        assert at.body == live[version]["snapshot"]
    assert live[3]["snapshot"]["version"] == 2  # type: ignore[index]


def test_content_spilled_from_the_snapshot_is_in_the_past_snapshot_as_it_was_live() -> None:
    from projections.projectors.snapshot import INLINE_CONTENT_BUDGET

    store = InMemoryDocumentStore()
    stream = CampaignStream()
    big = stream.version(stream.artifact("Copy"), "x" * (INLINE_CONTENT_BUDGET - 10))
    small = stream.version(stream.artifact("ShortCopy"), "spilled words")
    stream.activate(big)
    stream.activate(small)
    live = project_one_by_one(store, stream)
    at = ReadModel(store).campaign_at("default", stream.campaign_id, Moment(version=7))
    assert at.body["activeVersions"]["ShortCopy"]["content"] == "spilled words"
    assert at.body == live[7]["snapshot"]
