"""Read-your-writes without holding a thread: the wait of a read with ``?minVersion=N``.

The wait is a coroutine: between two looks at the projection it sleeps on the event loop, and
each look is one point read of the campaign's snapshot in a worker thread of a small pool of its
own (``POLLING_THREADS``), so a few hundred waiting reads hold no thread that commands need.
Looks start at once and back off (``FIRST_POLL_SECONDS`` growing to ``MAX_POLL_SECONDS``):
a projection that is a few milliseconds behind is seen soon, a wait that lasts costs a few
reads a second.

A campaign of another tenant (or a deleted one) is waited for exactly like one that does not
exist: the look asks whether the *caller's* campaign has reached N, which is never true for
either, so both wait the whole timeout on the same schedule of looks and are then answered
404 alike. Whether another tenant's campaign exists, and how far it is, does not show in the
time taken.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from api.ports import CampaignReads
from api.thread_slots import ThreadSlots

FIRST_POLL_SECONDS = 0.01
MAX_POLL_SECONDS = 0.5
POLL_GROWTH = 1.5
POLLING_THREADS = 4

_polling_threads = ThreadSlots(POLLING_THREADS)


@dataclass(frozen=True)
class VersionWait:
    """Waits up to ``timeout`` seconds for a campaign's projection to reach a version."""

    reads: CampaignReads
    timeout: float
    first_poll: float = FIRST_POLL_SECONDS
    max_poll: float = MAX_POLL_SECONDS

    async def reached(self, tenant_id: str, campaign_id: str, min_version: int) -> bool:
        """True once the caller's campaign shows ``min_version``; False after ``timeout``
        (always, for a campaign the caller may not see)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        interval = self.first_poll
        while True:
            if await _polling_threads.run(
                self.reads.has_reached, tenant_id, campaign_id, min_version
            ):
                return True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            await asyncio.sleep(min(interval, remaining))
            interval = min(interval * POLL_GROWTH, self.max_poll)
