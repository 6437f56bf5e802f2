"""A fault-injecting decorator of the document-store port, for the embedded store.

It refuses about ``rate`` of the calls it passes on, the way an adapter reports transient
faults once it has translated them: ``StoreThrottled`` with a retry-after (a 429),
``StoreUnavailable`` (a 503), or, for "timeout after the write was sent", the call is applied
by the inner store and *then* ``StoreUnavailable`` is raised, so the caller never learns the
outcome. Like an adapter, it retries those faults with a ``RetryPolicy`` around each call
(a retried batch then meets its own earlier write: a 409 or 412, exactly as on Cosmos DB);
faults that outlast the retries surface to the caller.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from enum import Enum

from documentstore.backoff import RetryPolicy
from documentstore.port import DocumentStore
from domain.errors import StoreThrottled, StoreUnavailable
from tests.integration.store_decorator import DelegatingStore, Result


class Fault(Enum):
    THROTTLED = "429 with retry-after"
    UNAVAILABLE = "503"
    TIMEOUT_AFTER_SEND = "timeout after the call was applied"


class FaultInjectingStore(DelegatingStore):
    """Passes calls to ``inner``, refusing about ``rate`` of them (see the module docstring)."""

    def __init__(
        self,
        inner: DocumentStore,
        *,
        rate: float = 0.2,
        seed: int = 7,
        retry: RetryPolicy | None = None,
        faults: Sequence[Fault] = tuple(Fault),
    ) -> None:
        super().__init__(inner)
        self.rate = rate
        self.retry = retry or RetryPolicy(attempts=3, initial_delay=0.001, max_delay=0.005)
        self.injected: Counter[Fault] = Counter()
        self.calls = 0
        self._faults = list(faults)
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def _pass(self, name: str, call: Callable[[], Result]) -> Result:
        if name == "feed_ranges":  # metadata, not a call the harness exercises
            return call()
        what = name.replace("_", " ")

        def attempt() -> Result:
            fault = self._next_fault()
            if fault is Fault.THROTTLED:
                raise StoreThrottled(f"{what}: injected 429", retry_after=0.002)
            if fault is Fault.UNAVAILABLE:
                raise StoreUnavailable(f"{what}: injected 503", retry_after=0.002)
            result = call()
            if fault is Fault.TIMEOUT_AFTER_SEND:
                raise StoreUnavailable(f"{what}: injected timeout after sending", retry_after=0.002)
            return result

        return self.retry.run(attempt, what=what)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            self.calls += 1
            if self._random.random() >= self.rate:
                return None
            fault = self._random.choice(self._faults)
            self.injected[fault] += 1
            return fault
