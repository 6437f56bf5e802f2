"""Projection generations: how several builds of the views live side by side in ``views``, and
the projection-state document in ``leases`` that says which one readers use.

A generation separates its documents by an **id prefix**: the logical id ``snapshot`` of
generation 3 is stored as ``g3.snapshot``, in the same partition (the campaign id, or
``tenant:<id>`` for the list), with a top-level ``generation`` field. Partitions therefore stay
what the read paths expect, a rebuild writes beside the live views without touching them, and
an old generation is removed document by document once nobody reads it.

The projection state (``leases``, id ``projection-state``) records the ``live`` generation,
the one being ``building`` (if a rebuild runs), ``retired`` generations still to delete, and
the units of work that delete them (``retiring``, ``projections.retirement``). Without the
document, generation 1 is live.

Each generation also names the lease prefix of the Azure Functions change-feed trigger that
keeps it (``views-g<N>-``, ``lease_prefix_of``): the trigger's leases belong to one generation,
and the runner refuses to write into another (``projections.runner``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from documentstore.port import LEASES, Create, Document, DocumentStore, Replace
from documentstore.port import without_system_fields as _without_system_fields
from domain.errors import DocumentConflict, EtagMismatch

STATE_ID = "projection-state"
FIRST_GENERATION = 1
LEASE_PREFIX_STEM = "views"


def lease_prefix_of(generation: int) -> str:
    """The trigger's lease prefix for ``generation``: ``views-g2-`` (docs/projections.md)."""
    return f"{LEASE_PREFIX_STEM}-g{generation}-"


def prefix_of(generation: int) -> str:
    return f"g{generation}."


def stored_id(generation: int, logical_id: str) -> str:
    return f"{prefix_of(generation)}{logical_id}"


def to_stored(generation: int, document: Mapping[str, Any]) -> Document:
    """A projector's document as generation ``generation`` stores it."""
    stored = dict(document)
    stored["id"] = stored_id(generation, str(document["id"]))
    stored["generation"] = generation
    return stored


def to_logical(stored: Mapping[str, Any]) -> Document:
    """A stored view document as projectors know it: no generation, no store fields."""
    document = _without_system_fields(stored)
    generation = document.pop("generation", None)
    if generation is not None:
        prefix = prefix_of(int(generation))
        if str(document["id"]).startswith(prefix):
            document["id"] = str(document["id"])[len(prefix) :]
    return document


@dataclass(frozen=True)
class RetiringUnit:
    """A unit of a retired generation's removal: its document's id (in ``leases``, listing
    the partitions it covers), the generations it removes, when they were retired (epoch
    seconds)."""

    id: str
    generations: tuple[int, ...]
    retired_at: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "generations": list(self.generations), "retiredAt": self.retired_at}

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> RetiringUnit:
        return cls(
            id=str(document["id"]),
            generations=tuple(int(generation) for generation in document["generations"]),
            retired_at=float(document["retiredAt"]),
        )


@dataclass(frozen=True)
class ProjectionState:
    """Which generation readers use, which one a rebuild is building, which await deletion
    and the units that delete them."""

    live: int = FIRST_GENERATION
    building: int | None = None
    retired: tuple[int, ...] = ()
    retiring: tuple[RetiringUnit, ...] = ()
    etag: str | None = field(default=None, compare=False)

    def next_generation(self) -> int:
        return max((self.live, self.building or 0, *self.retired)) + 1

    def with_changes(self, **changes: Any) -> ProjectionState:
        return replace(self, **changes)


class ProjectionStateStore:
    """Reads and conditionally writes the projection-state document in ``leases``."""

    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    def read(self) -> ProjectionState:
        document = self._store.read(LEASES, STATE_ID, STATE_ID)
        if document is None:
            return ProjectionState()
        return ProjectionState(
            live=int(document["live"]),
            building=None if document.get("building") is None else int(document["building"]),
            retired=tuple(int(generation) for generation in document.get("retired", [])),
            retiring=tuple(RetiringUnit.from_json(unit) for unit in document.get("retiring", [])),
            etag=document.get("_etag"),
        )

    def update(self, change: Callable[[ProjectionState], ProjectionState]) -> ProjectionState:
        """The state as ``change`` makes it from the stored one, written; read and changed
        again whenever another writer (a rebuild, the removal of retired generations) wrote it
        first. ``change`` may raise to give up; answering its input unchanged writes nothing."""
        while True:
            state = self.read()
            changed = change(state)
            if changed is state:
                return state
            try:
                return self.save(changed)
            except (EtagMismatch, DocumentConflict):
                continue

    def save(self, state: ProjectionState) -> ProjectionState:
        """Write ``state`` if the stored one is still the one it was read from.

        Raises ``EtagMismatch`` / ``DocumentConflict`` when another writer got there first.
        """
        document = {
            "id": STATE_ID,
            "docType": "projectionState",
            "live": state.live,
            "building": state.building,
            "retired": list(state.retired),
            "retiring": [unit.to_json() for unit in state.retiring],
        }
        operation = (
            Create(document) if state.etag is None else Replace(document, if_match=state.etag)
        )
        [written] = self._store.execute_batch(LEASES, STATE_ID, [operation])
        assert written is not None
        return replace(state, etag=written.get("_etag"))
