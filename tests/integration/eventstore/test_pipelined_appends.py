"""Commands of one campaign pipelined over the SQLite store's group commit: the next command is
decided, on the state the queued batch leaves, before that batch is committed. Every command
still lands exactly once in order, none is answered before its commit, and a queued batch
that fails takes the commands decided on it into a retry, not into the log."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from application import CampaignService, CommandContext
from bootstrap.container import campaign_application
from documentstore.sqlite import SqliteDocumentStore
from documentstore.sqlite import group_commit as group_commit_module
from domain.artifact_types import ArtifactTypeRegistry
from domain.errors import EtagMismatch
from domain.values import Brief
from eventstore.pending_writes import overlaid
from projections.events import is_event_document, read_campaign_events

WRITERS = 8
COMMANDS_EACH = 25


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteDocumentStore]:
    opened = SqliteDocumentStore(tmp_path / "ledger.sqlite3")
    opened.initialise()
    yield opened
    opened.close()


def _service(store: SqliteDocumentStore) -> CampaignService:
    return CampaignService(
        campaign_application(store), artifact_types=ArtifactTypeRegistry.standard()
    )


def _load(service: CampaignService) -> tuple[str, list[str], list[str]]:
    """One campaign, three artifacts, 8 threads adding versions; the ids they were told."""
    ctx = CommandContext(actor="pipeline")
    brief = Brief(objective="Launch", target_audience="Runners", product_details="Shoe")
    campaign_id = service.create_campaign(ctx, name="Pipelined", brief=brief).id
    artifacts = [
        service.create_artifact(ctx, campaign_id, artifact_type=kind).id
        for kind in ("Copy", "ShortCopy", "VisualConcept")
    ]
    answered: list[str] = []
    lock = threading.Lock()

    def write(index: int) -> None:
        for number in range(COMMANDS_EACH):
            outcome = service.create_version(
                CommandContext(actor=f"writer-{index}"),
                campaign_id,
                artifacts[index % 3],
                content=f"draft {number}",
                version_id=str(uuid.uuid4()),
            )
            with lock:
                answered.append(outcome.id)

    threads = [threading.Thread(target=write, args=(index,)) for index in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return campaign_id, artifacts, answered


def _logged_versions(store: SqliteDocumentStore, campaign_id: str) -> list[dict[str, Any]]:
    return [
        document
        for document in read_campaign_events(store, campaign_id)
        if is_event_document(document)
    ]


def test_pipelined_commands_of_one_campaign_land_once_each_in_order(
    store: SqliteDocumentStore,
) -> None:
    service = _service(store)

    campaign_id, _, answered = _load(service)

    events = _logged_versions(store, campaign_id)
    created = [e["data"]["versionId"] for e in events if e["type"] == "VersionCreated"]
    assert sorted(created) == sorted(answered)
    assert len(created) == WRITERS * COMMANDS_EACH
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    assert service.conflicts.as_dict()["conflicts"] == 0
    group = store._writes
    assert group.commits < group.requests  # commands of the one campaign shared commits


def test_a_failing_queued_batch_sends_the_commands_decided_on_it_back_to_a_retry(
    store: SqliteDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = group_commit_module.apply_request
    failed: list[int] = []

    def sometimes_refused(connection: Any, container: str, prepared: Any) -> Any:
        if container == "events" and len(failed) < 3 and len(prepared[0][1]) > 1:
            failed.append(1)
            return [], EtagMismatch("injected", operation_index=0)
        return real(connection, container, prepared)

    monkeypatch.setattr(group_commit_module, "apply_request", sometimes_refused)
    service = _service(store)

    campaign_id, _, answered = _load(service)

    events = _logged_versions(store, campaign_id)
    created = [e["data"]["versionId"] for e in events if e["type"] == "VersionCreated"]
    assert failed
    assert sorted(created) == sorted(answered)
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    assert service.conflicts.as_dict()["conflicts"] >= len(failed)


def test_a_held_document_stands_in_for_the_stored_one_only_when_it_is_newer() -> None:
    stored = [{"id": "head", "version": 7}, {"id": "state-a", "version": 5}]
    held = [
        {"head": {"id": "head", "version": 6}, "state-a": {"id": "state-a", "version": 6}},
        {"head": {"id": "head", "version": 8}},
    ]

    merged = {d["id"]: d["version"] for d in overlaid(stored, held, ["head", "state-a", "x"])}

    assert merged == {"head": 8, "state-a": 6}
