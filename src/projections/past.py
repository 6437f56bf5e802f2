"""Reading the past (API.md round 2): a campaign's views as they stood at a stream version or
at an instant, folded from the log prefix by the projectors that build the live views.

No history of views is stored. A read of the past is one read of the log prefix (one partition
query of the events up to version N, or up to the first event recorded after the instant,
``PREFIX_PAGE`` events a page), applied from scratch with the runner's rules
(``projections.view_size``: the same refusals, the same size limit) to an in-memory working set.
The projectors are pure and their timestamps come from the events, so the documents at N are
exactly those the live projection held when its watermark was N, and a read of them answers
byte for byte what a live read answered then.

An instant selects the events in stream order up to the first one recorded after it. The
answer is **closed** (it can never change, so caches may keep it) at a version, and at an
instant once an event recorded after it exists: appends only ever go after it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from documentstore.port import DocumentStore
from domain.errors import VersionNotFound
from eventstore.documents import MAX_VERSION
from projections.campaign_views import CampaignViews, load_nothing
from projections.events import read_campaign_events
from projections.feed import RawEvent, parsed, position_of
from projections.live_views import ListPage, View, check_limit
from projections.page_tokens import decode_token, encode_token, list_scope
from projections.projectors import ViewKey, snapshot_key
from projections.projectors.documents import version_id
from projections.view_size import apply_within_size_limit

Document = dict[str, Any]

PREFIX_PAGE = 1_000
"""Events per page of the log prefix: a prefix of up to 1,000 events is one round trip."""


@dataclass(frozen=True)
class Moment:
    """A point in a campaign's past: a stream version (1 or more), or an instant (with its
    offset). Exactly one of the two."""

    version: int | None = None
    instant: datetime | None = None

    def __post_init__(self) -> None:
        if (self.version is None) == (self.instant is None):
            raise ValueError("a moment is a version or an instant, exactly one of them")
        if self.version is not None and self.version < 1:
            raise ValueError("a moment's version is 1 or more")
        if self.instant is not None and self.instant.tzinfo is None:
            raise ValueError("a moment's instant carries its offset")

    def __str__(self) -> str:
        return f"version {self.version}" if self.instant is None else self.instant.isoformat()


@dataclass(frozen=True)
class PastViews:
    """A campaign's documents as they stood at a moment: ``version`` is the stream version of
    the last event folded, ``closed`` whether the answer can never change."""

    campaign_id: str
    version: int
    closed: bool
    documents: dict[ViewKey, Document]

    def document(self, logical_id: str) -> Document | None:
        """The campaign's document ``logical_id`` at the moment, or None."""
        return self.documents.get(ViewKey(self.campaign_id, logical_id))

    @property
    def snapshot(self) -> Document | None:
        return self.documents.get(snapshot_key(self.campaign_id))

    def snapshot_body(self) -> dict[str, Any]:
        """The snapshot's body as a live read answers it: the content of active versions too
        large to inline taken from their version documents (``projections.reads``)."""
        snapshot = self.snapshot
        if snapshot is None:
            raise ValueError("no snapshot at this moment")
        body: dict[str, Any] = snapshot["body"]
        spilled: list[str] = snapshot.get("state", {}).get("spilledContent", [])
        if not spilled:
            return body
        filled = dict(body)
        filled["activeVersions"] = {
            key: dict(entry) for key, entry in body["activeVersions"].items()
        }
        for entry in filled["activeVersions"].values():
            if entry["id"] in spilled:
                version = self.document(version_id(entry["id"]))
                entry["content"] = None if version is None else version["body"]["content"]
        return filled

    def page(self, name: str, prefix: str, limit: int, continuation: str | None) -> ListPage:
        """One page of the list whose item documents' ids start with ``prefix``, as the live
        list pages it; its tokens name the moment's version, so they serve only this past."""
        check_limit(limit)
        scope = list_scope(self.campaign_id, name, prefix, f"atVersion={self.version}")
        after = decode_token(continuation, scope, prefix) or prefix
        ids = sorted(
            key.id
            for key in self.documents
            if key.partition_key == self.campaign_id
            and key.id.startswith(prefix)
            and key.id > after
        )
        items = [
            dict(self.documents[ViewKey(self.campaign_id, id_)]["body"]) for id_ in ids[:limit]
        ]
        last = ids[limit - 1] if len(ids) > limit else None
        return ListPage(items, encode_token(scope, last), f"{scope}\x1f{after}\x1f{limit}")

    def view(self, body: dict[str, Any]) -> View:
        """The answer ``body`` at this moment: its etag a digest of the body itself."""
        encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        etag = hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:32]
        return View(body=body, version=self.version, etag=etag, immutable=self.closed)


def past_views(
    store: DocumentStore, campaign_id: str, moment: Moment, *, generation: int
) -> PastViews:
    """The campaign's documents at ``moment``, folded from one read of the log prefix
    (``generation`` only measures the documents as that generation would store them).
    ``VersionNotFound`` when the campaign has no such past: a version above its current one,
    an instant before its first event."""
    if moment.version is not None and moment.version > MAX_VERSION:
        raise VersionNotFound(f"campaign {campaign_id} has no past at {moment}")
    prefix: dict[int | str, RawEvent] = {}
    closed = moment.instant is None
    page_size = PREFIX_PAGE if moment.version is None else min(moment.version, PREFIX_PAGE)
    for document in read_campaign_events(
        store, campaign_id, up_to=moment.version, page_size=page_size
    ):
        if moment.instant is not None and _recorded_after(document, moment.instant):
            closed = True
            break
        prefix[position_of(document)] = document
    last = max((p for p in prefix if isinstance(p, int)), default=0)
    if last == 0 or (moment.version is not None and last < moment.version):
        raise VersionNotFound(f"campaign {campaign_id} has no past at {moment}")
    events, _ = parsed(prefix)  # the unreadable ones changed no live document either
    applied = apply_within_size_limit(generation, CampaignViews(campaign_id, load_nothing), events)
    return PastViews(campaign_id, last, closed, applied.views.documents())


def _recorded_after(document: RawEvent, instant: datetime) -> bool:
    """Whether an event document was recorded after ``instant`` (an unreadable timestamp
    counts as not after: the event is then folded, and refused, as the live views refused
    it)."""
    try:
        recorded = datetime.fromisoformat(str(document["timestamp"]))
    except (KeyError, ValueError):
        return False
    if recorded.tzinfo is None:
        recorded = recorded.replace(tzinfo=UTC)
    return recorded > instant
