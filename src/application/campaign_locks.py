"""Writers of one campaign take turns instead of colliding.

Optimistic concurrency resolves writers in different processes (reload and retry), but among
the threads of one process it only wastes round trips and, under sustained load, starves the
writer that lost: a fresh command always finds the stream free before the loser's backoff ends.
So each attempt (load, decide, append) holds a lock for its campaign. The locks are striped (a
fixed array indexed by campaign id) so memory stays bounded; two campaigns that share a stripe
merely take turns too.

Processes that share one store on one machine (the workers of ``campaigns serve --workers N``)
may take turns the same way: given ``shared`` stripe locks (the composition root's, one byte
of a lock file per stripe), a writer holds its stripe in this process and then across
processes. Writers elsewhere (other machines) still meet as conflicts, retried as ever.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol
from uuid import UUID

DEFAULT_STRIPES = 256


class StripeLocks(Protocol):
    """Locks shared by processes, one per stripe number, held by a process as long as any of
    its threads holds it (a thread takes it while holding the stripe's in-process lock, and
    may give that lock up before it gives the shared one back)."""

    def acquire(self, stripe: int) -> None: ...

    def release(self, stripe: int) -> None: ...


class CampaignLocks:
    """A bounded set of locks, one stripe per campaign id (see the module docstring)."""

    def __init__(self, stripes: int = DEFAULT_STRIPES, *, shared: StripeLocks | None = None):
        if stripes < 1:
            raise ValueError("stripes must be at least 1")
        self._locks = [threading.Lock() for _ in range(stripes)]
        self._shared = shared

    def of(self, campaign_id: UUID) -> AbstractContextManager[object]:
        """What writers of ``campaign_id`` hold while they write: its stripe's lock in this
        process, and across processes too when the locks are shared."""
        stripe = campaign_id.int % len(self._locks)
        if self._shared is None:
            return self._locks[stripe]
        return self._both(stripe, self._shared)

    def turn(self, campaign_id: UUID) -> CampaignTurn:
        """What ``of`` gives, as a turn its holder may end early in this process
        (``CampaignTurn.end_here``): once a command's append is queued for its commit, the
        campaign's next command in this process may go."""
        stripe = campaign_id.int % len(self._locks)
        return CampaignTurn(self._locks[stripe], self._shared, stripe)

    @contextmanager
    def _both(self, stripe: int, shared: StripeLocks) -> Iterator[None]:
        with self._locks[stripe]:
            shared.acquire(stripe)
            try:
                yield
            finally:
                shared.release(stripe)


class CampaignTurn:
    """A writer's turn on a campaign's stripe: this process's lock of the stripe, then (when
    the locks are shared) the stripe across processes. ``end_here`` ends the turn in this
    process only, before the block does: the next writer of this process may decide, while
    writers of other processes still wait until this one's append is committed (the block's
    end), since only this process can see what it has queued."""

    def __init__(self, lock: threading.Lock, shared: StripeLocks | None, stripe: int) -> None:
        self._lock = lock
        self._shared = shared
        self._stripe = stripe
        self._here = False
        self._across = False

    def __enter__(self) -> CampaignTurn:
        self._lock.acquire()
        self._here = True
        if self._shared is not None:
            try:
                self._shared.acquire(self._stripe)
            except BaseException:
                self.end_here()
                raise
            self._across = True
        return self

    def end_here(self) -> None:
        """Let this process's next writer of the campaign go (at most once)."""
        if self._here:
            self._here = False
            self._lock.release()

    def __exit__(self, *_: object) -> None:
        try:
            if self._across and self._shared is not None:
                self._across = False
                self._shared.release(self._stripe)
        finally:
            self.end_here()
