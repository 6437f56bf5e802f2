"""Growth: what one command costs as its campaign's history grows (DESIGN.md section 7), side by
side for campaigns of 10, 1,000, 10,000 and 50,000 versions on SQLite, spread over three
artifacts and all on one, and of 10, 1,000 and 10,000 versions on the Cosmos test server.

Each campaign is alone in a store of its own (an SQLite file, a Cosmos database: the test server's
queries scan in JavaScript, so a neighbour's documents would slow them) and its history is built
through the real command path (``CampaignService`` on our persistence module, no HTTP, no
projections): one ``create_version`` of about 1 KB per version, round robin over the artifacts.

Then every campaign gets the same mix, cycle after cycle, the sizes taking turns so that the
machine's noise hits them alike: a run queued, a version of about 1 KB made by that run, its
audit, an iteration from the artifact's previous version to it, its approval (five commands,
one event each). Per command: the time (the ratio to the 10-version campaign is what counts on
a noisy machine), the bytes its batch writes, its store round trips and the request units those
documents would cost on Cosmos DB (``bench.request_units``), as ``bench.store_meter`` saw them.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from application import CampaignService
from bench.cosmos import CosmosAccount, cosmos_store
from bench.ledgers import ledger_on
from bench.report import MISSED, REPORTED, Row, verdict
from bench.store_meter import CommandCost, MeteredDocumentStore
from bench.workload import ARTIFACT_TYPES, audit, brief, content, context, new_id
from documentstore.port import EVENTS, Create, DocumentStore, Query, without_system_fields
from documentstore.sqlite import SqliteDocumentStore
from domain.campaign import Outcome
from domain.values import Iteration

SQLITE_HISTORIES = (10, 1_000, 10_000, 50_000)
COSMOS_HISTORIES = (10, 1_000, 10_000)
CYCLES = 10
"""Measured cycles per campaign (five commands each), after one cycle of warm-up."""
COMMANDS_PER_CYCLE = 5
JUDGED_AT = 10_000
TIME_RATIO_TARGET = 1.5
FLAT_TOLERANCE = 0.10
"""Bytes written (and request units) count as flat when every size is within ±10% of the
10-version campaign's figure."""
BUILD_TARGET_SECONDS = 180.0
"""The 50,000-version history must build within a few minutes: three at most."""


@dataclass(frozen=True)
class Shape:
    """How a campaign's versions are spread over its artifacts."""

    name: str
    key: str
    artifact_types: tuple[str, ...]


SPREAD = Shape("spread over 3 artifacts", "spread", ARTIFACT_TYPES)
ONE_ARTIFACT = Shape("all on 1 artifact", "one", ("Copy",))


@dataclass
class Subject:
    """One campaign of a given history, alone in its store, and what its commands cost."""

    versions: int
    meter: MeteredDocumentStore
    ledger: CampaignService
    campaign_id: str
    artifacts: list[str]
    latest: dict[str, str]
    """The latest version id of each artifact (the next iteration starts from it)."""
    stream_version: int
    build_seconds: float
    cycles: int = 0
    seconds: list[float] = field(default_factory=list)
    costs: list[CommandCost] = field(default_factory=list)
    probe_seconds: list[float] = field(default_factory=list)
    """The server's own time, at this store's size, for the round trips of a command that
    touches nothing of the campaign (``probe_server``); measured on the Cosmos test server."""

    def mean(self, figure: Callable[[CommandCost], float]) -> float:
        return statistics.fmean(figure(cost) for cost in self.costs)


def measure_sqlite(
    directory: Path, shape: Shape, histories: Sequence[int] = SQLITE_HISTORIES
) -> list[Row]:
    """The rows of one shape on SQLite, one store file per history size."""
    stores: list[SqliteDocumentStore] = []
    try:
        subjects: list[Subject] = []
        for versions in histories:
            store = SqliteDocumentStore(directory / f"growth-{shape.key}-{versions}.sqlite3")
            stores.append(store)
            store.initialise()
            subjects.append(build(MeteredDocumentStore(store), shape, versions))
        run_mix(subjects)
        return rows(f"SQLite, {shape.name}", subjects, build_target=True)
    finally:
        for store in stores:
            store.close()


