"""``campaigns import``: event logs exported as JSON Lines (``operations.event_lines``) written
into this store with their versions, metadata and timestamps unchanged.

Campaign by campaign (the lines of one campaign are consecutive, versions 1, 2, 3…):

- **the store has the campaign** (a head): its log is compared with the file's, page by page;
  the same log is *unchanged* (re-importing changes nothing), any other is *divergent* and left
  untouched; a purged one (a tombstone) is refused, its id is never reused;
- **the store does not have it**: its events are folded into the aggregate as they are read
  (an event the aggregate cannot apply makes the campaign *invalid*, and what was written of it
  is removed), and written as the event store lays them out, then the entity states and last
  the head, built exactly as a first load builds them from a log (``docs/storage.md``). Until
  the head is written the campaign does not exist: a command answers 404 and an export leaves
  it out. On SQLite the writes of several campaigns go in one transaction (``ImportBuffer``),
  a campaign of up to ``flush_bytes`` never split; larger ones (and every campaign on Cosmos
  DB) go batch after batch, head last.
- **resuming**: after a crash a campaign may have event (and state) documents but no head. A
  new run compares each of them with the file: the same are kept, different ones replaced,
  extra ones deleted, then the head written. Nothing is ever doubled: a document's id is its
  version.

Memory holds one campaign's aggregate (its entities' records, not their content) and about
twice ``flush_bytes`` of documents not yet written at most; the file is read line by line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from application import CampaignApplication
from documentstore.port import DocumentStore
from domain.errors import InvalidInput, OperationFailed
from eventstore.documents import is_tombstone, new_append_id, stored_event_from
from operations.campaign_lines import (
    CampaignLines,
    InvalidLog,
    LineCount,
    campaigns_in,
    compare_log,
)
from operations.campaign_writer import CampaignWriter
from operations.event_lines import EventLine
from operations.event_logs import head_of
from operations.import_buffer import DEFAULT_FLUSH_BYTES, CampaignWrite, ImportBuffer


class ImportOutcome(StrEnum):
    IMPORTED = "imported"
    UNCHANGED = "unchanged"
    DIVERGENT = "divergent"
    PURGED = "purged"
    INVALID = "invalid"
    CONFLICT = "conflict"


REFUSED = frozenset(
    {ImportOutcome.DIVERGENT, ImportOutcome.PURGED, ImportOutcome.INVALID, ImportOutcome.CONFLICT}
)
"""Outcomes that leave the campaign as the store had it, reported to the operator."""


@dataclass(frozen=True)
class CampaignImported:
    """What the import did with one campaign of the file."""

    campaign_id: str
    outcome: ImportOutcome
    events: int
    written: int = 0
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "campaignId": self.campaign_id,
            "outcome": self.outcome.value,
            "events": self.events,
            "documentsWritten": self.written,
            "detail": self.detail,
        }


@dataclass
class ImportReport:
    """The whole import: lines read, campaigns by outcome, those refused, documents written."""

    lines: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    refused: list[CampaignImported] = field(default_factory=list)
    written: int = 0

    def add(self, campaign: CampaignImported) -> None:
        self.outcomes[campaign.outcome.value] += 1
        self.written += campaign.written
        if campaign.outcome in REFUSED:
            self.refused.append(campaign)


def _ignore(_lines: int) -> None:
    """The default progress callback."""


class EventImport:
    """Imports exported event logs into ``store`` (see the module docstring)."""

    def __init__(
        self,
        store: DocumentStore,
        application: CampaignApplication,
        *,
        flush_bytes: int = DEFAULT_FLUSH_BYTES,
    ) -> None:
        self._store = store
        self._application = application
        self._flush_bytes = flush_bytes

    def run(
        self,
        texts: Iterable[str],
        *,
        on_campaign: Callable[[CampaignImported], None] | None = None,
        progress: Callable[[int], None] = _ignore,
    ) -> ImportReport:
        """Import every campaign of ``texts`` (the file's lines); a line that is not an
        exported event stops the import there (``OperationFailed`` naming it), the campaign
        it was in left out. ``on_campaign`` is told each campaign's outcome (a written one
        once its writes are applied, so not always in file order)."""
        report = ImportReport()
        count = LineCount()
        buffer = ImportBuffer(self._store, flush_bytes=self._flush_bytes)

        def told(imported: CampaignImported) -> None:
            report.add(imported)
            if on_campaign is not None:
                on_campaign(imported)

        try:
            for lines in campaigns_in(texts, count, progress):
                self._campaign(lines, buffer, told)
        except OperationFailed:  # a malformed line: the campaigns before it are written
            buffer.flush()
            raise
        buffer.flush()
        report.lines = count.lines
        progress(count.lines)
        return report

    def _campaign(
        self,
        lines: CampaignLines,
        buffer: ImportBuffer,
        told: Callable[[CampaignImported], None],
    ) -> None:
        campaign_id = lines.campaign_id
        head = head_of(self._store, campaign_id)
        if is_tombstone(head):
            reason = "purged from this store, its id is never reused; left untouched"
            told(CampaignImported(campaign_id, ImportOutcome.PURGED, lines.drain(), 0, reason))
            return
        if head is None:
            self._write(lines, buffer, told)
            return
        difference = compare_log(self._store, int(head["version"]), lines)
        if difference is None:
            told(CampaignImported(campaign_id, ImportOutcome.UNCHANGED, lines.read))
            return
        outcome = ImportOutcome.INVALID if difference.invalid else ImportOutcome.DIVERGENT
        detail = f"{difference.reason}; left untouched"
        told(CampaignImported(campaign_id, outcome, lines.read, detail=detail))

    def _write(
        self,
        lines: CampaignLines,
        buffer: ImportBuffer,
        told: Callable[[CampaignImported], None],
    ) -> None:
        """A campaign the store does not have: events, entity states, head last."""
        campaign_id = lines.campaign_id
        append_id = new_append_id()
        writer = CampaignWriter(self._store, buffer, campaign_id)
        campaign: Any = None
        try:
            for line in lines:
                document = _event_document(line, append_id)
                campaign = self._fold(campaign, document, line)
                writer.add_event(document)
        except InvalidLog as invalid:
            lines.drain()
            writer.abandon()
            detail = f"{invalid}; nothing written"
            told(CampaignImported(campaign_id, ImportOutcome.INVALID, lines.read, 0, detail))
            return
        except OperationFailed:  # a malformed line further on: this campaign is incomplete
            writer.abandon()
            raise
        events = lines.read

        def settled(write: CampaignWrite) -> None:
            if write.refused is not None:
                detail = (
                    f"another writer wrote to it meanwhile ({write.refused.detail}); "
                    "run the import again"
                )
                outcome = ImportOutcome.CONFLICT
            else:
                detail = (
                    "completed what an interrupted import had started" if writer.resumed else ""
                )
                outcome = ImportOutcome.IMPORTED
            told(CampaignImported(campaign_id, outcome, events, write.written, detail))

        writer.finish(
            campaign.entity_states(),
            self._application.head_snapshot_of(campaign),
            append_id=append_id,
            on_settled=settled,
        )

    def _fold(self, campaign: Any, document: dict[str, Any], line: EventLine) -> Any:
        """The campaign with one more event applied, as a load replays the log; an event it
        cannot apply is ``InvalidLog``."""
        try:
            stored = stored_event_from(document, UUID(line.campaign_id))
            event: Any = self._application.mapper.to_domain_event(stored)
            return event.mutate(campaign)
        except Exception as error:
            reason = getattr(error, "detail", None) or repr(error)
            raise InvalidLog(
                f"the event at version {line.version} ({line.type}) cannot be applied: {reason}"
            ) from None


def _event_document(line: EventLine, append_id: str) -> dict[str, Any]:
    try:
        return line.event_document(append_id=append_id)
    except InvalidInput as invalid:
        raise InvalidLog(f"the event at version {line.version}: {invalid.detail}") from None
