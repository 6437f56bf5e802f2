"""Pipelined appends on the embedded store: a campaign's next command is decided on what its
predecessor's queued append will write (head and entity states, etags included), before that
commit, and stands only if the predecessor commits. Bursts of concurrent commands on one
campaign end as a sequential run of the same commands would; a batch refused in the middle of a
pipeline leaves nothing half-written and the commands decided on it are decided again; another
store on the same file (another process) never sees what this one has queued."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from application import CampaignService, CommandContext
from bootstrap.container import campaign_application
from documentstore.port import EVENTS, Document
from documentstore.sqlite import SqliteDocumentStore
from documentstore.sqlite import batches as batches_module
from documentstore.sqlite import group_commit as group_commit_module
from domain.artifact_types import ArtifactTypeRegistry
from domain.errors import EtagMismatch, WriteContention
from domain.values import AuditReport, Brief, Iteration
from eventstore import pending_writes
from eventstore.documents import HEAD_ID
from projections.processor import ChangeFeedProcessor
from projections.rebuild import rebuild_views
from tests.unit.projections.views_dump import dump_views

THREADS = 8
ROUNDS = 6


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteDocumentStore]:
    opened = SqliteDocumentStore(tmp_path / "ledger.sqlite3")
    opened.initialise()
    yield opened
    opened.close()


def new_ledger(store: SqliteDocumentStore) -> CampaignService:
    return CampaignService(
        campaign_application(store),
        artifact_types=ArtifactTypeRegistry.standard(),
        restore_window=timedelta(days=30),
    )


def context() -> CommandContext:
    return CommandContext(tenant_id="acme", actor="pipeline")


def report() -> AuditReport:
    return AuditReport(
        overall_status="Pass",
        category_scores={"tone": {"score": 90.0, "notes": "ok"}},
        flagged_items=[],
        recommendations=[],
    )


def new_campaign(
    ledger: CampaignService, campaign_id: str | None = None, artifact_id: str | None = None
) -> tuple[str, str]:
    brief = Brief(objective="Launch", target_audience="Runners", product_details="Shoe")
    campaign = ledger.create_campaign(
        context(), name="Busy", brief=brief, campaign_id=campaign_id
    ).id
    artifact = ledger.create_artifact(
        context(), campaign, artifact_type="Copy", artifact_id=artifact_id
    ).id
    return campaign, artifact


Step = Callable[[CampaignService], Any]


def client_steps(campaign: str, artifact: str, client: int) -> list[Step]:
    """One client's commands: a version, an audit of it, and an iteration from its previous
    version, round after round (ids fixed here, so that a second run can repeat them)."""
    steps: list[Step] = []
    previous: str | None = None
    for round_number in range(ROUNDS):
        version = str(uuid4())
        content = f"client {client} round {round_number}"
        steps.append(
            lambda ledger, v=version, c=content: ledger.create_version(
                context(), campaign, artifact, content=c, version_id=v
            )
        )
        audit = str(uuid4())
        steps.append(
            lambda ledger, v=version, a=audit: ledger.record_audit(
                context(), campaign, v, report=report(), audit_id=a
            )
        )
        if previous is not None:
            iteration = Iteration(
                artifact_id=artifact,
                old_version_id=previous,
                new_version_id=version,
                feedback_text=f"from client {client}",
            )
            iteration_id = str(uuid4())
            steps.append(
                lambda ledger, it=iteration, i=iteration_id: ledger.log_iteration(
                    context(), campaign, iteration=it, iteration_id=i
                )
            )
        previous = version
    return steps


def run_concurrently(ledgers: Sequence[CampaignService], clients: list[list[Step]]) -> list[Any]:
    """Each client's steps in a thread of its own (client ``n`` on ``ledgers[n % len]``): every
    answer, or the error that ended a client."""
    answers: list[list[Any]] = [[] for _ in clients]
    start = threading.Barrier(len(clients))

    def run(index: int) -> None:
        ledger = ledgers[index % len(ledgers)]
        start.wait()
        for step in clients[index]:
            try:
                answers[index].append(step(ledger))
            except Exception as error:
                answers[index].append(error)
                return

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return [answer for client in answers for answer in client]


def logged(ledger: CampaignService, campaign: str) -> list[tuple[int, str, Any]]:
    """The campaign's events as (version, topic, what it says), without the parts a second
    run writes differently (timestamps, command metadata)."""
    recorder: Any = ledger.application.events.recorder
    rows = []
    for event in recorder.select_events(UUID(campaign)):
        body = json.loads(event.state)
        said = {key: value for key, value in body.items() if key not in {"timestamp", "metadata"}}
        rows.append((event.originator_version, event.topic, said))
    return rows


def check_whole(ledger: CampaignService, store: SqliteDocumentStore, campaign: str) -> None:
    """The head and every entity state stored equal a replay of the whole log: no batch left
    part of itself behind."""
    application = ledger.application
    whole = application._load_whole(UUID(campaign))
    states = whole.entity_states()
    recorder: Any = application.events.recorder
    head, stored = recorder.read_stream(campaign, list(states))
    assert head.version == whole.version
    assert {entity: state for entity, (state, _) in stored.items()} == states
    head_document = store.read(EVENTS, campaign, HEAD_ID)
    assert head_document is not None
    assert int(head_document["version"]) == whole.version


def check_views_equal_a_rebuild(store: SqliteDocumentStore) -> None:
    ChangeFeedProcessor(store).run_until_caught_up()
    incremental = dump_views(store, generation=1)
    result = rebuild_views(store)
    assert result.differences == []
    assert dump_views(store, generation=2) == incremental


@pytest.fixture
def decided_on_queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many loads took a document from a queued, uncommitted append."""
    seen: list[int] = []
    overlaid = pending_writes.overlaid

    def counting(found: list[Document], held: Any, ids: Any) -> Any:
        merged, reads = overlaid(found, held, ids)
        if reads._batches:
            seen.append(len(reads._batches))
        return merged, reads

    monkeypatch.setattr(pending_writes, "overlaid", counting)
    from eventstore import recorders

    monkeypatch.setattr(recorders, "overlaid", counting)
    return seen


