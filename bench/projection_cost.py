"""The live projection's rate on SQLite: a log of copies of one reviewed campaign
(``bench.event_log``, about 100 events each, one tenant) projected by the change-feed processor
in pages of 100 events, as the embedded service follows it. Prints events per second and the
view documents the log ends with per campaign.

Run it on two checkouts side by side (the same log size, one after the other, in a quiet
moment) to see what a projector change costs::

    python -m bench.projection_cost 20000
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bench.event_log import copy_campaigns, template_campaign
from documentstore.port import VIEWS
from documentstore.sqlite import SqliteDocumentStore
from projections.processor import ChangeFeedProcessor


def measure(events: int, directory: Path) -> tuple[int, float, int]:
    """``(events written, seconds to project them, view documents)``."""
    store = SqliteDocumentStore(directory / "projection-cost.sqlite3")
    store.initialise()
    try:
        written = copy_campaigns(store, template_campaign(), events)
        started = time.perf_counter()
        ChangeFeedProcessor(store, max_items=100).run_until_caught_up()
        seconds = time.perf_counter() - started
        documents = 0
        for feed_range in store.feed_ranges(VIEWS):
            documents += len(store.read_feed(VIEWS, feed_range, None, max_items=10**7).items)
        return written, seconds, documents
    finally:
        store.close()


def main(arguments: list[str]) -> None:
    events = int(arguments[0]) if arguments else 20_000
    with tempfile.TemporaryDirectory() as directory:
        written, seconds, documents = measure(events, Path(directory))
    campaigns = max(1, written // 100)
    print(
        f"{written} events projected in {seconds:.2f} s: {written / seconds:,.0f} events/s; "
        f"{documents / campaigns:.1f} view documents per campaign"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
