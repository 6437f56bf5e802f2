"""The retry policy counts the transient faults it retried, by reason; the store answers the
count as ``transient_retries`` (what ``ledger_store_retries_total`` exports)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from documentstore.backoff import RetryPolicy
from documentstore.memory import InMemoryDocumentStore
from domain.errors import StoreThrottled, StoreUnavailable

QUICK = {"initial_delay": 0.0001, "max_delay": 0.0002}


def failing(*faults: Exception) -> Callable[[], str]:
    remaining = list(faults)

    def action() -> str:
        if remaining:
            raise remaining.pop(0)
        return "done"

    return action


def test_each_retry_is_counted_by_the_reason_of_the_fault_before_it() -> None:
    policy = RetryPolicy(attempts=5, **QUICK)
    action = failing(
        StoreThrottled("429", retry_after=0.0001),
        StoreUnavailable("503", retry_after=0.0001),
        StoreThrottled("429", retry_after=0.0001),
    )

    assert policy.run(action, what="read") == "done"
    assert policy.tally.as_dict() == {"throttled": 2, "unavailable": 1}


def test_the_last_attempt_is_not_a_retry_and_a_first_success_counts_nothing() -> None:
    policy = RetryPolicy(attempts=2, **QUICK)
    with pytest.raises(StoreUnavailable):
        policy.run(failing(*[StoreUnavailable("503", retry_after=0.0001)] * 3), what="batch")
    policy.run(failing(), what="batch")

    assert policy.tally.as_dict() == {"unavailable": 1}


def test_two_policies_count_apart_and_a_store_without_retries_reports_none() -> None:
    first, second = RetryPolicy(**QUICK), RetryPolicy(**QUICK)
    first.run(failing(StoreUnavailable("503", retry_after=0.0001)), what="read")

    assert second.tally.as_dict() == {}
    assert InMemoryDocumentStore().transient_retries() == {}