def test_a_burst_on_one_campaign_is_answered_numbered_without_gaps_and_logged_as_a_sequential_run(
    store: SqliteDocumentStore, tmp_path: Path, decided_on_queued: list[int]
) -> None:
    ledger = new_ledger(store)
    campaign, artifact = new_campaign(ledger)
    clients = [client_steps(campaign, artifact, client) for client in range(THREADS)]

    answers = run_concurrently([ledger], clients)

    assert not [answer for answer in answers if isinstance(answer, Exception)]
    assert len(answers) == sum(len(steps) for steps in clients)
    log = logged(ledger, campaign)
    assert [version for version, _, _ in log] == list(range(1, len(log) + 1))
    assert sorted(answer.version for answer in answers) == list(range(3, len(log) + 1))
    numbers = sorted(
        answer.version_number for answer in answers if answer.version_number is not None
    )
    assert numbers == list(range(1, THREADS * ROUNDS + 1))
    assert decided_on_queued, "no command was decided on a queued append"
    check_whole(ledger, store, campaign)

    # The same commands one after another, in the order the burst committed them, on a
    # campaign of the same ids in a store of its own: the same log.
    steps = [step for client in clients for step in client]
    in_order = [step for _, step in sorted(zip(answers, steps, strict=True), key=_by_version)]
    sequential_store = SqliteDocumentStore(tmp_path / "sequential.sqlite3")
    sequential_store.initialise()
    try:
        sequential = new_ledger(sequential_store)
        new_campaign(sequential, campaign, artifact)
        for step in in_order:
            step(sequential)
        assert logged(sequential, campaign) == log
    finally:
        sequential_store.close()
    check_views_equal_a_rebuild(store)


def _by_version(pair: tuple[Any, Step]) -> int:
    version: int = pair[0].version
    return version


def test_a_batch_refused_in_the_middle_of_a_pipeline_leaves_nothing_half_written_and_the_commands_decided_on_it_are_decided_again(  # noqa: E501
    store: SqliteDocumentStore, monkeypatch: pytest.MonkeyPatch, decided_on_queued: list[int]
) -> None:
    ledger = new_ledger(store)
    campaign, artifact = new_campaign(ledger)
    apply_batch = batches_module.apply_batch
    calls = {"events": 0}
    refused: list[int] = []
    refuse_at = {12, 25}

    def refusing(connection: Any, container: str, partition_key: str, prepared: Any) -> Any:
        if container == EVENTS and partition_key == campaign:
            calls["events"] += 1
            if calls["events"] in refuse_at:
                refused.append(calls["events"])
                threading.Event().wait(0.05)  # let the commands behind it decide on it
                raise EtagMismatch("injected: refused in the middle of a pipeline")
        return apply_batch(connection, container, partition_key, prepared)

    monkeypatch.setattr(batches_module, "apply_batch", refusing)
    clients = [client_steps(campaign, artifact, client) for client in range(THREADS)]

    answers = run_concurrently([ledger], clients)

    assert refused == sorted(refuse_at)
    failures = [answer for answer in answers if isinstance(answer, Exception)]
    assert failures == []  # each command decided on a refused batch was decided again
    log = logged(ledger, campaign)
    assert [version for version, _, _ in log] == list(range(1, len(log) + 1))
    assert len(log) == 2 + sum(len(steps) for steps in clients)
    assert sorted(answer.version for answer in answers) == list(range(3, len(log) + 1))
    assert decided_on_queued
    check_whole(ledger, store, campaign)
    check_views_equal_a_rebuild(store)