def measure_cosmos(
    account: CosmosAccount,
    directory: Path,
    shape: Shape = SPREAD,
    histories: Sequence[int] = COSMOS_HISTORIES,
) -> list[Row]:
    """The rows of one shape on the Cosmos test server, one database per history size.

    The test server answers every query by copying its whole container, so a history built
    command by command costs it time quadratic in its size (hours at 10,000 versions). Each
    history is therefore built through the command path on an SQLite store and its documents
    (events, heads, entity states: exactly what those commands wrote) are copied into the
    Cosmos database, a hundred per batch; the measured commands then run on Cosmos as usual."""
    with contextlib.ExitStack() as stack:
        subjects = []
        for size in histories:
            built = SqliteDocumentStore(directory / f"growth-cosmos-{shape.key}-{size}.sqlite3")
            stack.callback(built.close)
            built.initialise()
            subject = build(MeteredDocumentStore(built), shape, size)
            cosmos = MeteredDocumentStore(stack.enter_context(cosmos_store(account)))
            started = time.perf_counter()
            copy_campaign(built, cosmos.inner, subject.campaign_id)
            subjects.append(
                replace(
                    subject,
                    meter=cosmos,
                    ledger=ledger_on(cosmos),
                    build_seconds=subject.build_seconds + time.perf_counter() - started,
                )
            )
        run_mix(subjects, probe=True)
        return rows(f"Cosmos test server, {shape.name}", subjects, build_target=False)


def copy_campaign(source: DocumentStore, target: DocumentStore, campaign_id: str) -> None:
    """Every document of a campaign's partition of ``events``, copied as it is."""
    query = Query(partition_key=campaign_id, order_by=(("id", False),))
    token: str | None = None
    while True:
        page = source.query(EVENTS, query, page_size=100, continuation=token)
        if page.items:
            target.execute_batch(
                EVENTS, campaign_id, [Create(without_system_fields(d)) for d in page.items]
            )
        token = page.continuation
        if token is None:
            return


def build(meter: MeteredDocumentStore, shape: Shape, versions: int) -> Subject:
    """A campaign with ``versions`` versions over the shape's artifacts, made by the commands
    a client would send, as fast as one writer goes (the meter records nothing meanwhile)."""
    meter.recording = False
    ledger = ledger_on(meter)
    started = time.perf_counter()
    campaign = ledger.create_campaign(context("growth"), name="Growth", brief=brief()).id
    artifacts = [
        ledger.create_artifact(context("growth"), campaign, artifact_type=artifact_type).id
        for artifact_type in shape.artifact_types
    ]
    latest: dict[str, str] = {}
    outcome: Outcome | None = None
    for number in range(versions):
        artifact = artifacts[number % len(artifacts)]
        outcome = ledger.create_version(
            context("growth"), campaign, artifact, content=content(number)
        )
        latest[artifact] = outcome.id
    elapsed = time.perf_counter() - started
    meter.recording = True
    print(
        f"  built {versions:,} versions {shape.name} on {meter.kind} in {elapsed:.1f} s",
        flush=True,
    )
    return Subject(
        versions=versions,
        meter=meter,
        ledger=ledger,
        campaign_id=campaign,
        artifacts=artifacts,
        latest=latest,
        stream_version=outcome.version if outcome is not None else 1 + len(artifacts),
        build_seconds=elapsed,
    )


def run_mix(subjects: Sequence[Subject], cycles: int = CYCLES, *, probe: bool = False) -> None:
    """One cycle of warm-up per campaign, then ``cycles`` measured, the campaigns in turn
    (each round starting with the next one, so that none is always first); with ``probe``, each
    measured cycle is followed by probes of the server (``probe_server``)."""
    for subject in subjects:
        run_cycle(subject, measured=False)
    for round_number in range(cycles):
        start = round_number % len(subjects)
        for subject in [*subjects[start:], *subjects[:start]]:
            run_cycle(subject, measured=True)
            if probe:
                for _ in range(COMMANDS_PER_CYCLE):
                    subject.probe_seconds.append(
                        probe_server(subject.meter.inner, subject.campaign_id)
                    )


