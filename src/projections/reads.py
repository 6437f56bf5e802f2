"""The read side as the HTTP layer and the CLI see it, in the live generation of ``views``.

A campaign's snapshot is one point read. An entity (a version, a run) is one read of two known
ids, the entity and the snapshot: the snapshot says whether the campaign is the tenant's and
not deleted (deleting a campaign touches only its snapshot and its list entry). A list that
grows with the campaign's history (an artifact's versions, the audit reports, the iterations,
the runs) is the snapshot's point read plus one range query of the list's item documents,
a page at a time (``limit`` items, an opaque ``continuation``); every item stays reachable
however large the campaign grows. The tenant's campaign list is one query on the tenant index.
The live generation comes from the projection state, cached for ``generation_cache_seconds``;
a miss re-reads it, so a switch is followed at once.
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

from documentstore.port import VIEWS, Document, DocumentStore, JsonScalar, Query
from domain.errors import CampaignNotFound, EntityNotFound, InvalidContinuation, InvalidInput
from projections.generations import ProjectionStateStore, prefix_of, stored_id
from projections.page_tokens import decode_token, encode_token, list_scope
from projections.projectors.documents import (
    AUDIT_PREFIX,
    CAMPAIGN_INDEX_PREFIX,
    ITERATION_PREFIX,
    RUN_ENTRY_PREFIX,
    SNAPSHOT_ID,
    DocType,
    entry_prefix,
    run_id,
    tenant_partition,
    version_id,
)
from projections.status import LOCAL_PROCESSOR, LagSource, projection_status

_CONTINUATION = re.compile(r"campaign\.[0-9]{17}\.[A-Za-z0-9-]{1,64}")
_MAX_PAGE = 100
MAX_LIST_PAGE = 1_000
"""The largest ``limit`` of a campaign's lists (API.md round 2: 1 to 1,000)."""


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

    def version(self, tenant_id: str, campaign_id: str, version_id_: str) -> View:
        return self._entity(tenant_id, campaign_id, version_id(version_id_), "version")

    def run(self, tenant_id: str, campaign_id: str, run_id_: str) -> View:
        return self._entity(tenant_id, campaign_id, run_id(run_id_), "run")

    def version_history(
        self,
        tenant_id: str,
        campaign_id: str,
        artifact_id: str,
        *,
        limit: int = MAX_LIST_PAGE,
        continuation: str | None = None,
    ) -> View:
        """``{artifactId, type, versions, continuation}``: the versions by number."""
        snapshot, _, generation = self._visible(tenant_id, campaign_id)
        artifact = next(
            (a for a in snapshot["body"]["artifacts"] if a["id"] == artifact_id), None
        )
        if artifact is None:
            raise EntityNotFound(f"artifact not found in campaign {campaign_id}")
        items, token, page = self._page(
            snapshot,
            generation,
            _ListSpec("versions", entry_prefix(artifact_id), DocType.VERSION_ENTRY, {}),
            limit,
            continuation,
        )
        body = {
            "artifactId": artifact_id,
            "type": artifact["type"],
            "versions": items,
            "continuation": token,
        }
        return _list_view(snapshot, generation, body, page)

    def audits(
        self,
        tenant_id: str,
        campaign_id: str,
        version_id_: str,
        *,
        limit: int = MAX_LIST_PAGE,
        continuation: str | None = None,
    ) -> View:
        """``{items, continuation}``: one version's audit reports, oldest first."""
        snapshot, found, generation = self._visible(
            tenant_id, campaign_id, version_id(version_id_)
        )
        if found is None:
            raise EntityNotFound(f"version not found in campaign {campaign_id}")
        spec = _ListSpec(
            "version-audits", AUDIT_PREFIX, DocType.AUDIT_REPORT, {"versionId": version_id_}
        )
        items, token, page = self._page(snapshot, generation, spec, limit, continuation)
        body = {"items": [_plain_report(item) for item in items], "continuation": token}
        return _list_view(snapshot, generation, body, page)

    def campaign_audits(
        self,
        tenant_id: str,
        campaign_id: str,
        *,
        artifact_id: str | None = None,
        version_id_: str | None = None,
        overall_status: str | None = None,
        limit: int = 100,
        continuation: str | None = None,
    ) -> View:
        """``{items, continuation}``: every audit report of the campaign, in recorded order."""
        snapshot, _, generation = self._visible(tenant_id, campaign_id)
        filters = {
            "artifactId": artifact_id,
            "versionId": version_id_,
            "overallStatus": overall_status,
        }
        spec = _ListSpec("audits", AUDIT_PREFIX, DocType.AUDIT_REPORT, filters)
        items, token, page = self._page(snapshot, generation, spec, limit, continuation)
        return _list_view(snapshot, generation, {"items": items, "continuation": token}, page)

    def iterations(
        self,
        tenant_id: str,
        campaign_id: str,
        artifact_id: str | None = None,
        *,
        limit: int = MAX_LIST_PAGE,
        continuation: str | None = None,
    ) -> View:
        """``{items, continuation}``: the feedback log, oldest first."""
        snapshot, _, generation = self._visible(tenant_id, campaign_id)
        spec = _ListSpec(
            "iterations", ITERATION_PREFIX, DocType.ITERATION, {"artifactId": artifact_id}
        )
        items, token, page = self._page(snapshot, generation, spec, limit, continuation)
        return _list_view(snapshot, generation, {"items": items, "continuation": token}, page)

    def runs(
        self,
        tenant_id: str,
        campaign_id: str,
        *,
        status: str | None = None,
        limit: int = 100,
        continuation: str | None = None,
    ) -> View:
        """``{items, continuation}``: the campaign's runs in the order they were queued."""
        snapshot, _, generation = self._visible(tenant_id, campaign_id)
        spec = _ListSpec("runs", RUN_ENTRY_PREFIX, DocType.RUN_ENTRY, {"status": status})
        items, token, page = self._page(snapshot, generation, spec, limit, continuation)
        return _list_view(snapshot, generation, {"items": items, "continuation": token}, page)

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
        found = self._query_all(query, page_size=limit + 1)
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

    def has_reached(self, tenant_id: str, campaign_id: str, min_version: int) -> bool:
        """Whether ``tenant_id``'s campaign is projected up to ``min_version``: one point read
        of its snapshot. False alike for a campaign that does not exist, belongs to another
        tenant or is deleted, so that a wait on it looks the same (``api.version_waits``)."""
        document, _ = self._read(campaign_id, SNAPSHOT_ID, follow_switch=False)
        return (
            document is not None
            and _visible_to(document, tenant_id)
            and int(document["appliedVersion"]) >= min_version
        )

    def check_store(self) -> None:
        """One point read (the projection state): raises the store's error when it fails."""
        self._live_generation(refresh=True)

    def projection_status(self, tenant_id: str | None = None) -> dict[str, Any]:
        """Per projection and feed range: events and seconds behind, checkpoint, dead letters
        (only ``tenant_id``'s when given; every tenant's for the operator)."""
        return projection_status(self._store, tenant_id=tenant_id, source=self._lag_source)

    # --- helpers --------------------------------------------------------------------------

    def _entity(self, tenant_id: str, campaign_id: str, logical_id: str, what: str) -> View:
        _, document, generation = self._visible(tenant_id, campaign_id, logical_id)
        if document is None:
            raise EntityNotFound(f"{what} not found in campaign {campaign_id}")
        return _view(document, generation, document["body"])

    def _visible(
        self, tenant_id: str, campaign_id: str, logical_id: str | None = None
    ) -> tuple[Document, Document | None, int]:
        """The campaign's snapshot when the tenant may see it (else ``CampaignNotFound``), and
        the document ``logical_id`` if it exists, read together (one round trip)."""
        wanted = [SNAPSHOT_ID] if logical_id is None else [SNAPSHOT_ID, logical_id]
        generation = self._live_generation()
        found = self._read_many(campaign_id, generation, wanted)
        if SNAPSHOT_ID not in found:
            latest = self._live_generation(refresh=True)
            if latest != generation:
                generation = latest
                found = self._read_many(campaign_id, generation, wanted)
        snapshot = found.get(SNAPSHOT_ID)
        if snapshot is None or not _visible_to(snapshot, tenant_id):
            raise CampaignNotFound(f"campaign {campaign_id} not found")
        return snapshot, None if logical_id is None else found.get(logical_id), generation

    def _read_many(
        self, campaign_id: str, generation: int, logical_ids: list[str]
    ) -> dict[str, Document]:
        prefix = prefix_of(generation)
        documents = self._store.read_many(
            VIEWS, campaign_id, [stored_id(generation, logical) for logical in logical_ids]
        )
        return {str(document["id"]).removeprefix(prefix): document for document in documents}

    def _page(
        self,
        snapshot: Document,
        generation: int,
        spec: _ListSpec,
        limit: int,
        continuation: str | None,
    ) -> tuple[list[dict[str, Any]], str | None, str]:
        """One page of a list's item documents (bodies), the token of the next page, and a
        key naming the page asked for (the list, its filters, the position and the limit)."""
        if not 1 <= limit <= MAX_LIST_PAGE:
            message = f"must be between 1 and {MAX_LIST_PAGE}"
            raise InvalidInput(f"limit: {message}", code="validation-failed")
        campaign_id = str(snapshot["body"]["id"])
        scope = list_scope(campaign_id, spec.name, spec.prefix, *map(str, spec.filters.items()))
        after = decode_token(continuation, scope, spec.prefix)
        equals: dict[str, JsonScalar] = {"docType": spec.doc_type.value}
        equals.update({key: value for key, value in spec.filters.items() if value is not None})
        query = Query(
            partition_key=campaign_id,
            equals=equals,
            id_gt=stored_id(generation, after or spec.prefix),
            id_lte=stored_id(generation, spec.prefix + "~"),
            order_by=(("id", False),),
            limit=limit + 1,
        )
        found = self._query_all(query, page_size=limit + 1)
        prefix = prefix_of(generation)
        last = str(found[limit - 1]["id"]).removeprefix(prefix) if len(found) > limit else None
        page = f"{scope}\x1f{after}\x1f{limit}"
        items = [dict(document["body"]) for document in found[:limit]]
        return items, encode_token(scope, last), page

    def _query_all(self, query: Query, *, page_size: int) -> list[Document]:
        """Every document of ``query`` (its ``limit`` bounds them), through the store's pages."""
        found: list[Document] = []
        token: str | None = None
        while True:
            page = self._store.query(VIEWS, query, page_size=page_size, continuation=token)
            found.extend(page.items)
            token = page.continuation
            if token is None:
                return found

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


@dataclass(frozen=True)
class _ListSpec:
    """One of a campaign's lists: its name, the id prefix of its item documents, their type,
    and the equality filters on their top-level fields (None: not filtered)."""

    name: str
    prefix: str
    doc_type: DocType
    filters: dict[str, str | None]


def _plain_report(item: dict[str, Any]) -> dict[str, Any]:
    """A version's audit report as ``GET …/versions/{vid}/audits`` lists it (API.md's
    ``AuditReport``, without the campaign-level fields)."""
    return {key: value for key, value in item.items() if key not in ("artifactId", "versionNumber")}


def _list_view(snapshot: Document, generation: int, body: dict[str, Any], page: str) -> View:
    """A list's answer: as fresh as the snapshot (which sees every event of the campaign, so
    its etag moves whenever an item could have changed); ``page`` names the list, its filters
    and the page asked for."""
    etag = _digest(str(generation), str(snapshot.get("_etag")), page)
    return View(body=body, version=int(snapshot["appliedVersion"]), etag=etag)


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
        if not isinstance(after, str) or not _CONTINUATION.fullmatch(after):
            raise ValueError(after)
        return after
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError):
        raise InvalidContinuation("the continuation token is malformed") from None
