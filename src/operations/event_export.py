"""``campaigns export``: the event logs of a store as JSON Lines (``operations.event_lines``),
each campaign's events in stream order, soft-deleted campaigns included.

A campaign is exported as its head showed it when the export reached it: its events up to the
head's version, a prefix of its log that ends where a command ended (an append is one batch),
so an export taken while the service runs is consistent campaign by campaign. Memory holds one
page of events: the export streams.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from documentstore.port import DocumentStore
from domain.errors import OperationFailed
from operations.event_lines import EventLine, tenant_of_first
from operations.event_logs import (
    StoredCampaign,
    campaign_heads,
    event_documents,
    head_of,
)
from projections.events import parse_event_document

ExportProgress = Callable[[int, int], None]
"""Told the events exported so far and the events to export in all."""


@dataclass
class ExportReport:
    """What an export wrote, and the campaigns asked for that the store does not have."""

    campaigns: int = 0
    events: int = 0
    not_found: list[str] = field(default_factory=list)


def _ignore(_done: int, _total: int) -> None:
    """The default progress callback."""


def export_lines(
    store: DocumentStore,
    report: ExportReport,
    *,
    campaign_ids: Sequence[str] = (),
    tenant_id: str | None = None,
    progress: ExportProgress = _ignore,
) -> Iterator[str]:
    """The lines of the export (without newlines), campaign after campaign: those named in
    ``campaign_ids`` (all when empty), of ``tenant_id`` only when given. ``report`` is kept
    up to date as lines are yielded."""
    chosen = _named(store, campaign_ids, report) if campaign_ids else None

    def campaigns() -> Iterable[StoredCampaign]:
        return campaign_heads(store) if chosen is None else chosen

    total = sum(campaign.version for campaign in campaigns())
    for campaign in campaigns():
        exported = 0
        for line in _campaign_lines(store, campaign, tenant_id):
            exported += 1
            report.events += 1
            yield line
            if report.events % 1000 == 0:
                progress(report.events, total)
        if exported:
            report.campaigns += 1
        else:
            total -= campaign.version  # another tenant's
        progress(report.events, total)


def _named(
    store: DocumentStore, campaign_ids: Sequence[str], report: ExportReport
) -> list[StoredCampaign]:
    found: list[StoredCampaign] = []
    for campaign_id in dict.fromkeys(campaign_ids):
        head = head_of(store, campaign_id)
        if head is None or head.get("docType") != "head":
            report.not_found.append(campaign_id)
        else:
            found.append(StoredCampaign(campaign_id, int(head["version"])))
    return found


def _campaign_lines(
    store: DocumentStore, campaign: StoredCampaign, tenant_id: str | None
) -> Iterator[str]:
    """One campaign's lines, versions 1 to its head's; none when it is another tenant's."""
    tenant: str | None = None
    expected = 1
    for document in event_documents(store, campaign.campaign_id, up_to=campaign.version):
        event = parse_event_document(document)
        if event.version != expected:
            raise OperationFailed(
                f"campaign {campaign.campaign_id}: its log has no event at version {expected}"
            )
        if tenant is None:
            tenant = tenant_of_first(event)
            if tenant_id is not None and tenant != tenant_id:
                return
        expected += 1
        yield EventLine.of(event, tenant).text()
    if expected != campaign.version + 1:
        raise OperationFailed(
            f"campaign {campaign.campaign_id}: its head is at version {campaign.version} but "
            f"its log ends at {expected - 1}"
        )
