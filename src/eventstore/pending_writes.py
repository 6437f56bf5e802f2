"""The documents this process's appends have queued for a commit and not yet seen settled.

With a store that commits batches in groups (SQLite), an append learns what its batch will
write, etags included, as soon as the batch has its place in the commit queue
(``documentstore.port.batch_queued``). The campaign's next command may then be decided before
that commit: its load reads the head and entity states through these pending documents
(``overlaid``), and its own batch, queued after, is checked against their etags. Nothing here is
shown to a reader: only a command's load looks, and no command is answered before its own
commit, or before the pending batches it read settle (``PendingReads.committed``). A queued
batch that fails makes every batch decided on it fail its etag checks in turn; those commands
are decided again from the store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from contextvars import Token
from typing import Any

from documentstore.port import BatchQueued, Document, batch_queued


class QueuedBatch:
    """What one queued append will write, by document id, and whether it was committed."""

    def __init__(self, written: Sequence[Document | None]) -> None:
        self.documents = {str(document["id"]): document for document in written if document}
        self._settled = threading.Event()
        self._committed = False

    def settle(self, *, committed: bool) -> None:
        self._committed = committed
        self._settled.set()

    def committed(self) -> bool:
        """Wait until the batch is committed or has failed; whether it was committed."""
        self._settled.wait()
        return self._committed


class PendingReads:
    """The queued batches a load took documents from (none: it read the store alone)."""

    def __init__(self, batches: Iterable[QueuedBatch] = ()) -> None:
        self._batches = list(batches)

    def committed(self) -> bool:
        """Wait until each of those batches has settled; whether every one was committed (a
        decision made on them stands only then)."""
        return all([batch.committed() for batch in self._batches])


class PendingWrites:
    """Per stream, the batches queued and not yet settled, in queue order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[str, list[QueuedBatch]] = {}

    def hold(self, stream: str, batch: QueuedBatch) -> None:
        """``batch`` is queued for ``stream``, after every batch held before it."""
        with self._lock:
            self._streams.setdefault(stream, []).append(batch)

    def release(self, stream: str, batch: QueuedBatch, *, committed: bool) -> None:
        """``batch`` settled: forget it, then tell those waiting on it."""
        with self._lock:
            held = [other for other in self._streams.get(stream, ()) if other is not batch]
            if held:
                self._streams[stream] = held
            else:
                self._streams.pop(stream, None)
        batch.settle(committed=committed)

    def held(self, stream: str) -> list[QueuedBatch]:
        """The batches held for ``stream`` now, in queue order: take them before reading the
        store, so that a batch committed (and released) meanwhile is in one or the other."""
        with self._lock:
            return list(self._streams.get(stream, ()))

    def appending(self, stream: str, on_queued: Callable[[], None] | None) -> Appending:
        """What an append to ``stream`` runs its batch in (``Appending``)."""
        return Appending(self, stream, on_queued)

    def head_at(self, stream: str, head_id: str, version: int) -> Document | None:
        """The head a held batch will write at ``version``, if one does."""
        for batch in reversed(self.held(stream)):
            head = batch.documents.get(head_id)
            if head is not None and _version(head) == version:
                return head
        return None


class Appending:
    """One append's batch, told to the store as a writer that wants to know when it is queued:
    it is then held (and ``on_queued`` called: the campaign's next command may go), and released
    when the block ends, as committed if the appender set ``committed``."""

    def __init__(
        self, writes: PendingWrites, stream: str, on_queued: Callable[[], None] | None
    ) -> None:
        self._writes = writes
        self._stream = stream
        self._on_queued = on_queued
        self._batch: QueuedBatch | None = None
        self._token: Token[BatchQueued | None] | None = None
        self.committed = False

    def __enter__(self) -> Appending:
        self._token = batch_queued.set(self._queued)
        return self

    def _queued(self, written: list[Document | None]) -> None:
        if self._batch is not None:
            return
        self._batch = QueuedBatch(written)
        self._writes.hold(self._stream, self._batch)
        if self._on_queued is not None:
            self._on_queued()

    def __exit__(self, *_: Any) -> None:
        if self._token is not None:
            batch_queued.reset(self._token)
        if self._batch is not None:
            self._writes.release(self._stream, self._batch, committed=self.committed)


def overlaid(
    found: list[Document], held: Sequence[QueuedBatch], ids: Sequence[str]
) -> tuple[list[Document], PendingReads]:
    """``found`` (what the store answered for ``ids``) with a held document of one of those ids
    in its place where it is newer (written at a later stream ``version``: a held batch may be
    committed already, and the store's copy is then as new), and the batches those came from."""
    merged = {str(document["id"]): document for document in found}
    source: dict[str, QueuedBatch] = {}
    for batch in held:
        for document_id in ids:
            pending = batch.documents.get(document_id)
            if pending is None:
                continue
            stored = merged.get(document_id)
            if stored is None or _version(pending) > _version(stored):
                merged[document_id] = pending
                source[document_id] = batch
    used = {id(batch): batch for batch in source.values()}
    return list(merged.values()), PendingReads(used.values())


def _version(document: Document) -> int:
    """The stream version an append wrote a head or entity state at."""
    return int(document.get("version") or 0)