def probe_server(store: DocumentStore, campaign_id: str) -> float:
    """The time of a command's two round trips that touch nothing of the command: a read of
    three ids the campaign's partition does not hold (the same query as a command's load) and
    a one-document batch in a partition of its own. It measures what the server spends per
    call on its size, which is no part of the command's own cost: the Cosmos test server
    copies the whole container before every batch (to roll it back) and answers a query by
    scanning the partition in JavaScript, where Cosmos DB looks ids up in its index."""
    probe = f"probe-{new_id()}"
    started = time.perf_counter()
    store.read_many(EVENTS, campaign_id, ["state-probe-a", "state-probe-b", "state-probe-c"])
    store.execute_batch(EVENTS, probe, [Create({"id": "probe", "partitionKey": probe})])
    return time.perf_counter() - started


def run_cycle(subject: Subject, *, measured: bool) -> None:
    """Five commands on the next artifact in turn, each timed and metered on its own."""
    ledger, campaign = subject.ledger, subject.campaign_id
    artifact = subject.artifacts[subject.cycles % len(subject.artifacts)]
    run, version = new_id(), new_id()
    report = audit("Pass")
    iteration = Iteration(
        artifact_id=artifact,
        old_version_id=subject.latest[artifact],
        new_version_id=version,
        feedback_text=f"cycle {subject.cycles}: warmer, shorter",
    )
    body = content(subject.cycles)
    commands: list[Callable[[], Outcome]] = [
        lambda: ledger.queue_run(
            context("growth"), campaign, execution_mode="Sequential", run_id=run
        ),
        lambda: ledger.create_version(
            context("growth"), campaign, artifact, content=body, run_id=run, version_id=version
        ),
        lambda: ledger.record_audit(context("growth"), campaign, version, report=report),
        lambda: ledger.log_iteration(context("growth"), campaign, iteration=iteration),
        lambda: ledger.approve_version(context("growth"), campaign, version),
    ]
    for command in commands:
        subject.meter.reset()
        started = time.perf_counter()
        outcome = command()
        elapsed = time.perf_counter() - started
        if outcome.version != subject.stream_version + 1:
            raise AssertionError(
                f"a command of the mix appended up to version {outcome.version}, "
                f"not one event after {subject.stream_version}"
            )
        subject.stream_version = outcome.version
        if measured:
            subject.seconds.append(elapsed)
            subject.costs.append(CommandCost.of(subject.meter))
    subject.latest[artifact] = version
    subject.cycles += 1


def rows(label: str, subjects: Sequence[Subject], *, build_target: bool) -> list[Row]:
    """Time, bytes and request units, round trips and build time of one store and shape."""
    commands = len(subjects[0].costs)
    return [
        _time_row(label, subjects, commands),
        _bytes_row(label, subjects),
        _round_trips_row(label, subjects),
        _build_row(label, subjects, build_target=build_target),
    ]


def _time_row(label: str, subjects: Sequence[Subject], commands: int) -> Row:
    """Mean time per command and its ratio to the smallest campaign's. Where the server was
    probed, the ratio judged is that of the time less the growth of the server's own per-call
    cost with the store's size (``probe_server``): the command's cost as a server that does not
    slow down with its size would show it."""
    base = statistics.fmean(subjects[0].seconds)
    base_versions = subjects[0].versions
    base_probe = _mean_or_none(subjects[0].probe_seconds)
    figures = []
    judged: float | None = None
    for subject in subjects:
        mean = statistics.fmean(subject.seconds)
        ratio = mean / base
        probe = _mean_or_none(subject.probe_seconds)
        server = ""
        if probe is not None and base_probe is not None:
            ratio = (mean - (probe - base_probe)) / base
            server = f"; the server's own time for those calls on nothing {probe * 1000:.2f} ms"
        if subject.versions == JUDGED_AT:
            judged = ratio
        shown = "" if subject is subjects[0] else f", {ratio:.2f}x"
        figures.append(
            f"{subject.versions:,}: {mean * 1000:.2f} ms "
            f"(p50 {statistics.median(subject.seconds) * 1000:.2f}{shown}; "
            f"in the store: {_store_time(subject)}{server})"
        )
    adjusted = " less the growth of the server's own time per call" if base_probe else ""
    return Row(
        f"Growth, {label}: mean time per command by versions in the campaign "
        f"({commands} commands each: run queued, 1 KB version, audit, iteration, approval)",
        f"at {JUDGED_AT:,} versions ≤ {TIME_RATIO_TARGET:g}x the time at {base_versions:,}"
        f"{adjusted}",
        "; ".join(figures),
        MISSED if judged is None else verdict(judged <= TIME_RATIO_TARGET),
    )


