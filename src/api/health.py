"""``GET /api/health`` reports the store's state, not only that the process answers.

The route answers 200 only when the store answered a point read (``CampaignReads.check_store``)
in the last ``FRESH_SECONDS``, else it asks it now, in a worker thread of its own, for at most
``PROBE_SECONDS``. A store that fails or does not answer in time gives 503 ``store-unavailable``
with ``Retry-After`` (the same detail whatever the cause: internals stay in the log). Concurrent
health requests share one probe, so polling the route cannot load the store.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from asyncio import AbstractEventLoop

import anyio

from api.ports import CampaignReads
from api.thread_slots import ThreadSlots
from domain.errors import LedgerError, StoreUnavailable

PROBE_SECONDS = 2.0
FRESH_SECONDS = 1.0

logger = logging.getLogger(__name__)
_probing_thread = ThreadSlots(1)


class StoreProbe:
    """Whether the store answers, asked at most once per ``FRESH_SECONDS`` per event loop."""

    def __init__(self) -> None:
        self._answered_at = float("-inf")
        self._locks: weakref.WeakKeyDictionary[AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def ensure_answering(self, reads: CampaignReads) -> None:
        """Return when the store answered lately; ``StoreUnavailable`` otherwise."""
        async with self._lock():
            if time.monotonic() - self._answered_at < FRESH_SECONDS:
                return
            failure: str | None = "no answer in time"
            with anyio.move_on_after(PROBE_SECONDS):
                try:
                    await _probing_thread.run(reads.check_store)
                    failure = None
                except LedgerError as error:
                    failure = f"{error.code}: {error.detail}"
            if failure is not None:
                logger.warning("health: the store failed its probe (%s)", failure)
                raise StoreUnavailable("The store does not answer.", retry_after=1.0)
            self._answered_at = time.monotonic()
