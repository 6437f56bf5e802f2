"""The lock this process's SQLite writers take turns through, first come, first served."""

from __future__ import annotations

import threading
from collections import deque


class FairLock:
    """A lock its waiters get in the order they asked for it (a FIFO of hand-overs).

    ``release`` hands the lock straight to the longest waiter, so a thread that releases and
    asks again at once queues behind the others instead of overtaking them, and nobody spins.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self, timeout: float | None = None) -> bool:
        with self._guard:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            return True
        with self._guard:
            try:
                self._waiters.remove(turn)
            except ValueError:  # handed over while we gave up: ours after all
                return True
            return False

    def release(self) -> None:
        with self._guard:
            if not self._held:
                raise RuntimeError("release of an unheld FairLock")
            if self._waiters:
                self._waiters.popleft().release()  # the lock stays held, by the next waiter
            else:
                self._held = False
