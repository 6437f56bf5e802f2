"""Projector of a campaign's contribution to its tenant's statistics (``GET /api/stats``).

One small document per campaign in its tenant's partition (``stats-campaign.<campaignId>``,
docType ``statsContribution``), beside the partial sums of the tenant's feed ranges
(``projections.statistics``). Its body holds what the campaign adds to the statistics::

    {status, deleted, versions, auditReports, audits: {Pass, Conditional, Fail},
     orphanAuditReports, iterations, revisions: {total, auditFailed, userFeedback}}

It has a watermark like every view (``appliedVersion``), so an event is counted once however
often it is delivered, and it is written in one atomic batch with the partial it changes: the
partial moves by exactly the difference between the contribution before and after.

An audit report counts as an orphan when the version it names is not in the view before it
(``EntityLookup``). The aggregate cannot record such a report, and the version projector refuses
one (a dead letter): the figure is computed, and it is 0.

Campaigns whose snapshot was projected before this projector existed have no contribution;
``tallied`` says which snapshots have one (a rebuild gives every campaign one).
"""

from __future__ import annotations

from typing import Any

from domain.recorded import RecordedEvent
from projections.projectors.documents import (
    DocType,
    Document,
    evolve,
    new_document,
    own_dict,
    refuse,
    require,
    tenant_partition,
)
from projections.projectors.lookup import EntityLookup

CONTRIBUTION_PREFIX = "stats-campaign."
CONTRIBUTION_EVENTS = frozenset(
    {
        "CampaignCreated",
        "StatusChanged",
        "CampaignDeleted",
        "CampaignRestored",
        "VersionCreated",
        "AuditRecorded",
        "FeedbackLogged",
        "RevisionRequested",
    }
)
"""The events that change a campaign's contribution."""
AUDIT_OUTCOMES = ("Pass", "Conditional", "Fail")
TALLIED = "tallied"
"""The snapshot's ``state`` flag of a campaign that has a contribution document."""


def contribution_id(campaign_id: str) -> str:
    return f"{CONTRIBUTION_PREFIX}{campaign_id}"


def is_tallied(snapshot: Document | None) -> bool:
    """Whether the campaign of ``snapshot`` has a contribution document to keep up."""
    return snapshot is not None and bool(snapshot.get("state", {}).get(TALLIED))


def empty_contribution() -> dict[str, Any]:
    return {
        "status": "Draft",
        "deleted": False,
        "versions": 0,
        "auditReports": 0,
        "audits": dict.fromkeys(AUDIT_OUTCOMES, 0),
        "orphanAuditReports": 0,
        "iterations": 0,
        "revisions": {"total": 0, "auditFailed": 0, "userFeedback": 0},
    }


def project_contribution(
    document: Document | None, event: RecordedEvent, lookup: EntityLookup
) -> Document:
    data = event.data
    if event.type == "CampaignCreated":
        if document is not None:
            raise refuse(event, "the campaign's contribution already exists")
        tenant_id = str(data.get("tenantId") or event.tenant_id)
        created = new_document(
            contribution_id(event.campaign_id),
            DocType.STATS_CONTRIBUTION,
            event,
            empty_contribution(),
            partition_key=tenant_partition(tenant_id),
        )
        created["tenantId"] = tenant_id
        return created
    changed = evolve(require(document, event, "the campaign's contribution"), event)
    body = changed["body"]
    if event.type == "StatusChanged":
        body["status"] = data["toStatus"]
    elif event.type in ("CampaignDeleted", "CampaignRestored"):
        body["deleted"] = event.type == "CampaignDeleted"
    elif event.type == "VersionCreated":
        body["versions"] += 1
    elif event.type == "AuditRecorded":
        if lookup.version(data["versionId"]) is None:
            body["orphanAuditReports"] += 1
        else:
            body["auditReports"] += 1
            own_dict(body, "audits")[data["overallStatus"]] += 1
    elif event.type == "FeedbackLogged":
        body["iterations"] += 1
    elif event.type == "RevisionRequested":
        revisions = own_dict(body, "revisions")
        revisions["total"] += 1
        reason = "auditFailed" if data["reason"] == "audit-failed" else "userFeedback"
        revisions[reason] += 1
    else:
        raise refuse(event, "a campaign's contribution does not apply this event")
    return changed
