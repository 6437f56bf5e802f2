"""Dead letters: events the projectors could not apply, kept with the error in ``leases`` so
nothing is dropped silently and one bad event does not stall its partition.

``leases`` is partitioned by ``id``, so each dead letter is its own document
(``dead-letter.<campaignId>.<version>``, holding the event document and the error) and an
index document (``dead-letters``) lists them for ``list`` and the status report. Recording is
idempotent: the same event failing again updates its entry (attempts, last error). The index is
written before the letter, so a crash in between leaves an entry whose letter is missing (the
event itself is still in the log) rather than an unlisted letter.

Each letter carries the campaign's ``tenantId`` (null when even that is unknown: an unreadable
``CampaignCreated``, or a letter recorded before tenants were kept), so a tenant is shown its own
letters only. Replaying re-projects the letter's campaign from its log (``projections.rebuild``).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from documentstore.port import (
    LEASES,
    Create,
    Delete,
    Document,
    DocumentStore,
    Replace,
    Upsert,
    without_system_fields,
)
from domain.errors import (
    DocumentConflict,
    DocumentNotFound,
    EtagMismatch,
    LedgerError,
    WriteContention,
)
from domain.recorded import RecordedEvent
from projections.campaign_views import Failure
from projections.events import campaign_of

logger = logging.getLogger(__name__)

INDEX_ID = "dead-letters"
_Result = TypeVar("_Result")
_INDEX_ATTEMPTS = 20


def dead_letter_id(campaign_id: str, version: int | str) -> str:
    suffix = f"{version:010d}" if isinstance(version, int) else str(version)
    return f"dead-letter.{campaign_id}.{suffix}"


@dataclass(frozen=True)
class DeadLetter:
    """One index entry: which event failed, how, and how often."""

    id: str
    campaign_id: str
    tenant_id: str | None
    version: int | None
    event_type: str | None
    error: str
    error_code: str
    generation: int
    first_failed_at: str
    last_failed_at: str
    attempts: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "campaignId": self.campaign_id,
            "tenantId": self.tenant_id,
            "version": self.version,
            "eventType": self.event_type,
            "error": self.error,
            "errorCode": self.error_code,
            "generation": self.generation,
            "firstFailedAt": self.first_failed_at,
            "lastFailedAt": self.last_failed_at,
            "attempts": self.attempts,
        }

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> DeadLetter:
        return cls(
            id=entry["id"],
            campaign_id=entry["campaignId"],
            tenant_id=entry.get("tenantId"),
            version=entry.get("version"),
            event_type=entry.get("eventType"),
            error=entry["error"],
            error_code=entry["errorCode"],
            generation=int(entry["generation"]),
            first_failed_at=entry["firstFailedAt"],
            last_failed_at=entry["lastFailedAt"],
            attempts=int(entry["attempts"]),
        )


class DeadLetterBox:
    """Records, lists and removes dead letters (``clock`` only stamps when they failed)."""

    def __init__(self, store: DocumentStore, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    def record(
        self,
        event_document: Mapping[str, Any],
        error: Exception,
        *,
        generation: int,
        tenant_id: str | None = None,
    ) -> DeadLetter:
        """Keep ``event_document`` and ``error``; repeat calls for one event update its entry.

        ``tenant_id``: the campaign's tenant when the caller knows it, else the event's own
        (``metadata.tenantId``)."""
        campaign_id = campaign_of(event_document)
        tenant = tenant_id if tenant_id is not None else _tenant_of(event_document)
        version = event_document.get("version")
        letter_id = dead_letter_id(
            campaign_id, version if isinstance(version, int) else str(event_document.get("id"))
        )
        now = datetime.fromtimestamp(self._clock(), UTC).isoformat()
        detail = str(getattr(error, "detail", None) or error) or type(error).__name__
        code = error.code if isinstance(error, LedgerError) else type(error).__name__

        def changed(entries: dict[str, Any]) -> DeadLetter:
            previous = entries.get(letter_id)
            letter = DeadLetter(
                id=letter_id,
                campaign_id=campaign_id,
                tenant_id=tenant,
                version=version if isinstance(version, int) else None,
                event_type=event_document.get("type"),
                error=detail,
                error_code=code,
                generation=generation,
                first_failed_at=previous["firstFailedAt"] if previous else now,
                last_failed_at=now,
                attempts=(int(previous["attempts"]) + 1) if previous else 1,
            )
            entries[letter_id] = letter.to_json()
            return letter

        letter = self._update_index(changed)
        document = {
            "id": letter_id,
            "docType": "deadLetter",
            **letter.to_json(),
            "event": without_system_fields(event_document),
        }
        self._store.execute_batch(LEASES, letter_id, [Upsert(document)])
        return letter

    def record_failures(
        self,
        failures: Sequence[Failure],
        raw: Mapping[int | str, Mapping[str, Any]],
        *,
        generation: int,
        tenant_id: str | None,
    ) -> None:
        """Record each event that could not be projected, with the document it came in: the
        failure's own, else the one at its version in ``raw``, else one rebuilt from the event."""
        for failure in failures:
            document = (
                failure.document or raw.get(failure.event.version) or _as_document(failure.event)
            )
            logger.warning(
                "dead-lettered %s v%s of campaign %s: %s",
                failure.event.type,
                failure.event.version,
                failure.event.campaign_id,
                failure.error,
            )
            self.record(document, failure.error, generation=generation, tenant_id=tenant_id)

    def list(self, *, tenant_id: str | None = None) -> list[DeadLetter]:
        """Every dead letter (of ``tenant_id`` only, when given), oldest failure first."""
        index = self._store.read(LEASES, INDEX_ID, INDEX_ID)
        entries = [] if index is None else index.get("entries", {}).values()
        letters = [DeadLetter.from_json(entry) for entry in entries]
        if tenant_id is not None:
            letters = [letter for letter in letters if letter.tenant_id == tenant_id]
        return sorted(letters, key=lambda letter: (letter.first_failed_at, letter.id))

    def read(self, letter_id: str) -> Document | None:
        """The full dead letter, with the event document as it was received."""
        return self._store.read(LEASES, letter_id, letter_id)

    def remove(self, letter_ids: Iterable[str]) -> None:
        """Forget the given dead letters (after a successful replay)."""
        wanted = set(letter_ids)
        if not wanted:
            return

        def without(entries: dict[str, Any]) -> None:
            for letter_id in wanted:
                entries.pop(letter_id, None)

        for letter_id in sorted(wanted):
            if self._store.read(LEASES, letter_id, letter_id) is not None:
                with contextlib.suppress(DocumentNotFound):
                    self._store.execute_batch(LEASES, letter_id, [Delete(letter_id)])
        self._update_index(without)

    def _update_index(self, change: Callable[[dict[str, Any]], _Result]) -> _Result:
        """Apply ``change`` to the index entries with an etag check, retrying on a race."""
        for _ in range(_INDEX_ATTEMPTS):
            index = self._store.read(LEASES, INDEX_ID, INDEX_ID)
            entries: dict[str, Any] = dict(index.get("entries", {})) if index else {}
            result = change(entries)
            document = {"id": INDEX_ID, "docType": "deadLetterIndex", "entries": entries}
            operation = (
                Create(document)
                if index is None
                else Replace(document, if_match=index.get("_etag"))
            )
            try:
                self._store.execute_batch(LEASES, INDEX_ID, [operation])
            except (EtagMismatch, DocumentConflict, DocumentNotFound):
                continue
            return result
        raise WriteContention("the dead-letter index kept changing under concurrent writers")


def _tenant_of(event_document: Mapping[str, Any]) -> str | None:
    metadata = event_document.get("metadata")
    tenant = metadata.get("tenantId") if isinstance(metadata, Mapping) else None
    return tenant if isinstance(tenant, str) else None


def _as_document(event: RecordedEvent) -> Document:
    return {
        "partitionKey": event.campaign_id,
        "streamId": event.campaign_id,
        "docType": "event",
        "version": event.version,
        "type": event.type,
        "data": event.data,
        "metadata": event.metadata,
        "timestamp": event.timestamp,
    }
