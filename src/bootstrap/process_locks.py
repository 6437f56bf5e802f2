"""Stripe locks shared by the processes of one machine: one byte of a lock file per stripe,
locked with ``fcntl.lockf`` (the kernel hands a released byte to the next waiter; a process
that dies releases its bytes). The campaign locks of ``campaigns serve --workers N`` use them.

POSIX record locks belong to the process, not the thread, so a stripe must be taken by one
thread of this process at a time: the caller holds the stripe's in-process lock
(``application.campaign_locks.CampaignLocks``) around ``acquire`` and ``release``.
"""

from __future__ import annotations

import fcntl
import os
import weakref
from pathlib import Path


class FileStripeLocks:
    """``StripeLocks`` on one lock file (created with its directory if missing)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self._closing = weakref.finalize(self, os.close, self._file)

    def acquire(self, stripe: int) -> None:
        """Wait until no other process holds ``stripe``, then hold it."""
        fcntl.lockf(self._file, fcntl.LOCK_EX, 1, stripe)

    def release(self, stripe: int) -> None:
        fcntl.lockf(self._file, fcntl.LOCK_UN, 1, stripe)

    def close(self) -> None:
        """Close the file now rather than when this object is collected."""
        self._closing()
