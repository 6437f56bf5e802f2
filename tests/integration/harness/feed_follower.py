"""The change-feed processor as a process of its own, for the crash tests:
``python -m tests.integration.harness.feed_follower <sqlite file> [--pause-after N]``.

It follows the feed of the embedded store until it is caught up, then prints ``CAUGHT UP``.
With ``--pause-after N`` it stops dead right after its N-th write to ``views`` (the views of a
page partly written, the page's checkpoint not saved), prints ``PAUSED`` and waits to be
killed, so that a test can SIGKILL it in the middle of a batch."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from documentstore.port import VIEWS, Document, DocumentStore, Operation
from documentstore.sqlite import SqliteDocumentStore
from projections.processor import ChangeFeedProcessor
from tests.integration.store_decorator import DelegatingStore

PAGE_ITEMS = 40


class PausingStore(DelegatingStore):
    """A store frozen for good after the N-th batch written to ``views`` (each batch of an
    ``execute_batches`` call counts, as the port's default applies them one by one)."""

    def __init__(self, inner: DocumentStore, pause_after: int | None) -> None:
        super().__init__(inner)
        self.pause_after = pause_after
        self.view_writes = 0

    def execute_batch(
        self, container: str, partition_key: str, operations: Sequence[Operation]
    ) -> list[Document | None]:
        results = super().execute_batch(container, partition_key, operations)
        if container == VIEWS:
            self.view_writes += 1
            if self.view_writes == self.pause_after:
                print("PAUSED", flush=True)
                threading.Event().wait()
        return results


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("--pause-after", type=int, default=None)
    arguments = parser.parse_args(argv)
    store: DocumentStore = PausingStore(SqliteDocumentStore(arguments.path), arguments.pause_after)
    ChangeFeedProcessor(store, max_items=PAGE_ITEMS).run_until_caught_up()
    print("CAUGHT UP", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
