"""Checking one rebuilt campaign against the live generation: a full rebuild's verify
(``projections.rebuild``), done by the replay's worker processes for their own campaigns
(``projections.replay``) or by the rebuild itself.

A campaign whose partition holds the same texts in both builds (``texts_in_both``) is verified
with its documents elsewhere (its list entry and statistics contribution, named by its snapshot
among those texts, both builds read with one query) compared too; any
other campaign is read whole in both builds: a different watermark means it was written to
meanwhile (the catch-up after the switch brings it up to date), an equal one that its
documents are compared one by one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from documentstore.port import VIEWS, DocumentStore
from projections.generations import stored_id, to_logical
from projections.projectors import ViewKey, campaign_index_key, contribution_key, snapshot_key
from projections.stored_views import (
    Difference,
    Document,
    StoredView,
    compare,
    logical_document,
    read_campaign_views,
    texts_in_both,
)


@dataclass(frozen=True)
class CampaignCheck:
    """What the verify found for one campaign: ``written_meanwhile`` (not verified) or
    verified with its ``differences`` (none: the builds are equal)."""

    campaign_id: str
    written_meanwhile: bool
    differences: tuple[Difference, ...] = ()


def check_campaign(
    store: DocumentStore, campaign_id: str, *, live: int, generation: int
) -> CampaignCheck:
    """Compare the campaign's documents in ``generation`` with those in ``live`` (see the
    module docstring)."""
    texts = texts_in_both(store, campaign_id, generation, live)
    if texts is not None:
        snapshot = texts.get(snapshot_key(campaign_id).id)
        elsewhere = (
            []
            if snapshot is None
            else _elsewhere_differences(
                store, live, generation, campaign_id, logical_document(snapshot)
            )
        )
        return CampaignCheck(campaign_id, False, tuple(elsewhere))
    old = read_campaign_views(store, live, campaign_id)
    new = read_campaign_views(store, generation, campaign_id)
    if watermark(old, campaign_id) != watermark(new, campaign_id):
        return CampaignCheck(campaign_id, True)
    differences = compare(
        campaign_id,
        {key: view.document for key, view in new.items()},
        {key: view.document for key, view in old.items()},
    )
    return CampaignCheck(campaign_id, False, tuple(differences))


def watermark(views: Mapping[ViewKey, StoredView], campaign_id: str) -> int:
    """The version the campaign's snapshot has applied (0 without one)."""
    snapshot = views.get(snapshot_key(campaign_id))
    return int(snapshot.document["appliedVersion"]) if snapshot is not None else 0


def _elsewhere_differences(
    store: DocumentStore, live: int, generation: int, campaign_id: str, snapshot: Document
) -> list[Difference]:
    """How the campaign's documents outside its partition (its list entry and statistics
    contribution, in its tenant's, named by its ``snapshot``) differ between the builds, for a
    campaign whose own partition holds the same texts in both: both builds of them read with
    one query per partition."""
    keys = (campaign_index_key(snapshot), contribution_key(snapshot))
    wanted = {
        stored_id(built, key.id): (built, key) for built in (generation, live) for key in keys
    }
    builds: dict[int, dict[ViewKey, Document]] = {generation: {}, live: {}}
    for partition_key in dict.fromkeys(key.partition_key for key in keys):
        ids = [stored for stored, (_, key) in wanted.items() if key.partition_key == partition_key]
        for document in store.read_many(VIEWS, partition_key, ids):
            built, key = wanted[document["id"]]
            builds[built][key] = to_logical(document)
    return compare(campaign_id, builds[generation], builds[live])
