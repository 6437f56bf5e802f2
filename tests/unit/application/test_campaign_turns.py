"""A writer's turn on a campaign may end in this process before its append is committed (the
next command here is decided on the queued append); the stripe shared with other processes
stays with this process until every one of its turns on the stripe has ended."""

from __future__ import annotations

import threading
from uuid import UUID

from application.campaign_locks import CampaignLocks


class RecordingStripes:
    """Stripe locks shared by processes, as a fake that records what was taken and given."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, int]] = []

    def acquire(self, stripe: int) -> None:
        self.steps.append(("acquire", stripe))

    def release(self, stripe: int) -> None:
        self.steps.append(("release", stripe))


CAMPAIGN = UUID(int=5)


def test_a_turn_ended_here_lets_the_next_writer_of_this_process_go_while_the_block_lasts() -> None:
    locks = CampaignLocks(stripes=4)
    entered = threading.Event()

    with locks.turn(CAMPAIGN) as first:
        first.end_here()
        second = threading.Thread(target=lambda: _enter(locks, entered))
        second.start()
        assert entered.wait(5)
        second.join(5)


def _enter(locks: CampaignLocks, entered: threading.Event) -> None:
    with locks.turn(CAMPAIGN):
        entered.set()


def test_a_turn_not_ended_here_keeps_the_next_writer_of_this_process_waiting() -> None:
    locks = CampaignLocks(stripes=4)
    entered = threading.Event()

    with locks.turn(CAMPAIGN):
        second = threading.Thread(target=lambda: _enter(locks, entered))
        second.start()
        assert not entered.wait(0.1)
    assert entered.wait(5)
    second.join(5)


def test_the_shared_stripe_is_given_back_when_the_last_overlapping_turn_here_ends() -> None:
    shared = RecordingStripes()
    locks = CampaignLocks(stripes=4, shared=shared)
    stripe = CAMPAIGN.int % 4

    first = locks.turn(CAMPAIGN).__enter__()
    first.end_here()  # queued: the next command here may be decided
    second = locks.turn(CAMPAIGN).__enter__()
    first.__exit__(None, None, None)  # committed: the second is still pending
    assert shared.steps == [("acquire", stripe)]
    second.__exit__(None, None, None)

    assert shared.steps == [("acquire", stripe), ("release", stripe)]
    with locks.turn(CAMPAIGN):
        pass
    assert shared.steps == [("acquire", stripe), ("release", stripe)] * 2


def test_ending_a_turn_here_twice_releases_the_lock_once() -> None:
    locks = CampaignLocks(stripes=1)

    with locks.turn(CAMPAIGN) as turn:
        turn.end_here()
        turn.end_here()
    with locks.turn(CAMPAIGN):
        pass
