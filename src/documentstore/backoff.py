"""Bounded, jittered retries of transient store faults, shared by the adapters.

An adapter first translates a foreign error into ``domain.errors``; this policy then retries the
two transient kinds, ``StoreThrottled`` (waiting at least the server's retry-after hint) and
``StoreUnavailable`` (exponential backoff with full jitter), and re-raises the last one when the
attempts or the time budget run out. Every other error passes through at once.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from domain.errors import StoreThrottled, StoreUnavailable

Result = TypeVar("Result")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a transient fault is retried before it surfaces.

    ``attempts`` counts every try (the first included); ``initial_delay`` is the scale of the
    exponential backoff, ``max_delay`` caps one wait (a longer retry-after hint is cut to it) and
    ``max_elapsed`` stops retrying once that many seconds have passed since the first try.
    """

    attempts: int = 6
    initial_delay: float = 0.1
    max_delay: float = 5.0
    max_elapsed: float = 20.0

    def run(self, action: Callable[[], Result], *, what: str) -> Result:
        """Run ``action``, retrying transient faults; ``what`` names it in the log."""

        def note_retry(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            log.warning(
                "store %s: transient fault (%s), attempt %d of %d",
                what,
                error,
                state.attempt_number,
                self.attempts,
            )

        retrying = Retrying(
            retry=retry_if_exception_type((StoreThrottled, StoreUnavailable)),
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.max_elapsed),
            wait=self._delay,
            before_sleep=note_retry,
            reraise=True,
        )
        return retrying(action)

    def _delay(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, StoreThrottled):
            hint = max(error.retry_after, 0.0)
            return min(hint + random.uniform(0.0, 0.1 * hint + 0.001), self.max_delay)
        backoff = wait_random_exponential(multiplier=self.initial_delay, max=self.max_delay)
        return float(backoff(state))


NO_RETRIES = RetryPolicy(attempts=1)
"""For tests and tools that want every fault surfaced at once."""
