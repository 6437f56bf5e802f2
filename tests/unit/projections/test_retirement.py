"""What a rebuild retires is removed after it, unit by unit, once the grace has passed: by the
change-feed processor when idle or on demand, idempotently, never a generation still in use."""

from __future__ import annotations

import threading
import time

import pytest

from documentstore.memory import InMemoryDocumentStore
from documentstore.port import LEASES, Delete
from projections import retirement
from projections.generations import ProjectionState, ProjectionStateStore
from projections.processor import ChangeFeedProcessor
from projections.rebuild import rebuild_views
from projections.retirement import remove_all_retired, remove_retired
from tests.unit.projections.campaign_events import append_to_log, scripted_scenario
from tests.unit.projections.views_dump import dump_views


def rebuilt_store(*, at: float = 1_000.0) -> InMemoryDocumentStore:
    """A store whose views generation 1 served, rebuilt into generation 2 at ``at``."""
    store = InMemoryDocumentStore()
    for stream in scripted_scenario():
        append_to_log(store, stream)
    ChangeFeedProcessor(store).run_until_caught_up()
    assert rebuild_views(store, clock=lambda: at).switched
    return store


@pytest.fixture
def one_partition_a_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retirement, "PARTITIONS_PER_UNIT", 1)


def test_nothing_is_removed_before_the_grace_has_passed() -> None:
    store = rebuilt_store(at=1_000.0)
    retired = dump_views(store, generation=1)

    early = remove_retired(store, grace_seconds=3.0, clock=lambda: 1_002.9)

    assert (early.units, early.documents) == (0, 0)
    assert dump_views(store, generation=1) == retired
    on_time = remove_retired(store, grace_seconds=3.0, clock=lambda: 1_003.0)
    assert on_time.documents == len(retired)
    assert dump_views(store, generation=1) == {}


@pytest.mark.usefixtures("one_partition_a_unit")
def test_units_go_one_at_a_time_and_the_generation_leaves_the_state_with_the_last() -> None:
    store = rebuilt_store()
    states = ProjectionStateStore(store)
    units = len(states.read().retiring)
    assert units > 2  # a partition a unit: the campaigns' and their tenant's

    for left in range(units - 1, 0, -1):
        assert remove_retired(store, grace_seconds=0, max_units=1).units == 1
        state = states.read()
        assert (len(state.retiring), state.retired) == (left, (1,))
    remove_retired(store, grace_seconds=0, max_units=1)

    state = states.read()
    assert (state.live, state.retired, state.retiring) == (2, (), ())
    assert dump_views(store, generation=1) == {}
    assert dump_views(store, generation=2) != {}


def test_a_generation_retired_since_without_a_unit_stays_retired() -> None:
    store = rebuilt_store()
    states = ProjectionStateStore(store)
    state = states.read()
    states.save(state.with_changes(building=None, retired=(*state.retired, 3)))

    remove_retired(store, grace_seconds=0)

    assert states.read().retired == (3,)


def test_a_unit_another_remover_finished_is_only_forgotten() -> None:
    store = rebuilt_store()
    [unit] = ProjectionStateStore(store).read().retiring
    assert remove_retired(store, grace_seconds=0).documents > 0
    states = ProjectionStateStore(store)
    states.save(states.read().with_changes(retiring=(unit,), retired=(1,)))
    assert store.read(LEASES, unit.id, unit.id) is None

    again = remove_retired(store, grace_seconds=0)

    assert (again.units, again.documents) == (1, 0)
    assert states.read().retiring == ()
    assert states.read().retired == ()


def test_a_unit_whose_document_is_gone_before_its_removal_deletes_nothing_and_is_forgotten() -> (
    None
):
    store = rebuilt_store()
    [unit] = ProjectionStateStore(store).read().retiring
    store.execute_batch(LEASES, unit.id, [Delete(unit.id)])
    retired = dump_views(store, generation=1)

    assert remove_retired(store, grace_seconds=0).documents == 0
    assert dump_views(store, generation=1) == retired
    assert ProjectionStateStore(store).read().retiring == ()


def test_removing_everything_waits_for_the_youngest_grace_then_removes_it_all() -> None:
    store = rebuilt_store(at=1_000.0)
    waited: list[float] = []

    removal = remove_all_retired(
        store, grace_seconds=3.0, clock=lambda: 1_001.0 + sum(waited), sleep=waited.append
    )

    assert waited == [2.0]
    assert removal.units == 1
    assert dump_views(store, generation=1) == {}


def test_an_idle_processor_removes_what_a_rebuild_retired() -> None:
    store = rebuilt_store(at=time.time())
    processor = ChangeFeedProcessor(
        store, poll_interval=0.01, retirement_check_seconds=0.01, retirement_grace_seconds=0
    )
    stop = threading.Event()
    follower = threading.Thread(target=processor.run, args=(stop,))
    follower.start()
    try:
        deadline = time.monotonic() + 10
        while ProjectionStateStore(store).read().retiring and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        follower.join()

    assert ProjectionStateStore(store).read().retired == ()
    assert dump_views(store, generation=1) == {}


def test_a_state_change_meeting_another_writer_is_made_again_on_what_that_writer_wrote() -> None:
    store = rebuilt_store()
    states = ProjectionStateStore(store)
    calls = 0

    def switch_meeting_a_removal(state: ProjectionState) -> ProjectionState:
        nonlocal calls
        calls += 1
        if calls == 1:  # the removal forgets its unit between this read and this write
            remove_retired(store, grace_seconds=0)
        return state.with_changes(building=9)

    written = states.update(switch_meeting_a_removal)

    assert calls == 2
    assert (written.building, written.retiring, written.retired) == (9, (), ())
    assert states.read().building == 9
