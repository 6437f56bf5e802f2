"""The read side as the HTTP layer and the CLI see it: each method is one point read of a
projection document in the live generation of ``views`` (the list: one query on the tenant
index).

Every view document carries ``tenantId`` and ``campaignDeleted``, so the same read answers
404 for a campaign of another tenant or a deleted one. Only a miss costs a second read (of the
snapshot), to tell an unknown campaign (``CampaignNotFound``) from an unknown entity of a
visible one (``EntityNotFound``). The live generation comes from the projection state,
cached for ``generation_cache_seconds``; a miss re-reads it, so a switch is followed at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from documentstore.port import VIEWS, Document, DocumentStore, Query
from domain.errors import CampaignNotFound, EntityNotFound, InvalidInput
from projections.generations import ProjectionStateStore, stored_id
from projections.projectors.documents import (
    CAMPAIGN_INDEX_PREFIX,
    ITERATIONS_ID,
    SNAPSHOT_ID,
    audits_id,
    history_id,
    run_id,
    tenant_partition,
    version_id,
)
from projections.status import LOCAL_PROCESSOR, LagSource, projection_status

_CONTINUATION = re.compile(r"^campaign\.[0-9]{17}\.[A-Za-z0-9-]{1,64}$")
_MAX_PAGE = 100


@dataclass(frozen=True)
class View:
    """A read answer: ``body`` is the API.md response body (camelCase, ready to send),
    ``version`` the last stream version the document applied, ``etag`` opaque and changing
    whenever the body changes."""

    body: dict[str, Any]
    version: int
    etag: str


@dataclass(frozen=True)
class CampaignPage:
    """One page of the tenant's campaign list; ``continuation`` is None on the last page."""

    items: list[dict[str, Any]]
    continuation: str | None


