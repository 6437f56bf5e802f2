"""A bounded number of worker threads for one kind of blocking work, per event loop.

Commands and reads run in the threadpool FastAPI shares (anyio's default limiter). Work that a
client can ask for in bulk (parsing large bodies, polling a projection for ``minVersion``) takes
its threads from a small pool of its own instead, so that a flood of it waits for itself and
never for the threads commands need.
"""

from __future__ import annotations

import weakref
from asyncio import AbstractEventLoop, get_running_loop
from collections.abc import Callable
from typing import TypeVar, TypeVarTuple

import anyio
import anyio.to_thread

Result = TypeVar("Result")
Arguments = TypeVarTuple("Arguments")


class ThreadSlots:
    """At most ``size`` threads at a time for the work handed to ``run``."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._limiters: weakref.WeakKeyDictionary[AbstractEventLoop, anyio.CapacityLimiter] = (
            weakref.WeakKeyDictionary()
        )

    def _limiter(self) -> anyio.CapacityLimiter:
        """The limiter of the running loop (a limiter belongs to one loop)."""
        loop = get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = anyio.CapacityLimiter(self.size)
        return limiter

    async def run(self, function: Callable[[*Arguments], Result], *arguments: *Arguments) -> Result:
        """``function(*arguments)`` in a worker thread, once one of the slots is free."""
        return await anyio.to_thread.run_sync(function, *arguments, limiter=self._limiter())
