"""Writers of one campaign inside one process take turns instead of colliding.

Optimistic concurrency resolves writers in different processes (reload and retry), but among
the threads of one process it only wastes round trips and, under sustained load, starves the
writer that lost: a fresh command always finds the stream free before the loser's backoff ends.
So each attempt (load, decide, append) holds a lock for its campaign. The locks are striped (a
fixed array indexed by campaign id) so memory stays bounded; two campaigns that share a stripe
merely take turns too.
"""

from __future__ import annotations

import threading
from uuid import UUID

DEFAULT_STRIPES = 256


class CampaignLocks:
    """A bounded set of in-process locks, one stripe per campaign id."""

    def __init__(self, stripes: int = DEFAULT_STRIPES) -> None:
        if stripes < 1:
            raise ValueError("stripes must be at least 1")
        self._locks = [threading.Lock() for _ in range(stripes)]

    def of(self, campaign_id: UUID) -> threading.Lock:
        """The lock that writers of ``campaign_id`` in this process hold while they write."""
        return self._locks[campaign_id.int % len(self._locks)]
