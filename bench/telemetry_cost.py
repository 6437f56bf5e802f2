"""What telemetry costs: command throughput with telemetry off, with the in-process metrics only
(what a service with no exporter configured runs), with traces exported over OTLP/HTTP at the
default sampling (at most 5 new traces a second: "telemetry on", the documented production
setting), at one trace in ten (round 2's first default, reported), and with every trace
exported, side by side in one run (``python -m bench --only telemetry``).

* In process: six containers (``build_container``) on SQLite files of their own: ``off``
  built without telemetry (``start_telemetry=None``), ``control`` built the same way (its
  "cost" shows how far two identical services differ in the run), ``metrics`` as configured
  by default, ``on`` with ``OTEL_EXPORTER_OTLP_ENDPOINT`` pointing at a sink on loopback
  that reads and discards each export (as a collector beside the service would) and the
  default sampler, ``one-in-ten`` and ``traces`` the same with ``OTEL_TRACES_SAMPLER`` set
  to ``parentbased_traceidratio`` at 0.1 and to ``always_on``. Each
  round sends the same commands (a version with 1 KB of content) to each in turn, the order
  rotating. The change-feed processor does not run here: this is the command path alone.
* Over HTTP: the same six as services in processes of their own (``bench.ledger_server``,
  ``BENCH_TELEMETRY=off`` for the first two), each with its change-feed processor projecting
  (and tracing its batches), 4 clients each sending versions to a campaign of their own, one
  service at a time, the order rotating.

The cost of a variant is 1 - its commands/s over ``off``'s, the median of the rounds' ratios
(each round's pair measured moments apart, so that load from elsewhere hits both alike). Spans
are exported as in production, in batches by the SDK's export thread, which runs whenever it
runs: in process its work falls in whichever round is under way, so the throughput of the
traced variants understates their cost a little and overstates the others'.

Beside throughput, the CPU each command costs: in process the calling thread's CPU time over
each round (``time.thread_time``) plus all the CPU of the variant's span-export thread
(``/proc/self/task/<id>/stat``, after a last flush); over HTTP each service process's CPU time
over its own rounds only: the sum of its threads' run time (``/proc/<pid>/task/*/schedstat``,
nanoseconds) read right before each of its rounds and again ``HTTP_SETTLE_SECONDS`` after it
(its projections of the round's events and their spans included), so that the idle
change-feed polls it makes while the other variants run (about 7 ms a second, which moved the
figure by ±150 µs a command between runs when it counted them) are left out. CPU time is far
less moved than wall time by what the other tenants of a shared machine do, so it is the
steadier measure of what telemetry adds."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.otlp_sink import OtlpSink, otlp_sink
from bench.report import REPORTED, Row, verdict
from bench.served_ledger import ServedLedger, served_ledger
from bench.workload import brief, brief_json, content, context
from bootstrap.container import ServiceContainer, build_container
from bootstrap.settings import Settings
from observability.sampling import DEFAULT_TRACES_PER_SECOND

VARIANTS = ("off", "control", "metrics", "on", "one-in-ten", "traces")
"""``control`` is a second service without telemetry: its "cost" is the noise floor of the run."""
TRACED = ("on", "one-in-ten", "traces")
SAMPLERS = {
    "on": {"LEDGER_TRACES_PER_SECOND": f"{DEFAULT_TRACES_PER_SECOND / len(VARIANTS):g}"},
    "one-in-ten": {
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.1",
    },
    "traces": {"OTEL_TRACES_SAMPLER": "always_on"},
}
"""The samplers of the traced variants. ``on`` runs the default policy (``observability.
sampling``: at most 5 new traces a second under a continuous load). Each variant is under load
one round in ``len(VARIANTS)``, its bucket refilling all the while, so its limit is set to 5 a
second divided by that: as many traces a second *of load* as a service under a continuous
load keeps (set at 5, it would trace each round's commands several times as often as in
service). ``one-in-ten`` is round 2's first default, ``traces`` every trace."""
ROUNDS = 120
"""Short rounds, many of them: the disk's fsync time swings several-fold within seconds on a
shared machine, so only variants measured moments apart compare (in process; over HTTP
``HTTP_ROUNDS_PER_BLOCK`` on each of ``HTTP_BLOCKS`` sets of services)."""
IN_PROCESS_COMMANDS = 30
"""Per round and variant, in process (over 5 campaigns)."""
HTTP_CLIENTS = 4
HTTP_COMMANDS_PER_CLIENT = 30
"""Rounds of 120 commands over HTTP, half as many rounds as in process: at 40 a round the
control (two identical services) differed by up to 4 %, as much as the cost measured."""
HTTP_BLOCKS = 24
"""The HTTP rounds are run on 24 sets of services started afresh, three rounds each: two
identical service processes differ by up to 5 % in one set (the control), whatever the number
of rounds, so only more sets bring them together. With six sets of ten rounds, two runs in
six put telemetry on above 5 % over HTTP while callgrind counted no more instructions for a
request whose trace is not kept than for the metrics alone (docs/performance.md,
"Telemetry")."""
HTTP_ROUNDS_PER_BLOCK = 3
HASH_SEED = "0"
"""Every service process hashes strings alike (its dictionaries and sets laid out alike), so
that two identical ones differ only by what the system does to them."""
HTTP_SETTLE_SECONDS = 0.3
"""After each HTTP round, before its service's CPU is read: its change feed projects the
round's last events meanwhile (the lag stays under 150 ms at this load)."""
COST_GOAL = 0.05


