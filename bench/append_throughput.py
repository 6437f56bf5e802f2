"""Append throughput in process, one command per save: ``CampaignService`` on our persistence
module over the embedded SQLite store versus the same ledger on the eventsourcing library's
stock SQLite module (``PERSISTENCE_MODULE=eventsourcing.sqlite``), the same commands on the
same machine in the same run. Rounds alternate between the two so that noise hits both alike.

Both load the campaign before each command: ours with one point read of the head (its
snapshot), the stock module by replaying the campaign's events; so the comparison is made at
two history lengths."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from application import CampaignService
from bench.ledgers import ledger_on, stock_sqlite_ledger
from bench.report import Row, verdict
from bench.workload import brief, content, context
from documentstore.sqlite import SqliteDocumentStore

CAMPAIGNS = 20
ROUNDS = 6
COMMANDS_PER_ROUND = 5
"""Per round each ledger sends this many commands to each campaign (20 x 5 = 100 a round)."""


@dataclass
class Contender:
    name: str
    ledger: CampaignService
    campaigns: list[tuple[str, str]]
    seconds: float = 0.0
    commands: int = 0

    @property
    def per_second(self) -> float:
        return self.commands / self.seconds if self.seconds else 0.0


def measure(prior_events: int, rounds: int = ROUNDS) -> Row:
    with tempfile.TemporaryDirectory(prefix="bench-append-") as directory:
        store = SqliteDocumentStore(Path(directory) / "ours.sqlite3")
        store.initialise()
        try:
            ours = _contender("ours", ledger_on(store), prior_events)
            stock = _contender(
                "stock", stock_sqlite_ledger(Path(directory) / "stock.sqlite3"), prior_events
            )
            for _ in range(rounds):
                for contender in (ours, stock):
                    _round(contender)
        finally:
            store.close()
    ratio = ours.per_second / stock.per_second
    history = f"{prior_events}-{prior_events + rounds * COMMANDS_PER_ROUND}"
    return Row(
        f"Append throughput in process, one command per save, campaigns of {history} events",
        "ratio ≥ 1.0",
        f"ours {ours.per_second:,.0f}/s vs eventsourcing.sqlite {stock.per_second:,.0f}/s: "
        f"ratio {ratio:.2f} ({ours.commands:,} commands each)",
        verdict(ratio >= 1.0),
    )


def _contender(name: str, ledger: CampaignService, prior_events: int) -> Contender:
    ctx = context()
    campaigns: list[tuple[str, str]] = []
    for _ in range(CAMPAIGNS):
        campaign = ledger.create_campaign(ctx, name="Append", brief=brief()).id
        artifact = ledger.create_artifact(ctx, campaign, artifact_type="Copy").id
        for number in range(prior_events - 2):
            ledger.create_version(ctx, campaign, artifact, content=content(number))
        campaigns.append((campaign, artifact))
    return Contender(name, ledger, campaigns)


def _round(contender: Contender) -> None:
    ctx = context()
    started = time.perf_counter()
    for number in range(COMMANDS_PER_ROUND):
        for campaign, artifact in contender.campaigns:
            contender.ledger.create_version(ctx, campaign, artifact, content=content(number))
    contender.seconds += time.perf_counter() - started
    contender.commands += COMMANDS_PER_ROUND * len(contender.campaigns)
