"""The replay hands each campaign to one worker for good, a new campaign to the worker with the
fewest keys in hand."""

from __future__ import annotations

from multiprocessing.connection import Connection
from typing import Any, cast

from projections.replay_workers import WorkerPool


class _Worker:
    """A worker's end of the pipe: remembers each share, answers it projected."""

    def __init__(self) -> None:
        self.shares: list[list[tuple[str, str]]] = []
        self._answers: list[tuple[int, int]] = []

    def send(self, share: list[tuple[str, str]]) -> None:
        self.shares.append(share)
        self._answers.append((len(share), 0))

    def recv(self) -> Any:
        return self._answers.pop(0)

    def poll(self) -> bool:
        return False  # still at work on everything it was sent


def _keys(campaign: str, count: int) -> list[tuple[str, str]]:
    return [(campaign, f"e-{number:010d}") for number in range(count)]


def test_every_key_of_a_campaign_goes_to_the_worker_it_was_first_given_to() -> None:
    workers = [_Worker(), _Worker()]
    pool = WorkerPool(cast(list[Connection], workers))

    pool.project([*_keys("a", 3), *_keys("b", 3)])
    pool.project([*_keys("b", 2), *_keys("c", 5), *_keys("a", 1)])
    pool.finish()

    holders = {
        campaign: {
            index
            for index, worker in enumerate(workers)
            for share in worker.shares
            for key in share
            if key[0] == campaign
        }
        for campaign in "abc"
    }
    assert all(len(holder) == 1 for holder in holders.values()), holders


def test_a_new_campaign_goes_to_the_worker_with_fewest_keys_in_hand() -> None:
    workers = [_Worker(), _Worker()]
    pool = WorkerPool(cast(list[Connection], workers))

    pool.project([*_keys("big", 10), *_keys("small", 2), *_keys("next", 3)])

    [first] = workers[0].shares
    [second] = workers[1].shares
    assert {key[0] for key in first} == {"big"}
    assert {key[0] for key in second} == {"small", "next"}