@dataclass
class Rates:
    """Per variant: commands/s of each round, and CPU seconds and commands in all rounds."""

    per_round: dict[str, list[float]] = field(
        default_factory=lambda: {variant: [] for variant in VARIANTS}
    )
    cpu_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(VARIANTS, 0.0))
    commands: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VARIANTS, 0))
    warm_ups: int = 1
    """Rounds run unmeasured (one per set of services), whose spans the sink counted too."""
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per traced variant: spans exported in the whole run (warm-up included), and of them
    those of projection batches (over HTTP only: the in-process services do not project)."""

    def cpu_per_command(self, variant: str) -> float:
        return self.cpu_seconds[variant] / max(1, self.commands[variant])


def service_name(where: str, variant: str) -> str:
    """The ``service.name`` a variant's spans carry (how the sink tells them apart)."""
    return f"bench-{where.replace(' ', '-')}-{variant}".lower()


def measure(directory: Path, rounds: int = ROUNDS) -> list[Row]:
    with otlp_sink() as sink:
        in_process = _in_process(directory / "in-process", sink, rounds)
        over_http = _over_http(directory / "http", sink)
        _count_spans(sink, "in process", in_process)
        _count_spans(sink, "over HTTP", over_http)
    return [
        *_rows("in process, one client", in_process),
        *_rows(f"over HTTP, {HTTP_CLIENTS} clients", over_http),
    ]


def _count_spans(sink: OtlpSink, where: str, rates: Rates) -> None:
    for variant in TRACED:
        rates.spans[variant] = sink.spans_of(service_name(where, variant))


# --- in process ------------------------------------------------------------------------------


def _in_process(directory: Path, sink: OtlpSink, rounds: int) -> Rates:
    containers: dict[str, ServiceContainer] = {}
    exporters: dict[str, list[int]] = {}
    try:
        for variant in VARIANTS:
            with _environment(SAMPLERS.get(variant, {})):
                settings = Settings(
                    ledger_store="sqlite",
                    ledger_data_dir=directory / variant,
                    ledger_live_updates=False,
                    otel_exporter_otlp_endpoint=sink.url if variant in TRACED else None,
                    otel_service_name=service_name("in process", variant),
                    applicationinsights_connection_string=None,
                )
            before = {thread.native_id for thread in threading.enumerate()}
            if variant in ("off", "control"):
                containers[variant] = build_container(settings, start_telemetry=None)
            else:
                containers[variant] = build_container(settings)
            exporters[variant] = [
                thread.native_id
                for thread in threading.enumerate()
                if thread.native_id is not None
                and thread.native_id not in before
                and "Span" in thread.name
            ]
        targets = {variant: _campaigns(container) for variant, container in containers.items()}
        rates = Rates()
        for round_number in range(rounds + 1):
            for variant in _rotated(round_number):
                rate, cpu = _commands_per_second(containers[variant], targets[variant])
                if round_number:  # round 0 warms every variant up
                    rates.per_round[variant].append(rate)
                    rates.cpu_seconds[variant] += cpu
                    rates.commands[variant] += IN_PROCESS_COMMANDS
        for variant, container in containers.items():
            if container.telemetry is not None:
                container.telemetry.flush_spans()
            rates.cpu_seconds[variant] += sum(
                _cpu_seconds(os.getpid(), thread) for thread in exporters[variant]
            )
        return rates
    finally:
        for container in containers.values():
            container.close()


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in this process's environment while inside."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _campaigns(container: ServiceContainer) -> list[tuple[str, str]]:
    commands = container.commands
    targets = []
    for number in range(5):
        campaign_id = commands.create_campaign(context(), name=f"Cost {number}", brief=brief()).id
        artifact_id = commands.create_artifact(context(), campaign_id, artifact_type="Copy").id
        targets.append((campaign_id, artifact_id))
    return targets


