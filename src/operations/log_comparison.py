"""``campaigns compare FILE``: whether this store holds the same event logs as an export file,
e.g. the file a move to Cosmos DB was imported from.

Each campaign of the file is compared with the store's log, page by page (the import's
comparison, ``campaign_lines.compare_log``); then the store's campaigns that the file does not
have are listed (restricted as the export was, by ``--campaign`` or ``--tenant``). Two stores
hold the same logs when each compares the same with one export of either. Memory holds one page
of events and the set of the file's campaign ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from documentstore.port import DocumentStore
from eventstore.documents import is_tombstone
from operations.campaign_lines import LineCount, campaigns_in, compare_log
from operations.event_lines import tenant_of_first
from operations.event_logs import StoredCampaign, campaign_heads, event_documents, head_of
from projections.events import parse_event_document


class Verdict(StrEnum):
    SAME = "same"
    DIFFERENT = "different"
    MISSING = "missing"
    """In the file, not in the store."""
    PURGED = "purged"
    """In the file; the store purged it."""
    EXTRA = "extra"
    """In the store, not in the file."""


@dataclass(frozen=True)
class CampaignCompared:
    campaign_id: str
    verdict: Verdict
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "campaignId": self.campaign_id,
            "verdict": self.verdict.value,
            "detail": self.detail,
        }


@dataclass
class ComparisonReport:
    """Campaigns by verdict, and those that are not the same."""

    lines: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    differences: list[CampaignCompared] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.differences

    def add(self, compared: CampaignCompared) -> None:
        self.verdicts[compared.verdict.value] += 1
        if compared.verdict is not Verdict.SAME:
            self.differences.append(compared)


def compare_with_file(
    store: DocumentStore,
    texts: Iterable[str],
    *,
    campaign_ids: Sequence[str] = (),
    tenant_id: str | None = None,
    on_campaign: Callable[[CampaignCompared], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ComparisonReport:
    """Compare the file's logs with the store's, then look for the store's other campaigns
    (of ``campaign_ids`` when given, of ``tenant_id`` when given)."""
    report = ComparisonReport()
    count = LineCount()
    seen: set[str] = set()

    def add(compared: CampaignCompared) -> None:
        report.add(compared)
        if on_campaign is not None:
            on_campaign(compared)

    for lines in campaigns_in(texts, count, progress):
        seen.add(lines.campaign_id)
        head = head_of(store, lines.campaign_id)
        if head is None or is_tombstone(head):
            lines.drain()
            verdict = Verdict.MISSING if head is None else Verdict.PURGED
            add(CampaignCompared(lines.campaign_id, verdict))
            continue
        difference = compare_log(store, int(head["version"]), lines)
        if difference is None:
            add(CampaignCompared(lines.campaign_id, Verdict.SAME))
        else:
            add(CampaignCompared(lines.campaign_id, Verdict.DIFFERENT, difference.reason))
    report.lines = count.lines
    for campaign in _store_campaigns(store, campaign_ids):
        if campaign.campaign_id in seen:
            continue
        if tenant_id is None or _tenant_of(store, campaign) == tenant_id:
            add(CampaignCompared(campaign.campaign_id, Verdict.EXTRA))
    return report


def _store_campaigns(store: DocumentStore, campaign_ids: Sequence[str]) -> Iterable[StoredCampaign]:
    if not campaign_ids:
        return campaign_heads(store)
    named: list[StoredCampaign] = []
    for campaign_id in campaign_ids:
        head = head_of(store, campaign_id)
        if head is not None and head.get("docType") == "head":
            named.append(StoredCampaign(campaign_id, int(head["version"])))
    return named


def _tenant_of(store: DocumentStore, campaign: StoredCampaign) -> str | None:
    first = next(event_documents(store, campaign.campaign_id, up_to=1), None)
    return None if first is None else tenant_of_first(parse_event_document(first))
