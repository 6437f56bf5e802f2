"""The documents this process's appends have queued for a commit and not yet seen committed.

With a store that commits batches in groups (SQLite), an append learns what its batch will
write as soon as the batch has its place in the commit queue (``documentstore.port.
batch_queued``). The service then lets the campaign's next command go ahead before that commit:
its load reads the stream's head and entity states through these pending documents, so it
decides on the state the queued batch leaves and its own batch (queued after) is checked
against it. Nothing here is ever shown to a reader: only the command path loads through it, and
no command is answered before its own commit. A queued batch that fails leaves the commands
decided on it failing their etag checks in turn; they are decided again from the store.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from documentstore.port import Document


class PendingWrites:
    """Per stream, the documents of each queued batch in queue order (module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[str, list[tuple[object, dict[str, Document]]]] = {}

    def hold(self, stream: str, batch: object, written: Sequence[Document | None]) -> None:
        """What ``batch`` will write to ``stream``, after every batch held before it."""
        documents = {str(document["id"]): document for document in written if document}
        with self._lock:
            self._streams.setdefault(stream, []).append((batch, documents))

    def release(self, stream: str, batch: object) -> bool:
        """Forget ``batch`` (committed, or failed); whether a later batch is still held."""
        with self._lock:
            held = self._streams.get(stream, [])
            remaining = [entry for entry in held if entry[0] is not batch]
            if remaining:
                self._streams[stream] = remaining
            else:
                self._streams.pop(stream, None)
            return bool(remaining)

    def held(self, stream: str) -> list[dict[str, Document]]:
        """The documents of the batches held for ``stream`` now, in queue order: take them
        before reading the store, so that a batch committed (and released) meanwhile is in
        one or the other."""
        with self._lock:
            return [documents for _, documents in self._streams.get(stream, ())]


def overlaid(
    found: list[Document], held: list[dict[str, Document]], ids: Sequence[str]
) -> list[Document]:
    """``found`` (what the store answered for ``ids``) with a held document of one of those
    ids in its place where it is newer: written at a later stream ``version`` (a held batch
    may be committed already, and others after it: the store's copy is then as new or
    newer)."""
    if not held:
        return found
    merged = {str(document["id"]): document for document in found}
    for documents in held:
        for document_id in ids:
            pending = documents.get(document_id)
            if pending is None:
                continue
            stored = merged.get(document_id)
            if stored is None or _version(pending) > _version(stored):
                merged[document_id] = pending
    return list(merged.values())


def _version(document: Document) -> int:
    """The stream version an append wrote a head or entity state at."""
    return int(document.get("version") or 0)
