"""Store round trips per command, counted by the port's counting decorator, on campaigns with
10, 100 and 1,000 prior events: by the ledger that wrote the history, and by a new ledger (a
freshly started process, empty caches). The target is at most 2, flat in the history length."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from tests.integration.eventstore.counting import CountingDocumentStore

from application import CampaignService
from bench.ledgers import ledger_on
from bench.report import Row, verdict
from bench.workload import audit, brief, content, context
from documentstore.port import DocumentStore

HISTORIES = (10, 100, 1_000)
TARGET = "≤ 2, flat"


def measure(store: DocumentStore, label: str, histories: tuple[int, ...] = HISTORIES) -> Row:
    counting = CountingDocumentStore(store)
    writer = ledger_on(counting)
    ctx = context()
    campaign = writer.create_campaign(ctx, name="Cost", brief=brief()).id
    artifact = writer.create_artifact(ctx, campaign, artifact_type="Copy").id
    history = 2
    figures: list[str] = []
    worst = 0
    flat: set[int] = set()
    for target in histories:
        while history < target:
            history = writer.create_version(
                ctx, campaign, artifact, content=content(history)
            ).version
        calls: Counter[str] = Counter()
        elapsed = 0.0
        commands = 0
        for ledger in (writer, ledger_on(counting)):
            for command in _commands(ledger, campaign, artifact):
                counting.reset()
                started = time.perf_counter()
                history = command()
                elapsed += time.perf_counter() - started
                commands += 1
                trips = counting.round_trips
                worst = max(worst, trips)
                flat.add(trips)
                calls += counting.calls
        per_command = {name: count / commands for name, count in sorted(calls.items())}
        shape = " + ".join(f"{value:g} {name}" for name, value in per_command.items())
        figures.append(
            f"{target:,}: {sum(per_command.values()):g} ({shape}), "
            f"{elapsed / commands * 1000:.1f} ms"
        )
    return Row(
        f"Store round trips per command, {label} (prior events: trips, mean time)",
        TARGET,
        "; ".join(figures),
        verdict(worst <= 2 and len(flat) == 1),
    )


def _commands(ledger: CampaignService, campaign: str, artifact: str) -> list[Callable[[], int]]:
    """A version, its audit and its approval: three commands, each appending one event."""
    ctx = context()
    version: list[str] = []

    def create() -> int:
        result = ledger.create_version(ctx, campaign, artifact, content=content(0))
        version.append(result.id)
        return result.version

    def record() -> int:
        return ledger.record_audit(ctx, campaign, version[-1], report=audit("Pass")).version

    def approve() -> int:
        return ledger.approve_version(ctx, campaign, version[-1]).version

    return [create, record, approve]
