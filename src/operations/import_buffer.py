"""The writes an import has not sent yet, across campaigns: transactional batches of ``events``
(each within one campaign's partition) sent together with ``execute_batches`` when a campaign
is complete and ``flush_bytes`` of them wait, and at the end of the import.

On SQLite one ``execute_batches`` call is one transaction, so several small campaigns share a
commit (and its fsync) while each stays whole or absent: a campaign of up to ``flush_bytes``
is never split, since a send happens between campaigns, or within one only once twice
``flush_bytes`` wait (a campaign too large for one transaction, spread over several, its head
in the last). Memory holds at most about twice ``flush_bytes`` of documents.

A batch the store refuses (another writer got there first) stops that campaign only: the
batches of the campaigns after it are sent again. Each campaign is told once all its batches
are applied, or one refused (``CampaignWrite.on_settled``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from documentstore.port import EVENTS, DocumentStore, Operation
from domain.errors import OperationRefused

DEFAULT_FLUSH_BYTES = 4 * 1024 * 1024
"""Documents waiting to be written at most (as JSON): bounds the import's memory, and on
SQLite makes every campaign up to that size part of one transaction."""


@dataclass(eq=False)
class CampaignWrite:
    """One campaign's writes: how many documents are applied, how many batches wait, whether
    its last batch (the head) is in, and the store's refusal if one came."""

    partition: str
    written: int = 0
    waiting: int = 0
    complete: bool = False
    refused: OperationRefused | None = None
    on_settled: Callable[[CampaignWrite], None] | None = field(default=None, repr=False)
    settled: bool = False

    @property
    def done(self) -> bool:
        return self.refused is not None or (self.complete and self.waiting == 0)


class ImportBuffer:
    """Batches waiting to be written, in the order they were made (see the module docstring)."""

    def __init__(self, store: DocumentStore, *, flush_bytes: int = DEFAULT_FLUSH_BYTES) -> None:
        self._store = store
        self._flush_bytes = flush_bytes
        self._entries: list[tuple[CampaignWrite, list[Operation]]] = []
        self._bytes = 0

    def add(self, owner: CampaignWrite, operations: list[Operation], size: int) -> None:
        """One more batch of ``owner``'s partition (``size``: its bytes as the wire counts
        them). Dropped if ``owner`` was refused already."""
        if owner.refused is not None:
            return
        self._entries.append((owner, operations))
        owner.waiting += 1
        self._bytes += size
        if self._bytes >= 2 * self._flush_bytes:
            self.flush()

    def complete(self, owner: CampaignWrite, on_settled: Callable[[CampaignWrite], None]) -> None:
        """``owner``'s last batch is in: the waiting batches are sent if ``flush_bytes`` wait,
        and ``on_settled`` is called once all of ``owner``'s are applied (or one was refused),
        maybe at once."""
        owner.complete = True
        owner.on_settled = on_settled
        if self._bytes >= self._flush_bytes:
            self.flush()
        self._settle([owner])

    def drop(self, owner: CampaignWrite) -> None:
        """Forget ``owner``'s batches not sent yet (a campaign given up)."""
        kept = [
            (entry_owner, ops) for entry_owner, ops in self._entries if entry_owner is not owner
        ]
        self._entries = kept
        owner.waiting = 0

    def flush(self) -> None:
        """Send every waiting batch; raises what the store raised other than a refusal."""
        entries, self._entries, self._bytes = self._entries, [], 0
        owners = list(dict.fromkeys(owner for owner, _ in entries))
        while entries:
            result = self._store.execute_batches(
                EVENTS, [(owner.partition, operations) for owner, operations in entries]
            )
            for (owner, operations), _ in zip(entries, result.applied, strict=False):
                owner.written += len(operations)
                owner.waiting -= 1
            if result.error is None:
                break
            if not isinstance(result.error, OperationRefused):
                raise result.error
            failed = entries[len(result.applied)][0]
            failed.refused = result.error
            failed.waiting = 0
            entries = [
                (owner, operations)
                for owner, operations in entries[len(result.applied) + 1 :]
                if owner is not failed
            ]
        self._settle(owners)

    @staticmethod
    def _settle(owners: list[CampaignWrite]) -> None:
        for owner in owners:
            if owner.done and not owner.settled and owner.on_settled is not None:
                owner.settled = True
                owner.on_settled(owner)
