"""The lag observer as a process of its own, so that the clients' threads do not delay it:
``python -m bench.lag_observer <sqlite file> <campaign id>...`` reads the campaigns' snapshot
documents every 2 ms through the read model (a connection of its own, as the service's read
side), and when its stdin closes prints one JSON object: for each campaign, the versions it
saw appear and when (``time.monotonic()``, the same clock in every process of the machine)."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from documentstore.sqlite import SqliteDocumentStore
from domain.errors import CampaignNotFound
from projections.reads import ReadModel

POLL_SECONDS = 0.002


def main(path: Path, campaign_ids: list[str]) -> None:
    store = SqliteDocumentStore(path)
    reads = ReadModel(store, generation_cache_seconds=3_600)
    seen: dict[str, list[tuple[int, float]]] = {campaign_id: [] for campaign_id in campaign_ids}
    stop = threading.Event()

    def wait_for_stdin_to_close() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=wait_for_stdin_to_close, daemon=True).start()
    print("WATCHING", flush=True)
    while not stop.is_set():
        for campaign_id in campaign_ids:
            try:
                version = reads.campaign("default", campaign_id).version
            except CampaignNotFound:
                continue
            versions = seen[campaign_id]
            if not versions or version > versions[-1][0]:
                versions.append((version, time.monotonic()))
        time.sleep(POLL_SECONDS)
    store.close()
    print(json.dumps(seen), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
