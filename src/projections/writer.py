"""Writing the planned batches of several campaigns with one ``execute_batches`` call, and what
became of each campaign's writes.

One call for every campaign of a change-feed batch lets the SQLite store commit them together
(one turn at its write lock per call rather than one per campaign). The store applies the
batches in turn and stops at the first that fails (``BatchesResult``: the results of the batches
applied before it, and its error). So, campaign by campaign, in the order given:

- every campaign whose batches all landed is ``WRITTEN``;
- the campaign owning the first batch that did not land is ``STOPPED``, with the error (a
  refusal such as an etag conflict or a batch too large, or a fault); some of its batches may
  have landed;
- every campaign after it is ``NOT_TRIED``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from documentstore.port import VIEWS, DocumentStore
from domain.errors import DocumentConflict, DocumentNotFound, EtagMismatch
from projections.write_plan import Batch

CONFLICTS = (EtagMismatch, DocumentConflict, DocumentNotFound)
"""Refusals that mean another writer changed a campaign's documents meanwhile: read and apply
again."""


class WriteStatus(Enum):
    WRITTEN = "written"
    STOPPED = "stopped"
    NOT_TRIED = "not-tried"


@dataclass(frozen=True)
class CampaignWrite:
    """What became of one campaign's planned batches (``error``: why the store stopped on
    them, when ``STOPPED``)."""

    status: WriteStatus
    error: Exception | None = None


def write_together(
    store: DocumentStore, plans: Sequence[Sequence[Batch]], *, unread: bool = False
) -> list[CampaignWrite]:
    """Every campaign's batches (``plans``, one per campaign, in write order) in one call;
    what became of each plan, in the same order (see the module docstring). ``unread``: into a
    generation nobody else reads or writes yet (``DocumentStore.execute_unread_batches``)."""
    batches = [batch for plan in plans for batch in plan]
    if not batches:
        return [CampaignWrite(WriteStatus.WRITTEN) for _ in plans]
    execute = store.execute_unread_batches if unread else store.execute_batches
    result = execute(VIEWS, batches)
    if result.error is None:
        return [CampaignWrite(WriteStatus.WRITTEN) for _ in plans]
    error = result.error
    owner_of_batch = [index for index, plan in enumerate(plans) for _ in plan]
    stopped = owner_of_batch[len(result.applied)]  # the first batch that did not land

    def write_of(index: int) -> CampaignWrite:
        if index < stopped:
            return CampaignWrite(WriteStatus.WRITTEN)
        if index == stopped:
            return CampaignWrite(WriteStatus.STOPPED, error)
        return CampaignWrite(WriteStatus.NOT_TRIED)

    return [write_of(index) for index in range(len(plans))]
