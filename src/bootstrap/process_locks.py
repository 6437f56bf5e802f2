"""Stripe locks shared by the processes of one machine: one byte of a lock file per stripe,
locked with ``fcntl.lockf`` (the kernel hands a released byte to the next waiter; a process
that dies releases its bytes). The campaign locks of ``campaigns serve --workers N`` use them.

POSIX record locks belong to the process, not the thread: the byte of a stripe is locked while
any thread of this process holds the stripe (a count per stripe), and unlocked when the last one
gives it back. A thread takes it while holding the stripe's in-process lock
(``application.campaign_locks.CampaignLocks``).
"""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from pathlib import Path


class FileStripeLocks:
    """``StripeLocks`` on one lock file (created with its directory if missing)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self._closing = weakref.finalize(self, os.close, self._file)
        self._holders: dict[int, int] = {}
        self._guard = threading.Lock()

    def acquire(self, stripe: int) -> None:
        """Hold ``stripe`` for this process (its in-process lock held by the caller, so no
        other thread of this process is acquiring it meanwhile)."""
        with self._guard:
            if stripe in self._holders:  # the byte is this process's until the count is 0
                self._holders[stripe] += 1
                return
        fcntl.lockf(self._file, fcntl.LOCK_EX, 1, stripe)
        with self._guard:
            self._holders[stripe] = self._holders.get(stripe, 0) + 1

    def release(self, stripe: int) -> None:
        with self._guard:
            left = self._holders[stripe] - 1
            if left:
                self._holders[stripe] = left
                return
            del self._holders[stripe]
            fcntl.lockf(self._file, fcntl.LOCK_UN, 1, stripe)

    def close(self) -> None:
        """Close the file now rather than when this object is collected."""
        self._closing()
