"""The live generation of ``views`` as the read model reads it: point reads, the campaign's
snapshot read with the documents that depend on it, and a page of a campaign's list.

A campaign's snapshot is one point read. An entity (a version, a run) is one read of two known
ids, the entity and the snapshot: the snapshot says whether the campaign is the tenant's and
not deleted (deleting a campaign touches only its snapshot and its list entry). A list that
grows with the campaign's history is the snapshot's point read plus one range query of the
list's item documents, a page at a time (``limit`` items, an opaque ``continuation``).
The live generation comes from the projection state, cached for ``generation_cache_seconds``;
a miss re-reads it, so a switch is followed at once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from documentstore.port import VIEWS, Document, DocumentStore, JsonScalar, Query
from domain.errors import CampaignNotFound, InvalidInput
from projections.generations import ProjectionStateStore, prefix_of, stored_id
from projections.page_tokens import decode_token, encode_token, list_scope
from projections.projectors.documents import SNAPSHOT_ID, DocType

MAX_LIST_PAGE = 1_000
"""The largest ``limit`` of a campaign's lists (API.md round 2: 1 to 1,000)."""


@dataclass(frozen=True)
class View:
    """A read answer: ``body`` is the API.md response body (camelCase, ready to send),
    ``version`` the last stream version the document applied, ``etag`` opaque and changing
    whenever the body changes. ``immutable``: the answer can never change (a read of the
    past whose moment is closed), so caches may keep it for good."""

    body: dict[str, Any]
    version: int
    etag: str
    immutable: bool = False


@dataclass(frozen=True)
class ListSpec:
    """One of a campaign's lists: its name, the id prefix of its item documents, their type,
    and the equality filters on their top-level fields (None: not filtered)."""

    name: str
    prefix: str
    doc_type: DocType
    filters: dict[str, str | None]


@dataclass(frozen=True)
class ListPage:
    """One page of a list: the item bodies, the token of the next page (None on the last)
    and a key naming the page asked for (the list, its filters, the position, the limit)."""

    items: list[dict[str, Any]]
    continuation: str | None
    key: str


class LiveViews:
    """Reads of the live generation (see the module docstring)."""

    def __init__(
        self,
        store: DocumentStore,
        *,
        generation_cache_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._states = ProjectionStateStore(store)
        self._cache_seconds = generation_cache_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._generation = 0
        self._generation_read_at = float("-inf")

    def generation(self, *, refresh: bool = False) -> int:
        """The live generation (cached; ``refresh`` reads it now)."""
        now = self._monotonic()
        with self._lock:
            if refresh or now - self._generation_read_at > self._cache_seconds:
                self._generation = self._states.read().live
                self._generation_read_at = now
            return self._generation

    def read(
        self, partition_key: str, logical_id: str, *, follow_switch: bool = True
    ) -> tuple[Document | None, int]:
        """One point read in the live generation; on a miss, follow a generation switch."""
        generation = self.generation()
        document = self.store.read(VIEWS, partition_key, stored_id(generation, logical_id))
        if document is None and follow_switch:
            latest = self.generation(refresh=True)
            if latest != generation:
                generation = latest
                document = self.store.read(VIEWS, partition_key, stored_id(generation, logical_id))
        return document, generation

    def read_in(self, campaign_id: str, generation: int, logical_id: str) -> Document | None:
        """One point read of a campaign's document in ``generation``."""
        return self.store.read(VIEWS, campaign_id, stored_id(generation, logical_id))

    def visible(
        self, tenant_id: str, campaign_id: str, logical_id: str | None = None
    ) -> tuple[Document, Document | None, int]:
        """The campaign's snapshot when the tenant may see it (else ``CampaignNotFound``), and
        the document ``logical_id`` if it exists, read together (one round trip)."""
        wanted = [SNAPSHOT_ID] if logical_id is None else [SNAPSHOT_ID, logical_id]
        generation = self.generation()
        found = self._read_many(campaign_id, generation, wanted)
        if SNAPSHOT_ID not in found:
            latest = self.generation(refresh=True)
            if latest != generation:
                generation = latest
                found = self._read_many(campaign_id, generation, wanted)
        snapshot = found.get(SNAPSHOT_ID)
        if snapshot is None or not visible_to(snapshot, tenant_id):
            raise CampaignNotFound(f"campaign {campaign_id} not found")
        return snapshot, None if logical_id is None else found.get(logical_id), generation

    def page(
        self,
        snapshot: Document,
        generation: int,
        spec: ListSpec,
        limit: int,
        continuation: str | None,
    ) -> ListPage:
        """One page of a list's item documents, read with one range query."""
        check_limit(limit)
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
        found = self.query_all(query, page_size=limit + 1)
        prefix = prefix_of(generation)
        last = str(found[limit - 1]["id"]).removeprefix(prefix) if len(found) > limit else None
        items = [dict(document["body"]) for document in found[:limit]]
        return ListPage(items, encode_token(scope, last), f"{scope}\x1f{after}\x1f{limit}")

    def query_all(self, query: Query, *, page_size: int) -> list[Document]:
        """Every document of ``query`` (its ``limit`` bounds them), through the store's pages."""
        found: list[Document] = []
        token: str | None = None
        while True:
            page = self.store.query(VIEWS, query, page_size=page_size, continuation=token)
            found.extend(page.items)
            token = page.continuation
            if token is None:
                return found

    def _read_many(
        self, campaign_id: str, generation: int, logical_ids: list[str]
    ) -> dict[str, Document]:
        prefix = prefix_of(generation)
        documents = self.store.read_many(
            VIEWS, campaign_id, [stored_id(generation, logical) for logical in logical_ids]
        )
        return {str(document["id"]).removeprefix(prefix): document for document in documents}


def check_limit(limit: int) -> None:
    """A campaign's list pages 1 to ``MAX_LIST_PAGE`` items; else ``InvalidInput``."""
    if not 1 <= limit <= MAX_LIST_PAGE:
        message = f"must be between 1 and {MAX_LIST_PAGE}"
        raise InvalidInput(f"limit: {message}", code="validation-failed")


def visible_to(document: Document, tenant_id: str) -> bool:
    """The snapshot (or list entry) of a campaign the tenant may see: its own, not deleted."""
    return document.get("tenantId") == tenant_id and not document.get("campaignDeleted", False)


def document_view(document: Document, generation: int, body: dict[str, Any]) -> View:
    """The answer of one stored document, its etag the store's."""
    return View(
        body=body,
        version=int(document["appliedVersion"]),
        etag=digest(str(generation), str(document.get("_etag"))),
    )


def derived_view(snapshot: Document, generation: int, body: dict[str, Any], key: str) -> View:
    """An answer derived from the snapshot (and the documents read with it): as fresh as the
    snapshot, which sees every event of the campaign, so its etag moves whenever the answer
    could have changed; ``key`` names what was derived (a list and its page, an artifact)."""
    etag = digest(str(generation), str(snapshot.get("_etag")), key)
    return View(body=body, version=int(snapshot["appliedVersion"]), etag=etag)


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
