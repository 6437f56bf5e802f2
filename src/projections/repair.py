"""Whole-campaign repair: one campaign projected again from its whole log, compared with what a
generation holds, and (when asked) written over it so that it holds exactly that.

``projections.rebuild`` calls it to repair one campaign (``campaigns rebuild --campaign``) and
to replay dead letters. The campaign is projected aside, from scratch, with the runner's rules:
unreadable documents and refused events are dead-lettered, the size limit holds
(``projections.view_size``). Then changed documents are replaced, missing ones created,
documents the log does not justify removed, and the rest written in the write plan's order, the
snapshot last (``projections.write_plan``); the campaign's statistics contribution is written
with its feed range's partial, moved by the difference (``projections.tallies``). Another
writer meanwhile (the log grew past what was read, an etag conflict) means reading and
projecting again, a bounded number of times (then ``WriteContention``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from documentstore.port import EVENTS, VIEWS, Delete, Document, DocumentStore
from domain.errors import WriteContention
from projections.campaign_views import CampaignViews, Change, Failure, load_nothing
from projections.dead_letters import DeadLetterBox
from projections.events import read_campaign_events
from projections.feed import parsed, position_of
from projections.generations import stored_id
from projections.projectors import ViewKey, snapshot_key
from projections.stored_views import Difference, StoredView, compare, read_campaign_views
from projections.tallies import Tally, tally_batches
from projections.view_size import apply_within_size_limit
from projections.write_plan import Place, place_of, plan_writes
from projections.writer import CONFLICTS


@dataclass(frozen=True)
class Reprojection:
    """A campaign projected again from its whole log, compared with what was stored."""

    campaign_id: str
    events: int
    watermark: int
    differences: list[Difference]
    failures: list[Failure]
    written: bool
    tenant_id: str | None


class CampaignRepair:
    """Projects whole campaigns again from their logs (see the module docstring)."""

    def __init__(
        self,
        store: DocumentStore,
        *,
        dead_letters: DeadLetterBox | None = None,
        max_attempts: int = 8,
    ) -> None:
        self._store = store
        self._dead_letters = dead_letters or DeadLetterBox(store)
        self._max_attempts = max_attempts

    def reproject(self, generation: int, campaign_id: str, *, write: bool = True) -> Reprojection:
        """Project the campaign's whole log from scratch and (if ``write``) make ``generation``
        hold exactly that: changed documents replaced, missing ones created, extra ones removed,
        the snapshot last."""
        for _ in range(self._max_attempts):
            raw = {position_of(doc): doc for doc in read_campaign_events(self._store, campaign_id)}
            events, unreadable = parsed(raw)
            applied = apply_within_size_limit(
                generation, CampaignViews(campaign_id, load_nothing), events
            )
            fresh = applied.views
            failures = [*unreadable, *applied.refused]
            stored = read_campaign_views(self._store, generation, campaign_id)
            live_snapshot = stored.get(snapshot_key(campaign_id))
            last_read = max((p for p in raw if isinstance(p, int)), default=0)
            if (
                live_snapshot is not None
                and int(live_snapshot.document["appliedVersion"]) > last_read
            ):
                continue  # the log grew after we read it: read it again
            expected = fresh.documents()
            differences = compare(
                campaign_id, expected, {key: view.document for key, view in stored.items()}
            )
            snapshot = expected.get(snapshot_key(campaign_id))
            result = Reprojection(
                campaign_id=campaign_id,
                events=len(raw),
                watermark=fresh.watermark,
                differences=differences,
                failures=failures,
                written=write,
                tenant_id=None if snapshot is None else str(snapshot["tenantId"]),
            )
            if not write:
                return result
            self._dead_letters.record_failures(
                failures, raw, generation=generation, tenant_id=fresh.tenant_id
            )
            changes = [
                Change(key, document, stored[key].etag if key in stored else None)
                for key, document in expected.items()
                if key not in stored or stored[key].document != document
            ]
            try:
                self._remove_unexpected(generation, campaign_id, expected, stored)
                planned = plan_writes(generation, campaign_id, changes, applied.measured)
                tallies = self._tallies(campaign_id, expected, stored)
                batches = planned.batches(tally_batches(self._store, generation, tallies))
                self._store.execute_batches(VIEWS, batches).results()
            except CONFLICTS:
                continue
            return result
        raise WriteContention(f"the views of campaign {campaign_id} kept changing under us")

    def _tallies(
        self,
        campaign_id: str,
        expected: Mapping[ViewKey, Document],
        stored: Mapping[ViewKey, StoredView],
    ) -> list[Tally]:
        """The contribution as the log gives it against the one stored (written, or removed,
        with its partial moved by the difference)."""
        keys = [key for key in {*expected, *stored} if place_of(key, campaign_id) is Place.TALLY]
        tallies = []
        for key in keys:
            before = stored.get(key)
            after = expected.get(key)
            if before is not None and before.document == after:
                continue
            tallies.append(
                Tally(
                    key=key,
                    before=None if before is None else before.document,
                    etag=None if before is None else before.etag,
                    after=after,
                    feed_range=self._store.feed_range_of(EVENTS, campaign_id),
                )
            )
        return tallies

    def _remove_unexpected(
        self,
        generation: int,
        campaign_id: str,
        expected: Mapping[ViewKey, Document],
        stored: Mapping[ViewKey, StoredView],
    ) -> None:
        """Delete the stored documents the log does not justify (etag-checked); a contribution
        goes with its partial (``_tallies``)."""
        for key in sorted(set(stored) - set(expected)):
            if place_of(key, campaign_id) is Place.TALLY:
                continue
            self._store.execute_batch(
                VIEWS,
                key.partition_key,
                [Delete(stored_id(generation, key.id), if_match=stored[key].etag)],
            )
