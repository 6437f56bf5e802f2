"""Concurrent writers: reload and retry, bounded; a pinned version gets 412 instead."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder

from application.campaign_application import CampaignApplication
from application.campaign_locks import CampaignLocks
from application.retry_policy import ConflictRetryPolicy, ConflictTally
from application.service import CampaignService
from domain.artifact_types import ArtifactTypeRegistry
from domain.campaign import Campaign
from domain.errors import ConcurrencyConflict, PreconditionFailed, StoreError, WriteContention
from domain.metadata import CommandMetadata
from tests.unit.application.builders import POPO, T0, brief, ctx, ledger, new_id


class SlowRecorder(POPOApplicationRecorder):
    """Reads take a moment (like a network round trip), so writers interleave; counts losers."""

    def __init__(self) -> None:
        super().__init__()
        self.conflicts = 0
        self.delay = 0.0005

    def select_events(self, originator_id: UUID | str, **kwargs: Any) -> Sequence[StoredEvent]:
        events = super().select_events(originator_id, **kwargs)
        time.sleep(self.delay)  # the answer travels back while others may append
        return events

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        try:
            return super().insert_events(stored_events, **kwargs)
        except IntegrityError:
            self.conflicts += 1
            raise


class ConflictingRecorder(POPOApplicationRecorder):
    """Refuses the next ``conflicts`` appends as if another writer had won each time."""

    def __init__(self) -> None:
        super().__init__()
        self.conflicts = 0
        self.inserts = 0

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        self.inserts += 1
        if self.conflicts > 0:
            self.conflicts -= 1
            raise IntegrityError("another writer appended first")
        return super().insert_events(stored_events, **kwargs)


class SlowApplication(CampaignApplication):
    def construct_recorder(self) -> SlowRecorder:
        return SlowRecorder()


class ConflictingApplication(CampaignApplication):
    def construct_recorder(self) -> ConflictingRecorder:
        return ConflictingRecorder()


def _add_versions_concurrently(
    services: list[CampaignService], campaign_id: str, artifact_id: str, per_thread: int
) -> tuple[list[int], list[BaseException]]:
    """Each service gets a thread adding ``per_thread`` versions; all start together."""
    start = threading.Barrier(len(services))
    numbers: list[int] = []
    failures: list[BaseException] = []

    def add_versions(service: CampaignService) -> None:
        start.wait()
        for _ in range(per_thread):
            try:
                result = service.create_version(ctx(), campaign_id, artifact_id, content="x")
            except BaseException as error:
                failures.append(error)
            else:
                numbers.append(result.version_number or 0)

    threads = [threading.Thread(target=add_versions, args=(s,)) for s in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return numbers, failures


def _campaign_with_artifact(service: CampaignService) -> tuple[str, str]:
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    return campaign_id, service.create_artifact(ctx(), campaign_id, artifact_type="Copy").id


def _stored_numbers(
    application: CampaignApplication, campaign_id: str, artifact_id: str
) -> list[int]:
    campaign = application.load_campaign(UUID(campaign_id))
    numbers = sorted(
        record["number"]
        for record in campaign.versions.values()
        if record["artifact_id"] == artifact_id
    )
    assert campaign.artifacts[artifact_id]["version_count"] == len(numbers)
    return numbers


@pytest.mark.parametrize("application_class", [CampaignApplication, SlowApplication])
def test_eight_threads_adding_versions_get_numbers_one_to_n_none_lost_or_repeated(
    application_class: type[CampaignApplication],
) -> None:
    application = application_class(env=POPO)
    service = ledger(application)
    campaign_id, artifact_id = _campaign_with_artifact(service)

    numbers, failures = _add_versions_concurrently([service] * 8, campaign_id, artifact_id, 12)

    assert failures == []
    assert sorted(numbers) == list(range(1, 97))
    assert _stored_numbers(application, campaign_id, artifact_id) == list(range(1, 97))
    assert application.load_campaign(UUID(campaign_id)).version == 2 + 96


def test_writers_of_one_campaign_in_one_process_take_turns_instead_of_colliding() -> None:
    application = SlowApplication(env=POPO)
    service = ledger(application, max_attempts=1)
    campaign_id, artifact_id = _campaign_with_artifact(service)

    numbers, failures = _add_versions_concurrently([service] * 8, campaign_id, artifact_id, 5)

    assert (failures, len(numbers)) == ([], 40)
    assert isinstance(application.recorder, SlowRecorder)
    assert application.recorder.conflicts == 0


def test_writers_in_two_processes_that_collide_are_retried_until_each_gets_its_turn() -> None:
    application = SlowApplication(env=POPO)
    assert isinstance(application.recorder, SlowRecorder)
    application.recorder.delay = 0.002
    hosts = [ledger(application), ledger(application)]  # two processes sharing one store
    campaign_id, artifact_id = _campaign_with_artifact(hosts[0])

    # Each conflict means the other host appended one of its 5 versions, so no writer can
    # lose more than 5 times in a row: within the 8 attempts.
    numbers, failures = _add_versions_concurrently(hosts, campaign_id, artifact_id, 5)

    assert failures == []
    assert sorted(numbers) == list(range(1, 11))
    assert _stored_numbers(application, campaign_id, artifact_id) == list(range(1, 11))
    assert application.recorder.conflicts > 0, "the two hosts should have collided"


def test_a_command_beaten_by_another_writer_is_reapplied_on_a_fresh_load() -> None:
    application = ConflictingApplication(env=POPO)
    service = ledger(application)
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    recorder = application.recorder
    assert isinstance(recorder, ConflictingRecorder)
    recorder.conflicts = 3

    result = service.create_artifact(ctx(), campaign_id, artifact_type="Copy")

    assert (result.version, result.appended) == (2, True)
    assert recorder.inserts == 1 + 4
    assert service.conflicts.as_dict() == {
        "conflicts": 3,
        "retries": 3,
        "exhausted": 0,
        "pinned": 0,
    }


def test_when_the_attempts_run_out_the_command_is_refused_as_write_contention() -> None:
    application = ConflictingApplication(env=POPO)
    service = ledger(application, max_attempts=3)
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    recorder = application.recorder
    assert isinstance(recorder, ConflictingRecorder)
    recorder.conflicts = 3

    with pytest.raises(WriteContention) as refusal:
        service.create_artifact(ctx(), campaign_id, artifact_type="Copy")

    assert refusal.value.code == "write-contention"
    assert refusal.value.retry_after > 0
    assert application.load_campaign(UUID(campaign_id)).version == 1
    assert service.conflicts.as_dict() == {
        "conflicts": 3,
        "retries": 2,
        "exhausted": 1,
        "pinned": 0,
    }


def test_a_pinned_version_that_does_not_match_is_a_failed_precondition() -> None:
    service = ledger()
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    service.create_artifact(ctx(), campaign_id, artifact_type="Copy")

    with pytest.raises(PreconditionFailed) as refusal:
        service.create_artifact(ctx(expected_version=1), campaign_id, artifact_type="ShortCopy")

    assert (refusal.value.expected, refusal.value.actual) == (1, 2)
    result = service.create_artifact(
        ctx(expected_version=2), campaign_id, artifact_type="ShortCopy"
    )
    assert result.version == 3


def test_a_pinned_version_beaten_by_another_writer_is_a_failed_precondition_not_a_retry() -> None:
    application = ConflictingApplication(env=POPO)
    service = ledger(application)
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    recorder = application.recorder
    assert isinstance(recorder, ConflictingRecorder)
    recorder.conflicts = 1

    with pytest.raises(PreconditionFailed) as refusal:
        service.create_artifact(ctx(expected_version=1), campaign_id, artifact_type="Copy")

    assert refusal.value.expected == 1
    assert recorder.inserts == 2
    assert service.conflicts.as_dict() == {
        "conflicts": 1,
        "retries": 0,
        "exhausted": 0,
        "pinned": 1,
    }


def test_an_append_beaten_by_another_writer_is_a_concurrency_conflict_not_a_library_error() -> None:
    application = ConflictingApplication(env=POPO)
    recorder = application.recorder
    assert isinstance(recorder, ConflictingRecorder)
    recorder.conflicts = 1
    meta = CommandMetadata(command_id=new_id(), actor="tester", tenant_id="default", at=T0)
    campaign = Campaign.create(new_id(), name="Spring", brief=brief(), meta=meta)

    with pytest.raises(ConcurrencyConflict) as refusal:
        application.save_campaign(campaign)

    assert isinstance(refusal.value, StoreError)
    assert refusal.value.code == "concurrency-conflict"


def test_the_retry_policy_retries_concurrency_conflicts_then_answers_write_contention() -> None:
    policy = ConflictRetryPolicy(max_attempts=3, base=0.0001, cap=0.0001)
    tally = ConflictTally()
    attempts: list[int] = []

    def beaten_twice() -> str:
        attempts.append(1)
        if len(attempts) <= 2:
            raise ConcurrencyConflict("another writer appended first")
        return "appended"

    def always_beaten() -> str:
        raise ConcurrencyConflict("another writer appended first")

    assert policy.run(beaten_twice, tally) == "appended"
    with pytest.raises(WriteContention):
        policy.run(always_beaten, tally)
    assert tally.as_dict() == {"conflicts": 5, "retries": 4, "exhausted": 1, "pinned": 0}


class RecordingStripes:
    """Stripe locks shared by processes, as a fake that records what was taken and given."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, int]] = []

    def acquire(self, stripe: int) -> None:
        self.steps.append(("acquire", stripe))

    def release(self, stripe: int) -> None:
        self.steps.append(("release", stripe))


def test_with_locks_shared_across_processes_a_beaten_command_takes_its_turn_again() -> None:
    application = ConflictingApplication(env=POPO)
    shared = RecordingStripes()
    service = CampaignService(
        application,
        artifact_types=ArtifactTypeRegistry.standard(),
        locks=CampaignLocks(stripes=4, shared=shared),
    )
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    recorder = application.recorder
    assert isinstance(recorder, ConflictingRecorder)
    recorder.conflicts = 2
    shared.steps.clear()

    result = service.create_artifact(ctx(), campaign_id, artifact_type="Copy")

    stripe = UUID(campaign_id).int % 4
    assert (result.version, result.appended) == (2, True)
    assert shared.steps == [("acquire", stripe), ("release", stripe)] * 3
