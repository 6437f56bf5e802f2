"""A serving process exempts what its start-up built from the garbage collector's full
collections, so that they no longer walk the whole app on every pass, and collects less
often."""

from __future__ import annotations

import gc
import weakref

from cli.server import GC_THRESHOLDS, settle_heap


class Node:
    """An object that can hold itself in a reference cycle."""

    def __init__(self) -> None:
        self.itself: Node | None = None


def test_settling_the_heap_exempts_the_objects_alive_at_start_up_from_collections() -> None:
    survivor = Node()
    thresholds = gc.get_threshold()
    try:
        settle_heap()
        frozen = gc.get_freeze_count()
        tracked = {id(item) for item in gc.get_objects()}
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)

    assert frozen > 0
    assert id(survivor) not in tracked


def test_objects_made_after_settling_are_collected_as_before() -> None:
    thresholds = gc.get_threshold()
    try:
        settle_heap()
        node = Node()
        node.itself = node
        seen = weakref.ref(node)
        del node
        gc.collect()
        collected = seen() is None
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)

    assert collected


def test_a_settled_process_collects_young_objects_less_often() -> None:
    thresholds = gc.get_threshold()
    try:
        settle_heap()
        settled = gc.get_threshold()
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)

    assert settled == GC_THRESHOLDS
    assert settled[0] > thresholds[0]