class ReadModel:
    """Reads of the materialized views. Unknown, foreign-tenant and soft-deleted campaigns raise
    ``CampaignNotFound``; an unknown entity of a visible campaign raises ``EntityNotFound``.

    ``lag_source`` says who projects this store, so who can measure the lag (``status``)."""

    def __init__(
        self,
        store: DocumentStore,
        *,
        lag_source: LagSource = LOCAL_PROCESSOR,
        generation_cache_seconds: float = 1.0,
        poll_interval: float = 0.02,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store = store
        self._lag_source = lag_source
        self._states = ProjectionStateStore(store)
        self._cache_seconds = generation_cache_seconds
        self._poll_interval = poll_interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._generation = 0
        self._generation_read_at = float("-inf")

    # --- one campaign ---------------------------------------------------------------------

    def campaign(self, tenant_id: str, campaign_id: str) -> View:
        document, generation = self._read(campaign_id, SNAPSHOT_ID)
        if document is None or not _visible_to(document, tenant_id):
            raise CampaignNotFound(f"campaign {campaign_id} not found")
        body: dict[str, Any] = document["body"]
        spilled: list[str] = document.get("state", {}).get("spilledContent", [])
        if spilled:
            body = self._with_spilled_content(body, campaign_id, spilled, generation)
        return _view(document, generation, body)

    def version_history(self, tenant_id: str, campaign_id: str, artifact_id: str) -> View:
        return self._entity(tenant_id, campaign_id, history_id(artifact_id), "artifact")

    def version(self, tenant_id: str, campaign_id: str, version_id_: str) -> View:
        return self._entity(tenant_id, campaign_id, version_id(version_id_), "version")

    def audits(self, tenant_id: str, campaign_id: str, version_id_: str) -> View:
        return self._entity(tenant_id, campaign_id, audits_id(version_id_), "version")

    def iterations(self, tenant_id: str, campaign_id: str, artifact_id: str | None = None) -> View:
        view = self._entity(tenant_id, campaign_id, ITERATIONS_ID, "campaign")
        if artifact_id is None:
            return view
        items = [item for item in view.body["items"] if item["artifactId"] == artifact_id]
        etag = _digest(view.etag, artifact_id)
        return View(body={"items": items}, version=view.version, etag=etag)

    def run(self, tenant_id: str, campaign_id: str, run_id_: str) -> View:
        return self._entity(tenant_id, campaign_id, run_id(run_id_), "run")

    # --- the list -------------------------------------------------------------------------

    def list_campaigns(
        self,
        tenant_id: str,
        *,
        status: str | None = None,
        limit: int = 20,
        continuation: str | None = None,
    ) -> CampaignPage:
        """Newest first (``createdAt`` descending, then ``id``); deleted campaigns left out.
        ``continuation`` is this method's own opaque token; a malformed one raises
        ``InvalidInput`` with code ``invalid-continuation``."""
        if not 1 <= limit <= _MAX_PAGE:
            raise InvalidInput(f"limit must be 1 to {_MAX_PAGE}", code="validation-failed")
        after = _decode_continuation(continuation)
        generation = self._live_generation()
        equals: dict[str, str | bool] = {"docType": "campaignIndex", "campaignDeleted": False}
        if status is not None:
            equals["status"] = status
        query = Query(
            partition_key=tenant_partition(tenant_id),
            equals=equals,
            id_gt=stored_id(generation, after or CAMPAIGN_INDEX_PREFIX),
            id_lte=stored_id(generation, CAMPAIGN_INDEX_PREFIX + "~"),
            order_by=(("id", False),),
            limit=limit + 1,
        )
        found: list[Document] = []
        token: str | None = None
        while len(found) <= limit:
            page = self._store.query(VIEWS, query, page_size=limit + 1, continuation=token)
            found.extend(page.items)
            token = page.continuation
            if token is None:
                break
        items = [dict(document["body"]) for document in found[:limit]]
        more = len(found) > limit
        last_id = str(found[limit - 1]["id"]).split(".", 1)[1] if more else None
        return CampaignPage(items=items, continuation=_encode_continuation(last_id))

    # --- freshness and status -------------------------------------------------------------

    def wait_for(self, campaign_id: str, min_version: int, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until the campaign's projection has applied
        ``min_version``; True when it has."""
        deadline = self._monotonic() + timeout
        while True:
            document, _ = self._read(campaign_id, SNAPSHOT_ID, follow_switch=False)
            if document is not None and int(document["appliedVersion"]) >= min_version:
                return True
            if self._monotonic() >= deadline:
                return False
            self._sleep(self._poll_interval)

    def projection_status(self, tenant_id: str | None = None) -> dict[str, Any]:
        """Per projection and feed range: events and seconds behind, checkpoint, dead letters
        (only ``tenant_id``'s when given; every tenant's for the operator)."""
        return projection_status(self._store, tenant_id=tenant_id, source=self._lag_source)

    # --- helpers --------------------------------------------------------------------------

    def _entity(self, tenant_id: str, campaign_id: str, logical_id: str, what: str) -> View:
        document, generation = self._read(campaign_id, logical_id)
        if document is None:
            snapshot, _ = self._read(campaign_id, SNAPSHOT_ID)
            if snapshot is None or not _visible_to(snapshot, tenant_id):
                raise CampaignNotFound(f"campaign {campaign_id} not found")
            raise EntityNotFound(f"{what} not found in campaign {campaign_id}")
        if not _visible_to(document, tenant_id):
            raise CampaignNotFound(f"campaign {campaign_id} not found")
        return _view(document, generation, document["body"])

    def _read(
        self, campaign_id: str, logical_id: str, *, follow_switch: bool = True
    ) -> tuple[Document | None, int]:
        """One point read in the live generation; on a miss, follow a generation switch."""
        generation = self._live_generation()
        document = self._store.read(VIEWS, campaign_id, stored_id(generation, logical_id))
        if document is None and follow_switch:
            latest = self._live_generation(refresh=True)
            if latest != generation:
                generation = latest
                document = self._store.read(VIEWS, campaign_id, stored_id(generation, logical_id))
        return document, generation

    def _live_generation(self, *, refresh: bool = False) -> int:
        now = self._monotonic()
        with self._lock:
            if refresh or now - self._generation_read_at > self._cache_seconds:
                self._generation = self._states.read().live
                self._generation_read_at = now
            return self._generation

    def _with_spilled_content(
        self, body: dict[str, Any], campaign_id: str, spilled: list[str], generation: int
    ) -> dict[str, Any]:
        """The snapshot body with the content of active versions too large to inline."""
        filled = dict(body)
        filled["activeVersions"] = {
            key: dict(entry) for key, entry in body["activeVersions"].items()
        }
        for entry in filled["activeVersions"].values():
            if entry["id"] in spilled:
                version = self._store.read(
                    VIEWS, campaign_id, stored_id(generation, version_id(entry["id"]))
                )
                entry["content"] = None if version is None else version["body"]["content"]
        return filled


def _visible_to(document: Document, tenant_id: str) -> bool:
    return document.get("tenantId") == tenant_id and not document.get("campaignDeleted", False)


def _view(document: Document, generation: int, body: dict[str, Any]) -> View:
    return View(
        body=body,
        version=int(document["appliedVersion"]),
        etag=_digest(str(generation), str(document.get("_etag"))),
    )


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def _encode_continuation(last_id: str | None) -> str | None:
    if last_id is None:
        return None
    raw = json.dumps({"after": last_id}, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_continuation(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        after = decoded["after"]
        if not isinstance(after, str) or not _CONTINUATION.match(after):
            raise ValueError(after)
        return after
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError):
        raise InvalidInput(
            "the continuation token is malformed", code="invalid-continuation"
        ) from None
