"""Bounded, jittered retries of transient store faults, shared by the adapters.

An adapter first translates a foreign error into ``domain.errors``; this policy then retries the
two transient kinds, ``StoreThrottled`` (waiting at least the server's retry-after hint) and
``StoreUnavailable`` (exponential backoff with full jitter), and re-raises the last one when the
attempts or the time budget run out. Every other error passes through at once.

Each policy keeps a ``RetryTally`` of the retries it made, by reason (``throttled``,
``unavailable``): the adapters answer it as ``DocumentStore.transient_retries``, which the
composition root's telemetry exports as ``ledger_store_retries_total``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_any,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from domain.errors import StoreThrottled, StoreUnavailable

Result = TypeVar("Result")

log = logging.getLogger(__name__)


THROTTLED = "throttled"
UNAVAILABLE = "unavailable"


class RetryTally:
    """Thread-safe counts of the retries of transient faults, by reason."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, error: BaseException | None) -> None:
        reason = THROTTLED if isinstance(error, StoreThrottled) else UNAVAILABLE
        with self._lock:
            self._counts[reason] += 1

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


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
    tally: RetryTally = field(default_factory=RetryTally, compare=False, repr=False)
    """The retries this policy made (each one counted before its wait)."""

    def run(self, action: Callable[[], Result], *, what: str) -> Result:
        """Run ``action``, retrying transient faults; ``what`` names it in the log.

        The first attempt runs directly: the retrier is built only once it has failed
        transiently (most calls never do, and building one costs more than a point read).
        """
        started = time.monotonic()
        try:
            return action()
        except (StoreThrottled, StoreUnavailable) as error:
            first = error
        return self._retry(action, what=what, first=first, started=started)

    def _retry(
        self,
        action: Callable[[], Result],
        *,
        what: str,
        first: StoreThrottled | StoreUnavailable,
        started: float,
    ) -> Result:
        """The attempts after a first one that failed with ``first``: tenacity counts that
        one as its attempt 1 (so waits, limits and log lines are those of one retrier around
        every attempt) and measures the time budget from ``started``."""
        attempts = iter([first])

        def attempt() -> Result:
            earlier = next(attempts, None)
            if earlier is not None:
                raise earlier
            return action()

        def note_retry(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            self.tally.count(error)
            log.warning(
                "store %s: transient fault (%s), attempt %d of %d",
                what,
                error,
                state.attempt_number,
                self.attempts,
            )

        retrying = Retrying(
            retry=retry_if_exception_type((StoreThrottled, StoreUnavailable)),
            stop=stop_any(stop_after_attempt(self.attempts), _Spent(started + self.max_elapsed)),
            wait=self._delay,
            before_sleep=note_retry,
            reraise=True,
        )
        return retrying(attempt)

    def _delay(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, StoreThrottled):
            hint = max(error.retry_after, 0.0)
            return min(hint + random.uniform(0.0, 0.1 * hint + 0.001), self.max_delay)
        backoff = wait_random_exponential(multiplier=self.initial_delay, max=self.max_delay)
        return float(backoff(state))


class _Spent(stop_base):
    """Stops once the time budget, counted from before the first attempt, is spent."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        return time.monotonic() >= self.deadline
