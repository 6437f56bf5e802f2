"""Reading the past: ``GET /api/campaigns/{cid}?atVersion=N`` on a campaign of 1,000 events (three
artifacts, about 320 versions of 1 KB with their audits and feedback, then renames up to exactly
1,000), in process on the read model, side by side with the live snapshot read of the same
campaign, on SQLite and on the Cosmos test server.

A past read checks the campaign against the live snapshot (one read of known ids in ``views``)
and folds one read of the log prefix (one query of ``events``, ``projections.past.PREFIX_PAGE``
events a page) with the projectors. The store calls are counted by container and kind around
each read; the answer at N is checked against the live one before timing.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.integration.eventstore.counting import CountingDocumentStore

from bench.cosmos import CosmosAccount, cosmos_store
from bench.ledgers import ledger_on
from bench.report import Row, milliseconds, percentile, verdict
from bench.workload import build_reviewed_campaign, context
from documentstore.port import Document, DocumentStore, Page, Query
from documentstore.sqlite import SqliteDocumentStore
from projections.processor import ChangeFeedProcessor
from projections.reads import Moment, ReadModel

EVENTS = 1_000
VERSIONS = 320
"""About 990 events with their audits and iterations; renames make up the rest."""


class ContainerCounter(CountingDocumentStore):
    """Counts the reads by container and kind, and the documents the queries return."""

    def __init__(self, inner: DocumentStore) -> None:
        super().__init__(inner)
        self.by_container: Counter[str] = Counter()
        self.documents_queried = 0

    def reset(self) -> None:
        super().reset()
        self.by_container.clear()
        self.documents_queried = 0

    def read(self, container: str, partition_key: str, document_id: str) -> Document | None:
        self.by_container[f"{container} read"] += 1
        return super().read(container, partition_key, document_id)

    def read_many(
        self, container: str, partition_key: str, document_ids: Sequence[str]
    ) -> list[Document]:
        self.by_container[f"{container} read"] += 1
        return super().read_many(container, partition_key, document_ids)

    def query(
        self,
        container: str,
        query: Query,
        *,
        page_size: int = 100,
        continuation: str | None = None,
    ) -> Page:
        self.by_container[f"{container} query page"] += 1
        page = super().query(container, query, page_size=page_size, continuation=continuation)
        self.documents_queried += len(page.items)
        return page


def build_campaign(store: DocumentStore) -> str:
    """The 1,000-event campaign, projected."""
    ledger = ledger_on(store)
    campaign = build_reviewed_campaign(ledger, versions=VERSIONS)
    version = campaign.events
    if version > EVENTS:
        raise AssertionError(f"the reviewed campaign already has {version} events")
    while version < EVENTS:
        version = ledger.update_campaign(
            context(), campaign.campaign_id, name=f"Spring {version}"
        ).version
    ChangeFeedProcessor(store).run_until_caught_up()
    return campaign.campaign_id


def measure_sqlite(directory: Path, samples: int = 40) -> Row:
    store = SqliteDocumentStore(directory / "past-reads.sqlite3")
    store.initialise()
    try:
        return _measure(store, "SQLite", samples)
    finally:
        store.close()


def measure_cosmos(account: CosmosAccount, samples: int = 10) -> Row:
    with cosmos_store(account) as store:
        return _measure(store, "Cosmos test server", samples)


def _measure(store: DocumentStore, name: str, samples: int) -> Row:
    campaign_id = build_campaign(store)
    counted = ContainerCounter(store)
    reads = ReadModel(counted, generation_cache_seconds=3_600)
    live = reads.campaign("default", campaign_id)
    at_end = reads.campaign_at("default", campaign_id, Moment(version=EVENTS))
    if at_end.body != live.body:
        raise AssertionError("the snapshot at the current version differs from the live one")
    counted.reset()
    reads.campaign_at("default", campaign_id, Moment(version=EVENTS))
    calls, queried = dict(counted.by_container), counted.documents_queried
    timings = _timed(
        samples,
        live=lambda: reads.campaign("default", campaign_id),
        at_end=lambda: reads.campaign_at("default", campaign_id, Moment(version=EVENTS)),
        halfway=lambda: reads.campaign_at("default", campaign_id, Moment(version=EVENTS // 2)),
    )
    one_prefix_read = calls == {"views read": 1, "events query page": 1} and queried == EVENTS
    at, half, now = timings["at_end"], timings["halfway"], timings["live"]
    return Row(
        f"Snapshot at atVersion on a campaign of {EVENTS:,} events, {name} (in process, "
        f"{samples} reads each, alternating)",
        "one read of the log prefix; report the time",
        f"store calls per read: {_calls(calls)}, {queried:,} events read; atVersion={EVENTS:,}: "
        f"p50 {milliseconds(percentile(at, 0.5))}, p90 {milliseconds(percentile(at, 0.9))}; "
        f"atVersion={EVENTS // 2}: p50 {milliseconds(percentile(half, 0.5))}; live snapshot "
        f"read, same run: p50 {milliseconds(percentile(now, 0.5))} "
        f"(the past read costs {statistics.median(at) / statistics.median(now):.0f}x)",
        verdict(one_prefix_read),
    )


def _timed(samples: int, **reads: Callable[[], object]) -> dict[str, list[float]]:
    """Each read ``samples`` times, taking turns so that the machine's noise hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in reads}
    for _ in range(samples):
        for name, read in reads.items():
            started = time.perf_counter()
            read()
            times[name].append(time.perf_counter() - started)
    return times


def _calls(calls: dict[str, int]) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in sorted(calls.items(), reverse=True))