def _commands_per_second(
    container: ServiceContainer, targets: list[tuple[str, str]]
) -> tuple[float, float]:
    """One round: its commands/s and the CPU seconds the process spent in it."""
    commands = container.commands
    cpu = time.thread_time()
    started = time.perf_counter()
    for number in range(IN_PROCESS_COMMANDS):
        campaign_id, artifact_id = targets[number % len(targets)]
        commands.create_version(context(), campaign_id, artifact_id, content=content(number))
    elapsed = time.perf_counter() - started
    return IN_PROCESS_COMMANDS / elapsed, time.thread_time() - cpu


# --- over HTTP -------------------------------------------------------------------------------


def _over_http(directory: Path, sink: OtlpSink) -> Rates:
    environments: dict[str, dict[str, str]] = {
        "off": {"BENCH_TELEMETRY": "off"},
        "control": {"BENCH_TELEMETRY": "off"},
        "metrics": {},
        **{
            variant: {"OTEL_EXPORTER_OTLP_ENDPOINT": sink.url, **SAMPLERS.get(variant, {})}
            for variant in TRACED
        },
    }
    for variant in TRACED:
        environments[variant]["OTEL_SERVICE_NAME"] = service_name("over HTTP", variant)
    for environment in environments.values():
        environment["PYTHONHASHSEED"] = HASH_SEED
    rates = Rates(warm_ups=HTTP_BLOCKS)
    for block in range(HTTP_BLOCKS):
        _http_block(directory / f"block-{block}", environments, rates, HTTP_ROUNDS_PER_BLOCK)
    return rates


def _http_block(
    directory: Path, environments: dict[str, dict[str, str]], rates: Rates, rounds: int
) -> None:
    """``rounds`` rounds on services started afresh (each process's own speed, which differs
    by a few per cent between identical ones, is averaged over the blocks)."""
    directory.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        services = {
            variant: stack.enter_context(
                served_ledger(directory / variant, LEDGER_LIVE_UPDATES="false", **environment)
            )
            for variant, environment in environments.items()
        }
        targets = {variant: _http_targets(service) for variant, service in services.items()}
        for round_number in range(rounds + 1):
            for variant in _rotated(round_number):
                pid = services[variant].process.pid
                cpu = _threads_cpu_seconds(pid)
                rate = _http_round(services[variant], targets[variant])
                time.sleep(HTTP_SETTLE_SECONDS)
                cpu = _threads_cpu_seconds(pid) - cpu
                if round_number:
                    rates.per_round[variant].append(rate)
                    rates.cpu_seconds[variant] += cpu
                    rates.commands[variant] += HTTP_CLIENTS * HTTP_COMMANDS_PER_CLIENT


