"""Which view documents an event touches, and the one entry point that projects an event onto a
document while honouring the document's watermark.

Routing is a pure function of the event, the campaign snapshot as it stands before the event
(the campaign's list entry is named by the snapshot's creation time) and the documents the
event consults (``views_consulted``): an event of a version or a run names it by id, and the
position of its list entry (the version's number, the stream version that queued the run) is
read from the version's or the run's own document. Deleting or restoring a campaign touches
its snapshot, list entry and statistics contribution only (the contribution of a campaign whose
snapshot is ``tallied``: ``projectors.contributions``): what an event touches never grows with
the campaign's history.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from domain.recorded import RecordedEvent
from projections.projectors.campaign_index import project_campaign_index
from projections.projectors.contributions import (
    CONTRIBUTION_EVENTS,
    CONTRIBUTION_PREFIX,
    contribution_id,
    is_tallied,
    project_contribution,
)
from projections.projectors.documents import (
    AUDIT_PREFIX,
    CAMPAIGN_INDEX_PREFIX,
    ENTRY_PREFIX,
    ITERATION_PREFIX,
    REVISION_PREFIX,
    RUN_ENTRY_PREFIX,
    SNAPSHOT_ID,
    Document,
    audit_id,
    campaign_index_id,
    entry_id,
    iteration_id,
    revision_id,
    run_entry_id,
    run_id,
    tenant_partition,
    version_id,
)
from projections.projectors.iterations import project_iteration
from projections.projectors.lookup import EntityLookup
from projections.projectors.revisions import project_revision
from projections.projectors.runs import (
    RUN_LIST_EVENTS,
    project_run,
    project_run_entry,
    queued_at_version,
)
from projections.projectors.snapshot import project_snapshot
from projections.projectors.versions import (
    project_audit_report,
    project_version,
    project_version_entry,
    version_number_of,
)

Projector = Callable[[Document | None, RecordedEvent, EntityLookup], Document]


class ViewKey(NamedTuple):
    """Where a view document lives: its partition and its logical id (no generation). A named
    tuple: keys are hashed and compared on every event applied, which a tuple does in C."""

    partition_key: str
    id: str


_VERSION_EVENTS = frozenset(
    {"VersionCreated", "AuditRecorded", "VersionApproved", "VersionArchived"}
)
_RUN_EVENTS = frozenset(
    {
        "RunQueued",
        "RunStarted",
        "StepResultAttached",
        "QualityCheckRecorded",
        "RunCompleted",
        "RunFailed",
        "RunCancelled",
    }
)


def snapshot_key(campaign_id: str) -> ViewKey:
    return ViewKey(campaign_id, SNAPSHOT_ID)


def campaign_index_key(snapshot: Document) -> ViewKey:
    """The list entry of the campaign that ``snapshot`` describes."""
    body = snapshot["body"]
    tenant_id, created_at, campaign_id = body["tenantId"], body["createdAt"], body["id"]
    try:
        return _index_key(tenant_id, created_at, campaign_id)
    except TypeError:  # a value that cannot be remembered (not hashable): computed as it is
        return ViewKey(tenant_partition(tenant_id), campaign_index_id(created_at, campaign_id))


@lru_cache(maxsize=1024)
def _index_key(tenant_id: str, created_at: str, campaign_id: str) -> ViewKey:
    """``campaign_index_key`` of a campaign's strings, remembered for the campaigns met last:
    every event of a campaign routes to its list entry, whose id parses a timestamp."""
    return ViewKey(tenant_partition(tenant_id), campaign_index_id(created_at, campaign_id))


def contribution_key(snapshot: Document) -> ViewKey:
    """The statistics contribution of the campaign that ``snapshot`` describes."""
    body = snapshot["body"]
    return ViewKey(tenant_partition(body["tenantId"]), contribution_id(body["id"]))


def views_consulted(event: RecordedEvent) -> list[ViewKey]:
    """The documents whose state before ``event`` its routing or its projectors read (through
    the lookup): the version or the run the event names, when it exists already."""
    campaign = event.campaign_id
    if event.type in _VERSION_EVENTS - {"VersionCreated"} or event.type == "ActiveVersionSet":
        return [ViewKey(campaign, version_id(event.data["versionId"]))]
    if event.type in _RUN_EVENTS - {"RunQueued"}:
        return [ViewKey(campaign, run_id(event.data["runId"]))]
    return []


def views_touched(
    event: RecordedEvent, snapshot: Document | None, lookup: EntityLookup
) -> list[ViewKey]:
    """The documents ``event`` changes, the list entry and the snapshot last."""
    campaign = event.campaign_id
    data = event.data
    keys: list[ViewKey] = []
    if event.type in _VERSION_EVENTS:
        number = version_number_of(event, lookup)
        keys.append(ViewKey(campaign, version_id(data["versionId"])))
        keys.append(ViewKey(campaign, entry_id(data["artifactId"], number)))
        if event.type == "AuditRecorded":
            keys.append(ViewKey(campaign, audit_id(event.version)))
    elif event.type == "FeedbackLogged":
        keys.append(ViewKey(campaign, iteration_id(event.version)))
    elif event.type == "RevisionRequested":
        keys.append(ViewKey(campaign, revision_id(event.version)))
    elif event.type in _RUN_EVENTS:
        keys.append(ViewKey(campaign, run_id(data["runId"])))
        if event.type in RUN_LIST_EVENTS:
            keys.append(ViewKey(campaign, run_entry_id(queued_at_version(event, lookup))))
    if event.type == "CampaignCreated":
        tenant = str(data.get("tenantId") or event.tenant_id)
        keys.append(ViewKey(tenant_partition(tenant), campaign_index_id(event.timestamp, campaign)))
        keys.append(ViewKey(tenant_partition(tenant), contribution_id(campaign)))
    elif snapshot is not None:
        keys.append(campaign_index_key(snapshot))
        if event.type in CONTRIBUTION_EVENTS and is_tallied(snapshot):
            keys.append(contribution_key(snapshot))
    keys.append(snapshot_key(campaign))
    return keys


def project(
    key: ViewKey, document: Document | None, event: RecordedEvent, lookup: EntityLookup
) -> Document:
    """``event`` applied to the document at ``key``; unchanged if its watermark covers it."""
    if document is not None and int(document["appliedVersion"]) >= event.version:
        return document
    return _projector_of(key.id)(document, event, lookup)


def _projector_of(logical_id: str) -> Projector:
    """The projector of a document, by its id's prefix (the text up to its first dot): one
    dict look-up, as every touched document of every event asks. The projector is found by
    its name in this module at each call, as before, so a test may replace one."""
    if logical_id == SNAPSHOT_ID:
        return project_snapshot
    head, dot, _ = logical_id.partition(".")
    name = _PROJECTOR_BY_PREFIX.get(head + dot)
    if name is None:
        raise KeyError(f"no projector for view document {logical_id!r}")
    projector: Projector = globals()[name]
    return projector


def _index_projector(document: Document | None, event: RecordedEvent, _: EntityLookup) -> Document:
    return project_campaign_index(document, event)


_PROJECTOR_BY_PREFIX: dict[str, str] = {
    CAMPAIGN_INDEX_PREFIX: _index_projector.__name__,
    "version.": project_version.__name__,
    ENTRY_PREFIX: project_version_entry.__name__,
    AUDIT_PREFIX: project_audit_report.__name__,
    ITERATION_PREFIX: project_iteration.__name__,
    REVISION_PREFIX: project_revision.__name__,
    CONTRIBUTION_PREFIX: project_contribution.__name__,
    "run.": project_run.__name__,
    RUN_ENTRY_PREFIX: project_run_entry.__name__,
}
"""Each prefix ends at its id's first dot, so no prefix is a prefix of another's id; the
values are the names this module imports the projectors under."""
