"""Reading an export file campaign by campaign: its lines parsed (``EventLine``), grouped by
campaign (a campaign's lines are consecutive), checked to be versions 1, 2, 3… in order, and
counted; and one campaign's lines compared with the log a store holds for it.

What the import and the comparison of a file with a store share. Everything streams: one line,
and one page of the store's log, at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby

from documentstore.port import DocumentStore
from domain.errors import InvalidInput, LedgerError, OperationFailed
from operations.event_lines import EventLine, tenant_of_first
from operations.event_logs import event_documents
from projections.events import parse_event_document


class InvalidLog(Exception):
    """The file's events of one campaign are not a log a store can hold."""


class CampaignLines:
    """The lines of one campaign: versions 1, 2, 3… in order, all with the campaign's tenant
    (else ``InvalidLog``), counted as they are read, and the rest read past (``drain``) when
    the campaign is given up."""

    def __init__(self, campaign_id: str, group: Iterator[EventLine]) -> None:
        self.campaign_id = campaign_id
        self._group = group
        self.read = 0

    def __iter__(self) -> Iterator[EventLine]:
        tenant: str | None = None
        for line in self._group:
            self.read += 1
            if line.version != self.read:
                raise InvalidLog(
                    "its lines are not versions 1, 2, 3… in order and consecutive in the "
                    f"file: version {line.version} where {self.read} was due"
                )
            created = line.data.get("tenantId") if line.type == "CampaignCreated" else None
            tenant = tenant or (created if isinstance(created, str) else line.tenant_id)
            if line.tenant_id != tenant:
                raise InvalidLog(
                    f"the line of version {line.version} names tenant {line.tenant_id!r}, the "
                    f"campaign's is {tenant!r}"
                )
            yield line

    def drain(self) -> int:
        """Read past the rest; returns how many lines the campaign had in all."""
        self.read += sum(1 for _ in self._group)
        return self.read


@dataclass
class LineCount:
    """How many event lines were read so far (blank lines are skipped, not counted)."""

    lines: int = 0


def campaigns_in(
    texts: Iterable[str],
    count: LineCount,
    progress: Callable[[int], None] | None = None,
) -> Iterator[CampaignLines]:
    """The file's campaigns in file order; a line that is not an exported event stops the
    reading with ``OperationFailed`` naming it (the campaign it was in is incomplete)."""
    for campaign_id, group in groupby(_parsed(texts, count, progress), _campaign_of):
        yield CampaignLines(campaign_id, group)


def _parsed(
    texts: Iterable[str], count: LineCount, progress: Callable[[int], None] | None
) -> Iterator[EventLine]:
    for number, text in enumerate(texts, start=1):
        if not text.strip():
            continue
        try:
            line = EventLine.parse(text)
        except InvalidInput as invalid:
            raise OperationFailed(f"line {number}: {invalid.detail}") from None
        count.lines += 1
        if progress is not None and count.lines % 1000 == 0:
            progress(count.lines)
        yield line


def _campaign_of(line: EventLine) -> str:
    return line.campaign_id


@dataclass(frozen=True)
class LogDifference:
    """Why a store's log of a campaign is not the file's: ``invalid`` when the file's own
    lines are at fault, else the store holds another log."""

    reason: str
    invalid: bool = False


def compare_log(store: DocumentStore, version: int, lines: CampaignLines) -> LogDifference | None:
    """The store's log of the campaign (up to its head's ``version``) against the file's
    lines, page by page; None when they are the same events. The lines are read to the end."""
    stored = event_documents(store, lines.campaign_id, up_to=version)
    tenant: str | None = None
    difference: LogDifference | None = None
    try:
        for line in lines:
            document = next(stored, None)
            if document is None:
                difference = LogDifference(
                    f"the store's log ends at version {version}, the file's goes on"
                )
                break
            event = parse_event_document(document)
            tenant = tenant or tenant_of_first(event)
            if EventLine.of(event, tenant) != line:
                difference = LogDifference(f"the event at version {line.version} differs")
                break
    except InvalidLog as invalid:
        difference = LogDifference(str(invalid), invalid=True)
    except LedgerError as unreadable:
        difference = LogDifference(f"its stored log cannot be read: {unreadable.detail}")
    read = lines.read
    lines.drain()
    if difference is None and read != version:
        difference = LogDifference(
            f"the store's log goes to version {version}, the file's ends at {read}"
        )
    return difference
