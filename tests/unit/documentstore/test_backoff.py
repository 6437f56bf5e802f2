"""Retrying transient store faults: bounded, jittered, honouring the server's retry-after."""

from __future__ import annotations

import time

import pytest

from documentstore.backoff import RetryPolicy
from domain.errors import DocumentConflict, StoreThrottled, StoreUnavailable


class FailingThenSucceeding:
    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_a_throttled_call_waits_at_least_the_retry_after_then_succeeds() -> None:
    action = FailingThenSucceeding(StoreThrottled("429", retry_after=0.05))
    policy = RetryPolicy(attempts=3, initial_delay=0.001, max_delay=1.0)

    started = time.monotonic()
    assert policy.run(action, what="test") == "done"

    assert action.calls == 2
    assert time.monotonic() - started >= 0.05


def test_a_retry_after_longer_than_the_longest_wait_is_cut_to_it() -> None:
    action = FailingThenSucceeding(StoreThrottled("429", retry_after=30.0))
    policy = RetryPolicy(attempts=2, initial_delay=0.001, max_delay=0.02)

    started = time.monotonic()
    policy.run(action, what="test")

    assert time.monotonic() - started < 1.0


def test_unavailability_that_outlasts_the_attempts_surfaces_as_the_last_error() -> None:
    errors = [StoreUnavailable(f"503 #{n}") for n in range(3)]
    action = FailingThenSucceeding(*errors)

    with pytest.raises(StoreUnavailable) as surfaced:
        RetryPolicy(attempts=3, initial_delay=0.001, max_delay=0.002).run(action, what="test")

    assert surfaced.value is errors[-1]
    assert action.calls == 3


def test_a_non_transient_error_is_not_retried() -> None:
    action = FailingThenSucceeding(DocumentConflict("409"))

    with pytest.raises(DocumentConflict):
        RetryPolicy(attempts=5, initial_delay=0.001).run(action, what="test")

    assert action.calls == 1


def test_retrying_stops_once_the_time_budget_is_spent() -> None:
    action = FailingThenSucceeding(*[StoreThrottled("429", retry_after=0.05)] * 50)
    policy = RetryPolicy(attempts=50, initial_delay=0.001, max_delay=0.05, max_elapsed=0.2)

    with pytest.raises(StoreThrottled):
        policy.run(action, what="test")

    assert action.calls < 10


def test_a_first_attempt_that_succeeds_builds_no_retrier(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_retrier(*args: object, **kwargs: object) -> None:
        raise AssertionError("a retrier was built for a call that did not fail")

    monkeypatch.setattr("documentstore.backoff.Retrying", no_retrier)

    assert RetryPolicy().run(FailingThenSucceeding(), what="test") == "done"


def test_the_retries_after_a_first_failure_count_it_as_attempt_one() -> None:
    errors = [StoreUnavailable(f"503 #{n}") for n in range(5)]
    action = FailingThenSucceeding(*errors)

    with pytest.raises(StoreUnavailable) as surfaced:
        RetryPolicy(attempts=2, initial_delay=0.001, max_delay=0.002).run(action, what="test")

    assert action.calls == 2
    assert surfaced.value is errors[1]


def test_the_time_budget_counts_the_first_attempt() -> None:
    class SlowThenFailing:
        calls = 0

        def __call__(self) -> str:
            self.calls += 1
            time.sleep(0.15)
            raise StoreUnavailable("database is locked")

    action = SlowThenFailing()
    policy = RetryPolicy(attempts=10, initial_delay=0.001, max_delay=0.002, max_elapsed=0.1)

    with pytest.raises(StoreUnavailable):
        policy.run(action, what="test")

    assert action.calls == 1