def test_a_group_that_fails_as_a_whole_in_the_middle_of_a_pipeline_loses_no_command(
    store: SqliteDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = new_ledger(store)
    campaign, artifact = new_campaign(ledger)
    apply_together = group_commit_module._apply_together
    calls = {"groups": 0}

    def failing(connection: Any, group: list[Any]) -> Any:
        calls["groups"] += 1
        if calls["groups"] in {6, 14}:
            threading.Event().wait(0.05)
            raise group_commit_module.sqlite3.OperationalError("disk I/O error")
        return apply_together(connection, group)

    monkeypatch.setattr(group_commit_module, "_apply_together", failing)
    clients = [client_steps(campaign, artifact, client) for client in range(THREADS)]

    answers = run_concurrently([ledger], clients)

    failures = [answer for answer in answers if isinstance(answer, Exception)]
    answered = [answer for answer in answers if not isinstance(answer, Exception)]
    log = logged(ledger, campaign)
    assert [version for version, _, _ in log] == list(range(1, len(log) + 1))
    # A command fails cleanly (nothing of it stored) or is answered with its own version.
    assert sorted(answer.version for answer in answered) == list(range(3, len(log) + 1))
    assert len(answered) + len(failures) == len(answers)
    check_whole(ledger, store, campaign)
    check_views_equal_a_rebuild(store)


def test_a_second_store_on_the_same_file_never_sees_what_the_first_has_queued_and_its_conflicts_are_retried(  # noqa: E501
    store: SqliteDocumentStore, tmp_path: Path
) -> None:
    other = SqliteDocumentStore(tmp_path / "ledger.sqlite3")
    other.initialise()
    try:
        ledgers = [new_ledger(store), new_ledger(other)]
        campaign, artifact = new_campaign(ledgers[0])
        clients = [client_steps(campaign, artifact, client) for client in range(THREADS)]

        answers = run_concurrently(ledgers, clients)

        # Without stripes shared between the two, their writers meet as conflicts, retried as
        # ever; one that loses too often fails cleanly (nothing of it stored).
        answered = [answer for answer in answers if not isinstance(answer, Exception)]
        failures = [answer for answer in answers if isinstance(answer, Exception)]
        assert all(isinstance(failure, WriteContention) for failure in failures)
        assert len(answered) > len(failures)
        log = logged(ledgers[0], campaign)
        assert [version for version, _, _ in log] == list(range(1, len(log) + 1))
        assert sorted(answer.version for answer in answered) == list(range(3, len(log) + 1))
        check_whole(ledgers[1], other, campaign)
    finally:
        other.close()
    check_views_equal_a_rebuild(store)


def test_a_repeat_decided_on_a_queued_append_is_answered_only_once_what_it_repeats_is_stored(
    store: SqliteDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = new_ledger(store)
    campaign, artifact = new_campaign(ledger)
    repeat_loaded = threading.Event()
    overlaid = pending_writes.overlaid

    def noticing(found: list[Document], held: Any, ids: Any) -> Any:
        merged, reads = overlaid(found, held, ids)
        if reads._batches:
            repeat_loaded.set()
        return merged, reads

    from eventstore import recorders

    monkeypatch.setattr(recorders, "overlaid", noticing)
    apply_batch = batches_module.apply_batch
    refusals: list[str] = []
    queued = threading.Event()

    def refusing_once(connection: Any, container: str, partition_key: str, prepared: Any) -> Any:
        if container == EVENTS and partition_key == campaign and not refusals:
            refusals.append("refused")
            queued.set()
            repeat_loaded.wait(5)  # the repeat has been decided on this queued batch
            threading.Event().wait(0.05)
            raise EtagMismatch("injected: the repeated command's batch is refused")
        return apply_batch(connection, container, partition_key, prepared)

    # Connections for the reads made while the batch is held (a new one waits for the write).
    with store._pool.connection(), store._pool.connection(), store._pool.connection():
        pass
    monkeypatch.setattr(batches_module, "apply_batch", refusing_once)
    version = str(uuid4())
    outcomes: dict[str, Any] = {}
    stored_when_answered: dict[str, bool] = {}

    def send(name: str) -> None:
        outcome = ledger.create_version(
            context(), campaign, artifact, content="the same", version_id=version
        )
        stored_when_answered[name] = any(
            said.get("version_id") == version for _, _, said in logged(ledger, campaign)
        )
        outcomes[name] = outcome

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert queued.wait(5)
    repeat = threading.Thread(target=send, args=("repeat",))
    repeat.start()
    first.join(30)
    repeat.join(30)

    assert refusals == ["refused"]
    assert repeat_loaded.is_set()  # the repeat was decided on the queued batch
    assert stored_when_answered == {"first": True, "repeat": True}
    assert sorted(outcome.appended for outcome in outcomes.values()) == [False, True]
    created = [said for _, _, said in logged(ledger, campaign) if said.get("version_id")]
    assert [said["version_id"] for said in created] == [version]