def _mean_or_none(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _store_time(subject: Subject) -> str:
    """Mean time per command in each kind of store call, e.g. ``batch 1.46 + read_many 3.14``."""
    totals: defaultdict[str, float] = defaultdict(float)
    for cost in subject.costs:
        for name, seconds in cost.seconds.items():
            totals[name] += seconds
    return " + ".join(
        f"{name} {total / len(subject.costs) * 1000:.2f}" for name, total in sorted(totals.items())
    )


def _bytes_row(label: str, subjects: Sequence[Subject]) -> Row:
    base_bytes = subjects[0].mean(lambda cost: cost.bytes_written)
    base_units = subjects[0].mean(lambda cost: cost.request_units)
    figures = []
    flat = True
    for subject in subjects:
        written = subject.mean(lambda cost: cost.bytes_written)
        units = subject.mean(lambda cost: cost.request_units)
        change = written / base_bytes - 1
        flat = flat and abs(change) <= FLAT_TOLERANCE
        flat = flat and abs(units / base_units - 1) <= FLAT_TOLERANCE
        documents = subject.mean(lambda cost: cost.documents_written)
        read = subject.mean(lambda cost: cost.bytes_read)
        figures.append(
            f"{subject.versions:,}: {written:,.0f} B in {documents:.1f} docs"
            f"{'' if subject is subjects[0] else f' ({change:+.1%})'}, "
            f"≈ {units:.1f} RU (writes {subject.mean(lambda cost: cost.write_units):.1f} "
            f"+ reads {subject.mean(lambda cost: cost.read_units):.1f} for {read:,.0f} B)"
        )
    return Row(
        f"Growth, {label}: bytes written and estimated request units per command "
        "(RU from DESIGN.md §7's table by document size, interpolated, per document)",
        f"flat: every size within ±{FLAT_TOLERANCE:.0%} of the {subjects[0].versions:,}-version "
        "figure",
        "; ".join(figures),
        verdict(flat),
    )


def _round_trips_row(label: str, subjects: Sequence[Subject]) -> Row:
    figures = []
    seen: set[int] = set()
    for subject in subjects:
        seen.update(cost.round_trips for cost in subject.costs)
        totals: Counter[str] = Counter()
        for cost in subject.costs:
            totals.update(cost.calls)
        shape = " + ".join(
            f"{count / len(subject.costs):g} {name}" for name, count in sorted(totals.items())
        )
        figures.append(
            f"{subject.versions:,}: {subject.mean(lambda cost: cost.round_trips):g} ({shape}; "
            f"{subject.mean(lambda cost: cost.ids_asked):.1f} ids read)"
        )
    answered = (
        "still the port's default: one point read per id"
        if type(subjects[0].meter.inner).read_many is DocumentStore.read_many
        else "the adapter's own"
    )
    return Row(
        f"Growth, {label}: store round trips per command (a read_many of known ids is one; "
        f"its implementation: {answered})",
        "≤ 2, flat",
        "; ".join(figures),
        verdict(len(seen) == 1 and max(seen) <= 2),
    )


def _build_row(label: str, subjects: Sequence[Subject], *, build_target: bool) -> Row:
    largest = subjects[-1]
    figures = [f"{subject.versions:,}: {subject.build_seconds:.1f} s" for subject in subjects]
    per_version = largest.build_seconds / max(largest.versions, 1)
    return Row(
        f"Growth, {label}: building each history through CampaignService "
        "(one create_version of 1 KB per version)",
        f"{largest.versions:,} versions in ≤ {BUILD_TARGET_SECONDS / 60:.0f} min"
        if build_target
        else "report",
        "; ".join(figures) + f" ({per_version * 1000:.2f} ms per version at {largest.versions:,})",
        verdict(largest.build_seconds <= BUILD_TARGET_SECONDS) if build_target else REPORTED,
    )
