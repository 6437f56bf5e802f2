"""The read side as the HTTP layer and the CLI see it: ``ReadModel``.

Live reads come from the live generation of ``views`` (``projections.live_views``): a
campaign's snapshot, its artifacts and one artifact are one point read; a version or a run is
one read of two known ids (it and the snapshot); the latest version of an artifact is the
snapshot, then the version; a page of a list is the snapshot plus one range query. The
tenant's campaign list is one query on the tenant index (``projections.campaign_list``).
Reads of the past (``?atVersion=``, ``?asOf=``) check the campaign against the live snapshot,
then fold one read of the log prefix (``projections.past``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from documentstore.port import Document, DocumentStore, Query
from domain.errors import CampaignNotFound, EntityNotFound
from projections.campaign_list import CampaignPage, campaign_page
from projections.generations import stored_id
from projections.live_views import (
    MAX_LIST_PAGE,
    ListSpec,
    LiveViews,
    View,
    derived_view,
    digest,
    document_view,
    visible_to,
)
from projections.past import Moment, PastViews, past_views
from projections.projectors.documents import (
    AUDIT_PREFIX,
    ITERATION_PREFIX,
    REVISION_PREFIX,
    RUN_ENTRY_PREFIX,
    SNAPSHOT_ID,
    DocType,
    entry_prefix,
    run_id,
    tenant_partition,
    version_id,
)
from projections.read_bodies import artifact_body, artifact_entry, history_body, plain_report
from projections.statistics import PARTIAL_PREFIX, summary
from projections.status import LOCAL_PROCESSOR, LagSource, projection_status

__all__ = ["MAX_LIST_PAGE", "CampaignPage", "Moment", "ReadModel", "View"]


class ReadModel:
    """Reads of the materialized views. Unknown, foreign-tenant and soft-deleted campaigns raise
    ``CampaignNotFound``; an unknown entity of a visible campaign raises ``EntityNotFound``; a
    past the campaign does not have raises ``VersionNotFound``.

    ``lag_source`` says who projects this store, so who can measure the lag (``status``);
    ``on_snapshot_read`` (optional) is told the seconds each campaign snapshot read took."""

    def __init__(
        self,
        store: DocumentStore,
        *,
        lag_source: LagSource = LOCAL_PROCESSOR,
        generation_cache_seconds: float = 1.0,
        poll_interval: float = 0.02,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_snapshot_read: Callable[[float], None] | None = None,
    ) -> None:
        self._store = store
        self._on_snapshot_read = on_snapshot_read
        self._lag_source = lag_source
        self._views = LiveViews(
            store, generation_cache_seconds=generation_cache_seconds, monotonic=monotonic
        )
        self._poll_interval = poll_interval
        self._monotonic = monotonic
        self._sleep = sleep

    # --- one campaign ---------------------------------------------------------------------

    def campaign(self, tenant_id: str, campaign_id: str) -> View:
        if self._on_snapshot_read is None:
            return self._campaign(tenant_id, campaign_id)
        started = time.perf_counter()
        try:
            return self._campaign(tenant_id, campaign_id)
        finally:
            self._on_snapshot_read(time.perf_counter() - started)

    def _campaign(self, tenant_id: str, campaign_id: str) -> View:
        document, generation = self._views.read(campaign_id, SNAPSHOT_ID)
        if document is None or not visible_to(document, tenant_id):
            raise CampaignNotFound(f"campaign {campaign_id} not found")
        body: dict[str, Any] = document["body"]
        spilled: list[str] = document.get("state", {}).get("spilledContent", [])
        if spilled:
            body = self._with_spilled_content(body, campaign_id, spilled, generation)
        return document_view(document, generation, body)

    def artifacts(self, tenant_id: str, campaign_id: str) -> View:
        """``{items: [Artifact]}`` in creation order, from the snapshot (at most three)."""
        snapshot, _, generation = self._views.visible(tenant_id, campaign_id)
        items = [artifact_body(snapshot, entry) for entry in snapshot["body"]["artifacts"]]
        return derived_view(snapshot, generation, {"items": items}, "artifacts")

    def artifact(self, tenant_id: str, campaign_id: str, artifact_id: str) -> View:
        """``Artifact``: ``{id, type, createdAt, versionCount, latestVersionId,
        activeVersionId}``, from the snapshot."""
        snapshot, _, generation = self._views.visible(tenant_id, campaign_id)
        entry = artifact_entry(snapshot, artifact_id)
        body = artifact_body(snapshot, entry)
        return derived_view(snapshot, generation, body, f"artifact\x1f{artifact_id}")

    def latest_version(self, tenant_id: str, campaign_id: str, artifact_id: str) -> View:
        """The version body of the artifact's highest version number: the snapshot names it,
        one point read fetches it."""
        snapshot, _, generation = self._views.visible(tenant_id, campaign_id)
        latest = artifact_entry(snapshot, artifact_id)["latestVersionId"]
        version = (
            None
            if latest is None
            else self._views.read_in(campaign_id, generation, version_id(latest))
        )
        if version is None:
            raise EntityNotFound(f"artifact {artifact_id} has no version yet")
        return document_view(version, generation, version["body"])

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
        snapshot, _, generation = self._views.visible(tenant_id, campaign_id)
        artifact = artifact_entry(snapshot, artifact_id)
        spec = ListSpec("versions", entry_prefix(artifact_id), DocType.VERSION_ENTRY, {})
        page = self._views.page(snapshot, generation, spec, limit, continuation)
        return derived_view(snapshot, generation, history_body(artifact, page), page.key)

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
        snapshot, found, generation = self._views.visible(
            tenant_id, campaign_id, version_id(version_id_)
        )
        if found is None:
            raise EntityNotFound(f"version not found in campaign {campaign_id}")
        spec = ListSpec(
            "version-audits", AUDIT_PREFIX, DocType.AUDIT_REPORT, {"versionId": version_id_}
        )
        page = self._views.page(snapshot, generation, spec, limit, continuation)
        body = {
            "items": [plain_report(item) for item in page.items],
            "continuation": page.continuation,
        }
        return derived_view(snapshot, generation, body, page.key)

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
        filters = {
            "artifactId": artifact_id,
            "versionId": version_id_,
            "overallStatus": overall_status,
        }
        spec = ListSpec("audits", AUDIT_PREFIX, DocType.AUDIT_REPORT, filters)
        return self._list(tenant_id, campaign_id, spec, limit, continuation)

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
        spec = ListSpec(
            "iterations", ITERATION_PREFIX, DocType.ITERATION, {"artifactId": artifact_id}
        )
        return self._list(tenant_id, campaign_id, spec, limit, continuation)

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
        spec = ListSpec("runs", RUN_ENTRY_PREFIX, DocType.RUN_ENTRY, {"status": status})
        return self._list(tenant_id, campaign_id, spec, limit, continuation)

    # --- the past -------------------------------------------------------------------------

    def campaign_at(self, tenant_id: str, campaign_id: str, moment: Moment) -> View:
        """The snapshot's body as a live read answered it at ``moment`` (404 where a live read
        answered 404 then: a campaign soft-deleted at that moment)."""
        past, _ = self._past(tenant_id, campaign_id, moment)
        return past.view(past.snapshot_body())

    def version_history_at(
        self,
        tenant_id: str,
        campaign_id: str,
        artifact_id: str,
        moment: Moment,
        *,
        limit: int = MAX_LIST_PAGE,
        continuation: str | None = None,
    ) -> View:
        """``version_history`` as it stood at ``moment``, paged the same way."""
        past, snapshot = self._past(tenant_id, campaign_id, moment)
        artifact = artifact_entry(snapshot, artifact_id)
        page = past.page("versions", entry_prefix(artifact_id), limit, continuation)
        return past.view(history_body(artifact, page))

    def revisions(
        self,
        tenant_id: str,
        campaign_id: str,
        *,
        limit: int = 100,
        continuation: str | None = None,
    ) -> View:
        """``{items, continuation}``: the campaign's revisions in the order requested."""
        spec = ListSpec("revisions", REVISION_PREFIX, DocType.REVISION, {})
        return self._list(tenant_id, campaign_id, spec, limit, continuation)

    # --- the tenant -----------------------------------------------------------------------

    def statistics(self, tenant_id: str) -> View:
        """``GET /api/stats``: the sum of the tenant's partials, one per feed range (a query of
        a handful of documents, whatever the number of campaigns: ``projections.statistics``)."""
        generation = self._views.generation()
        partials = self._partials(tenant_id, generation)
        if not partials and generation != self._views.generation(refresh=True):
            generation = self._views.generation()  # the cached generation was switched away
            partials = self._partials(tenant_id, generation)
        etag = digest(str(generation), *sorted(str(p.get("_etag")) for p in partials))
        return View(body=summary(p["body"] for p in partials), version=0, etag=etag)

    def _partials(self, tenant_id: str, generation: int) -> list[Document]:
        query = Query(
            partition_key=tenant_partition(tenant_id),
            equals={"docType": DocType.STATS_PARTIAL.value},
            id_gt=stored_id(generation, PARTIAL_PREFIX),
            id_lte=stored_id(generation, PARTIAL_PREFIX + "~"),
        )
        return self._views.query_all(query, page_size=100)

    # --- the list -------------------------------------------------------------------------

    def list_campaigns(
        self,
        tenant_id: str,
        *,
        status: str | None = None,
        deleted: bool = False,
        limit: int = 20,
        continuation: str | None = None,
    ) -> CampaignPage:
        """Newest first (``createdAt`` descending, then ``id``): the live campaigns, or with
        ``deleted`` only the soft-deleted ones (with ``deletedAt`` and ``restorableUntil``).
        ``continuation`` is this method's own opaque token; a malformed one raises
        ``InvalidInput`` with code ``invalid-continuation``."""
        return campaign_page(
            self._views,
            tenant_id,
            status=status,
            deleted=deleted,
            limit=limit,
            continuation=continuation,
        )

    # --- freshness and status -------------------------------------------------------------

    def wait_for(self, campaign_id: str, min_version: int, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until the campaign's projection has applied
        ``min_version``; True when it has."""
        deadline = self._monotonic() + timeout
        while True:
            document, _ = self._views.read(campaign_id, SNAPSHOT_ID, follow_switch=False)
            if document is not None and int(document["appliedVersion"]) >= min_version:
                return True
            if self._monotonic() >= deadline:
                return False
            self._sleep(self._poll_interval)

    def has_reached(self, tenant_id: str, campaign_id: str, min_version: int) -> bool:
        """Whether ``tenant_id``'s campaign is projected up to ``min_version``: one point read
        of its snapshot. False alike for a campaign that does not exist, belongs to another
        tenant or is deleted, so that a wait on it looks the same (``api.version_waits``)."""
        document, _ = self._views.read(campaign_id, SNAPSHOT_ID, follow_switch=False)
        return (
            document is not None
            and visible_to(document, tenant_id)
            and int(document["appliedVersion"]) >= min_version
        )

    def check_store(self) -> None:
        """One point read (the projection state): raises the store's error when it fails."""
        self._views.generation(refresh=True)

    def projection_status(self, tenant_id: str | None = None) -> dict[str, Any]:
        """Per projection and feed range: events and seconds behind, checkpoint, dead letters
        (only ``tenant_id``'s when given; every tenant's for the operator)."""
        return projection_status(self._store, tenant_id=tenant_id, source=self._lag_source)

    # --- helpers --------------------------------------------------------------------------

    def _entity(self, tenant_id: str, campaign_id: str, logical_id: str, what: str) -> View:
        _, document, generation = self._views.visible(tenant_id, campaign_id, logical_id)
        if document is None:
            raise EntityNotFound(f"{what} not found in campaign {campaign_id}")
        return document_view(document, generation, document["body"])

    def _list(
        self,
        tenant_id: str,
        campaign_id: str,
        spec: ListSpec,
        limit: int,
        continuation: str | None,
    ) -> View:
        snapshot, _, generation = self._views.visible(tenant_id, campaign_id)
        page = self._views.page(snapshot, generation, spec, limit, continuation)
        body = {"items": page.items, "continuation": page.continuation}
        return derived_view(snapshot, generation, body, page.key)

    def _past(self, tenant_id: str, campaign_id: str, moment: Moment) -> tuple[PastViews, Document]:
        """The campaign's documents and snapshot at ``moment``, when the tenant may see the
        campaign now and could see it then; else ``CampaignNotFound``."""
        _, _, generation = self._views.visible(tenant_id, campaign_id)
        past = past_views(self._store, campaign_id, moment, generation=generation)
        snapshot = past.snapshot
        if snapshot is None or not visible_to(snapshot, tenant_id):
            raise CampaignNotFound(f"campaign {campaign_id} not found at {moment}")
        return past, snapshot

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
                version = self._views.read_in(campaign_id, generation, version_id(entry["id"]))
                entry["content"] = None if version is None else version["body"]["content"]
        return filled
