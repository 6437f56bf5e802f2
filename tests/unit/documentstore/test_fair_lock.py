"""The SQLite store's writers of one process take turns, first come first served."""

from __future__ import annotations

import threading
import time

import pytest

from documentstore.sqlite import FairLock


def test_waiters_get_the_lock_in_the_order_they_asked_for_it() -> None:
    lock = FairLock()
    assert lock.acquire()
    order: list[int] = []
    queued = threading.Semaphore(0)

    def waiter(number: int) -> None:
        queued.release()
        assert lock.acquire()
        order.append(number)
        lock.release()

    threads = []
    for number in range(6):
        thread = threading.Thread(target=waiter, args=(number,))
        thread.start()
        queued.acquire()
        time.sleep(0.02)  # the waiter is queued before the next one starts
        threads.append(thread)
    lock.release()
    for thread in threads:
        thread.join(timeout=5)

    assert order == list(range(6))


def test_a_releasing_thread_that_asks_again_queues_behind_the_waiters() -> None:
    lock = FairLock()
    assert lock.acquire()
    got: list[str] = []
    waiting = threading.Event()

    def other() -> None:
        waiting.set()
        assert lock.acquire()
        got.append("other")
        lock.release()

    thread = threading.Thread(target=other)
    thread.start()
    waiting.wait()
    time.sleep(0.02)
    lock.release()
    assert lock.acquire()
    got.append("again")
    lock.release()
    thread.join(timeout=5)

    assert got == ["other", "again"]


def test_a_waiter_that_times_out_leaves_the_queue_and_the_lock_still_works() -> None:
    lock = FairLock()
    assert lock.acquire()

    started = time.monotonic()
    assert not lock.acquire(timeout=0.05)
    assert time.monotonic() - started >= 0.05

    lock.release()
    assert lock.acquire(timeout=0)
    lock.release()


def test_releasing_an_unheld_lock_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        FairLock().release()
