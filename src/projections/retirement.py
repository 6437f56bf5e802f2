"""Removing retired projection generations: the contract step of a rebuild's
expand-and-contract, done after the switch rather than inside the rebuild.

At its switch a rebuild records what is left to remove (``record_retirement``): the partitions
its campaigns use (theirs and their tenants') split into **units** of
``PARTITIONS_PER_UNIT``, each a document in ``leases`` (``retirement-g<N>-<k>``) listed in the
projection state (``ProjectionState.retiring``) with the generations it removes and when they
were retired. ``remove_retired`` then removes unit after unit once the grace has passed
(readers cache the live generation briefly): one ``delete_id_range`` per generation, the unit's
document deleted, its entry dropped from the state, and a generation dropped from
``retired`` once no unit lists it any more.

Why after, and in units: removing a generation deletes as many documents as the rebuild wrote
(124,000 for 100,000 events; on SQLite one transaction of about a second, every command's
write waiting behind it), and the views it removes are read by nobody. So the rebuild ends
when the new views are live; the change-feed processor removes one unit whenever it is idle
(``campaigns serve``, ``campaigns follow``), holding the store's write lock for one unit's
delete at a time; ``campaigns rebuild`` removes them all right after its report unless told
not to, and ``campaigns cleanup`` does it on demand. Everything is idempotent: two removers, or
one interrupted and run again, delete nothing twice and leave nothing behind.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from documentstore.port import LEASES, VIEWS, Delete, DocumentStore, Operation, Upsert
from domain.errors import DocumentNotFound
from projections.generations import ProjectionState, ProjectionStateStore, RetiringUnit
from projections.stored_views import generation_id_range

PARTITIONS_PER_UNIT = 100
"""Partitions one unit covers: about 13,000 documents of a generation like the bench's, a
tenth of a second of SQLite's write lock per unit."""

DEFAULT_GRACE_SECONDS = 3.0
"""Longer than the read model's cache of the live generation."""

UNIT_PREFIX = "retirement-"


@dataclass(frozen=True)
class Removal:
    """What one ``remove_retired`` did: units removed, documents they deleted."""

    units: int = 0
    documents: int = 0


@dataclass(frozen=True)
class RemovalProgress:
    """Units removed so far of those due, and the documents they deleted."""

    units_done: int
    units_due: int
    documents: int


def unit_id(live: int, number: int) -> str:
    """The unit's document id: the switch to ``live`` retired it, ``number`` in order."""
    return f"{UNIT_PREFIX}g{live}-{number:05d}"


def record_retirement(
    store: DocumentStore, states: ProjectionStateStore, partitions: Sequence[str], *, now: float
) -> ProjectionState:
    """Write the units covering ``partitions`` for every generation the state retires (its
    ``retired`` not yet in a unit) and list them in the state (written and answered); the
    units' documents first, so that every listed unit exists."""
    state = states.read()
    covered = _generations_of(state.retiring)
    generations = tuple(g for g in state.retired if g not in covered and g != state.live)
    if not generations or not partitions:
        return state
    units: list[RetiringUnit] = []
    batches: list[tuple[str, list[Operation]]] = []
    for number, start in enumerate(range(0, len(partitions), PARTITIONS_PER_UNIT), start=1):
        unit = RetiringUnit(unit_id(state.live, number), generations, now)
        document = {
            "id": unit.id,
            "docType": "retirementUnit",
            "generations": list(generations),
            "partitions": list(partitions[start : start + PARTITIONS_PER_UNIT]),
        }
        batches.append((unit.id, [Upsert(document)]))
        units.append(unit)
    store.execute_batches(LEASES, batches).results()  # one commit on SQLite, not one a unit
    return states.update(lambda current: current.with_changes(retiring=(*current.retiring, *units)))


def remove_retired(
    store: DocumentStore,
    *,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    clock: Callable[[], float] = time.time,
    max_units: int | None = None,
    progress: Callable[[RemovalProgress], None] | None = None,
) -> Removal:
    """Remove the units whose grace has passed (at most ``max_units``), oldest first."""
    states = ProjectionStateStore(store)
    state = states.read()
    due = [unit for unit in state.retiring if unit.retired_at + grace_seconds <= clock()]
    if max_units is not None:
        due = due[:max_units]
    removed = 0
    for done, unit in enumerate(due, start=1):
        removed += _remove_unit(store, unit)
        _forget(states, unit)
        if progress is not None:
            progress(RemovalProgress(done, len(due), removed))
    return Removal(len(due), removed)


def remove_all_retired(
    store: DocumentStore,
    *,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[RemovalProgress], None] | None = None,
) -> Removal:
    """Every unit, the youngest's grace waited out first: what ``campaigns rebuild`` does after
    its report, and ``campaigns cleanup``."""
    retiring = ProjectionStateStore(store).read().retiring
    if retiring:
        youngest = max(unit.retired_at for unit in retiring)
        sleep(max(0.0, youngest + grace_seconds - clock()))
    return remove_retired(store, grace_seconds=grace_seconds, clock=clock, progress=progress)


def _remove_unit(store: DocumentStore, unit: RetiringUnit) -> int:
    document = store.read(LEASES, unit.id, unit.id)
    removed = 0
    if document is not None:
        partitions = [str(partition) for partition in document["partitions"]]
        for generation in unit.generations:
            removed += store.delete_id_range(VIEWS, partitions, *generation_id_range(generation))
        with contextlib.suppress(DocumentNotFound):  # another remover got there first
            store.execute_batch(LEASES, unit.id, [Delete(unit.id)])
    return removed


def _forget(states: ProjectionStateStore, unit: RetiringUnit) -> None:
    """Drop ``unit`` from the state, and every generation no other unit lists from
    ``retired`` (a generation retired since, with no unit yet, stays)."""

    def forgotten(state: ProjectionState) -> ProjectionState:
        if unit.id not in {listed.id for listed in state.retiring}:
            return state
        remaining = tuple(listed for listed in state.retiring if listed.id != unit.id)
        still_listed = _generations_of(remaining)
        retired = tuple(
            generation
            for generation in state.retired
            if generation not in unit.generations or generation in still_listed
        )
        return state.with_changes(retiring=remaining, retired=retired)

    states.update(forgotten)


def _generations_of(units: Iterable[RetiringUnit]) -> set[int]:
    return {generation for unit in units for generation in unit.generations}
