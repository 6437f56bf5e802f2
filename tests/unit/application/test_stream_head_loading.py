"""Loading through the stream head: one point read per command, a tail only when behind."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.popo import POPOApplicationRecorder

from application.campaign_application import CampaignApplication
from application.stream_head import StreamHeadReader, StreamStateReader
from domain.campaign import Campaign
from domain.errors import CampaignNotFound, ConcurrencyConflict
from domain.values import Iteration, Revision
from tests.unit.application.builders import POPO, brief, ctx, ledger, new_id


@dataclass(frozen=True)
class Head:
    version: int
    snapshot: StoredEvent | None
    layout: int = 2
    purged: bool = False


class HeadKeepingRecorder(POPOApplicationRecorder):
    """Keeps a head per stream from the ``head_snapshot`` each append brings, and the entity
    states beside it (a split-state recorder in memory); counts calls."""

    def __init__(self) -> None:
        super().__init__()
        self.heads: dict[str, Head] = {}
        self.states: dict[str, dict[str, tuple[dict[str, Any], str]]] = {}
        self.calls: Counter[str] = Counter()
        self.select_calls: list[dict[str, Any]] = []

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        self.calls["insert_events"] += 1
        ids = super().insert_events(stored_events, **kwargs)
        last = stored_events[-1]
        stream = str(last.originator_id)
        self.heads[stream] = Head(
            version=last.originator_version, snapshot=kwargs.get("head_snapshot")
        )
        self._keep(stream, kwargs.get("entity_states") or {}, last.originator_version)
        return ids

    def select_events(self, originator_id: UUID | str, **kwargs: Any) -> Sequence[StoredEvent]:
        self.calls["select_events"] += 1
        self.select_calls.append(kwargs)
        return super().select_events(originator_id, **kwargs)

    def read_head(self, originator_id: UUID) -> Head | None:
        self.calls["read_head"] += 1
        return self.heads.get(str(originator_id))

    def read_stream(
        self, originator_id: UUID, entity_ids: Collection[str]
    ) -> tuple[Head | None, dict[str, tuple[dict[str, Any], str]]]:
        self.calls["read_stream"] += 1
        stream = str(originator_id)
        kept = self.states.get(stream, {})
        found = {entity_id: kept[entity_id] for entity_id in entity_ids if entity_id in kept}
        return self.heads.get(stream), copy.deepcopy(found)

    def migrate_stream(
        self,
        originator_id: UUID,
        *,
        version: int,
        core_snapshot: StoredEvent,
        entity_states: Mapping[str, Mapping[str, Any]],
    ) -> None:
        self.calls["migrate_stream"] += 1
        stream = str(originator_id)
        self._keep(stream, {key: (state, None) for key, state in entity_states.items()}, version)
        self.heads[stream] = Head(version=version, snapshot=core_snapshot)

    def _keep(
        self, stream: str, states: Mapping[str, tuple[Mapping[str, Any], Any]], version: int
    ) -> None:
        kept = self.states.setdefault(stream, {})
        for entity_id, (state, _) in states.items():
            kept[entity_id] = (copy.deepcopy(dict(state)), f"etag-{version}")


class HeadKeepingApplication(CampaignApplication):
    def construct_recorder(self) -> HeadKeepingRecorder:
        return HeadKeepingRecorder()


@pytest.fixture
def application() -> HeadKeepingApplication:
    return HeadKeepingApplication(env=POPO)


def _recorder(application: CampaignApplication) -> HeadKeepingRecorder:
    recorder = application.recorder
    assert isinstance(recorder, HeadKeepingRecorder)
    return recorder


def test_a_recorder_with_read_head_is_a_stream_head_reader(
    application: HeadKeepingApplication,
) -> None:
    assert isinstance(application.recorder, StreamHeadReader)
    assert isinstance(application.recorder, StreamStateReader)
    assert not isinstance(POPOApplicationRecorder(), StreamHeadReader)


def test_a_command_costs_one_head_read_and_one_append_and_no_event_query(
    application: HeadKeepingApplication,
) -> None:
    service = ledger(application)
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    for status in ("Generating", "Generated", "Auditing"):
        service.change_status(ctx(), campaign_id, status)
    recorder = _recorder(application)
    recorder.calls.clear()

    service.create_artifact(ctx(), campaign_id, artifact_type="Copy")

    assert recorder.calls == Counter({"read_stream": 1, "insert_events": 1})


def test_each_append_brings_the_snapshot_after_its_last_event(
    application: HeadKeepingApplication,
) -> None:
    service = ledger(application)
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    artifact = service.create_artifact(ctx(), campaign_id, artifact_type="Copy")

    head = _recorder(application).heads[campaign_id]

    assert head.snapshot is not None
    assert head.snapshot.topic == "domain.campaign:Campaign.Snapshot"
    assert (head.version, head.snapshot.originator_version) == (2, 2)
    snapshot = application.mapper.to_domain_event(head.snapshot)
    assert artifact.id in snapshot.state["artifacts"]  # type: ignore[attr-defined]


def test_a_whole_snapshot_behind_a_layout_one_head_is_completed_by_the_events_after_it(
    application: HeadKeepingApplication,
) -> None:
    service = ledger(application)
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    stale = _recorder(application).heads[campaign_id].snapshot
    service.create_artifact(ctx(), campaign_id, artifact_type="Copy")
    service.change_status(ctx(), campaign_id, "Generating")
    recorder = _recorder(application)
    recorder.heads[campaign_id] = Head(version=3, snapshot=stale, layout=1)
    recorder.select_calls.clear()

    campaign = application.load_campaign(UUID(campaign_id))

    assert recorder.select_calls == [{"gt": 1, "lte": None, "desc": False, "limit": None}]
    assert (campaign.version, campaign.status, len(campaign.artifacts)) == (3, "Generating", 1)
    assert recorder.calls["migrate_stream"] == 1
    assert recorder.heads[campaign_id].layout == 2


def test_a_head_without_a_snapshot_loads_all_events(application: HeadKeepingApplication) -> None:
    service = ledger(application)
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    service.change_status(ctx(), campaign_id, "Generating")
    recorder = _recorder(application)
    recorder.heads[campaign_id] = Head(version=2, snapshot=None, layout=1)
    recorder.select_calls.clear()

    campaign = application.load_campaign(UUID(campaign_id))

    assert recorder.select_calls == [{"gt": None, "lte": None, "desc": False, "limit": None}]
    assert campaign.status == "Generating"
    assert recorder.heads[campaign_id].layout == 2


def test_a_stream_without_a_head_is_not_found(application: HeadKeepingApplication) -> None:
    with pytest.raises(CampaignNotFound):
        application.load_campaign(UUID(new_id()))
    assert _recorder(application).calls["select_events"] == 0


def test_a_snapshot_load_equals_a_full_replay(application: HeadKeepingApplication) -> None:
    service = ledger(application)
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    artifact_id = service.create_artifact(ctx(), campaign_id, artifact_type="Copy").id
    version_id = service.create_version(ctx(), campaign_id, artifact_id, content="x").id

    from_head = application.load_campaign(UUID(campaign_id), [artifact_id, version_id])
    replayed = application.repository.get(UUID(campaign_id), version=3)

    assert isinstance(replayed, Campaign)
    assert vars(from_head) == vars(replayed)


def test_a_load_holds_the_core_and_only_the_entities_named(
    application: HeadKeepingApplication,
) -> None:
    service = ledger(application)
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    artifact_id = service.create_artifact(ctx(), campaign_id, artifact_type="Copy").id
    first = service.create_version(ctx(), campaign_id, artifact_id, content="x").id
    second = service.create_version(ctx(), campaign_id, artifact_id, content="y").id

    campaign = application.load_campaign(UUID(campaign_id), [second])

    assert list(campaign.versions) == [second]
    assert first not in campaign.receipts
    assert campaign.artifacts[artifact_id]["version_count"] == 2


def test_an_append_writes_only_the_entity_states_its_events_changed(
    application: HeadKeepingApplication,
) -> None:
    service = ledger(application)
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    artifact_id = service.create_artifact(ctx(), campaign_id, artifact_type="Copy").id
    first = service.create_version(ctx(), campaign_id, artifact_id, content="x").id
    second = service.create_version(ctx(), campaign_id, artifact_id, content="y").id
    recorder = _recorder(application)
    before = {key: etag for key, (_, etag) in recorder.states[campaign_id].items()}

    service.archive_version(ctx(), campaign_id, first)

    after = {key: etag for key, (_, etag) in recorder.states[campaign_id].items()}
    changed = {key for key in after if after[key] != before.get(key)}
    assert changed == {first}
    assert recorder.states[campaign_id][first][0]["record"]["status"] == "Archived"
    assert recorder.states[campaign_id][second][0]["record"]["status"] == "Generated"


def test_a_revision_is_an_entity_state_beside_a_core_that_only_counts_revisions(
    application: HeadKeepingApplication,
) -> None:
    service = ledger(application)
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    artifact_id = service.create_artifact(ctx(), campaign_id, artifact_type="Copy").id
    old = service.create_version(ctx(), campaign_id, artifact_id, content="x").id
    new = service.create_version(ctx(), campaign_id, artifact_id, content="y").id
    for status in ("Generating", "Generated"):
        service.change_status(ctx(), campaign_id, status)
    revision = Revision(reason="audit-failed", feedback_text="Fix the claims")
    first = service.request_revision(ctx(), campaign_id, revision=revision)

    repeat = service.request_revision(ctx(), campaign_id, revision=revision, revision_id=first.id)
    iteration = Iteration(
        artifact_id=artifact_id,
        old_version_id=old,
        new_version_id=new,
        feedback_text="Fixed",
        revision_id=first.id,
    )
    service.log_iteration(ctx(), campaign_id, iteration=iteration)

    core = json.loads(_recorder(application).heads[campaign_id].snapshot.state)["state"]  # type: ignore[union-attr]
    assert (core["revisions"], core["revision_count"], core["consecutive_audit_retries"]) == (
        {},
        1,
        1,
    )
    state, _ = _recorder(application).states[campaign_id][first.id]
    assert (state["kind"], state["record"]) == ("revision", {"number": 1})
    assert (repeat.version, repeat.revision_number, repeat.appended) == (first.version, 1, False)


def test_without_a_head_keeping_recorder_the_library_loads_from_events() -> None:
    application = CampaignApplication(env=POPO)
    service = ledger(application)
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id

    assert application.load_campaign(UUID(campaign_id)).version == 1


def test_a_head_still_whole_after_the_split_is_retried_never_decided_on() -> None:
    class StuckRecorder(HeadKeepingRecorder):
        def migrate_stream(self, originator_id: UUID, **kwargs: Any) -> None:
            self.calls["migrate_stream"] += 1  # another writer keeps the old layout

    class StuckApplication(CampaignApplication):
        def construct_recorder(self) -> StuckRecorder:
            return StuckRecorder()

    application = StuckApplication(env=POPO)
    service = ledger(application)
    campaign_id = service.create_campaign(ctx(), name="Spring", brief=brief()).id
    recorder = _recorder(application)
    head = recorder.heads[campaign_id]
    recorder.heads[campaign_id] = Head(version=head.version, snapshot=None, layout=1)

    with pytest.raises(ConcurrencyConflict):
        application.load_campaign(UUID(campaign_id))
    assert recorder.calls["migrate_stream"] == 1
