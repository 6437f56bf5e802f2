"""Writers of one campaign take turns instead of colliding.

Optimistic concurrency resolves writers in different processes (reload and retry), but among
the threads of one process it only wastes round trips and, under sustained load, starves the
writer that lost: a fresh command always finds the stream free before the loser's backoff ends.
So each attempt (load, decide, append) holds a lock for its campaign. The locks are striped (a
fixed array indexed by campaign id) so memory stays bounded; two campaigns that share a stripe
merely take turns too.

Processes that share one store on one machine (the workers of ``campaigns serve --workers N``)
take turns the same way when given ``shared`` stripe locks (the composition root's: one byte of
a lock file per stripe): a writer holds its stripe in this process, then across processes.
Writers elsewhere (other machines) still meet as conflicts, retried as ever.

A writer may end its turn in this process before its append is committed (``CampaignTurn.
end_here``: once the append is queued, the campaign's next command here may be decided on it,
``eventstore.pending_writes``). The stripe across processes stays with this process until each of
its writers' turns has ended, since only this process sees what it has queued.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import Protocol
from uuid import UUID

DEFAULT_STRIPES = 256


class StripeLocks(Protocol):
    """Locks shared by processes, one per stripe number; a thread takes one while it holds
    the stripe's lock in its own process."""

    def acquire(self, stripe: int) -> None: ...

    def release(self, stripe: int) -> None: ...


class CampaignLocks:
    """A bounded set of locks, one stripe per campaign id (see the module docstring)."""

    def __init__(self, stripes: int = DEFAULT_STRIPES, *, shared: StripeLocks | None = None):
        if stripes < 1:
            raise ValueError("stripes must be at least 1")
        self._locks = [threading.Lock() for _ in range(stripes)]
        self._shared = None if shared is None else _CountedStripes(shared)

    def of(self, campaign_id: UUID) -> AbstractContextManager[object]:
        """What writers of ``campaign_id`` hold while they write (entered once per attempt):
        its stripe's lock in this process, and across processes too when the locks are
        shared."""
        stripe = campaign_id.int % len(self._locks)
        if self._shared is None:
            return self._locks[stripe]
        return _BothStripes(self._locks[stripe], self._shared, stripe)

    def turn(self, campaign_id: UUID) -> CampaignTurn:
        """What ``of`` gives, as a turn its holder may end early in this process
        (``CampaignTurn.end_here``)."""
        stripe = campaign_id.int % len(self._locks)
        return CampaignTurn(self._locks[stripe], self._shared, stripe)


class _CountedStripes:
    """Shared stripes held by this process while any of its turns on a stripe lasts: POSIX
    record locks belong to the process, so the first turn takes the stripe and the last one
    to end gives it back. A turn starts holding the stripe's in-process lock, so no other
    turn of the stripe starts meanwhile (the count leaves zero only there)."""

    def __init__(self, shared: StripeLocks) -> None:
        self._shared = shared
        self._guard = threading.Lock()
        self._turns: dict[int, int] = {}

    def acquire(self, stripe: int) -> None:
        with self._guard:
            if self._turns.get(stripe, 0):
                self._turns[stripe] += 1
                return
        self._shared.acquire(stripe)  # no turn of this stripe is left here: wait for it
        with self._guard:
            self._turns[stripe] = self._turns.get(stripe, 0) + 1

    def release(self, stripe: int) -> None:
        with self._guard:
            left = self._turns[stripe] - 1
            if left:
                self._turns[stripe] = left
                return
            del self._turns[stripe]
            self._shared.release(stripe)


class CampaignTurn:
    """A writer's turn on a campaign's stripe: this process's lock of the stripe, then (when
    shared) the stripe across processes. ``end_here`` lets this process's next writer of the
    stripe go before the block ends; writers of other processes wait for the block's end."""

    def __init__(self, here: threading.Lock, shared: StripeLocks | None, stripe: int) -> None:
        self._here = here
        self._shared = shared
        self._stripe = stripe
        self._holds_here = False

    def __enter__(self) -> CampaignTurn:
        self._here.acquire()
        self._holds_here = True
        if self._shared is not None:
            try:
                self._shared.acquire(self._stripe)
            except BaseException:
                self.end_here()
                raise
        return self

    def end_here(self) -> None:
        """Let this process's next writer of the stripe go (once; later calls do nothing)."""
        if self._holds_here:
            self._holds_here = False
            self._here.release()

    def __exit__(self, *_: object) -> None:
        try:
            if self._shared is not None:
                self._shared.release(self._stripe)
        finally:
            self.end_here()


class _BothStripes:
    """A stripe's lock in this process, then the same stripe across processes; reusable."""

    def __init__(self, here: threading.Lock, shared: StripeLocks, stripe: int) -> None:
        self._here = here
        self._shared = shared
        self._stripe = stripe

    def __enter__(self) -> _BothStripes:
        self._here.acquire()
        try:
            self._shared.acquire(self._stripe)
        except BaseException:
            self._here.release()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self._shared.release(self._stripe)
        finally:
            self._here.release()