def _threads_cpu_seconds(pid: int) -> float:
    """The run time so far of a live process's threads, to the nanosecond (a thread that ends
    between two readings takes its time with it: the services' threads live as long as they)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):  # the thread ended meanwhile
            continue
    return total / 1e9


def _cpu_seconds(pid: int, thread: int) -> float:
    """User + system CPU time so far of one thread of a live process."""
    path = Path(f"/proc/{pid}/task/{thread}/stat")
    fields = path.read_text().rpartition(")")[2].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _http_targets(service: ServedLedger) -> list[tuple[str, str]]:
    targets = []
    with service.client() as client:
        for number in range(HTTP_CLIENTS):
            body = {"name": f"Cost {number}", "brief": brief_json()}
            campaign_id = client.post("/api/campaigns", json=body).raise_for_status().json()["id"]
            path = f"/api/campaigns/{campaign_id}/artifacts"
            artifact = client.post(path, json={"type": "Copy"}).raise_for_status().json()["id"]
            targets.append((campaign_id, artifact))
    return targets


def _http_round(service: ServedLedger, targets: list[tuple[str, str]]) -> float:
    start = threading.Barrier(len(targets) + 1)
    failures: list[BaseException] = []

    def client_loop(campaign_id: str, artifact_id: str) -> None:
        path = f"/api/campaigns/{campaign_id}/artifacts/{artifact_id}/versions"
        try:
            with service.client() as client:
                start.wait()
                for number in range(HTTP_COMMANDS_PER_CLIENT):
                    client.post(path, json={"content": content(number)}).raise_for_status()
        except (httpx.HTTPError, threading.BrokenBarrierError) as failure:
            failures.append(failure)

    threads = [threading.Thread(target=client_loop, args=target) for target in targets]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"a client failed: {failures[0]}")
    return len(targets) * HTTP_COMMANDS_PER_CLIENT / elapsed


# --- the table -------------------------------------------------------------------------------


def _rotated(round_number: int) -> list[str]:
    shift = round_number % len(VARIANTS)
    return list(VARIANTS[shift:] + VARIANTS[:shift])


def _cost(rates: Rates, variant: str) -> float:
    per_round = rates.per_round
    ratios = [ours / off for ours, off in zip(per_round[variant], per_round["off"], strict=True)]
    return 1.0 - statistics.median(ratios)


def _cpu_cost(rates: Rates, variant: str) -> float:
    return rates.cpu_per_command(variant) / rates.cpu_per_command("off") - 1.0


def _rows(where: str, rates: Rates) -> list[Row]:
    """One row per telemetry setting, its cost against ``off`` measured in the same rounds."""
    medians = {variant: statistics.median(values) for variant, values in rates.per_round.items()}
    rounds = len(rates.per_round["off"])
    described = {
        "control": "a second service without telemetry (the run's noise floor)",
        "metrics": "metrics only (no exporter configured)",
        "on": "telemetry on: metrics + traces over OTLP at the default sampling (at most 5 new "
        "traces a second)",
        "one-in-ten": "metrics + one trace in ten over OTLP (round 2's first default)",
        "traces": "metrics + every trace over OTLP",
    }
    judged = ("metrics", "on")  # the control is the noise floor; every trace is not a default
    rows = []
    for variant in ("control", "metrics", "on", "one-in-ten", "traces"):
        cost = _cost(rates, variant)
        cpu = rates.cpu_per_command(variant)
        extra = cpu - rates.cpu_per_command("off")
        spans = ""
        if variant in rates.spans:
            total, projection = rates.spans[variant]
            commands = rates.commands[variant] * (rounds + rates.warm_ups) / max(1, rounds)
            spans = (
                f"; {total / commands:.2f} spans exported a command, "
                f"{projection / commands:.2f} of them projection batches'"
            )
        rows.append(
            Row(
                f"Telemetry cost, {where}: {described[variant]}",
                f"≤ {COST_GOAL:.0%} fewer commands/s than without telemetry"
                if variant in judged
                else "reported",
                f"{medians[variant]:.0f} vs {medians['off']:.0f} commands/s (medians of "
                f"{rounds} rounds); cost {cost:+.1%} (median of the rounds' ratios); CPU "
                f"{cpu * 1e6:.0f} µs a command, {extra * 1e6:+.0f} µs "
                f"({_cpu_cost(rates, variant):+.1%}){spans}",
                verdict(cost <= COST_GOAL) if variant in judged else REPORTED,
            )
        )
    return rows
