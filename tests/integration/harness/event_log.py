"""Reading one campaign's log straight from the store, and what must always hold of it: stream
versions 1..N without gap or repeat, a head that names the last event, and a head snapshot equal
to the campaign replayed from its events."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application import CampaignService
from documentstore.port import EVENTS, DocumentStore, Query
from domain.campaign import Campaign

Document = dict[str, Any]


@dataclass(frozen=True)
class CampaignLog:
    campaign_id: str
    events: list[Document]
    head: Document | None

    @property
    def versions(self) -> list[int]:
        return [int(event["version"]) for event in self.events]

    def commands(self) -> Counter[str]:
        """How many events each command id appended."""
        return Counter(str(event["metadata"]["commandId"]) for event in self.events)

    def of_type(self, event_type: str) -> list[Document]:
        return [event for event in self.events if event["type"] == event_type]


def read_log(store: DocumentStore, campaign_id: str) -> CampaignLog:
    query = Query(partition_key=campaign_id, equals={"docType": "event"})
    events: list[Document] = []
    continuation: str | None = None
    while True:
        page = store.query(EVENTS, query, continuation=continuation)
        events.extend(page.items)
        continuation = page.continuation
        if continuation is None:
            break
    events.sort(key=lambda event: int(event["version"]))
    return CampaignLog(campaign_id, events, store.read(EVENTS, campaign_id, "head"))


def assert_log_is_whole(log: CampaignLog, ledger: CampaignService) -> None:
    """Versions 1..N once each; the head at N naming the last event's command; the head's
    snapshot equal to the campaign replayed from the events alone."""
    assert log.versions == list(range(1, len(log.events) + 1)), log.versions
    assert log.head is not None
    assert int(log.head["version"]) == len(log.events)
    assert log.head["lastCommandId"] == log.events[-1]["metadata"]["commandId"]
    application = ledger.application
    from_head = application.load_campaign(UUID(log.campaign_id))
    replayed = application.repository.get(UUID(log.campaign_id), version=len(log.events))
    assert isinstance(replayed, Campaign)
    assert _state(from_head) == _state(replayed)


def _state(campaign: Campaign) -> dict[str, Any]:
    return dict(Campaign.Snapshot.take(campaign).state)
