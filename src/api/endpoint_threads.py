"""The threads that run the command endpoints, handed work with as little as it takes.

A plain (``def``) endpoint blocks (its campaign's turn, the store's commit), so it runs in a
worker thread. FastAPI sends it through anyio's ``to_thread``: a capacity limiter, a cancel
scope, a queue with its condition variable, run-variable look-ups, per command; about a tenth
of an HTTP worker's CPU under load went to that hand-off (docs/performance.md, "Fourth session:
CPU per HTTP command"). ``EndpointThreads`` does what the command routes need of it and no
more: the call goes on a ``SimpleQueue`` to an idle thread (a new one while fewer than
``size`` run), runs in a copy of the caller's context (as anyio's, so the request's trace
context reaches the command), and its outcome comes back to the loop as a future's result.

As with anyio's default (``abandon_on_cancel=False``), a call once handed over runs to its end
even when the awaiting task is cancelled; the task then ends cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

Result = TypeVar("Result")

COMMAND_THREADS = 40
"""As many as anyio's default limiter lends FastAPI's threadpool, which the reads keep."""

_Work = tuple[
    asyncio.AbstractEventLoop, "asyncio.Future[Any]", contextvars.Context, Callable[..., Any]
]


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class EndpointThreads:
    """At most ``size`` threads, started when needed and kept, for the calls given to
    ``run``."""

    def __init__(self, size: int = COMMAND_THREADS, name: str = "endpoint") -> None:
        self.size = size
        self._name = name
        self._work: queue.SimpleQueue[_Work] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._started = 0

    async def run(self, function: Callable[[], Result]) -> Result:
        """``function()`` in one of the threads, in a copy of the current context."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        with self._lock:  # ``_idle``: threads waiting for work less work waiting for a thread
            start = self._idle <= 0 and self._started < self.size
            if start:
                self._started += 1
            else:
                self._idle -= 1
        self._work.put((loop, future, contextvars.copy_context(), function))
        if start:
            threading.Thread(
                target=self._serve, name=f"{self._name}-{self._started}", daemon=True
            ).start()
        return await future

    def _serve(self) -> None:
        work = self._work
        while True:
            loop, future, context, function = work.get()
            try:
                result, error = context.run(function), None
            except BaseException as raised:  # handed back to the awaiting task
                result, error = None, raised
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody awaits the outcome
                loop.call_soon_threadsafe(_settle, future, result, error)
            del future, result, error, function, context
            with self._lock:
                self._idle += 1
