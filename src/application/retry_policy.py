"""How a command survives a concurrent writer: reload, re-apply, append again.

Two writers on one campaign: the recorder lets one append and raises ``IntegrityError`` for the
other, which loses nothing by trying again from a fresh load (every command is re-decided from
the state it meets). Attempts are bounded; waits grow exponentially with full jitter so that
writers that collided do not collide again in step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from eventsourcing.persistence import IntegrityError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from domain.errors import WriteContention

T = TypeVar("T")


@dataclass(frozen=True)
class ConflictRetryPolicy:
    """At most ``max_attempts`` tries, waiting up to ``base`` * 2^n seconds (capped) between."""

    max_attempts: int = 8
    base: float = 0.003
    cap: float = 0.2

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def run(self, attempt: Callable[[], T]) -> T:
        """The result of the first attempt that is not beaten by a concurrent writer."""
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_random_exponential(multiplier=self.base, max=self.cap),
            retry=retry_if_exception_type(IntegrityError),
            reraise=True,
        )
        try:
            return retrying(attempt)
        except IntegrityError:
            raise WriteContention(
                f"concurrent writers won {self.max_attempts} times in a row; retry later",
                retry_after=1.0,
            ) from None
