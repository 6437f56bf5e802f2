"""Store round trips per command, counted by the port's metering decorator, on campaigns with
10, 100 and 1,000 prior events: by the ledger that wrote the history, and by a new ledger (a
freshly started process, empty caches).

A command reads the head and the states of the entities it names with one ``read_many`` (one
query of known ids in the campaign's partition: one round trip, however many ids) and appends
with one transactional batch (events, head and the entity states it changed). The target is at
most 2, flat in the history length; the row also shows how many ids each read named and how many
documents each batch wrote."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from application import CampaignService
from bench.ledgers import ledger_on
from bench.report import Row, verdict
from bench.store_meter import CommandCost, MeteredDocumentStore
from bench.workload import audit, brief, content, context
from documentstore.port import DocumentStore

HISTORIES = (10, 100, 1_000)
TARGET = "≤ 2, flat"


def measure(store: DocumentStore, label: str, histories: tuple[int, ...] = HISTORIES) -> Row:
    meter = MeteredDocumentStore(store)
    writer = ledger_on(meter)
    ctx = context()
    campaign = writer.create_campaign(ctx, name="Cost", brief=brief()).id
    artifact = writer.create_artifact(ctx, campaign, artifact_type="Copy").id
    history = 2
    figures: list[str] = []
    trips: set[int] = set()
    for target in histories:
        while history < target:
            history = writer.create_version(
                ctx, campaign, artifact, content=content(history)
            ).version
        costs: list[CommandCost] = []
        elapsed = 0.0
        for ledger in (writer, ledger_on(meter)):
            for command in _commands(ledger, campaign, artifact):
                meter.reset()
                started = time.perf_counter()
                history = command()
                elapsed += time.perf_counter() - started
                costs.append(CommandCost.of(meter))
        trips.update(cost.round_trips for cost in costs)
        figures.append(f"{target:,}: {_shape(costs)}, {elapsed / len(costs) * 1000:.1f} ms")
    return Row(
        f"Store round trips per command, {label} (prior events: trips, mean time; a read_many "
        "of known ids is one round trip)",
        TARGET,
        "; ".join(figures),
        verdict(len(trips) == 1 and max(trips) <= 2),
    )


def _shape(costs: list[CommandCost]) -> str:
    """Mean round trips per command and what they were: ``2 (1 read_many of 2.3 ids + 1 batch
    of 3 documents)``."""
    calls: Counter[str] = Counter()
    for cost in costs:
        calls.update(cost.calls)
    count = len(costs)
    detail = {
        "read_many": f" of {sum(cost.ids_asked for cost in costs) / count:.2g} ids",
        "batch": f" of {sum(cost.documents_written for cost in costs) / count:.2g} documents",
    }
    parts = [
        f"{total / count:g} {name}{detail.get(name, '')}" for name, total in sorted(calls.items())
    ]
    return f"{sum(calls.values()) / count:g} ({' + '.join(parts)})"


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
