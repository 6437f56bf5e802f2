"""The head document last seen per stream, and the library snapshot a head holds, so that a
command that loads a stream and then appends to it reads the head once."""

from __future__ import annotations

import threading
from collections import OrderedDict

from eventsourcing.persistence import StoredEvent

from documentstore.port import Document


class HeadCache:
    """The head document last seen per stream (or that the stream had none), bounded LRU, and
    the library snapshot that head holds, keyed by its etag.

    Only a hint: an append uses a cached head when its version is the one the append follows,
    and the batch's ``if_match`` catches a stale one. A cached snapshot is used only for the
    very head (same etag) it came with: the bytes the library gave, which the head's document
    gives back exactly, without encoding them again. Snapshots are kept for at most
    ``snapshot_bytes`` bytes in all (least recently seen first out).
    """

    _ABSENT: Document = {}

    def __init__(self, capacity: int = 10_000, snapshot_bytes: int = 64 * 1024 * 1024) -> None:
        self._capacity = capacity
        self._heads: OrderedDict[str, Document] = OrderedDict()
        self._snapshot_bytes = snapshot_bytes
        self._snapshots: OrderedDict[str, tuple[str, StoredEvent]] = OrderedDict()
        self._snapshot_total = 0
        self._lock = threading.Lock()

    def remember(
        self, partition: str, head: Document | None, *, snapshot: StoredEvent | None = None
    ) -> None:
        """The stream's head as just seen; ``snapshot``: the stored snapshot it holds."""
        etag = None if head is None else head.get("_etag")
        with self._lock:
            self._heads[partition] = self._ABSENT if head is None else head
            self._heads.move_to_end(partition)
            while len(self._heads) > self._capacity:
                evicted, _ = self._heads.popitem(last=False)
                self._drop_snapshot(evicted)
            kept = self._snapshots.get(partition)
            if snapshot is not None and isinstance(etag, str):
                self._drop_snapshot(partition)
                if len(snapshot.state) <= self._snapshot_bytes:
                    self._snapshots[partition] = (etag, snapshot)
                    self._snapshot_total += len(snapshot.state)
                    while self._snapshot_total > self._snapshot_bytes:
                        self._drop_snapshot(next(iter(self._snapshots)))
            elif kept is not None and kept[0] != etag:
                self._drop_snapshot(partition)
            elif kept is not None:
                self._snapshots.move_to_end(partition)

    def forget(self, partition: str) -> None:
        with self._lock:
            self._heads.pop(partition, None)
            self._drop_snapshot(partition)

    def known(self, partition: str) -> tuple[bool, Document | None]:
        """``(True, head or None)`` when the stream's head was seen, else ``(False, None)``."""
        with self._lock:
            head = self._heads.get(partition)
        if head is None:
            return False, None
        return True, (None if head is self._ABSENT else head)

    def snapshot(self, partition: str, etag: object) -> StoredEvent | None:
        """The stored snapshot of the head with ``etag``, when that head's was cached."""
        with self._lock:
            kept = self._snapshots.get(partition)
        return kept[1] if kept is not None and kept[0] == etag else None

    def _drop_snapshot(self, partition: str) -> None:
        kept = self._snapshots.pop(partition, None)
        if kept is not None:
            self._snapshot_total -= len(kept[1].state)
