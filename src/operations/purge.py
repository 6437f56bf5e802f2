"""``campaigns purge``: deleting for good the campaigns whose restore window has passed.

A soft-deleted campaign (API.md: hidden, restorable until ``restoreUntil``) is purged once the
clock is past that instant, in this order:

1. its head is replaced by a **tombstone** (``eventstore.documents.tombstone_document``),
   conditionally on the etag the sweep saw: from that write on the campaign does not exist (a
   command or a read answers 404, an export leaves it out) and its id is never used again (a
   create naming it answers 409 ``id-conflict``, an import refuses it); a command that got in
   meanwhile makes the replace fail, and the campaign is looked at again by the next run;
2. everything else it left is deleted (``operations.campaign_remains``): its events, entity
   states, views of every generation with its campaign-list entries and statistics
   contributions, and dead letters;
3. the tombstone is marked ``cleared``. A run that stopped between 1 and 3 is finished by the
   next one, which also sweeps uncleared tombstones.

The clock is injected (``clock``), so a test decides which windows have passed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application import CampaignApplication
from documentstore.port import EVENTS, Document, DocumentStore, Replace
from domain.errors import DocumentNotFound, EtagMismatch
from eventstore.documents import (
    HEAD_DOC,
    HEAD_ID,
    is_tombstone,
    stored_snapshot_from,
    tombstone_document,
)
from operations.campaign_remains import RemovedDocuments, remove_campaign_remains
from operations.event_logs import HEADS_PAGE_SIZE


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PurgedCampaign:
    """One campaign the purge removed (or, in a dry run, would remove)."""

    campaign_id: str
    tenant_id: str | None
    restore_until: str | None
    version: int
    removed: RemovedDocuments | None = None
    finished_earlier_run: bool = False

    def to_json(self) -> dict[str, Any]:
        removed = self.removed
        return {
            "campaignId": self.campaign_id,
            "tenantId": self.tenant_id,
            "restoreUntil": self.restore_until,
            "version": self.version,
            "removed": None
            if removed is None
            else {
                "events": removed.events,
                "views": removed.views,
                "deadLetters": removed.dead_letters,
            },
            "finishedEarlierRun": self.finished_earlier_run,
        }


@dataclass
class PurgeReport:
    """What a purge removed (``dry_run``: what it would remove), and what it left for the
    next run because a command got in meanwhile."""

    dry_run: bool
    purged: list[PurgedCampaign] = field(default_factory=list)
    changed_meanwhile: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Expired:
    campaign_id: str
    tenant_id: str
    restore_until: str
    version: int
    etag: str


class CampaignPurge:
    """Purges expired soft-deleted campaigns from ``store`` (see the module docstring)."""

    def __init__(
        self,
        store: DocumentStore,
        application: CampaignApplication,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._application = application
        self._clock = clock

    def run(
        self,
        *,
        dry_run: bool = False,
        on_campaign: Callable[[PurgedCampaign], None] | None = None,
    ) -> PurgeReport:
        """Purge every campaign whose restore window has passed by the clock's now, and
        finish the purges an earlier run left half done."""
        now = self._clock()
        report = PurgeReport(dry_run=dry_run)
        unfinished, expired = self._sweep(now)
        for stone in unfinished:
            done = self._finish(stone, dry_run=dry_run, resumed=True)
            report.purged.append(done)
            if on_campaign is not None:
                on_campaign(done)
        for campaign in expired:
            purged = self._purge(campaign, now, dry_run=dry_run)
            if purged is None:
                report.changed_meanwhile.append(campaign.campaign_id)
                continue
            report.purged.append(purged)
            if on_campaign is not None:
                on_campaign(purged)
        return report

    def _sweep(self, now: datetime) -> tuple[list[Document], list[_Expired]]:
        """One sweep of the heads (a scan, no read per campaign): the tombstones an earlier
        run left uncleared, and the campaigns soft-deleted with a restore window that ended
        before ``now``, as their heads show them."""
        unfinished: list[Document] = []
        expired: list[_Expired] = []
        continuation: str | None = None
        while True:
            page = self._store.scan(
                EVENTS, {"id": HEAD_ID}, page_size=HEADS_PAGE_SIZE, continuation=continuation
            )
            for head in page.items:
                if is_tombstone(head) and not head.get("cleared"):
                    unfinished.append(head)
                if head.get("docType") != HEAD_DOC:
                    continue
                campaign = self._campaign_of(head)
                until = getattr(campaign, "restore_until", None)
                if until is not None and now > datetime.fromisoformat(until):
                    expired.append(
                        _Expired(
                            campaign_id=str(head["partitionKey"]),
                            tenant_id=str(campaign.tenant_id),
                            restore_until=until,
                            version=int(head["version"]),
                            etag=str(head["_etag"]),
                        )
                    )
            continuation = page.continuation
            if continuation is None:
                return unfinished, expired

    def _campaign_of(self, head: Document) -> Any:
        """The campaign a head holds (its core snapshot), without another read; a head with
        no snapshot (written by an older version) is loaded from the log."""
        campaign_id = UUID(str(head["partitionKey"]))
        body = head.get("snapshot")
        if not body:
            return self._application.load_campaign(campaign_id)
        snapshot: Any = self._application.mapper.to_domain_event(
            stored_snapshot_from(body, campaign_id)
        )
        return snapshot.mutate(None)

    def _purge(self, expired: _Expired, now: datetime, *, dry_run: bool) -> PurgedCampaign | None:
        """Tombstone, then clean up; None when the campaign changed since the sweep."""
        about = {"tenantId": expired.tenant_id, "restoreUntil": expired.restore_until}
        if dry_run:
            return PurgedCampaign(
                expired.campaign_id, expired.tenant_id, expired.restore_until, expired.version
            )
        stone = tombstone_document(
            expired.campaign_id,
            version=expired.version,
            purged_at=now.isoformat(),
            cleared=False,
            about=about,
        )
        try:
            [written] = self._store.execute_batch(
                EVENTS, expired.campaign_id, [Replace(stone, if_match=expired.etag)]
            )
        except (EtagMismatch, DocumentNotFound):
            return None
        assert written is not None
        return self._finish(written, dry_run=False, resumed=False)

    def _finish(self, stone: Document, *, dry_run: bool, resumed: bool) -> PurgedCampaign:
        """Delete what a tombstoned campaign left, then mark its tombstone cleared
        (``resumed``: a tombstone an earlier run left uncleared)."""
        campaign_id = str(stone["partitionKey"])
        tenant = stone.get("tenantId")
        purged = PurgedCampaign(
            campaign_id,
            tenant if isinstance(tenant, str) else None,
            stone.get("restoreUntil"),
            int(stone["version"]),
            finished_earlier_run=resumed,
        )
        if dry_run:
            return purged
        removed = remove_campaign_remains(
            self._store, campaign_id, tenant_ids=[tenant] if isinstance(tenant, str) else []
        )
        cleared = {key: value for key, value in stone.items() if not key.startswith("_")}
        cleared["cleared"] = True
        with contextlib.suppress(EtagMismatch, DocumentNotFound):  # another run finished it
            self._store.execute_batch(
                EVENTS, campaign_id, [Replace(cleared, if_match=stone.get("_etag"))]
            )
        return PurgedCampaign(
            purged.campaign_id,
            purged.tenant_id,
            purged.restore_until,
            purged.version,
            removed,
            finished_earlier_run=purged.finished_earlier_run,
        )
