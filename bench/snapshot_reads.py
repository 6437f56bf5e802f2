"""The dashboard's campaign read: the materialized snapshot (one point read) over HTTP and in
process, side by side with the same answer assembled repository-style from entity documents
(``bench.entity_repository``), for a campaign with 3 artifacts, 100 versions and their audits.

Round trips are counted by the port's counting decorator: in process around each read, and in
the service around its read model (``GET /bench/counters``). Latencies are client-side, one
request at a time on a keep-alive connection, after a warm-up."""

from __future__ import annotations

import time
from pathlib import Path

from tests.integration.eventstore.counting import CountingDocumentStore

from bench.entity_repository import assemble_snapshot, copy_entities
from bench.report import Row, milliseconds, percentile, verdict
from bench.served_ledger import served_ledger
from bench.workload import build_reviewed_campaign
from bootstrap.container import build_container
from bootstrap.settings import Settings
from documentstore.port import DocumentStore
from documentstore.sqlite import SqliteDocumentStore
from projections.processor import ChangeFeedProcessor
from projections.reads import ReadModel

SAMPLES = 2_000
WARM_UP = 200
HTTP_P99_TARGET_SECONDS = 0.005


def measure(directory: Path, samples: int = SAMPLES) -> list[Row]:
    data_dir = directory / "snapshot-ledger"
    services = build_container(Settings(ledger_store="sqlite", ledger_data_dir=data_dir))
    try:
        campaign = build_reviewed_campaign(services.commands, versions=100)
        ChangeFeedProcessor(services.store).run_until_caught_up()
        repository = SqliteDocumentStore(directory / "repository.sqlite3")
        repository.initialise()
        entities = copy_entities(services.store, repository, campaign.campaign_id)
        in_process = _in_process(services.store, repository, campaign.campaign_id, samples)
        repository.close()
    finally:
        services.close()

    with served_ledger(data_dir) as served, served.client() as client:
        path = f"/api/campaigns/{campaign.campaign_id}"
        for _ in range(WARM_UP):
            client.get(path).raise_for_status()
        before = served.counters()["readCalls"]
        latencies: list[float] = []
        for _ in range(samples):
            started = time.perf_counter()
            response = client.get(path)
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()
        after = served.counters()["readCalls"]
        size = len(response.content)
        health: list[float] = []
        for _ in range(samples):
            started = time.perf_counter()
            client.get("/api/health").raise_for_status()
            health.append(time.perf_counter() - started)
    http_trips = (sum(after.values()) - sum(before.values())) / samples
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    floor = (
        f"GET /api/health (no store call), same run: p50 "
        f"{milliseconds(percentile(health, 0.5))}, p99 {milliseconds(percentile(health, 0.99))}"
    )
    snapshot_trips, snapshot_times, repository_trips, repository_times = in_process
    ratio = repository_trips / snapshot_trips
    time_ratio = percentile(repository_times, 0.5) / percentile(snapshot_times, 0.5)
    return [
        Row(
            f"Snapshot read over HTTP: {campaign.events} events, 3 artifacts, 100 versions, "
            f"audits ({size / 1024:.0f} KiB body, {samples:,} sequential GETs)",
            "1 round trip; p99 ≤ 5 ms embedded",
            f"{http_trips:.3f} round trips (the live generation is re-read once a second); "
            f"p50 {milliseconds(p50)}, p99 {milliseconds(p99)}; {floor}",
            verdict(http_trips < 1.01 and p99 <= HTTP_P99_TARGET_SECONDS),
        ),
        Row(
            "The same snapshot assembled repository-style from entity documents, same run "
            f"(in process, {entities} entity documents)",
            "report the ratio; goal ≥ 10x fewer round trips",
            f"repository {repository_trips:g} round trips, p50 "
            f"{milliseconds(percentile(repository_times, 0.5))} vs snapshot "
            f"{snapshot_trips:g}, p50 {milliseconds(percentile(snapshot_times, 0.5))}: "
            f"{ratio:.1f}x fewer round trips, {time_ratio:.1f}x faster",
            verdict(ratio >= 10),
        ),
    ]


def _in_process(
    views: DocumentStore, repository: DocumentStore, campaign_id: str, samples: int
) -> tuple[float, list[float], float, list[float]]:
    """Round trips and latencies of both reads, alternating, after checking they agree (the
    live generation is cached for the whole loop: one read of it per second is not per read).
    """
    counted_views = CountingDocumentStore(views)
    counted_repository = CountingDocumentStore(repository)
    reads = ReadModel(counted_views, generation_cache_seconds=3_600)
    served = reads.campaign("default", campaign_id).body
    assembled = assemble_snapshot(counted_repository, campaign_id)
    if assembled != {key: served[key] for key in assembled}:
        raise AssertionError("the repository-style snapshot differs from the served one")
    counted_views.reset()
    counted_repository.reset()
    snapshot_times: list[float] = []
    repository_times: list[float] = []
    for _ in range(samples):
        started = time.perf_counter()
        reads.campaign("default", campaign_id)
        snapshot_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        assemble_snapshot(counted_repository, campaign_id)
        repository_times.append(time.perf_counter() - started)
    return (
        counted_views.round_trips / samples,
        snapshot_times,
        counted_repository.round_trips / samples,
        repository_times,
    )
