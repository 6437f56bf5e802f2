"""Projector of a campaign's entry in its tenant's campaign list.

One document per campaign in the tenant's partition (``tenant:<tenantId>``). Its id sorts the
list (newest ``createdAt`` first, then campaign id), so a page is one range query on ``id``;
``status``, ``createdAt``, ``campaignDeleted`` and ``docType`` are top-level for the filters.
The body is a list item of API.md: ``{id, name, status, createdAt, updatedAt}``, and while the
campaign is soft-deleted also ``deletedAt`` and ``restorableUntil`` (the item of
``GET /api/campaigns?deleted=true``). Every event of the campaign moves ``updatedAt``, so every
event touches this document.
"""

from __future__ import annotations

from domain.recorded import RecordedEvent
from projections.projectors.documents import (
    DocType,
    Document,
    campaign_index_id,
    evolve,
    new_document,
    refuse,
    require,
    tenant_partition,
)


def project_campaign_index(document: Document | None, event: RecordedEvent) -> Document:
    data = event.data
    if event.type == "CampaignCreated":
        if document is not None:
            raise refuse(event, "the campaign is already listed")
        tenant_id = str(data.get("tenantId") or event.tenant_id)
        body = {
            "id": event.campaign_id,
            "name": data["name"],
            "status": "Draft",
            "createdAt": event.timestamp,
            "updatedAt": event.timestamp,
        }
        created = new_document(
            campaign_index_id(event.timestamp, event.campaign_id),
            DocType.CAMPAIGN_INDEX,
            event,
            body,
            partition_key=tenant_partition(tenant_id),
        )
        created["tenantId"] = tenant_id
        created["campaignDeleted"] = False
        created["createdAt"] = event.timestamp
        created["status"] = "Draft"
        return created
    entry = require(document, event, "the campaign's list entry")
    changed = evolve(entry, event)
    body = changed["body"]
    body["updatedAt"] = event.timestamp
    if event.type == "CampaignUpdated" and data.get("name") is not None:
        body["name"] = data["name"]
    elif event.type == "StatusChanged":
        body["status"] = changed["status"] = data["toStatus"]
    elif event.type == "CampaignDeleted":
        changed["campaignDeleted"] = True
        body["deletedAt"] = event.timestamp
        body["restorableUntil"] = data["restoreUntil"]
    elif event.type == "CampaignRestored":
        changed["campaignDeleted"] = False
        body.pop("deletedAt", None)
        body.pop("restorableUntil", None)
    return changed
