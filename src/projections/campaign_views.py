"""One campaign's view documents while events are applied to them in memory.

Documents are loaded on first use (through ``load``, the only I/O), events are applied in
order, and ``changes`` lists what to write (``projections.write_plan`` orders it). An event
whose projector raises leaves every document as it was and is returned as a ``Failure`` so the
caller can dead-letter it and go on with the next event.

With a ``check`` (the runner passes one when a document would come out too large to write), an
event is also refused, all or nothing, when a document it changes fails the check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import LedgerError, StoreError
from domain.recorded import RecordedEvent
from projections.projectors import (
    ViewKey,
    project,
    snapshot_key,
    views_consulted,
    views_touched,
)
from projections.projectors.documents import run_id, version_id

Document = dict[str, Any]
Loader = Callable[[ViewKey], tuple[Document | None, str | None]]
"""Returns a view document in its logical form (no generation, no store fields) and its etag."""
DocumentCheck = Callable[[ViewKey, Document], Exception | None]
"""Why a document, as an event would leave it, cannot be kept (None: it can)."""


@dataclass(frozen=True)
class Failure:
    """An event that could not be projected, and why (``document``: the event document when
    it could not even be read as an event)."""

    event: RecordedEvent
    error: Exception
    document: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Change:
    """A document to write: ``etag`` is None when it did not exist before."""

    key: ViewKey
    document: Document
    etag: str | None


def load_nothing(_: ViewKey) -> tuple[Document | None, str | None]:
    """The loader of a replay from scratch."""
    return None, None


class CampaignViews:
    """The working set of one campaign's documents (see the module docstring)."""

    def __init__(
        self, campaign_id: str, load: Loader, *, check: DocumentCheck | None = None
    ) -> None:
        self.campaign_id = campaign_id
        self._snapshot_key = snapshot_key(campaign_id)
        self._load = load
        self._check = check
        self._original: dict[ViewKey, Document | None] = {}
        self._etags: dict[ViewKey, str | None] = {}
        self._current: dict[ViewKey, Document | None] = {}
        self._lookup = _Lookup(campaign_id, self._current.get)

    def document(self, key: ViewKey) -> Document | None:
        if key not in self._current:
            document, etag = self._load(key)
            self._original[key] = document
            self._etags[key] = etag
            self._current[key] = document
        return self._current[key]

    @property
    def snapshot(self) -> Document | None:
        return self.document(self._snapshot_key)

    @property
    def tenant_id(self) -> str | None:
        """The campaign's tenant, from its snapshot (None before ``CampaignCreated`` applied)."""
        snapshot = self.snapshot
        tenant = None if snapshot is None else snapshot.get("tenantId")
        return tenant if isinstance(tenant, str) else None

    @property
    def watermark(self) -> int:
        """The last event version the snapshot (and so every document) has applied."""
        snapshot = self.snapshot
        return 0 if snapshot is None else int(snapshot["appliedVersion"])

    def apply(self, event: RecordedEvent) -> Failure | None:
        """Apply ``event`` to every document it touches, or to none of them."""
        snapshot = self.snapshot
        current = self._current
        lookup = self._lookup  # reads ``current``, which changes only once the event applied
        try:
            consulted = views_consulted(event)
        except Exception as error:  # an event without the fields its type promises
            return Failure(event, error)
        for key in consulted:
            if key not in current:
                self.document(key)  # store errors propagate: they are not the event's fault
        try:
            touched = views_touched(event, snapshot, lookup)
        except StoreError:
            raise  # the store's fault, not the event's: retried, never dead-lettered
        except LedgerError as error:  # the event names a version or run the view lacks
            return Failure(event, error)
        except Exception as error:  # an event without the fields its type promises
            return Failure(event, error)
        for key in touched:
            if key not in current:
                self.document(key)
        staged: dict[ViewKey, Document | None] = {}
        try:
            for key in touched:
                staged[key] = project(
                    key, staged[key] if key in staged else current[key], event, lookup
                )
        except Exception as error:  # a projector's bug or a malformed event: dead-letter it
            return Failure(event, error)
        if self._check is not None:
            for key, document in staged.items():
                refusal = None if document is None else self._check(key, document)
                if refusal is not None:
                    return Failure(event, refusal)
        current.update(staged)
        return None

    def started_over(self, *, check: DocumentCheck) -> CampaignViews:
        """A new working set on the documents this one loaded (no further I/O for them), whose
        events are refused when a document they change fails ``check``."""
        loaded = {key: (self._original[key], self._etags[key]) for key in self._original}

        def load(key: ViewKey) -> tuple[Document | None, str | None]:
            return loaded[key] if key in loaded else self._load(key)

        return CampaignViews(self.campaign_id, load, check=check)

    def original(self, key: ViewKey) -> Document | None:
        """The document as it was loaded (None when it did not exist or was never loaded)."""
        return self._original.get(key)

    def documents(self) -> dict[ViewKey, Document]:
        """Every known document as it stands now."""
        return {key: doc for key, doc in self._current.items() if doc is not None}

    def changes(self) -> list[Change]:
        """Documents that differ from what was loaded."""
        return [
            Change(key, document, self._etags[key])
            for key, document in self._current.items()
            if document is not None and document != self._original[key]
        ]


class _Lookup:
    """``EntityLookup`` over the working set as it stands before the event being applied."""

    def __init__(self, campaign_id: str, find: Callable[[ViewKey], Document | None]) -> None:
        self._campaign_id = campaign_id
        self._find = find

    def version(self, version: str) -> Document | None:
        return self._find(ViewKey(self._campaign_id, version_id(version)))

    def run(self, run: str) -> Document | None:
        return self._find(ViewKey(self._campaign_id, run_id(run)))
