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
        self._shared = shared

    def of(self, campaign_id: UUID) -> AbstractContextManager[object]:
        """What writers of ``campaign_id`` hold while they write (entered once per attempt):
        its stripe's lock in this process, and across processes too when the locks are
        shared."""
        stripe = campaign_id.int % len(self._locks)
        if self._shared is None:
            return self._locks[stripe]
        return _BothStripes(self._locks[stripe], self._shared, stripe)


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
