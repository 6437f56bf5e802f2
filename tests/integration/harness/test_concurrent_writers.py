"""Eight writers on one campaign with three artifacts, each with a ledger of its own (as eight
service processes would be), adding versions as fast as they can: every version is in the log
exactly once, numbered 1..n per artifact in the order the log accepted them, and every writer
was told the number the log holds."""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import pytest

from application import CampaignService, CommandContext
from documentstore.port import DocumentStore
from domain.errors import WriteContention
from projections.processor import ChangeFeedProcessor
from projections.reads import ReadModel
from tests.integration.harness.event_log import assert_log_is_whole, read_log
from tests.integration.harness.ledgers import ledger_on
from tests.integration.harness.orchestrator import ARTIFACT_TYPES, brief

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
]


@dataclass
class WriterLog:
    numbers: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    """version id -> (artifact id, version number, stream version) as answered."""
    contention: int = 0


def add_versions(
    ledger: CampaignService,
    campaign: str,
    artifacts: list[str],
    *,
    writer: int,
    count: int,
    start: threading.Barrier,
    log: WriterLog,
) -> None:
    start.wait()
    for number in range(count):
        artifact = artifacts[(writer + number) % len(artifacts)]
        version_id = str(uuid.uuid4())
        ctx = CommandContext(actor=f"writer-{writer}")
        for _ in range(50):  # write contention: send the same command again, as a client would
            try:
                result = ledger.create_version(
                    ctx, campaign, artifact, content=f"w{writer} n{number}", version_id=version_id
                )
            except WriteContention:
                log.contention += 1
                time.sleep(0.005)
                continue
            assert result.version_number is not None
            log.numbers[version_id] = (artifact, result.version_number, result.version)
            break


def run_writers(store: DocumentStore, writers: int, per_writer: int) -> int:
    """Run the writers, check the log and the views; returns how often writers collided."""
    ledgers = [ledger_on(store) for _ in range(writers)]
    ctx = CommandContext(actor="setup")
    campaign = ledgers[0].create_campaign(ctx, name="Crowded", brief=brief()).id
    artifacts = [
        ledgers[0].create_artifact(ctx, campaign, artifact_type=kind).id for kind in ARTIFACT_TYPES
    ]
    logs = [WriterLog() for _ in range(writers)]
    start = threading.Barrier(writers)
    threads = [
        threading.Thread(
            target=add_versions,
            args=(ledgers[index], campaign, artifacts),
            kwargs={"writer": index, "count": per_writer, "start": start, "log": logs[index]},
        )
        for index in range(writers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    answered = {vid: answer for log in logs for vid, answer in log.numbers.items()}
    assert len(answered) == writers * per_writer, "every writer got every version answered"
    log = read_log(store, campaign)
    created = log.of_type("VersionCreated")
    in_log = [event["data"]["versionId"] for event in created]
    assert sorted(in_log) == sorted(answered), "each version exactly once, none unanswered"
    numbers_by_artifact: dict[str, list[int]] = defaultdict(list)
    for event in created:
        data = event["data"]
        numbers_by_artifact[data["artifactId"]].append(int(data["versionNumber"]))
        assert answered[data["versionId"]] == (
            data["artifactId"],
            data["versionNumber"],
            event["version"],
        ), "the writer was told what the log holds"
    for artifact in artifacts:
        numbers = numbers_by_artifact[artifact]
        assert numbers == list(range(1, len(numbers) + 1)), f"gap or repeat in {numbers}"
    assert_log_is_whole(log, ledgers[-1])

    ChangeFeedProcessor(store).run_until_caught_up()
    snapshot = ReadModel(store).campaign("default", campaign).body
    assert snapshot["version"] == len(log.events)
    assert sorted(a["versionCount"] for a in snapshot["artifacts"]) == sorted(
        len(numbers_by_artifact[artifact]) for artifact in artifacts
    )
    return sum(ledger.conflicts.conflicts for ledger in ledgers)


def test_eight_writers_on_one_campaign_on_the_embedded_store_number_every_version_once(
    sqlite_store: DocumentStore,
) -> None:
    collisions = run_writers(sqlite_store, writers=8, per_writer=40)

    assert collisions > 0, "the writers should have collided (else this proves nothing)"


@pytest.mark.cosmos
def test_four_writers_on_one_campaign_on_cosmos_db_number_every_version_once(
    cosmos_store: DocumentStore,
) -> None:
    run_writers(cosmos_store, writers=4, per_writer=8)
