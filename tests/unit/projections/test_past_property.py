"""Property: for random command sequences, the snapshot and every artifact's version history read
at ``atVersion=N`` (and at the instant of each command) equal what the live projection served
at N, captured as the sequence ran, for every N.

The commands go through the real service (``CampaignService`` on our event store over the
in-memory document store); after each command its events are projected one at a time and the
live reads are captured after each, refusals included (a campaign deleted at N answered 404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.service import CampaignService
from bootstrap.container import campaign_application
from documentstore.memory import InMemoryDocumentStore
from domain.artifact_types import ArtifactTypeRegistry
from domain.errors import CampaignNotFound, EntityNotFound, LedgerError
from domain.values import ArtifactType, AuditStatus, CampaignStatus, Iteration
from projections.events import read_campaign_events
from projections.reads import Moment, ReadModel
from projections.runner import ProjectionRunner
from tests.unit.application.builders import Clock, brief, ctx, report

pick = st.integers(min_value=0, max_value=8)
commands = st.lists(
    st.one_of(
        st.tuples(st.just("artifact"), st.sampled_from(ArtifactType)),
        st.tuples(st.just("version"), pick),
        st.tuples(st.just("version"), pick),
        st.tuples(st.just("audit"), pick, st.sampled_from(AuditStatus)),
        st.tuples(st.just("approve"), pick),
        st.tuples(st.just("archive"), pick),
        st.tuples(st.just("activate"), st.sampled_from(ArtifactType), pick),
        st.tuples(st.just("iteration"), pick, pick, pick),
        st.tuples(st.just("status"), st.sampled_from(CampaignStatus)),
        st.tuples(st.just("rename"), pick),
        st.tuples(st.just("run"), pick),
        st.tuples(st.just("start"), pick),
        st.tuples(st.just("complete"), pick),
        st.tuples(st.just("delete"), pick),
        st.tuples(st.just("restore"), pick),
    ),
    min_size=10,
    max_size=40,
)

SEED: list[tuple[Any, ...]] = [
    ("artifact", ArtifactType.COPY),
    ("artifact", ArtifactType.SHORT_COPY),
    *[("version", i % 2) for i in range(4)],
    ("audit", 0, AuditStatus.PASS),
    ("activate", ArtifactType.COPY, 0),
    ("run", 0),
]
"""Every example starts from a campaign with two artifacts, four versions (one audited and
active) and a run, so that the random commands find something to act on."""

Answer = dict[str, Any] | str


class Session:
    """One campaign driven through the service, projected event by event, its live answers
    captured at every stream version."""

    def __init__(self) -> None:
        self.store = InMemoryDocumentStore()
        self.clock = Clock()
        self.service = CampaignService(
            campaign_application(self.store),
            artifact_types=ArtifactTypeRegistry.standard(),
            clock=self.clock,
        )
        self.reads = ReadModel(self.store, generation_cache_seconds=60)
        self.runner = ProjectionRunner(self.store)
        self.campaign_id = self.service.create_campaign(ctx(), name="Spring", brief=brief()).id
        self.artifacts: list[str] = []
        self.versions: list[str] = []
        self.runs: list[str] = []
        self.projected = 0
        self.live: dict[int, dict[str, Answer]] = {}
        self.instants: dict[int, datetime] = {}
        self.follow()

    def answers(self, read: Any, artifacts: list[str]) -> dict[str, Answer]:
        """The snapshot and each artifact's version history, as ``read`` answers them."""
        found = {"snapshot": answered(lambda: read("campaign"))}
        for artifact in artifacts:
            found[artifact] = answered(lambda a=artifact: read("history", a))
        return found

    def live_read(self, what: str, *args: str) -> dict[str, Any]:
        if what == "campaign":
            return self.reads.campaign("default", self.campaign_id).body
        return self.reads.version_history("default", self.campaign_id, *args).body

    def follow(self) -> None:
        """Project the new events one at a time, capturing the live answers after each."""
        for document in read_campaign_events(self.store, self.campaign_id, after=self.projected):
            self.runner.project([document])
            self.projected = int(document["version"])
            self.live[self.projected] = self.answers(self.live_read, self.artifacts)
        self.instants[self.projected] = self.clock()

    def run(self, command: tuple[Any, ...]) -> None:
        self.clock.advance(seconds=1)
        try:
            self._command(command)
        except LedgerError:
            return  # refused: nothing appended
        self.follow()

    def _command(self, command: tuple[Any, ...]) -> None:
        s, cid = self.service, self.campaign_id
        name, *args = command
        if name == "artifact":
            self.artifacts.append(s.create_artifact(ctx(), cid, artifact_type=args[0]).id)
        elif name == "version":
            artifact = chosen(self.artifacts, args[0])
            self.versions.append(s.create_version(ctx(), cid, artifact, content=f"v{args[0]}").id)
        elif name == "audit":
            s.record_audit(ctx(), cid, chosen(self.versions, args[0]), report=report(args[1]))
        elif name == "approve":
            s.approve_version(ctx(), cid, chosen(self.versions, args[0]))
        elif name == "archive":
            s.archive_version(ctx(), cid, chosen(self.versions, args[0]))
        elif name == "activate":
            s.set_active_version(ctx(), cid, args[0], chosen(self.versions, args[1]))
        elif name == "iteration":
            iteration = Iteration(
                artifact_id=chosen(self.artifacts, args[0]),
                old_version_id=chosen(self.versions, args[1]),
                new_version_id=chosen(self.versions, args[2]),
                feedback_text="Warmer",
            )
            s.log_iteration(ctx(), cid, iteration=iteration)
        elif name == "status":
            s.change_status(ctx(), cid, args[0])
        elif name == "rename":
            s.update_campaign(ctx(), cid, name=f"Spring {args[0]}")
        elif name == "run":
            self.runs.append(s.queue_run(ctx(), cid, execution_mode="Parallel").id)
        elif name == "start":
            s.start_run(ctx(), cid, chosen(self.runs, args[0]))
        elif name == "complete":
            s.complete_run(ctx(), cid, chosen(self.runs, args[0]))
        elif name == "delete":
            s.delete_campaign(ctx(), cid)
        elif name == "restore":
            s.restore_campaign(ctx(), cid)


def chosen(pool: list[str], index: int) -> str:
    """An id of ``pool`` (or an unknown one when it is empty: the command is then refused)."""
    return pool[index % len(pool)] if pool else "00000000-0000-0000-0000-000000000000"


def answered(read: Any) -> Answer:
    try:
        body: dict[str, Any] = read()
    except (CampaignNotFound, EntityNotFound) as refused:
        return refused.code
    return body


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(commands)
def test_the_past_at_every_version_is_what_the_live_projection_served_then(
    sequence: list[tuple[Any, ...]],
) -> None:
    session = Session()
    for command in [*SEED, *sequence]:
        session.run(command)
    session.run(("restore", 0))  # a campaign deleted now hides its whole past
    reads, cid = session.reads, session.campaign_id

    def past_at(moment: Moment) -> Any:
        def read(what: str, *args: str) -> dict[str, Any]:
            if what == "campaign":
                return reads.campaign_at("default", cid, moment).body
            return reads.version_history_at("default", cid, *args, moment).body

        return read

    for version, live in session.live.items():
        known = [key for key in live if key != "snapshot"]  # the artifacts created by then
        assert session.answers(past_at(Moment(version=version)), known) == live, version
    for version, instant in session.instants.items():
        live = session.live[version]
        known = [key for key in live if key != "snapshot"]
        assert session.answers(past_at(Moment(instant=instant)), known) == live, instant
