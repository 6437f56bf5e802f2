"""What removing a retired generation does to the commands served meanwhile
(``python -m bench --only retirement``): a log of 100,000 events (``bench.event_log``) projected
live, rebuilt twice, and each retired generation removed while a client thread sends commands
(a version of 1 KB) to the same embedded store, one at a time:

* **in units**, as the processor, ``campaigns rebuild`` and ``campaigns cleanup`` remove it
  now (``projections.retirement``: a delete of 100 partitions at a time);
* **in one delete**, as the rebuild did before (every partition's range in one transaction).

The row gives, for each, the removal's time and the commands' latency while it ran (median,
p99, longest) beside the same client's latency with nothing removed. Command and removal share
the store's write lock; the longest wait is what a removal costs the service."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.event_log import copy_campaigns, template_campaign
from bench.ledgers import ledger_on
from bench.report import Row, milliseconds, percentile
from bench.workload import brief, content, context
from documentstore.port import LEASES, VIEWS, DocumentStore
from documentstore.sqlite import SqliteDocumentStore
from projections.generations import ProjectionStateStore
from projections.processor import ChangeFeedProcessor
from projections.rebuild import rebuild_views
from projections.retirement import remove_retired
from projections.stored_views import generation_id_range

EVENTS_IN_LOG = 100_000
QUIET_SECONDS = 1.0


def measure(directory: Path) -> list[Row]:
    store = SqliteDocumentStore(directory / "retirement.sqlite3")
    store.initialise()
    try:
        copy_campaigns(store, template_campaign(), EVENTS_IN_LOG)
        ChangeFeedProcessor(store).run_until_caught_up()
        client = _CommandClient(store)
        quiet = client.during(lambda: time.sleep(QUIET_SECONDS))
        rebuild_views(store)
        in_units = client.during(lambda: remove_retired(store, grace_seconds=0))
        rebuild_views(store)
        in_one = client.during(lambda: _remove_in_one_delete(store))
    finally:
        store.close()
    return [
        Row(
            "Commands served while a rebuild's retired generation is removed (100,000-event "
            "log, 123,000 documents, embedded store, one client)",
            "report; the longest wait far below the removal's time",
            f"in units of 100 partitions (now): {in_units.describe()}; in one delete (before): "
            f"{in_one.describe()}; nothing removed: {quiet.describe()}",
        )
    ]


class _Latencies:
    def __init__(self, seconds: float, latencies: list[float]) -> None:
        self.seconds = seconds
        self.latencies = sorted(latencies)  # the longest last

    def describe(self) -> str:
        if not self.latencies:
            return f"{self.seconds:.2f} s, no command answered meanwhile"
        return (
            f"{self.seconds:.2f} s, {len(self.latencies)} commands, latency median "
            f"{milliseconds(percentile(self.latencies, 0.5))}, p99 "
            f"{milliseconds(percentile(self.latencies, 0.99))}, longest "
            f"{milliseconds(self.latencies[-1])}"
        )


class _CommandClient:
    """Sends versions to one campaign, one at a time, while a given action runs."""

    def __init__(self, store: DocumentStore) -> None:
        self._ledger = ledger_on(store)
        self._campaign = self._ledger.create_campaign(context(), name="Busy", brief=brief()).id
        self._artifact = self._ledger.create_artifact(
            context(), self._campaign, artifact_type="Copy"
        ).id
        self._sent = 0

    def during(self, action: Callable[[], object]) -> _Latencies:
        latencies: list[float] = []
        done = threading.Event()

        def send() -> None:
            while not done.is_set():
                started = time.perf_counter()
                self._ledger.create_version(
                    context(), self._campaign, self._artifact, content=content(self._sent)
                )
                latencies.append(time.perf_counter() - started)
                self._sent += 1

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(0.2)  # the client's own pace before the action
        before = len(latencies)
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
        done.set()
        sender.join()
        return _Latencies(seconds, latencies[before:])


def _remove_in_one_delete(store: DocumentStore) -> int:
    """The retired generations' documents in all the units' partitions in one
    ``delete_id_range`` each, the units then forgotten: the same deletes in one transaction,
    as the rebuild made them at its end before the removal went into units."""
    states = ProjectionStateStore(store)
    state = states.read()
    partitions: list[str] = []
    for unit in state.retiring:
        document = store.read(LEASES, unit.id, unit.id)
        assert document is not None
        partitions += [str(partition) for partition in document["partitions"]]
    removed = 0
    for generation in {generation for unit in state.retiring for generation in unit.generations}:
        removed += store.delete_id_range(VIEWS, partitions, *generation_id_range(generation))
    states.save(state.with_changes(retiring=(), retired=()))
    return removed
