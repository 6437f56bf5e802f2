"""Which view documents an event touches, and the one entry point that projects an event onto a
document while honouring the document's watermark.

Routing is a pure function of the event and the campaign snapshot as it stands before the event
(``CampaignDeleted`` and ``CampaignRestored`` touch every document of the campaign, which only
the snapshot can enumerate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from domain.recorded import RecordedEvent
from projections.projectors.campaign_index import project_campaign_index
from projections.projectors.documents import (
    CAMPAIGN_INDEX_PREFIX,
    ITERATIONS_ID,
    SNAPSHOT_ID,
    Document,
    audits_id,
    campaign_index_id,
    history_id,
    run_id,
    tenant_partition,
    version_id,
)
from projections.projectors.iterations import project_iterations
from projections.projectors.runs import project_run
from projections.projectors.snapshot import EntityLookup, project_snapshot
from projections.projectors.versions import project_audits, project_version, project_version_history


@dataclass(frozen=True, order=True)
class ViewKey:
    """Where a view document lives: its partition and its logical id (no generation)."""

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
_DELETION_EVENTS = frozenset({"CampaignDeleted", "CampaignRestored"})


def snapshot_key(campaign_id: str) -> ViewKey:
    return ViewKey(campaign_id, SNAPSHOT_ID)


def campaign_index_key(snapshot: Document) -> ViewKey:
    """The list entry of the campaign that ``snapshot`` describes."""
    body = snapshot["body"]
    return ViewKey(
        tenant_partition(body["tenantId"]), campaign_index_id(body["createdAt"], body["id"])
    )


def views_touched(event: RecordedEvent, snapshot: Document | None) -> list[ViewKey]:
    """The documents ``event`` changes; the snapshot comes last, the list entry just before it."""
    campaign = event.campaign_id
    data = event.data
    keys: list[ViewKey] = []
    if event.type == "CampaignCreated":
        keys.append(ViewKey(campaign, ITERATIONS_ID))
    elif event.type in _DELETION_EVENTS and snapshot is not None:
        keys.extend(_every_entity(campaign, snapshot))
    elif event.type == "ArtifactCreated":
        keys.append(ViewKey(campaign, history_id(data["artifactId"])))
    elif event.type in _VERSION_EVENTS:
        keys.append(ViewKey(campaign, version_id(data["versionId"])))
        if event.type in ("VersionCreated", "AuditRecorded"):
            keys.append(ViewKey(campaign, audits_id(data["versionId"])))
        keys.append(ViewKey(campaign, history_id(data["artifactId"])))
    elif event.type == "FeedbackLogged":
        keys.append(ViewKey(campaign, ITERATIONS_ID))
    elif event.type in _RUN_EVENTS:
        keys.append(ViewKey(campaign, run_id(data["runId"])))
    if event.type == "CampaignCreated":
        tenant = str(data.get("tenantId") or event.tenant_id)
        keys.append(ViewKey(tenant_partition(tenant), campaign_index_id(event.timestamp, campaign)))
    elif snapshot is not None:
        keys.append(campaign_index_key(snapshot))
    keys.append(snapshot_key(campaign))
    return keys


def views_consulted(event: RecordedEvent) -> list[ViewKey]:
    """Documents whose immutable facts the snapshot reads for ``event`` (through the lookup)."""
    if event.type != "ActiveVersionSet":
        return []
    chosen = event.data["versionId"]
    return [
        ViewKey(event.campaign_id, version_id(chosen)),
        ViewKey(event.campaign_id, audits_id(chosen)),
    ]


def _every_entity(campaign: str, snapshot: Document) -> list[ViewKey]:
    body = snapshot["body"]
    keys = [ViewKey(campaign, ITERATIONS_ID)]
    keys += [ViewKey(campaign, history_id(artifact["id"])) for artifact in body["artifacts"]]
    for version in snapshot["state"]["versions"]:
        keys += [ViewKey(campaign, version_id(version)), ViewKey(campaign, audits_id(version))]
    keys += [ViewKey(campaign, run_id(run["id"])) for run in body["runs"]]
    return keys


def project(
    key: ViewKey, document: Document | None, event: RecordedEvent, lookup: EntityLookup
) -> Document:
    """``event`` applied to the document at ``key``; unchanged if its watermark covers it."""
    if document is not None and int(document["appliedVersion"]) >= event.version:
        return document
    if key.id == SNAPSHOT_ID:
        return project_snapshot(document, event, lookup)
    return _projector_of(key.id)(document, event)


def _projector_of(logical_id: str) -> Callable[[Document | None, RecordedEvent], Document]:
    if logical_id == ITERATIONS_ID:
        return project_iterations
    if logical_id.startswith(CAMPAIGN_INDEX_PREFIX):
        return project_campaign_index
    kind = logical_id.split(".", 1)[0]
    projectors: dict[str, Callable[[Document | None, RecordedEvent], Document]] = {
        "history": project_version_history,
        "version": project_version,
        "audits": project_audits,
        "run": project_run,
    }
    return projectors[kind]
