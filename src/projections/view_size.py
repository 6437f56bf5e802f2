"""The size limit of a view document, and applying a campaign's events within it.

A view document over ``MAX_VIEW_DOCUMENT_BYTES`` could never be written, and retrying it would
stall every campaign of its feed range. ``apply_within_size_limit`` applies the events and
measures every changed document; when one comes out too large, it applies the events again, one
by one, to the documents as loaded, and refuses each event that would make a document too large
(code ``view-too-large``), as it refuses an event whose projector raises. Each changed document
is encoded once here, as the port measures it (``Measured``); the write plan writes that very
encoding.

The runner and the whole-campaign repair both apply events through here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from documentstore.batch_rules import batch_size_bytes
from documentstore.port import MAX_BATCH_BYTES, Create
from domain.errors import CommandTooLarge, LedgerError
from domain.recorded import RecordedEvent
from projections.campaign_views import CampaignViews, Change, DocumentCheck, Failure
from projections.generations import to_stored
from projections.projectors import ViewKey

Document = dict[str, Any]

logger = logging.getLogger(__name__)

MAX_VIEW_DOCUMENT_BYTES = MAX_BATCH_BYTES - 4 * 1024
"""The most one view document may take, measured as the port measures a batch holding it alone
(ASCII-escaped JSON plus the operation's envelope). The 4 KiB left of the port's batch limit
are room for the fields the store adds to an item. An event that would make a document larger is
dead-lettered with code ``view-too-large``."""
VIEW_TOO_LARGE = "view-too-large"


@dataclass(frozen=True)
class Measured:
    """A changed document as stored (its ``Create``, which encoded it once) and its size as
    the port measures a batch holding it alone; ``source`` is the logical document."""

    source: Document
    operation: Create
    size: int


@dataclass(frozen=True)
class AppliedEvents:
    """Events applied within the size limit: the working set, the events it refused (their
    projector raised, or they would make a document too large), and each changed document
    measured."""

    views: CampaignViews
    refused: list[Failure]
    measured: dict[ViewKey, Measured]


def apply_within_size_limit(
    generation: int, views: CampaignViews, events: Sequence[RecordedEvent]
) -> AppliedEvents:
    """``events`` applied to ``views``, in order (see the module docstring)."""
    refused = _apply_all(views, events)
    measured = _measured(generation, views.changes())
    oversized = sorted(
        key.id for key, each in measured.items() if each.size > MAX_VIEW_DOCUMENT_BYTES
    )
    if not oversized:
        return AppliedEvents(views, refused, measured)
    logger.warning(
        "campaign %s: %s would exceed %d bytes; refusing the events that make them so",
        views.campaign_id,
        ", ".join(oversized),
        MAX_VIEW_DOCUMENT_BYTES,
    )
    checked = views.started_over(check=_size_check(generation))
    refused = _apply_all(checked, events)
    return AppliedEvents(checked, refused, _measured(generation, checked.changes()))


def refused_by_the_store(campaign_id: str, refusal: CommandTooLarge) -> LedgerError:
    """The error each event of a write gets when the store refused it as too large although
    the size check let it through (the store's measure and the port's differ)."""
    return LedgerError(
        f"the store refused the views of campaign {campaign_id} this event changes as too "
        f"large: {refusal.detail}",
        code=VIEW_TOO_LARGE,
    )


def _apply_all(views: CampaignViews, events: Sequence[RecordedEvent]) -> list[Failure]:
    """Apply ``events`` in order; the failures of those that changed nothing."""
    failures = []
    for event in events:
        failure = views.apply(event)
        if failure is not None:
            failures.append(failure)
    return failures


def _measured(generation: int, changes: Sequence[Change]) -> dict[ViewKey, Measured]:
    measured = {}
    for change in changes:
        operation = Create(to_stored(generation, change.document))
        measured[change.key] = Measured(change.document, operation, batch_size_bytes([operation]))
    return measured


def _stored_size(generation: int, document: Document) -> int:
    """A view document's size as the port measures a batch holding it alone."""
    return batch_size_bytes([Create(to_stored(generation, document))])


def _size_check(generation: int) -> DocumentCheck:
    """Refuses a document larger than ``MAX_VIEW_DOCUMENT_BYTES`` once stored."""

    def check(key: ViewKey, document: Document) -> Exception | None:
        size = _stored_size(generation, document)
        if size <= MAX_VIEW_DOCUMENT_BYTES:
            return None
        return LedgerError(
            f"applying this event would make view document {key.id!r} (partition "
            f"{key.partition_key}) about {size:,} bytes, more than the "
            f"{MAX_VIEW_DOCUMENT_BYTES:,} a view document may hold",
            code=VIEW_TOO_LARGE,
        )

    return check
