"""Random command sequences never break the campaign's invariants.

Each example drives one campaign with a random list of commands naming existing or unknown
entities; refusals (domain errors) are expected and skipped, anything else fails. Afterwards the
state must satisfy every invariant, the events must tell a consistent story, and replaying the
events (or restoring the JSON snapshot) must rebuild exactly the same state.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections import defaultdict
from typing import Any

from eventsourcing.application import project_aggregate
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, UUIDAsHex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.artifact_types import ArtifactTypeRegistry
from domain.campaign import Campaign
from domain.errors import LedgerError
from domain.lifecycle import CAMPAIGN_TRANSITIONS, RUN_TRANSITIONS
from domain.values import (
    ArtifactType,
    AuditStatus,
    CampaignStatus,
    ContextArtifact,
    ExecutionMode,
    Iteration,
    QualityCheck,
    QualityCheckStatus,
    RunStatus,
    Trigger,
    VersionStatus,
)
from tests.unit.domain.builders import brief, meta, report

pick = st.integers(min_value=0, max_value=12)
commands = st.lists(
    st.one_of(
        st.tuples(st.just("artifact"), st.sampled_from(ArtifactType)),
        st.tuples(st.just("version"), pick),
        st.tuples(st.just("version"), pick),
        st.tuples(st.just("audit"), pick, st.sampled_from(AuditStatus)),
        st.tuples(st.just("audit"), pick, st.sampled_from(AuditStatus)),
        st.tuples(st.just("approve"), pick),
        st.tuples(st.just("approve"), pick),
        st.tuples(st.just("archive"), pick),
        st.tuples(st.just("activate"), st.sampled_from(ArtifactType), pick),
        st.tuples(st.just("iteration"), pick, pick, pick),
        st.tuples(st.just("status"), st.sampled_from(CampaignStatus)),
        st.tuples(st.just("run"), st.one_of(st.none(), pick)),
        st.tuples(st.just("start"), pick),
        st.tuples(st.just("start"), pick),
        st.tuples(st.just("step"), pick, st.integers(0, 30), st.sampled_from(["plan", "bgm"])),
        st.tuples(st.just("check"), pick, pick),
        st.tuples(st.just("complete"), pick, pick),
        st.tuples(st.just("fail"), pick),
        st.tuples(st.just("cancel"), pick),
        st.tuples(st.just("repeat"), pick),
    ),
    min_size=5,
    max_size=60,
)


SEED: list[tuple[Any, ...]] = [
    ("artifact", ArtifactType.COPY),
    ("artifact", ArtifactType.VISUAL_CONCEPT),
    *[("version", i % 2) for i in range(4)],
    ("run", None),
    ("run", None),
    ("start", 0),
]
"""Every example starts from a campaign with two artifacts, four versions and two runs."""


class Driver:
    """Turns abstract commands into aggregate commands on one campaign."""

    def __init__(self) -> None:
        self.counter = 0
        self.campaign = Campaign.create(self.fresh(), name="Spring", brief=brief(), meta=meta())
        self.registry = ArtifactTypeRegistry.standard()
        self.creates: list[Any] = []
        for command in SEED:
            self.run(command)

    def fresh(self) -> str:
        self.counter += 1
        return str(uuid.UUID(int=self.counter))

    @staticmethod
    def _pick(pool: list[str], index: int) -> str:
        """Mostly an existing id; now and then one this campaign has never seen."""
        position = index % (len(pool) + 1)
        return pool[position] if position < len(pool) else str(uuid.UUID(int=10**9 + index))

    def run(self, command: tuple[Any, ...]) -> None:
        c = self.campaign
        artifacts = list(c.artifacts)
        versions = list(c.versions)
        runs = list(c.runs)
        audited = [v for v in versions if c.versions[v]["status"] == VersionStatus.AUDITED]
        running = [r for r in runs if c.runs[r]["status"] == RunStatus.RUNNING]
        name, *args = command
        if name == "artifact":
            self._create(lambda i: c.create_artifact(i, args[0], meta()))
        elif name == "version":
            artifact_id = self._pick(artifacts, args[0])
            self._create(
                lambda i: c.create_version(i, artifact_id, content="x", run_id=None, meta=meta())
            )
        elif name == "audit":
            version_id = self._pick(versions, args[0])
            self._create(lambda i: c.record_audit(i, version_id, report(args[1]), meta()))
        elif name == "approve":
            c.approve_version(self._pick(audited or versions, args[0]), meta())
        elif name == "archive":
            c.archive_version(self._pick(versions, args[0]), meta())
        elif name == "activate":
            c.set_active_version(args[0], self._pick(versions, args[1]), meta())
        elif name == "iteration":
            artifact_id = self._pick(artifacts, args[0])
            own = sorted(
                (v for v in versions if c.versions[v]["artifact_id"] == artifact_id),
                key=lambda v: c.versions[v]["number"],
            )
            iteration = Iteration(
                artifact_id=artifact_id,
                old_version_id=self._pick(own or versions, min(args[1], args[2])),
                new_version_id=self._pick(own or versions, max(args[1], args[2]) + 1),
                feedback_text="Shorter",
            )
            self._create(lambda i: c.log_iteration(i, iteration, meta()))
        elif name == "status":
            c.change_status(args[0], meta())
        elif name == "run":
            base = None if args[0] is None else self._pick(runs, args[0])
            self._create(
                lambda i: c.queue_run(
                    i,
                    execution_mode=ExecutionMode.PARALLEL,
                    workflow_name=None,
                    trigger=Trigger(),
                    base_run_id=base,
                    meta=meta(),
                )
            )
        elif name == "start":
            c.start_run(self._pick(runs, args[0]), meta())
        elif name == "step":
            produced = [
                ContextArtifact(id=self.fresh(), type=args[2], uri="u", hash="0" * 64)
                for _ in range(args[1])
            ]
            c.attach_step_result(
                self._pick(running or runs, args[0]),
                step_id=f"s{self.counter}",
                input_hash=None,
                artifacts=produced,
                registry=self.registry,
                meta=meta(),
            )
        elif name == "check":
            run_id = self._pick(running or runs, args[0])
            context = list(c.runs[run_id]["artifacts"]) if run_id in c.runs else []
            check = QualityCheck(
                artifact_id=self._pick(context, args[1]),
                check_type="size",
                status=QualityCheckStatus.PASSED,
            )
            c.record_quality_check(run_id, check, meta())
        elif name == "complete":
            c.complete_run(self._pick(running or runs, args[0]), versions[: args[1]], meta())
        elif name == "fail":
            c.fail_run(self._pick(runs, args[0]), "boom", meta())
        elif name == "cancel":
            c.cancel_run(self._pick(runs, args[0]), meta())
        elif name == "repeat" and args[0] < len(self.creates):
            entity_id, create = self.creates[args[0]]
            before = c.version
            outcome = create(entity_id)
            assert (outcome.appended, c.version) == (False, before)

    def _create(self, create: Any) -> None:
        entity_id = self.fresh()
        create(entity_id)
        self.creates.append((entity_id, create))


def check_state_invariants(campaign: Campaign) -> None:
    for artifact_id, artifact in campaign.artifacts.items():
        own = {
            v: record["number"]
            for v, record in campaign.versions.items()
            if record["artifact_id"] == artifact_id
        }
        assert sorted(own.values()) == list(range(1, len(own) + 1))
        assert artifact["version_count"] == len(own)
        if own:
            assert own[artifact["latest_version_id"]] == len(own)
        else:
            assert artifact["latest_version_id"] is None
        assert campaign.artifact_ids_by_type[artifact["type"]] == artifact_id
    assert len(campaign.artifact_ids_by_type) == len(campaign.artifacts)
    assert sum(a["version_count"] for a in campaign.artifacts.values()) == len(campaign.versions)
    audited = [v for v in campaign.versions.values() if v["audit_count"] > 0]
    assert all(v["latest_audit_report_id"] in campaign.receipts for v in audited)
    assert all(
        v["latest_audit_report_id"] is None and v["audit_status"] is None
        for v in campaign.versions.values()
        if v["audit_count"] == 0
    )
    for version in campaign.versions.values():
        if version["status"] == VersionStatus.AUDITED:
            assert version["audit_status"] in (AuditStatus.PASS, AuditStatus.CONDITIONAL)
    for artifact_type, version_id in campaign.active_versions.items():
        version = campaign.versions[version_id]
        assert campaign.artifacts[version["artifact_id"]]["type"] == artifact_type
        assert version["status"] != VersionStatus.ARCHIVED
    for run in campaign.runs.values():
        assert len(run["artifacts"]) <= 50
        assert set(run["refs"].values()) <= set(run["artifacts"])


def check_event_story(events: list[Any]) -> None:
    versions_seen: set[str] = set()
    numbers: dict[str, list[int]] = defaultdict(list)
    status = CampaignStatus.DRAFT
    run_status: dict[str, RunStatus] = {}
    for event in events:
        kind = type(event).__name__
        if kind == "VersionCreated":
            versions_seen.add(event.version_id)
            numbers[event.artifact_id].append(event.version_number)
        elif kind == "AuditRecorded":
            assert event.version_id in versions_seen
        elif kind == "StatusChanged":
            assert event.from_status == status
            assert CampaignStatus(event.to_status) in CAMPAIGN_TRANSITIONS[status]
            status = CampaignStatus(event.to_status)
        elif kind == "RunQueued":
            run_status[event.run_id] = RunStatus.QUEUED
        elif kind in ("RunStarted", "RunCompleted", "RunFailed", "RunCancelled"):
            target = RunStatus(kind.removeprefix("Run").replace("Started", "Running"))
            assert target in RUN_TRANSITIONS[run_status[event.run_id]]
            run_status[event.run_id] = target
    for sequence in numbers.values():
        assert sequence == list(range(1, len(sequence) + 1))


def _mapper() -> Mapper[uuid.UUID]:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    return Mapper(transcoder=transcoder)


def _state(campaign: Campaign) -> dict[str, Any]:
    return {k: v for k, v in vars(campaign).items() if k != "_pending_events"}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_random_command_sequences_keep_every_invariant(script: list[tuple[Any, ...]]) -> None:
    driver = Driver()
    for command in script:
        with contextlib.suppress(LedgerError):
            driver.run(command)
    campaign = driver.campaign
    events = list(campaign.pending_events)

    check_state_invariants(campaign)
    check_event_story(events)

    mapper = _mapper()
    stored = [mapper.to_stored_event(e) for e in events]
    replayed = project_aggregate(None, [mapper.to_domain_event(s) for s in stored])
    assert replayed is not None
    assert _state(replayed) == _state(campaign)

    snapshot = mapper.to_stored_event(Campaign.Snapshot.take(campaign))
    json.loads(snapshot.state)
    restored = mapper.to_domain_event(snapshot).mutate(None)  # type: ignore[attr-defined]
    assert (restored.versions, restored.runs) == ({}, {})
    stored_states = json.loads(json.dumps(campaign.entity_states()))
    restored.admit(stored_states)
    assert _state(restored) == _state(campaign)
